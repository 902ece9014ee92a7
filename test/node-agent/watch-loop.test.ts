// The watch loop against a scripted controller: shutdown during a reconnect, and a table the
// data path refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../common/backoff.js';
import { MemoryLogger } from '../../common/logger.js';
import { AgentRouteTable, type RouteEntry } from '../../node-agent/route-table.js';
import { runWatchLoop } from '../../node-agent/watch-loop.js';
import { FakeController, unavailable } from './fixtures/fake-controller.js';

const route = (i: number): RouteEntry => ({ nodeName: `n${i}`, subnet: { base: (0x0af40000 + i * 256) >>> 0, prefixLen: 24 }, underlayIp: (0xc0a80000 + i) >>> 0 });
const quickBackoff = () => new Backoff({ initialMs: 1, maxMs: 1 });

test('an agent stopping while it re-registers opens no new stream and the loop ends', { timeout: 10_000 }, async () => {
  const controller = new FakeController();
  const stop = new AbortController();
  const loop = runWatchLoop({
    source: controller,
    nodeName: 'n0',
    table: new AgentRouteTable(),
    heartbeatIntervalMs: () => 20,
    onTableChanged: () => undefined,
    // SIGTERM arrives while the registration call is in flight.
    beforeReconnect: async () => stop.abort(),
    logger: new MemoryLogger(),
    signal: stop.signal,
    backoff: quickBackoff(),
  });
  (await controller.stream(0)).end(unavailable());
  await loop;
  assert.equal(controller.streams.length, 1, 'no stream opened after the abort');
});

test('a table the data path refuses ends the stream without crashing; the next one starts from a snapshot', { timeout: 10_000 }, async () => {
  const controller = new FakeController();
  const stop = new AbortController();
  const logger = new MemoryLogger();
  let calls = 0;
  const loop = runWatchLoop({
    source: controller,
    nodeName: 'n0',
    table: new AgentRouteTable(),
    heartbeatIntervalMs: () => 60_000,
    onTableChanged: () => {
      if (++calls === 1) throw new Error('peers n1 and n2 both claim subnet 10.244.1.0/24');
    },
    logger,
    signal: stop.signal,
    backoff: quickBackoff(),
  });
  const first = await controller.stream(0);
  first.send({ kind: 'snapshot', revision: 3, routes: [route(1), route(2)] });
  assert.ok(first.cancelled, 'the stream carrying the refused table was closed');
  assert.ok(logger.lines.some((l) => /could not apply the route table.*both claim subnet/.test(l)), logger.lines.join('\n'));
  const second = await controller.stream(1);
  assert.equal(second.knownRevision, 0, 'asks for a full snapshot, not a resume from the refused revision');
  second.send({ kind: 'snapshot', revision: 4, routes: [route(1), route(2)] });
  assert.equal(calls, 2);
  stop.abort();
  await loop;
});
