// Packed Watch messages: an agent that accepts them gets large snapshots and deltas compressed
// (encoded once for every agent), and reads back exactly the routes and changes a plain
// message carries; an agent that does not gets them plain; small messages stay plain; and
// corrupt or oversized packed data is refused with a clear error instead of being inflated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { MAX_UNPACKED_BYTES, PACK_MIN_ENTRIES, packWatchBody, unpackWatchBody } from '../../common/packed-watch.js';
import { unpacked, type WatchEvent } from '../../node-agent/controller-client.js';
import type { ListRoutesResponse__Output } from '../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import { waitFor } from '../netns/netns.js';
import { openRawWatch, rawAgentClient, startController, type ControllerFixture } from './controller-fixture.js';
import type { NodeCredentials } from '../../node-agent/identity/credential-files.js';

const NODES = PACK_MIN_ENTRIES + 36;

function rawWatch(fx: ControllerFixture, credentials: NodeCredentials, nodeName: string, acceptPacked: boolean) {
  const client = rawAgentClient(fx, credentials);
  const watch = openRawWatch(client, { start: { nodeName, knownRevision: 0, acceptPacked } });
  return { messages: watch.messages, close: () => (watch.call.cancel(), client.close()) };
}

const routeKey = (r: { subnet: string; underlayIp: string; nodeName: string }) => `${r.subnet} ${r.underlayIp} ${r.nodeName}`;

test('large snapshots and deltas reach an accepting agent packed and unpack to what a plain agent gets; small ones stay plain', async (t) => {
  const fx = await startController({ heartbeatIntervalMs: 1000 });
  t.after(() => fx.dispose());
  const admin = await fx.admin();
  t.after(() => admin.close());
  for (let i = 0; i < NODES; i++) await admin.call('AddNode', { name: `p${i}`, underlayIp: `192.168.70.${i + 1}` });
  const packedAgent = rawWatch(fx, await fx.join(admin, 'p0'), 'p0', true);
  const plainAgent = rawWatch(fx, await fx.join(admin, 'p1'), 'p1', false);
  t.after(() => (packedAgent.close(), plainAgent.close()));
  await waitFor('both snapshots', () => packedAgent.messages.length > 0 && plainAgent.messages.length > 0, 10_000);

  const packedSnapshot = packedAgent.messages[0]!;
  const plainSnapshot = plainAgent.messages[0]!;
  assert.equal(packedSnapshot.kind, 'KIND_SNAPSHOT');
  assert.equal(packedSnapshot.routes.length, 0, 'the routes are not in the plain field');
  assert.ok(packedSnapshot.packed.length > 0);
  assert.equal(plainSnapshot.packed.length, 0, 'an agent that did not accept packing gets it plain');
  assert.equal(plainSnapshot.routes.length, NODES);
  const table = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {});
  assert.deepEqual(unpacked(packedSnapshot).routes.map(routeKey).sort(), table.routes.map(routeKey).sort(), 'unpacked, the same table');
  assert.deepEqual(unpacked(packedSnapshot).routes, plainSnapshot.routes);
  // Plain, a route takes about 40 bytes.
  assert.ok(packedSnapshot.packed.length < NODES * 10, `packed ${packedSnapshot.packed.length} bytes for ${NODES} routes`);

  // A small delta stays plain, even for the accepting agent.
  await admin.call('AddNode', { name: 'small', underlayIp: '192.168.71.1' });
  await waitFor('the small delta', () => packedAgent.messages.some((m) => m.kind === 'KIND_DELTA'), 10_000);
  const small = packedAgent.messages.find((m) => m.kind === 'KIND_DELTA')!;
  assert.equal(small.packed.length, 0);
  assert.equal(small.changes.length, 1);

  // A storm large enough to coalesce into big deltas: packed for one agent, plain for the other, same changes.
  await Promise.all(Array.from({ length: 150 }, (_, i) => admin.call('AddNode', { name: `storm${i}`, underlayIp: `192.168.72.${i + 1}` })));
  const latest = (await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {})).revision;
  await waitFor('both at the latest revision', () => [packedAgent, plainAgent].every((a) => a.messages.at(-1)!.revision === latest), 10_000);
  const deltas = (agent: typeof packedAgent) => agent.messages.filter((m) => m.kind === 'KIND_DELTA' && m.revision > small.revision).map(unpacked);
  const changed = (agent: typeof packedAgent) => deltas(agent).flatMap((m) => m.changes.map((c) => `${c.op} ${routeKey(c.route!)}`)).sort();
  assert.deepEqual(changed(packedAgent), changed(plainAgent), 'the same changes either way');
  assert.equal(changed(packedAgent).length, 150);
  const big = packedAgent.messages.filter((m) => m.kind === 'KIND_DELTA' && m.revision > small.revision);
  for (const m of big) assert.equal(m.packed.length > 0, unpacked(m).changes.length >= PACK_MIN_ENTRIES, `delta to ${m.revision}: packed exactly when it has ${PACK_MIN_ENTRIES}+ changes`);
});

test('the real agent client accepts packing and turns a packed snapshot into its routes', async (t) => {
  const fx = await startController();
  t.after(() => fx.dispose());
  const admin = await fx.admin();
  t.after(() => admin.close());
  for (let i = 0; i < NODES; i++) await admin.call('AddNode', { name: `a${i}`, underlayIp: `192.168.80.${i + 1}` });
  const client = fx.agentClient(await fx.join(admin, 'a0'));
  t.after(() => client.close());
  const events: WatchEvent[] = [];
  const handle = client.watch('a0', 0, (e) => events.push(e), () => undefined);
  t.after(() => handle.cancel());
  await waitFor('the snapshot', () => events.length > 0, 10_000);
  const first = events[0]!;
  assert.equal(first.kind, 'snapshot');
  assert.equal(first.kind === 'snapshot' && first.routes.length, NODES);
});

test('packed data that is corrupt or unpacks beyond the limit is refused with a clear error', () => {
  assert.deepEqual(unpackWatchBody(packWatchBody(Buffer.from('routes'))), Buffer.from('routes'));
  assert.throws(() => unpackWatchBody(Buffer.from([0xff, 0x00, 0x13, 0x37])), /packed routes are not valid DEFLATE data/);
  const bomb = deflateRawSync(Buffer.alloc(MAX_UNPACKED_BYTES + 1024));
  assert.ok(bomb.length < 200_000, 'a small input');
  assert.throws(() => unpackWatchBody(bomb), /unpack to more than 67108864 bytes/);
});
