// The Watch stream's controller side over real mTLS, driven by a raw client so that every
// message the "agent" sends is chosen by the test: acks are stored and shown by ListNodes
// (applied revision, lag, last seen, state, apply error), a silent agent is dropped within
// three heartbeat intervals, a table from another cluster gets a snapshot, protocol errors
// end the stream with INVALID_ARGUMENT, a storm of adds reaches a watcher as few coalesced
// deltas, and ListRoutes --node shows what one node should hold.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../../cli/admin-client.js';
import type { AddNodeResponse__Output } from '../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { AgentServiceClient } from '../../proto/gen/tunctl/v1/AgentService.js';
import type { ListNodesResponse__Output } from '../../proto/gen/tunctl/v1/ListNodesResponse.js';
import type { ListRoutesResponse__Output } from '../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import type { Node__Output } from '../../proto/gen/tunctl/v1/Node.js';
import type { WatchRequest } from '../../proto/gen/tunctl/v1/WatchRequest.js';
import { controllerForSuite, openRawWatch, rawAgentClient, type RawWatch, expectStatus, type ControllerFixture } from './controller-fixture.js';
import { waitFor } from '../netns/netns.js';

const HEARTBEAT_MS = 200;

async function nodeNamed(admin: AdminClient, name: string): Promise<Node__Output & { latest: number }> {
  const list = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
  const node = list.nodes.find((n) => n.name === name);
  assert.ok(node, `node ${name} listed`);
  return { ...node, latest: list.revision };
}

describe('Watch: acks, liveness and coalescing over mTLS', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  let client: AgentServiceClient;
  controllerForSuite((started) => ({ fx, admin } = started), { heartbeatIntervalMs: HEARTBEAT_MS });
  const add = (name: string, i: number, net = 60) => admin.call<object, AddNodeResponse__Output>('AddNode', { name, underlayIp: `192.168.${net}.${i}` });

  test('acks are stored: ListNodes shows connected, ready, applied revision, lag 0 and last seen', async () => {
    await add('w1', 1);
    await add('w2', 2);
    client = rawAgentClient(fx, await fx.join(admin, 'w1'));
    const pending = await nodeNamed(admin, 'w1');
    assert.equal(pending.state, 'NODE_STATE_PENDING');
    assert.equal(pending.appliedRevision, 0);

    const w = openRawWatch(client, { start: { nodeName: 'w1', knownRevision: 0 } });
    await waitFor('the snapshot', () => w.messages.length > 0, 15_000);
    assert.equal(w.messages[0]!.kind, 'KIND_SNAPSHOT');
    assert.equal(w.messages[0]!.clusterId, fx.controller.store.clusterId());
    assert.match(w.messages[0]!.clusterId, /^[0-9a-f]{32}$/);
    const synced = await waitFor('the ack to show', async () => {
      const n = await nodeNamed(admin, 'w1');
      return n.appliedRevision === n.latest ? n : undefined;
    }, 15_000);
    assert.equal(synced.connected, true);
    assert.equal(synced.state, 'NODE_STATE_READY');
    assert.equal(synced.lag, 0);
    assert.ok(synced.lastSeenAt && Math.abs(Number(synced.lastSeenAt.seconds) * 1000 - Date.now()) < 5000);

    // A change the agent does not ack shows as lag 1.
    // Like a real agent that keeps its table: heartbeats are acked with the revision it holds.
    const unacked = openRawWatch(client, { start: { nodeName: 'w1', knownRevision: synced.latest } }, (m) => (m.kind === 'KIND_DELTA' ? null : { ack: { appliedRevision: synced.latest } }));
    await waitFor('the first watch to be superseded', () => w.ended() !== undefined, 15_000);
    await add('w3', 3);
    await waitFor('the delta', () => unacked.messages.some((m) => m.kind === 'KIND_DELTA'), 15_000);
    const behind = await nodeNamed(admin, 'w1');
    assert.equal(behind.lag, 1);
    assert.equal(behind.appliedRevision, synced.latest);

    // A failure report is shown until a later revision applies.
    unacked.call.write({ ack: { appliedRevision: synced.latest, failedRevision: behind.latest, error: 'route install failed: File exists' } });
    const failed = await waitFor('the failure to show', async () => {
      const n = await nodeNamed(admin, 'w1');
      return n.applyError ? n : undefined;
    }, 15_000);
    assert.equal(failed.applyError, `revision ${behind.latest}: route install failed: File exists`);
    // Acks of the older revision the agent kept (its heartbeats) do not hide the failure.
    unacked.call.write({ ack: { appliedRevision: synced.latest } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await nodeNamed(admin, 'w1')).applyError, failed.applyError, 'still shown while the agent holds an older revision');
    unacked.call.write({ ack: { appliedRevision: behind.latest } });
    await waitFor('the failure to clear', async () => (await nodeNamed(admin, 'w1')).applyError === '', 15_000);
    unacked.call.cancel();
    await waitFor('disconnected after cancel', async () => !(await nodeNamed(admin, 'w1')).connected, 15_000);
  });

  test('an agent that stops answering is dropped within three heartbeat intervals', async () => {
    const silent = openRawWatch(client, { start: { nodeName: 'w1', knownRevision: 0 } }, () => null);
    await waitFor('the snapshot', () => silent.messages.length > 0, 15_000);
    const started = Date.now();
    await waitFor('the silent stream to end', () => silent.ended() !== undefined, 15_000, 20);
    const tookMs = Date.now() - started;
    const end = silent.ended();
    assert.ok(end !== 'ok' && end !== undefined);
    assert.equal(end.code, grpc.status.UNAVAILABLE);
    assert.match(end.details, /heard nothing from the agent/);
    assert.ok(tookMs <= 3 * HEARTBEAT_MS + 1000, `dropped after ${tookMs} ms; three intervals are ${3 * HEARTBEAT_MS} ms`);
    assert.equal((await nodeNamed(admin, 'w1')).connected, false);
  });

  test('a table from another cluster gets a snapshot; one from this cluster resumes', async () => {
    const latest = (await nodeNamed(admin, 'w1')).latest;
    const foreign = openRawWatch(client, { start: { nodeName: 'w1', knownRevision: latest, clusterId: 'f'.repeat(32) } });
    await waitFor('a message', () => foreign.messages.length > 0, 15_000);
    assert.equal(foreign.messages[0]!.kind, 'KIND_SNAPSHOT');
    const own = openRawWatch(client, { start: { nodeName: 'w1', knownRevision: latest, clusterId: fx.controller.store.clusterId() } });
    await waitFor('a message', () => own.messages.length > 0, 15_000);
    assert.equal(own.messages[0]!.kind, 'KIND_HEARTBEAT', 'already current: told so at once, no snapshot');
    assert.equal(own.messages[0]!.revision, latest);
    own.call.cancel();
  });

  test('protocol errors end the stream with INVALID_ARGUMENT and a reason', async () => {
    const cases: [WatchRequest[], RegExp][] = [
      [[{ ack: { appliedRevision: 1 } }], /first message on a Watch stream must be a WatchStart/],
      [[{ start: { nodeName: 'w1' } }, { start: { nodeName: 'w1' } }], /only WatchAck messages/],
      [[{ start: { nodeName: 'w1' } }, { ack: { appliedRevision: 1_000_000 } }], /ahead of the controller's latest/],
    ];
    for (const [messages, pattern] of cases) {
      const w = openRawWatch(client, messages[0]!, () => null);
      for (const m of messages.slice(1)) w.call.write(m);
      await waitFor('the stream to end', () => w.ended() !== undefined, 15_000);
      const end = w.ended();
      assert.ok(end !== 'ok' && end !== undefined, 'ended with an error');
      assert.equal(end.code, grpc.status.INVALID_ARGUMENT, end.details);
      assert.match(end.details, pattern);
    }
  });

  test('a storm of adds reaches a watcher as a few coalesced deltas that add up to the table', async () => {
    const w = openRawWatch(client, { start: { nodeName: 'w1', knownRevision: 0 } });
    await waitFor('the snapshot', () => w.messages.length > 0, 15_000);
    const held = new Map(w.messages[0]!.routes.map((r) => [r.subnet, r.nodeName]));
    await Promise.all(Array.from({ length: 200 }, (_, i) => add(`storm-${i}`, 1 + i, 61)));
    const routes = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {});
    await waitFor('the watcher to reach the latest revision', () => w.messages.at(-1)!.revision === routes.revision, 10_000);
    const deltas = w.messages.filter((m) => m.kind === 'KIND_DELTA');
    for (const d of deltas) {
      for (const c of d.changes) {
        if (c.op === 'OP_ADD') held.set(c.route!.subnet, c.route!.nodeName);
        else held.delete(c.route!.subnet);
      }
    }
    assert.deepEqual(new Map([...held].sort()), new Map(routes.routes.map((r) => [r.subnet, r.nodeName] as const).sort()));
    assert.ok(deltas.length < 150, `${deltas.length} deltas for 200 adds: coalesced`);
    for (let i = 1; i < w.messages.length; i++) {
      const m = w.messages[i]!;
      if (m.kind === 'KIND_DELTA') assert.equal(m.baseRevision, w.messages[i - 1]!.revision, 'each delta follows the previous message');
    }
    w.call.cancel();
  });

  test('ListRoutes for a node lists every route but its own; an unknown node is NOT_FOUND', async () => {
    const all = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {});
    const forW1 = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', { nodeName: 'w1' });
    assert.equal(forW1.routes.length, all.routes.length - 1);
    assert.ok(!forW1.routes.some((r) => r.nodeName === 'w1'));
    await expectStatus(admin.call('ListRoutes', { nodeName: 'nope' }), grpc.status.NOT_FOUND, /node "nope"/);
  });
});

describe('Watch: a snapshot storm is spread with a retry hint', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  // One route in the table and 1 route a second: one snapshot a second.
  controllerForSuite((started) => ({ fx, admin } = started), { heartbeatIntervalMs: HEARTBEAT_MS, snapshotRoutesPerSecond: 1 });

  test('beyond the budget a watcher starting without a table gets UNAVAILABLE with tunctl-retry-after-ms', async () => {
    await admin.call('AddNode', { name: 's1', underlayIp: '192.168.63.1' });
    const client = rawAgentClient(fx, await fx.join(admin, 's1'));
    let trailers: grpc.Metadata | undefined;
    const results: RawWatch[] = [];
    // Three in a row: one is admitted per second, so even across a second's boundary at
    // least one is told to come back.
    for (let i = 0; i < 3; i++) {
      const w = openRawWatch(client, { start: { nodeName: 's1', knownRevision: 0 } });
      w.call.on('status', (status: grpc.StatusObject) => (trailers = status.code === grpc.status.UNAVAILABLE ? status.metadata : trailers));
      results.push(w);
      await waitFor('an answer', () => w.messages.length > 0 || w.ended() !== undefined, 15_000);
    }
    const refused = results.find((w) => w.ended() !== undefined && w.ended() !== 'ok' && (w.ended() as grpc.ServiceError).code === grpc.status.UNAVAILABLE);
    assert.ok(refused, 'one watch was refused');
    assert.match((refused.ended() as grpc.ServiceError).details, /come back in \d+ ms/);
    await waitFor('the trailers', () => trailers, 5000);
    assert.match(String(trailers!.get('tunctl-retry-after-ms')[0]), /^[1-9]\d*$/);
    for (const w of results) w.call.cancel();
    client.close();
  });
});
