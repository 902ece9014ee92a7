// The node lease loop against a real store, with a fake clock, fake presence and fake timers.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatCidr, parseCidr, parseIpv4 } from '../../common/cidr.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { MemoryLogger } from '../../common/logger.js';
import {
  formatDuration,
  leaseCheckIntervalMs,
  leaseExpiresAt,
  NodeLeaseLoop,
  type NodeLeaseOptions,
  type PresenceView,
} from '../../controller/node-lease.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import type { NodeRecord } from '../../controller/store/store.js';

const T0 = new Date('2026-03-01T00:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const TTL = HOUR;

class FakePresence implements PresenceView {
  readonly connected = new Set<string>();
  readonly seen = new Map<string, Date>();
  isConnected(nodeName: string): boolean {
    return this.connected.has(nodeName);
  }
  lastSeen(nodeName: string): Date | null {
    return this.seen.get(nodeName) ?? null;
  }
}

interface Lab {
  store: SqliteStore;
  presence: FakePresence;
  logger: MemoryLogger;
  clock: { now: Date };
  removed: { name: string; revision: number; subnet: string }[];
  loop(overrides?: Partial<NodeLeaseOptions>): NodeLeaseLoop;
  /** Moves the clock to T0 + ms. */
  at(ms: number): void;
  add(name: string, last: number): NodeRecord;
}

function lab(t: TestContext): Lab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunctl-lease-'));
  const clock = { now: T0 };
  const store = SqliteStore.open(dir, new MemoryLogger(), { now: () => clock.now });
  t.after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  store.initNetwork({ network: parseCidr('10.244.0.0/16'), subnetLen: 24, udpPort: 7000 });
  const presence = new FakePresence();
  const logger = new MemoryLogger();
  const removed: Lab['removed'] = [];
  return {
    store,
    presence,
    logger,
    clock,
    removed,
    loop: (overrides = {}) =>
      new NodeLeaseLoop({
        store,
        presence,
        ttlMs: TTL,
        controllerStartedAt: T0,
        now: () => clock.now,
        logger,
        onRemoved: (name, revision, node) => removed.push({ name, revision, subnet: formatCidr(node.subnet) }),
        ...overrides,
      }),
    at: (ms) => {
      clock.now = new Date(T0.getTime() + ms);
    },
    add: (name, last) => store.addNode({ name, underlayIp: parseIpv4(`192.168.1.${last}`) }, clock.now).node,
  };
}

test('a node whose agent is silent for longer than the TTL is removed through removeNode: quarantine, revocation, audit, callback', (t) => {
  const l = lab(t);
  const quiet = l.add('quiet', 1);
  const chatty = l.add('chatty', 2);
  l.presence.seen.set('quiet', new Date(T0.getTime() + 5 * MIN));
  l.presence.seen.set('chatty', new Date(T0.getTime() + 5 * MIN));
  const loop = l.loop();

  // Exactly TTL after the last sign of life: not yet (the lease ends strictly after).
  l.at(5 * MIN + TTL);
  assert.deepEqual(loop.sweep(), []);
  l.presence.seen.set('chatty', new Date(T0.getTime() + 5 * MIN + TTL));
  l.at(5 * MIN + TTL + 1);
  assert.deepEqual(loop.sweep(), ['quiet']);
  assert.deepEqual(l.removed, [{ name: 'quiet', revision: 3, subnet: formatCidr(quiet.subnet) }]);
  assert.deepEqual(l.store.listNodes().map((n) => n.name), ['chatty']);
  assert.deepEqual(l.store.changesSince(2)!.map((c) => [c.op, c.route.nodeName]), [['remove', 'quiet']]);
  assert.deepEqual(
    l.store.listQuarantinedSubnets(l.clock.now).map((q) => [formatCidr(q.subnet), q.previousNode]),
    [[formatCidr(quiet.subnet), 'quiet']],
  );
  const audit = l.store.listAuditEvents(null, 10).find((e) => e.action === 'expire-node')!;
  assert.equal(audit.actor, 'controller');
  assert.equal(audit.target, 'quiet');
  assert.match(audit.detail, /^its agent silent for 1h \(since 2026-03-01T00:05:00\.000Z\), longer than the node lease TTL 1h; subnet 10\.244\.0\.0\/24 in quarantine until /);
  assert.ok(l.logger.lines.some((line) => line.includes('node lease expired') && line.includes('node=quiet')));
  assert.equal(chatty.name, 'chatty');
  // A second sweep has nothing left to do.
  assert.deepEqual(loop.sweep(), []);
});

test('a connected node never expires, however old its last-seen time', (t) => {
  const l = lab(t);
  l.add('a', 1);
  l.presence.connected.add('a');
  l.at(10 * TTL);
  assert.deepEqual(l.loop().sweep(), []);
  assert.equal(leaseExpiresAt(l.store.getNode('a'), l.presence, TTL, T0), null);
  l.presence.connected.delete('a');
  assert.deepEqual(l.loop().sweep(), ['a'], 'once disconnected, its (never seen) lease counts from its creation');
});

test('after a long controller outage every node gets a full TTL from the controller\'s start to come back', (t) => {
  const l = lab(t);
  l.add('seen-long-ago', 1);
  l.add('never-seen', 2);
  l.presence.seen.set('seen-long-ago', T0);
  const startedAt = new Date(T0.getTime() + 30 * 24 * HOUR); // a month later
  const loop = l.loop({ controllerStartedAt: startedAt });
  l.at(30 * 24 * HOUR + TTL);
  assert.deepEqual(loop.sweep(), [], 'a TTL after the start, not yet');
  assert.deepEqual(leaseExpiresAt(l.store.getNode('never-seen'), l.presence, TTL, startedAt), new Date(startedAt.getTime() + TTL));
  // One agent comes back meanwhile: it is seen, then leaves again.
  l.presence.seen.set('seen-long-ago', new Date(startedAt.getTime() + 30 * MIN));
  l.at(30 * 24 * HOUR + TTL + 1);
  assert.deepEqual(loop.sweep(), ['never-seen']);
  const audit = l.store.listAuditEvents(null, 10).find((e) => e.action === 'expire-node')!;
  assert.match(audit.detail, /^no agent seen since the node was added for 30d1h \(since 2026-03-01T00:00:00\.000Z\)/);
  l.at(30 * 24 * HOUR + 30 * MIN + TTL + 1);
  assert.deepEqual(loop.sweep(), ['seen-long-ago']);
});

test('the stored last_seen_at and the last registration count as signs of life when presence has nothing live', (t) => {
  const l = lab(t);
  l.add('registered', 1);
  l.add('flushed', 2);
  l.store.recordRegistration('registered', '1.0', new Date(T0.getTime() + 20 * MIN));
  l.store.recordAgentStatus([{ nodeName: 'flushed', lastSeenAt: new Date(T0.getTime() + 40 * MIN), appliedRevision: 2, applyError: '' }]);
  const loop = l.loop();
  l.at(20 * MIN + TTL + 1);
  assert.deepEqual(loop.sweep(), ['registered']);
  l.at(40 * MIN + TTL + 1);
  assert.deepEqual(loop.sweep(), ['flushed']);
});

test('a node removed by an admin between the list and the removal is skipped; other failures are logged and do not stop the sweep', (t) => {
  const l = lab(t);
  l.add('a', 1);
  l.add('b', 2);
  l.add('c', 3);
  const realRemove = l.store.removeNode.bind(l.store);
  l.store.removeNode = (name, audit, options) => {
    if (name === 'a') realRemove('a'); // the admin got there first: our call then finds nothing
    if (name === 'b') throw new Error('disk on fire');
    return realRemove(name, audit, options);
  };
  l.at(TTL + 1);
  assert.deepEqual(l.loop().sweep(), ['c']);
  assert.deepEqual(l.removed.map((r) => r.name), ['c']);
  assert.ok(l.logger.lines.some((line) => line.includes('removing an expired node failed') && line.includes('disk on fire')));
  assert.ok(!l.logger.lines.some((line) => line.includes('node=a') && line.includes('failed')), 'a NotFound is not an error');
});

test('start sweeps every min(TTL/10, 60 s) on the timer it is given; stop clears it; a TTL under 10 s is refused', (t) => {
  const l = lab(t);
  assert.equal(leaseCheckIntervalMs(HOUR), 60_000);
  assert.equal(leaseCheckIntervalMs(5 * MIN), 30_000);
  assert.equal(leaseCheckIntervalMs(10_000), 1000);
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const loop = l.loop({
    ttlMs: 5 * MIN,
    setInterval: (fn, ms) => {
      const timer = { fn, ms, cleared: false, unref: () => undefined };
      timers.push(timer);
      return timer;
    },
    clearInterval: (timer) => {
      (timer as unknown as { cleared: boolean }).cleared = true;
    },
  });
  loop.start();
  loop.start();
  assert.equal(timers.length, 1, 'starting twice keeps one timer');
  assert.equal(timers[0]!.ms, 30_000);
  l.add('a', 1);
  l.at(5 * MIN + 1);
  timers[0]!.fn();
  assert.deepEqual(l.removed.map((r) => r.name), ['a'], 'the timer runs a sweep');
  loop.stop();
  assert.equal(timers[0]!.cleared, true);
  for (const ttlMs of [0, 9_999, Number.NaN]) {
    assert.throws(() => l.loop({ ttlMs }), (err: unknown) => err instanceof InvalidArgumentError && /at least 10000 ms/.test(err.message));
  }
});

test('formatDuration shows the largest unit and the next one', () => {
  assert.deepEqual(
    [0, 999, 45_000, 60_000, 3_660_000, 3_600_000, 86_400_000 + 5_000, 2 * 86_400_000 + 3 * HOUR + 59_000].map(formatDuration),
    ['0s', '1s', '45s', '1m', '1h1m', '1h', '1d', '2d3h'],
  );
});
