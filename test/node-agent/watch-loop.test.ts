// The watch loop against a scripted controller: what the agent says on the stream (start,
// acks, failure reports), coalesced deltas, resynchronisation, retry-after, the idle timer,
// and shutdown during a reconnect.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../common/backoff.js';
import { MemoryLogger } from '../../common/logger.js';
import { ControllerCallError, type Registration } from '../../node-agent/controller-client.js';
import { AgentRouteTable, type RouteEntry } from '../../node-agent/route-table.js';
import { RouteTableDigest } from '../../common/route-table-digest.js';
import { runWatchLoop, type RegisterOnStream, type WatchLoopOptions } from '../../node-agent/watch-loop.js';
import { FakeController, unavailable } from './fixtures/fake-controller.js';

const route = (i: number): RouteEntry => ({ nodeName: `n${i}`, subnet: { base: (0x0af40000 + i * 256) >>> 0, prefixLen: 24 }, underlayIp: (0xc0a80000 + i) >>> 0 });
const quickBackoff = () => new Backoff({ initialMs: 1, maxMs: 1 });
const names = (table: AgentRouteTable) => table.routes().map((r) => r.nodeName);

interface Loop {
  readonly controller: FakeController;
  readonly table: AgentRouteTable;
  readonly logger: MemoryLogger;
  readonly done: Promise<void>;
  readonly stop: () => Promise<void>;
}

/** A loop over a FakeController, stopped when the test ends. */
function startLoop(t: TestContext, overrides: Partial<WatchLoopOptions> = {}, table = new AgentRouteTable(), controller = new FakeController()): Loop {
  const logger = new MemoryLogger();
  const abort = new AbortController();
  const done = runWatchLoop({
    source: controller,
    nodeName: 'n0',
    table,
    heartbeatIntervalMs: () => 60_000,
    onTableChanged: () => undefined,
    logger,
    signal: abort.signal,
    backoff: quickBackoff(),
    ...overrides,
  });
  const stop = async () => {
    abort.abort();
    await done;
  };
  t.after(stop);
  return { controller, table, logger, done, stop };
}

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

test('the start message names the revision and cluster of the table held; an empty table asks for everything', { timeout: 10_000 }, async (t) => {
  const held = new AgentRouteTable();
  held.applySnapshot(7, [route(1)], 'cluster-a');
  const resumed = startLoop(t, {}, held);
  const stream = await resumed.controller.stream(0);
  assert.equal(stream.knownRevision, 7);
  assert.equal(stream.clusterId, 'cluster-a');

  const fresh = startLoop(t);
  const first = await fresh.controller.stream(0);
  assert.equal(first.knownRevision, 0);
  assert.equal(first.clusterId, '');
});

test('every message is acknowledged with the revision the table is at afterwards, heartbeats and stale deltas included', { timeout: 10_000 }, async (t) => {
  const { controller, table } = startLoop(t);
  const stream = await controller.stream(0);
  stream.send({ kind: 'snapshot', revision: 3, routes: [route(1), route(2)], clusterId: 'c' });
  // Coalesced: one delta from 3 straight to 41.
  stream.send({ kind: 'delta', baseRevision: 3, revision: 41, changes: [{ op: 'add', route: route(3) }, { op: 'remove', route: route(1) }], clusterId: 'c' });
  stream.send({ kind: 'heartbeat', revision: 41, clusterId: 'c' });
  stream.send({ kind: 'delta', baseRevision: 2, revision: 3, changes: [{ op: 'add', route: route(9) }], clusterId: 'c' });
  assert.deepEqual(stream.acks, [{ appliedRevision: 3 }, { appliedRevision: 41 }, { appliedRevision: 41 }, { appliedRevision: 41 }]);
  assert.deepEqual(names(table), ['n2', 'n3'], 'the stale delta changed nothing');
  assert.equal(table.clusterId, 'c');
  assert.equal(stream.cancelled || stream.closed, false, 'the stream stays open');
});

test('a table the data path refuses is reported with failed_revision and the reason, the old table stays, and the next stream asks for a snapshot', { timeout: 10_000 }, async (t) => {
  let refuse = false;
  let calls = 0;
  const { controller, table, logger } = startLoop(t, {
    onTableChanged: () => {
      calls++;
      if (refuse) throw new Error(`peers n1 and n2 both claim subnet 10.244.1.0/24 ${'x'.repeat(2000)}`);
    },
  });
  const first = await controller.stream(0);
  first.send({ kind: 'snapshot', revision: 3, routes: [route(1), route(2)], clusterId: 'c' });
  refuse = true;
  first.send({ kind: 'delta', baseRevision: 3, revision: 5, changes: [{ op: 'remove', route: route(1) }, { op: 'add', route: route(4) }], clusterId: 'c' });
  assert.equal(first.acks.length, 2);
  const nack = first.acks[1]!;
  assert.equal(nack.appliedRevision, 3, 'reports the revision it still forwards with');
  assert.equal(nack.failedRevision, 5);
  assert.match(nack.error ?? '', /^peers n1 and n2 both claim subnet 10\.244\.1\.0\/24/);
  assert.ok((nack.error ?? '').length <= 500, `error is ${nack.error?.length} characters`);
  assert.ok(first.closed, 'the stream was closed politely, so the report reaches the controller');
  assert.equal(table.revision, 3, 'the table is back where it was');
  assert.deepEqual(names(table), ['n1', 'n2']);
  assert.ok(logger.lines.some((l) => /could not apply the route table.*both claim subnet/.test(l)), logger.lines.join('\n'));

  refuse = false;
  const second = await controller.stream(1);
  assert.equal(second.knownRevision, 0, 'asks for a full snapshot, not a resume');
  second.send({ kind: 'snapshot', revision: 6, routes: [route(2), route(4)], clusterId: 'c' });
  assert.deepEqual(second.acks, [{ appliedRevision: 6 }]);
  assert.deepEqual(names(table), ['n2', 'n4']);
  assert.equal(calls, 3);
});

test('a refused first snapshot is reported with applied revision 0', { timeout: 10_000 }, async (t) => {
  const { controller, table } = startLoop(t, {
    onTableChanged: () => {
      throw new Error('data path closed');
    },
  });
  const first = await controller.stream(0);
  first.send({ kind: 'snapshot', revision: 8, routes: [route(1)], clusterId: 'c' });
  assert.deepEqual(first.acks, [{ appliedRevision: 0, failedRevision: 8, error: 'data path closed' }]);
  assert.equal(table.isSynced, false);
  assert.equal(table.size, 0);
});

test('a message the agent cannot read is reported like a refused one', { timeout: 10_000 }, async (t) => {
  const { controller, table } = startLoop(t);
  const first = await controller.stream(0);
  first.send({ kind: 'snapshot', revision: 2, routes: [route(1)], clusterId: 'c' });
  first.send({ kind: 'invalid', revision: 3, error: 'invalid watch message: route subnet "10.244.1.7/24" has host bits set' });
  assert.deepEqual(first.acks[1], { appliedRevision: 2, failedRevision: 3, error: 'invalid watch message: route subnet "10.244.1.7/24" has host bits set' });
  assert.ok(first.closed);
  assert.equal((await controller.stream(1)).knownRevision, 0);
  assert.equal(table.revision, 2);
});

test('a delta that does not start at our revision is acknowledged with ours and answered with a resynchronisation at once; a second gap in a row backs off', { timeout: 10_000 }, async (t) => {
  const { controller, table } = startLoop(t, { backoff: new Backoff({ initialMs: 400, maxMs: 400, random: () => 1 }) });
  const first = await controller.stream(0);
  first.send({ kind: 'snapshot', revision: 10, routes: [route(1)], clusterId: 'c' });
  const gapAt = Date.now();
  first.send({ kind: 'delta', baseRevision: 12, revision: 15, changes: [{ op: 'add', route: route(2) }], clusterId: 'c' });
  assert.deepEqual(first.acks, [{ appliedRevision: 10 }, { appliedRevision: 10 }]);
  assert.ok(first.cancelled);
  const second = await controller.stream(1);
  assert.ok(second.openedAt - gapAt < 200, `resynchronised after ${second.openedAt - gapAt} ms, not after the 400 ms backoff`);
  assert.equal(second.knownRevision, 0);
  assert.deepEqual(names(table), ['n1'], 'nothing of the gapped delta was applied');

  second.send({ kind: 'snapshot', revision: 20, routes: [route(1)], clusterId: 'c' });
  const secondGapAt = Date.now();
  second.send({ kind: 'heartbeat', revision: 25, clusterId: 'c' });
  const third = await controller.stream(2);
  assert.ok(third.openedAt - secondGapAt >= 395, `second gap in a row: reconnected after ${third.openedAt - secondGapAt} ms`);
});

test('a table whose digest differs from the controller\'s at the same revision (another history, e.g. a restored controller) is replaced by a snapshot', { timeout: 10_000 }, async (t) => {
  // What the agent followed before the controller was restored: revision 3 held n1, n2, n3.
  const held = new AgentRouteTable();
  held.applySnapshot(3, [route(1), route(2), route(3)], 'c');
  const { controller, table, logger } = startLoop(t, {}, held);
  const first = await controller.stream(0);
  assert.equal(first.knownRevision, 3);
  // The restored controller's revision 3 holds n1, n2, n4: same number, other table.
  const theirs = RouteTableDigest.of([route(1), route(2), route(4)]).value;
  first.send({ kind: 'heartbeat', revision: 3, clusterId: 'c', tableDigest: theirs });
  assert.deepEqual(first.acks, [{ appliedRevision: 3 }]);
  assert.ok(first.cancelled, 'the stream is ended');
  const second = await controller.stream(1);
  assert.equal(second.knownRevision, 0, 'and the next asks for a snapshot');
  second.send({ kind: 'snapshot', revision: 3, routes: [route(1), route(2), route(4)], clusterId: 'c', tableDigest: theirs });
  assert.deepEqual(names(table), ['n1', 'n2', 'n4']);
  assert.ok(logger.lines.some((l) => /history is not the one we followed/.test(l)), logger.lines.join('\n'));

  // A delta that leaves us with another table than the controller's: the same.
  second.send({ kind: 'delta', baseRevision: 3, revision: 4, changes: [{ op: 'add', route: route(5) }], clusterId: 'c', tableDigest: RouteTableDigest.of([route(5)]).value });
  assert.ok(second.cancelled);
  assert.equal((await controller.stream(2)).knownRevision, 0);
});

test('matching digests, and messages without one (an older controller), change nothing', { timeout: 10_000 }, async (t) => {
  const { controller, table } = startLoop(t);
  const stream = await controller.stream(0);
  stream.send({ kind: 'snapshot', revision: 1, routes: [route(1)], clusterId: 'c', tableDigest: RouteTableDigest.of([route(1)]).value });
  stream.send({ kind: 'delta', baseRevision: 1, revision: 2, changes: [{ op: 'add', route: route(2) }], clusterId: 'c', tableDigest: RouteTableDigest.of([route(2), route(1)]).value });
  stream.send({ kind: 'heartbeat', revision: 2, clusterId: 'c', tableDigest: RouteTableDigest.of([route(1), route(2)]).value });
  stream.send({ kind: 'delta', baseRevision: 2, revision: 3, changes: [{ op: 'remove', route: route(1) }], clusterId: 'c' });
  stream.send({ kind: 'heartbeat', revision: 3, clusterId: 'c' });
  assert.deepEqual(names(table), ['n2']);
  assert.equal(stream.cancelled, false);
  assert.equal(controller.streams.length, 1);
});

test('a stream the controller ends refusing what we sent is followed by a snapshot request; one that merely broke resumes', { timeout: 10_000 }, async (t) => {
  const { controller } = startLoop(t);
  const first = await controller.stream(0);
  first.send({ kind: 'snapshot', revision: 12, routes: [route(1)], clusterId: 'c' });
  first.end(unavailable());
  const second = await controller.stream(1);
  assert.equal(second.knownRevision, 12, 'UNAVAILABLE: resume');
  second.end(new ControllerCallError(grpc.status.INVALID_ARGUMENT, 'acknowledged revision 12 is ahead of the controller\'s latest (9)'));
  const third = await controller.stream(2);
  assert.equal(third.knownRevision, 0, 'INVALID_ARGUMENT: snapshot');
});

test('a controller of another cluster gets a snapshot request, and its snapshot replaces everything', { timeout: 10_000 }, async (t) => {
  const held = new AgentRouteTable();
  held.applySnapshot(40, [route(1), route(2), route(3)], 'old-cluster');
  const { controller, table, logger } = startLoop(t, {}, held);
  const first = await controller.stream(0);
  assert.equal(first.knownRevision, 40);
  // A controller that resumed us anyway: its revision 41 is not ours.
  first.send({ kind: 'delta', baseRevision: 40, revision: 41, changes: [{ op: 'add', route: route(4) }], clusterId: 'new-cluster' });
  assert.deepEqual(names(table), ['n1', 'n2', 'n3']);
  assert.ok(first.cancelled);
  const second = await controller.stream(1);
  assert.equal(second.knownRevision, 0);
  second.send({ kind: 'snapshot', revision: 2, routes: [route(5)], clusterId: 'new-cluster' });
  assert.deepEqual(names(table), ['n5']);
  assert.equal(table.revision, 2, 'a lower revision is fine: it is another cluster');
  assert.equal(table.clusterId, 'new-cluster');
  assert.ok(logger.lines.some((l) => /new cluster/.test(l)), logger.lines.join('\n'));
});

test('a snapshot without a cluster id takes the registration\'s', { timeout: 10_000 }, async (t) => {
  const { controller, table } = startLoop(t, { clusterId: () => 'from-register' });
  (await controller.stream(0)).send({ kind: 'snapshot', revision: 1, routes: [], clusterId: '' });
  assert.equal(table.clusterId, 'from-register');
});

test('a retry-after trailer is waited out, plus jitter, and never shortens the normal backoff', { timeout: 10_000 }, async (t) => {
  const storm = startLoop(t, { random: () => 1 });
  const first = await storm.controller.stream(0);
  const endedAt = Date.now();
  first.end(unavailable(), 300);
  const second = await storm.controller.stream(1);
  const waited = second.openedAt - endedAt;
  // 300 ms asked for, plus the maximal jitter of half of it.
  assert.ok(waited >= 445, `reconnected after ${waited} ms`);
  assert.ok(waited < 2000, `reconnected after ${waited} ms`);
  assert.ok(storm.logger.lines.some((l) => /retry_after_ms=300/.test(l)), storm.logger.lines.join('\n'));

  const slow = startLoop(t, { random: () => 0, backoff: new Backoff({ initialMs: 700, maxMs: 700, random: () => 1 }) });
  const a = await slow.controller.stream(0);
  const aEnded = Date.now();
  a.end(unavailable(), 50);
  const b = await slow.controller.stream(1);
  assert.ok(b.openedAt - aEnded >= 695, `the 700 ms backoff applies, reconnected after ${b.openedAt - aEnded} ms`);
});

test('a silent stream is dropped after three heartbeat intervals, on a fresh connection; messages keep it alive', { timeout: 10_000 }, async (t) => {
  let resets = 0;
  const { controller } = startLoop(t, { heartbeatIntervalMs: () => 100, onSilentStream: () => resets++ });
  const first = await controller.stream(0);
  first.send({ kind: 'snapshot', revision: 1, routes: [], clusterId: 'c' });
  // 10 heartbeats 30 ms apart: more than three intervals (300 ms) in all, never that long silent.
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    first.send({ kind: 'heartbeat', revision: 1, clusterId: 'c' });
  }
  assert.equal(controller.streams.length, 1, 'still on the first stream');
  assert.equal(first.acks.length, 11, 'every heartbeat acknowledged');
  assert.equal(resets, 0, 'a live stream keeps its connection');
  const silentSince = Date.now();
  const second = await controller.stream(1);
  assert.ok(first.cancelled, 'the silent stream was cancelled');
  assert.ok(second.openedAt - silentSince >= 290, `dropped after ${second.openedAt - silentSince} ms of silence`);
  assert.equal(second.knownRevision, 1, 'a silent stream is resumed, not resnapshotted');
  assert.equal(resets, 1, 'the possibly dead connection was replaced before reconnecting');
});

test('the loop runs beforeReconnect before the first stream when asked, and backs off while it fails', { timeout: 10_000 }, async (t) => {
  let attempts = 0;
  const { controller } = startLoop(t, {
    beforeFirstStream: true,
    beforeReconnect: async () => {
      if (++attempts < 3) throw unavailable();
    },
  });
  await controller.stream(0);
  assert.equal(attempts, 3, 'two failed registrations, then the stream');
});

const registration: Registration = {
  nodeName: 'n0',
  underlayIp: 0xc0a80000,
  subnet: route(0).subnet,
  network: { base: 0x0af40000, prefixLen: 16 },
  udpPort: 7000,
  encapOverhead: 28,
  tunMtu: 1472,
  heartbeatIntervalMs: 60_000,
  clusterId: 'cluster-a',
};
const request = { underlayIp: '', underlayMtu: 1500, agentVersion: '0.1.0' };

/** registerOnStream options that record what the loop reports. */
function recordingRegistration(order: string[] = []): RegisterOnStream & { readonly accepted_: Registration[]; readonly refused_: ControllerCallError[] } {
  const accepted_: Registration[] = [];
  const refused_: ControllerCallError[] = [];
  return {
    accepted_,
    refused_,
    request: () => request,
    accepted: (r) => {
      order.push('accepted');
      accepted_.push(r);
    },
    refused: (err) => {
      order.push('refused');
      refused_.push(err);
    },
  };
}

test('registering on the stream: every reconnect asks on the stream, the answer comes before any route message and is not acknowledged, and no separate call is made', { timeout: 10_000 }, async (t) => {
  const order: string[] = [];
  let separateCalls = 0;
  const register = recordingRegistration(order);
  const { controller } = startLoop(
    t,
    { registerOnStream: register, beforeReconnect: async () => void separateCalls++, onTableChanged: () => void order.push('table') },
    new AgentRouteTable(),
    new FakeController(registration),
  );
  const first = await controller.stream(0);
  assert.equal(first.register, undefined, 'the first stream of an agent that has just registered does not register again');
  first.end(unavailable());
  const second = await controller.stream(1);
  assert.deepEqual(second.register, request);
  assert.ok(second.registered);
  assert.deepEqual(register.accepted_, [registration]);
  second.send({ kind: 'snapshot', revision: 3, routes: [route(1)], clusterId: 'cluster-a' });
  assert.deepEqual(order, ['accepted', 'table'], 'the registration is handled before the table');
  assert.deepEqual(second.acks, [{ appliedRevision: 3 }], 'only the route message is acknowledged');
  second.end(unavailable());
  assert.deepEqual((await controller.stream(2)).register, request);
  assert.equal(separateCalls, 0);
  assert.equal(controller.registerCalls, 0);
});

test('beforeFirstStream: the first stream registers on the stream too', { timeout: 10_000 }, async (t) => {
  const register = recordingRegistration();
  const { controller } = startLoop(t, { registerOnStream: register, beforeFirstStream: true, beforeReconnect: async () => assert.fail('no separate call') }, new AgentRouteTable(), new FakeController(registration));
  const first = await controller.stream(0);
  assert.deepEqual(first.register, request);
  assert.deepEqual(register.accepted_, [registration]);
});

test('a permanent error before the answer is a refused registration; the same error after it is not', { timeout: 10_000 }, async (t) => {
  const notFound = new ControllerCallError(grpc.status.NOT_FOUND, 'node "n0" is not known to the controller');
  const refusedLoop = recordingRegistration();
  const refused = startLoop(t, { registerOnStream: refusedLoop, beforeFirstStream: true }, new AgentRouteTable(), new FakeController(notFound));
  await refused.controller.stream(0);
  assert.deepEqual(refusedLoop.refused_, [notFound]);
  assert.deepEqual(refusedLoop.accepted_, []);

  const laterLoop = recordingRegistration();
  const held = new AgentRouteTable();
  held.applySnapshot(5, [route(1)], 'cluster-a');
  const later = startLoop(t, { registerOnStream: laterLoop, beforeFirstStream: true }, held, new FakeController(registration));
  const stream = await later.controller.stream(0);
  stream.end(new ControllerCallError(grpc.status.INVALID_ARGUMENT, 'acknowledged revision 9 is ahead of the controller\'s latest (5)'));
  const next = await later.controller.stream(1);
  assert.deepEqual(laterLoop.refused_, [], 'a refusal of what we sent, not of the registration');
  assert.equal(next.knownRevision, 0, 'and it is answered with a snapshot request');
});

test('a controller that ignores the registration on the stream (an older version) gets a separate Register before later streams', { timeout: 10_000 }, async (t) => {
  let separateCalls = 0;
  const register = recordingRegistration();
  // 'hang': the stream never answers the registration, as a controller that does not know the field.
  const { controller, table, logger } = startLoop(
    t,
    { registerOnStream: register, beforeFirstStream: true, beforeReconnect: async () => void separateCalls++ },
    new AgentRouteTable(),
    new FakeController('hang'),
  );
  const first = await controller.stream(0);
  assert.deepEqual(first.register, request);
  first.send({ kind: 'snapshot', revision: 4, routes: [route(1), route(2)], clusterId: 'cluster-a' });
  assert.deepEqual(names(table), ['n1', 'n2'], 'the stream goes on');
  assert.deepEqual(first.acks, [{ appliedRevision: 4 }]);
  assert.ok(logger.lines.some((l) => /does not register on the route stream/.test(l)), logger.lines.join('\n'));
  first.end(unavailable());
  const second = await controller.stream(1);
  assert.equal(second.register, undefined);
  assert.equal(separateCalls, 1);
  assert.deepEqual(register.accepted_, []);
});
