// The agent's state file: a round trip, what a crash or a damaged file leaves the agent
// with (never a crash, never a half-valid table), and coalesced writes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseCidr, parseIpv4 } from '../../../common/cidr.js';
import { MemoryLogger } from '../../../common/logger.js';
import { parseAgentState, serializeAgentState, STATE_FILE, type AgentState } from '../../../node-agent/state/agent-state.js';
import { AgentStateWriter, discardAgentState, loadAgentState } from '../../../node-agent/state/state-store.js';

const state: AgentState = {
  registration: {
    nodeName: 'h1',
    underlayIp: parseIpv4('192.168.77.1'),
    subnet: parseCidr('10.244.1.0/24'),
    network: parseCidr('10.244.0.0/16'),
    udpPort: 7000,
    encapOverhead: 28,
    tunMtu: 1472,
    heartbeatIntervalMs: 5000,
    clusterId: 'c-123',
  },
  table: {
    revision: 42,
    clusterId: 'c-123',
    routes: [
      { nodeName: 'h2', subnet: parseCidr('10.244.2.0/24'), underlayIp: parseIpv4('192.168.77.2') },
      { nodeName: 'h3', subnet: parseCidr('10.244.3.0/24'), underlayIp: parseIpv4('192.168.77.3') },
    ],
  },
  savedAt: Date.parse('2026-11-25T18:00:00.000Z'),
};

function stateDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The file text with `edit` applied to its body and the checksum recomputed: damage a checksum cannot catch. */
function editedBody(edit: (body: any) => void): string {
  const file = JSON.parse(serializeAgentState(state));
  edit(file.body);
  file.checksum = createHash('sha256').update(JSON.stringify(file.body)).digest('hex');
  return JSON.stringify(file);
}

test('round trip: what is written is read back, field for field; no table is kept as none', (t) => {
  const dir = stateDir(t);
  const writer = new AgentStateWriter(dir, { logger: new MemoryLogger() });
  writer.schedule(() => state);
  writer.flush();
  assert.deepEqual(loadAgentState(dir, new MemoryLogger()), state);
  assert.deepEqual(readdirSync(dir), [STATE_FILE], 'no temporary file left');
  const noTable = { ...state, table: null };
  assert.deepEqual(parseAgentState(serializeAgentState(noTable)), noTable);
  assert.equal(loadAgentState(stateDir(t), new MemoryLogger()), undefined, 'no file: no state, no warning needed');
});

test('a crash during a write leaves the previous state readable and its temporary file is cleaned up', (t) => {
  const dir = stateDir(t);
  writeFileSync(join(dir, STATE_FILE), serializeAgentState(state));
  // What writeFileAtomicSync leaves when the process dies before the rename: a torn tmp file.
  const torn = join(dir, `${STATE_FILE}.0123456789abcdef.tmp`);
  const newer = serializeAgentState({ ...state, table: { ...state.table!, revision: 43 } });
  writeFileSync(torn, newer.slice(0, newer.length / 2));
  const logger = new MemoryLogger();
  assert.deepEqual(loadAgentState(dir, logger)?.table?.revision, 42);
  assert.equal(existsSync(torn), false);
  assert.ok(logger.lines.some((l) => /half-written/.test(l)), logger.lines.join('\n'));
});

test('a truncated, garbled, edited or foreign file is ignored with a warning, never a crash', (t) => {
  const text = serializeAgentState(state);
  const cases: Array<[string, string, RegExp]> = [
    ['truncated', text.slice(0, Math.floor(text.length * 0.7)), /not valid JSON/],
    ['empty', '', /not valid JSON/],
    ['binary garbage', '\u0000\u0001\u00ff{{{', /not valid JSON/],
    ['not an object', '[1,2,3]', /not an object/],
    ['other version', JSON.stringify({ ...JSON.parse(text), version: 2 }), /version 2/],
    ['one digit changed', text.replace('"udpPort": 7000', '"udpPort": 7001'), /checksum/],
    ['no checksum', JSON.stringify({ ...JSON.parse(text), checksum: undefined }), /checksum/],
    ['port out of range', editedBody((b) => (b.registration.udpPort = 0)), /udpPort/],
    ['fractional mtu', editedBody((b) => (b.registration.tunMtu = 1400.5)), /tunMtu/],
    ['subnet with host bits', editedBody((b) => (b.registration.subnet = '10.244.1.9/24')), /registration\.subnet.*host bits/],
    ['subnet outside the network', editedBody((b) => (b.registration.subnet = '10.9.1.0/24')), /not inside/],
    ['bad node name', editedBody((b) => (b.registration.nodeName = 'H1_x')), /nodeName/],
    ['bad route address', editedBody((b) => (b.table.routes[1].underlayIp = '999.1.1.1')), /table\.routes\[1\]\.underlayIp/],
    ['route not an object', editedBody((b) => (b.table.routes[0] = 'h2')), /table\.routes\[0\] is not an object/],
    ['subnet twice', editedBody((b) => (b.table.routes[1].subnet = b.table.routes[0].subnet)), /twice/],
    ['negative revision', editedBody((b) => (b.table.revision = -1)), /table\.revision/],
    ['revision as text', editedBody((b) => (b.table.revision = '42')), /table\.revision/],
    ['missing cluster id', editedBody((b) => delete b.table.clusterId), /table\.clusterId/],
    ['bad time', editedBody((b) => (b.savedAt = 'yesterday')), /savedAt/],
  ];
  for (const [name, content, reason] of cases) {
    const dir = stateDir(t);
    writeFileSync(join(dir, STATE_FILE), content);
    const logger = new MemoryLogger();
    assert.equal(loadAgentState(dir, logger), undefined, name);
    assert.ok(logger.lines.some((l) => /WARN.*stored agent state is damaged/.test(l) && reason.test(l)), `${name}: ${logger.lines.join('\n')}`);
  }
});

test('writes are coalesced: a storm of changes costs one write per interval, and the newest state is the one on disk', async (t) => {
  const dir = stateDir(t);
  const written: string[] = [];
  const writer = new AgentStateWriter(dir, { logger: new MemoryLogger(), minIntervalMs: 100, writeFile: (_file, text) => void written.push(text) });
  let revision = 0;
  const current = (): AgentState => ({ ...state, table: { ...state.table!, revision } });
  const startedAt = Date.now();
  // 200 changes over about 500 ms.
  while (Date.now() - startedAt < 500) {
    revision++;
    writer.schedule(current);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const elapsed = Date.now() - startedAt;
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.ok(revision > 50, `${revision} changes`);
  assert.ok(written.length >= 2 && written.length <= Math.ceil(elapsed / 100) + 2, `${written.length} writes for ${revision} changes in ${elapsed} ms`);
  assert.equal(parseAgentState(written.at(-1)!).table?.revision, revision, 'the last write holds the last change');

  // flush() writes what is pending at once, and nothing when nothing is.
  const before = written.length;
  revision++;
  writer.schedule(current);
  writer.flush();
  assert.equal(written.length, before + 1);
  assert.equal(parseAgentState(written.at(-1)!).table?.revision, revision);
  writer.flush();
  assert.equal(written.length, before + 1);
});

test('a write that fails is logged and does not throw; discardAgentState removes the file', (t) => {
  const dir = stateDir(t);
  const logger = new MemoryLogger();
  const failing = new AgentStateWriter(join(dir, 'missing-folder'), { logger });
  failing.schedule(() => state);
  failing.flush();
  assert.ok(logger.lines.some((l) => /cannot write the agent state file/.test(l)), logger.lines.join('\n'));

  const writer = new AgentStateWriter(dir, { logger });
  writer.schedule(() => state);
  writer.flush();
  assert.ok(readFileSync(join(dir, STATE_FILE), 'utf8').includes('"revision": 42'));
  discardAgentState(dir, logger);
  assert.equal(existsSync(join(dir, STATE_FILE)), false);
});
