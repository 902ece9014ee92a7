// RouteFeed with in-memory sinks over a real SQLite store: snapshot then deltas, resume,
// backpressure (a stalled agent is paused, not buffered, and catches up from the log),
// heartbeats, supersede and close.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCidr, parseIpv4 } from '../../common/cidr.js';
import { MemoryLogger } from '../../common/logger.js';
import { RouteFeed, type FeedCloseReason, type FeedMessage, type FeedSink } from '../../controller/route-feed.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { waitFor } from '../netns/netns.js';

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
  close(reason: FeedCloseReason, message: string): void {
    this.closed = { reason, message };
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

test('a new watcher gets a snapshot, then one delta per change chained by revision', (t) => {
  const { feed, add, remove } = setup(t);
  add('n1');
  const sink = new RecordingSink();
  feed.subscribe('n1', 0, sink);
  const r2 = add('n2');
  const r3 = remove('n2');
  assert.deepEqual(
    sink.messages.map((m) => [m.kind, m.revision, m.kind === 'delta' ? m.baseRevision : null]),
    [['snapshot', 1, null], ['delta', r2, 1], ['delta', r3, r2]],
  );
  assert.ok(feed.isConnected('n1'));
});

test('resuming from a known revision sends only the missed changes; an unknown revision gets a snapshot', (t) => {
  const { feed, add } = setup(t);
  add('n1');
  const r2 = add();
  const r3 = add();
  const resumed = new RecordingSink();
  feed.subscribe('n1', r2, resumed);
  assert.deepEqual(resumed.messages.map((m) => [m.kind, m.revision]), [['delta', r3]]);
  const future = new RecordingSink();
  feed.subscribe('n1', 999, future);
  assert.equal(future.messages[0]!.kind, 'snapshot');
  assert.equal(resumed.closed?.reason, 'superseded');
});

test('a stalled watcher is paused instead of buffered, then catches up in order; far behind gets a snapshot', (t) => {
  const { feed, add } = setup(t);
  add('n1');
  const slow = new RecordingSink();
  slow.capacity = 2; // full after the snapshot and one delta
  const fast = new RecordingSink();
  feed.subscribe('n1', 0, slow);
  feed.subscribe('n2x', 0, fast);
  const revisions = [add(), add(), add(), add()];
  assert.equal(slow.messages.length, 2, 'nothing queued beyond what the stream accepted');
  assert.equal(fast.messages.length, 5, 'the slow watcher did not hold the fast one back');
  slow.drain();
  assert.deepEqual(slow.messages.slice(1).map((m) => m.revision), revisions);

  // Far behind: more than maxDeltaBacklog changes pending -> one snapshot instead.
  const small = new RouteFeed((feed as unknown as { store: SqliteStore }).store, { heartbeatIntervalMs: 60_000, maxDeltaBacklog: 2, logger: new MemoryLogger() });
  t.after(() => small.close('done'));
  const lagging = new RecordingSink();
  small.subscribe('n1', 1, lagging);
  assert.equal(lagging.messages.length, 1);
  assert.equal(lagging.messages[0]!.kind, 'snapshot');
});

test('idle watchers get heartbeats carrying the latest revision', async (t) => {
  const { feed, add } = setup(t, 50);
  const r = add('n1');
  const sink = new RecordingSink();
  feed.subscribe('n1', 0, sink);
  await waitFor('two heartbeats', () => sink.messages.filter((m) => m.kind === 'heartbeat').length >= 2, 3000, 20);
  assert.ok(sink.messages.filter((m) => m.kind === 'heartbeat').every((m) => m.revision === r));
});

test('closeNode and close end streams with a reason; unsubscribe stops delivery', (t) => {
  const { feed, add } = setup(t);
  add('n1');
  add('n2');
  const a = new RecordingSink();
  const b = new RecordingSink();
  feed.subscribe('n1', 0, a);
  const unsubscribeB = feed.subscribe('n2', 0, b);
  feed.closeNode('n1', 'node "n1" was removed');
  assert.equal(a.closed?.reason, 'node-removed');
  assert.equal(feed.isConnected('n1'), false);
  unsubscribeB();
  const before = b.messages.length;
  add();
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
  const feed = new RouteFeed(store, { heartbeatIntervalMs: 20, stallTimeoutMs: 60, logger: new MemoryLogger() });
  t.after(() => feed.close('test over'));
  const dead = new RecordingSink();
  dead.capacity = 1; // full after the snapshot, and never drains (a peer that is gone)
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

test('a watcher whose stream throws is ended alone: publish still succeeds and the others get the change', (t) => {
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
