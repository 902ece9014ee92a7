// RouteFeed with in-memory sinks over a real SQLite store: snapshot then coalesced deltas,
// resume, backpressure (a stalled agent is paused, not buffered, and catches up with one
// delta), heartbeats, silence, supersede and close; netChanges against a slow reference.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCidr, parseIpv4 } from '../../common/cidr.js';
import { MemoryLogger } from '../../common/logger.js';
import { MAX_FANOUT_SPACING, MIN_FANOUT_SPACING, netChanges, RouteFeed, type FeedCloseReason, type FeedMessage, type FeedSink } from '../../controller/route-feed.js';
import type { ChangeRecord } from '../../controller/store/store.js';
import { prng, randomInt } from '../prng.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { waitFor } from '../netns/netns.js';
import { RouteTableDigest } from '../../common/route-table-digest.js';
import { AgentRouteTable } from '../../node-agent/route-table.js';

class RecordingSink implements FeedSink {
  readonly messages: FeedMessage[] = [];
  closed: { reason: FeedCloseReason; message: string } | undefined;
  /** How many more messages the "stream" takes before it reports full. */
  capacity = Infinity;
  private drainCallbacks: (() => void)[] = [];
  send(message: FeedMessage): boolean {
    this.messages.push(message);
    this.capacity--;
    return this.capacity > 0;
  }
  onceDrain(callback: () => void): void {
    this.drainCallbacks.push(callback);
  }
  drain(capacity = Infinity): void {
    this.capacity = capacity;
    const callbacks = this.drainCallbacks.splice(0);
    for (const cb of callbacks) cb();
  }
  retryAfterMs: number | undefined;
  close(reason: FeedCloseReason, message: string, retryAfterMs?: number): void {
    this.closed = { reason, message };
    this.retryAfterMs = retryAfterMs;
  }
}

function setup(t: { after(fn: () => void): void }, heartbeatIntervalMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-feed-'));
  const store = SqliteStore.open(dir, new MemoryLogger());
  store.initNetwork({ network: parseCidr('10.244.0.0/16'), subnetLen: 24, udpPort: 7000 });
  const feed = new RouteFeed(store, { heartbeatIntervalMs, logger: new MemoryLogger() });
  let n = 0;
  const add = (wanted?: string) => {
    const i = ++n;
    const name = wanted ?? `auto-${i}`;
    const at = new Date();
    const { node, revision } = store.addNode({ name, underlayIp: parseIpv4(`192.168.1.${i}`) }, at);
    feed.publish({ revision, op: 'add', at, route: { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp } });
    return revision;
  };
  const remove = (name: string) => {
    const { node, revision } = store.removeNode(name);
    feed.publish({ revision, op: 'remove', at: new Date(), route: { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp } });
    return revision;
  };
  t.after(() => {
    feed.close('test over');
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, feed, add, remove };
}

const kinds = (sink: RecordingSink) => sink.messages.map((m) => [m.kind, m.revision, m.kind === 'delta' ? m.baseRevision : null]);
const subnetsOf = (m: FeedMessage | undefined) => (m?.kind === 'delta' ? m.changes.map((c) => [c.op, c.route.nodeName]) : null);

test('a new watcher gets a snapshot, then one delta per fan-out chained by revision', async (t) => {
  const { feed, add, remove } = setup(t);
  add('n1');
  const sink = new RecordingSink();
  feed.subscribe('n1', 0, sink);
  const r2 = add('n2');
  await feed.whenIdle();
  const r3 = remove('n2');
  await feed.whenIdle();
  assert.deepEqual(kinds(sink), [['snapshot', 1, null], ['delta', r2, 1], ['delta', r3, r2]]);
  assert.ok(feed.isConnected('n1'));
});

test('changes committed together reach a watcher as one delta with their net effect, one change per subnet', async (t) => {
  const { feed, add, remove } = setup(t);
  add('n1');
  const sink = new RecordingSink();
  feed.subscribe('n1', 0, sink);
  add('n2');
  add('n3');
  const last = remove('n2');
  await feed.whenIdle();
  assert.deepEqual(kinds(sink), [['snapshot', 1, null], ['delta', last, 1]]);
  assert.deepEqual(subnetsOf(sink.messages[1]), [['add', 'n3'], ['remove', 'n2']]);
});

test('resuming from a known revision sends only the missed changes; an unknown revision gets a snapshot', async (t) => {
  const { feed, add } = setup(t);
  add('n1');
  const r2 = add();
  const r3 = add();
  await feed.whenIdle();
  const resumed = new RecordingSink();
  feed.subscribe('n1', r2, resumed);
  assert.deepEqual(kinds(resumed), [['delta', r3, r2]]);
  const current = new RecordingSink();
  feed.subscribe('n2', r3, current);
  assert.deepEqual(kinds(current), [['heartbeat', r3, null]], 'an agent already current hears so at once');
  const future = new RecordingSink();
  feed.subscribe('n1', 999, future);
  assert.equal(future.messages[0]!.kind, 'snapshot');
  assert.equal(resumed.closed?.reason, 'superseded');
});

test('a stalled watcher is paused instead of buffered, then catches up with one delta; far behind gets a snapshot', async (t) => {
  const { feed, add } = setup(t);
  add('n1');
  const slow = new RecordingSink();
  slow.capacity = 1; // full after the snapshot
  const fast = new RecordingSink();
  feed.subscribe('n1', 0, slow);
  feed.subscribe('n2x', 0, fast);
  const revisions: number[] = [];
  for (let i = 0; i < 4; i++) {
    revisions.push(add());
    await feed.whenIdle();
  }
  assert.equal(slow.messages.length, 1, 'nothing queued beyond what the stream accepted');
  assert.equal(fast.messages.length, 5, 'the slow watcher did not hold the fast one back');
  slow.drain();
  assert.deepEqual(kinds(slow).slice(1), [['delta', revisions[3], 1]]);
  assert.equal(subnetsOf(slow.messages[1])?.length, 4);

  // Far behind: more than maxDeltaBacklog changes pending -> one snapshot instead.
  const small = new RouteFeed((feed as unknown as { store: SqliteStore }).store, { heartbeatIntervalMs: 60_000, maxDeltaBacklog: 2, logger: new MemoryLogger() });
  t.after(() => small.close('done'));
  const lagging = new RecordingSink();
  small.subscribe('n1', 1, lagging);
  assert.equal(lagging.messages.length, 1);
  assert.equal(lagging.messages[0]!.kind, 'snapshot');
});

test('a fan-out reaches every watcher in slices, and watchers at one revision share one delta object', async (t) => {
  const { store, add } = setup(t);
  add('n1');
  const feed = new RouteFeed(store, { heartbeatIntervalMs: 60_000, fanoutSlice: 2, logger: new MemoryLogger() });
  t.after(() => feed.close('test over'));
  const sinks = Array.from({ length: 7 }, (_, i) => {
    const sink = new RecordingSink();
    feed.subscribe(`w${i}`, 0, sink);
    return sink;
  });
  const r = add();
  feed.publish(store.changesSince(r - 1)![0]!);
  await feed.whenIdle();
  assert.ok(sinks.every((s) => s.messages.length === 2 && s.messages[1]!.revision === r));
  assert.ok(sinks.every((s) => s.messages[1] === sinks[0]!.messages[1]), 'one delta object for all: encoded once');
});

test('every message carries the digest of the whole table at its revision, as an agent applying them holds it', async (t) => {
  const { store, feed, add, remove } = setup(t, 50);
  add('n1');
  add('n2');
  // A feed made over a table that already has routes starts from their digest.
  const late = new RouteFeed(store, { heartbeatIntervalMs: 50, logger: new MemoryLogger() });
  t.after(() => late.close('test over'));
  const sink = new RecordingSink();
  const sub = late.subscribe('n1', 0, sink);
  const answering = setInterval(() => sub.heard(), 20);
  t.after(() => clearInterval(answering));
  // The test's add() and remove() publish to the first feed; this one is told the same.
  const routeOf = (name: string) => {
    const node = store.getNode(name);
    return { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp };
  };
  const r3 = add('n3');
  late.publish({ revision: r3, op: 'add', at: new Date(), route: routeOf('n3') });
  await late.whenIdle();
  const n1 = routeOf('n1');
  const r4 = remove('n1');
  late.publish({ revision: r4, op: 'remove', at: new Date(), route: n1 });
  await late.whenIdle();
  await waitFor('a heartbeat', () => sink.messages.some((m) => m.kind === 'heartbeat'), 3000, 20);
  // Replay as an agent does and compare at every message.
  const held = new AgentRouteTable();
  for (const m of sink.messages) {
    if (m.kind === 'snapshot') held.applySnapshot(m.revision, m.routes);
    else if (m.kind === 'delta') assert.equal(held.applyDelta(m.baseRevision, m.revision, m.changes), 'applied');
    assert.equal(m.tableDigest, held.digest(), `${m.kind} at revision ${m.revision}`);
    assert.equal(m.tableDigest, RouteTableDigest.of(store.routeSnapshot().revision === m.revision ? store.routeSnapshot().routes : held.routes()).value);
  }
  assert.deepEqual(kinds(sink).slice(0, 3), [['snapshot', 2, null], ['delta', r3, 2], ['delta', r4, r3]]);
  assert.deepEqual(held.routes().map((r) => r.nodeName), ['n2', 'n3']);
  // The feed that saw every change from the start agrees.
  const fresh = new RecordingSink();
  feed.subscribe('n9', r4, fresh);
  assert.equal(fresh.messages[0]!.kind, 'heartbeat');
  assert.equal(fresh.messages[0]!.tableDigest, held.digest());
});

test('idle watchers get heartbeats carrying the latest revision', async (t) => {
  const { feed, add } = setup(t, 50);
  const r = add('n1');
  const sink = new RecordingSink();
  const sub = feed.subscribe('n1', 0, sink);
  const answering = setInterval(() => sub.heard(), 20);
  t.after(() => clearInterval(answering));
  await waitFor('two heartbeats', () => sink.messages.filter((m) => m.kind === 'heartbeat').length >= 2, 3000, 20);
  assert.ok(sink.messages.filter((m) => m.kind === 'heartbeat').every((m) => m.revision === r));
});

test('a watcher that stops answering is dropped after three heartbeat intervals; one that answers stays', async (t) => {
  const { feed, add } = setup(t, 40);
  add('n1');
  const silent = new RecordingSink();
  const answering = new RecordingSink();
  feed.subscribe('n1', 0, silent);
  const sub = feed.subscribe('n2', 0, answering);
  const timer = setInterval(() => sub.heard(), 20);
  t.after(() => clearInterval(timer));
  const started = Date.now();
  await waitFor('the silent watcher to be dropped', () => silent.closed !== undefined, 3000, 10);
  const tookMs = Date.now() - started;
  assert.equal(silent.closed!.reason, 'silent');
  assert.match(silent.closed!.message, /heard nothing from the agent/);
  assert.ok(tookMs >= 100 && tookMs < 1000, `dropped after ${tookMs} ms (3 intervals = 120 ms)`);
  assert.equal(feed.isConnected('n1'), false);
  assert.equal(answering.closed, undefined);
  assert.ok(feed.isConnected('n2'));
});

test('closeNode and close end streams with a reason; end() stops delivery', async (t) => {
  const { feed, add } = setup(t);
  add('n1');
  add('n2');
  const a = new RecordingSink();
  const b = new RecordingSink();
  feed.subscribe('n1', 0, a);
  const subB = feed.subscribe('n2', 0, b);
  feed.closeNode('n1', 'node "n1" was removed');
  assert.equal(a.closed?.reason, 'node-removed');
  assert.equal(feed.isConnected('n1'), false);
  subB.end();
  const before = b.messages.length;
  add();
  await feed.whenIdle();
  assert.equal(b.messages.length, before);
  assert.equal(feed.subscriberCount, 0);
  const c = new RecordingSink();
  feed.subscribe('n3', 0, c);
  feed.close('controller shutting down');
  assert.deepEqual(c.closed, { reason: 'shutdown', message: 'controller shutting down' });
  assert.equal(feed.subscriberCount, 0);
});

test('a watcher whose stream stops draining is dropped after the stall timeout, not kept "connected"', async (t) => {
  const { store } = setup(t);
  const feed = new RouteFeed(store, { heartbeatIntervalMs: 20, stallTimeoutMs: 60, silenceTimeoutMs: 60_000, logger: new MemoryLogger() });
  t.after(() => feed.close('test over'));
  const dead = new RecordingSink();
  dead.capacity = 1; // full after the first message, and never drains (a peer that is gone)
  feed.subscribe('n1', 0, dead);
  assert.ok(feed.isConnected('n1'));
  await waitFor('the stalled watcher to be dropped', () => dead.closed !== undefined, 3000, 10);
  assert.equal(dead.closed!.reason, 'stalled');
  assert.match(dead.closed!.message, /reconnect/);
  assert.equal(feed.isConnected('n1'), false);
});

test('after close, a new watch is ended at once instead of living on past shutdown', (t) => {
  const { feed, add } = setup(t);
  add('n1');
  feed.close('controller shutting down');
  const late = new RecordingSink();
  feed.subscribe('n1', 0, late);
  assert.deepEqual(late.closed, { reason: 'shutdown', message: 'controller shutting down' });
  assert.equal(late.messages.length, 0);
  assert.equal(feed.isConnected('n1'), false);
});

test('a watcher whose stream throws is ended alone: the others get the change', async (t) => {
  const { feed, add } = setup(t);
  add('n1');
  const broken = new RecordingSink();
  const healthy = new RecordingSink();
  feed.subscribe('n1', 0, broken);
  feed.subscribe('n2', 0, healthy);
  broken.send = () => {
    throw new Error('stream exploded');
  };
  const r = add();
  await feed.whenIdle();
  assert.equal(broken.closed?.reason, 'internal');
  assert.equal(feed.isConnected('n1'), false);
  assert.deepEqual(healthy.messages.map((m) => [m.kind, m.revision]), [['snapshot', 1], ['delta', r]]);
});

test('watchers connecting at one revision share one snapshot read', (t) => {
  const { store, add } = setup(t);
  add('n1');
  let reads = 0;
  const counting = Object.create(store) as SqliteStore;
  counting.routeSnapshot = () => {
    reads++;
    return store.routeSnapshot();
  };
  const feed = new RouteFeed(counting, { heartbeatIntervalMs: 60_000, logger: new MemoryLogger() });
  t.after(() => feed.close('test over'));
  const sinks = Array.from({ length: 5 }, (_, i) => {
    const sink = new RecordingSink();
    feed.subscribe(`w${i}`, 0, sink);
    return sink;
  });
  assert.equal(reads, 1);
  assert.ok(sinks.every((s) => s.messages[0] === sinks[0]!.messages[0] && s.messages[0]!.kind === 'snapshot'));
});

/** Slow reference: replay every change on a table, then diff the tables. */
function referenceNet(changes: readonly ChangeRecord[]): Map<string, string> {
  const effect = new Map<string, string>();
  for (const c of changes) effect.set(`${c.route.subnet.base}`, c.op === 'add' ? `add ${c.route.nodeName} ${c.route.underlayIp}` : 'remove');
  return effect;
}

test('netChanges keeps exactly the last change per subnet, in revision order (random streams vs a replay)', () => {
  const rand = prng(5);
  const int = (lo: number, hi: number) => lo + randomInt(rand, hi - lo);
  for (let round = 0; round < 500; round++) {
    const changes: ChangeRecord[] = [];
    const n = int(0, 40);
    for (let i = 0; i < n; i++) {
      const subnet = { base: (10 << 24) + int(0, 8) * 256, prefixLen: 24 };
      changes.push({ revision: i + 1, op: int(0, 2) === 0 ? 'remove' : 'add', at: new Date(0), route: { nodeName: `n${int(0, 5)}`, subnet, underlayIp: int(1, 9) } });
    }
    const net = netChanges(changes);
    const got = new Map(net.map((c) => [`${c.route.subnet.base}`, c.op === 'add' ? `add ${c.route.nodeName} ${c.route.underlayIp}` : 'remove']));
    assert.deepEqual(got, referenceNet(changes));
    assert.equal(new Set(net.map((c) => c.route.subnet.base)).size, net.length, 'one change per subnet');
    assert.deepEqual(net.map((c) => c.revision), [...net.map((c) => c.revision)].sort((a, b) => a - b), 'in revision order');
  }
});

test('watchers starting without a table are admitted up to the snapshot budget; the rest are told when to come back', (t) => {
  const { store, add } = setup(t);
  add('n1');
  add('n2');
  let now = 10_000;
  // 4 routes a second with a 2-route table: 2 snapshots a second.
  const feed = new RouteFeed(store, { heartbeatIntervalMs: 60_000, snapshotRoutesPerSecond: 4, now: () => now, logger: new MemoryLogger() });
  t.after(() => feed.close('test over'));
  const sinks = ['a', 'b', 'c', 'd', 'e'].map((name) => {
    const sink = new RecordingSink();
    feed.subscribe(name, 0, sink);
    return sink;
  });
  assert.deepEqual(sinks.map((s) => s.messages[0]?.kind ?? s.closed?.reason), ['snapshot', 'snapshot', 'busy', 'busy', 'busy']);
  assert.deepEqual(sinks.slice(2).map((s) => s.retryAfterMs), [1000, 1000, 2000], 'the later in the queue, the longer the wait');
  assert.match(sinks[2]!.closed!.message, /come back in 1000 ms/);
  assert.equal(feed.isConnected('c'), false);
  const resuming = new RecordingSink();
  feed.subscribe('r', 1, resuming);
  assert.equal(resuming.messages[0]!.kind, 'delta', 'a resuming watcher costs a delta and is always admitted');
  now += 1000;
  const next = new RecordingSink();
  feed.subscribe('c', 0, next);
  assert.equal(next.messages[0]!.kind, 'snapshot', 'a new second, a new budget');
});

test('fan-outs spread out while the controller is saturated and come back together when it is not', async (t) => {
  const { store, add } = setup(t);
  let load = 0.95;
  const feed = new RouteFeed(store, { heartbeatIntervalMs: 60_000, loadProbe: () => load, logger: new MemoryLogger() });
  t.after(() => feed.close('test over'));
  const sink = new RecordingSink();
  feed.subscribe('n0', 0, sink);
  assert.equal(feed.fanoutSpacing, MIN_FANOUT_SPACING);
  const fanOut = async () => {
    const r = add();
    feed.publish(store.changesSince(r - 1)![0]!);
    await feed.whenIdle();
  };
  for (let i = 0; i < 10; i++) await fanOut();
  assert.equal(feed.fanoutSpacing, MAX_FANOUT_SPACING, 'saturated: the spacing grew to its bound');
  load = 0.8;
  await fanOut();
  assert.equal(feed.fanoutSpacing, MAX_FANOUT_SPACING, 'between the thresholds: the spacing holds');
  // Busy with the steady work of many agents (heartbeats, acks) but not saturated: it comes down.
  load = 0.7;
  for (let i = 0; i < 10; i++) await fanOut();
  assert.equal(feed.fanoutSpacing, MIN_FANOUT_SPACING, 'not saturated any more: back to the tightest spacing');
  assert.equal(sink.messages.at(-1)!.revision, feed.latestRevision, 'every change still arrived');
});

test('however saturated, fan-outs are at most maxFanoutIntervalMs apart', async (t) => {
  const { store, add } = setup(t);
  // Every fan-out "takes" 100 ms on this clock: spacing 20 x 100 ms would be 2 s without the cap.
  let now = 0;
  const feed = new RouteFeed(store, { heartbeatIntervalMs: 60_000, loadProbe: () => 1, maxFanoutIntervalMs: 50, now: () => (now += 50), logger: new MemoryLogger() });
  t.after(() => feed.close('test over'));
  const sink = new RecordingSink();
  feed.subscribe('n0', 0, sink);
  for (let i = 0; i < 8; i++) {
    const r = add();
    feed.publish(store.changesSince(r - 1)![0]!);
    await feed.whenIdle();
  }
  assert.equal(feed.fanoutSpacing, MAX_FANOUT_SPACING);
  const started = Date.now();
  const r = add();
  feed.publish(store.changesSince(r - 1)![0]!);
  await feed.whenIdle();
  assert.ok(Date.now() - started < 500, `the next fan-out came ${Date.now() - started} ms later; the cap is 50 ms of feed time`);
  assert.equal(sink.messages.at(-1)!.revision, r);
});
