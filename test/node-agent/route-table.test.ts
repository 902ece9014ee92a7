// The agent's route table against a slow obvious reference: replaying the full change log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng, randomInt } from '../prng.js';
import { AgentRouteTable, type RouteChangeEntry, type RouteEntry } from '../../node-agent/route-table.js';

function route(i: number): RouteEntry {
  return { nodeName: `n${i}`, subnet: { base: (0x0af40000 + i * 256) >>> 0, prefixLen: 24 }, underlayIp: (0xc0a80000 + i) >>> 0 };
}

test('snapshot replaces, deltas apply on their base revision only', () => {
  const table = new AgentRouteTable();
  assert.equal(table.isSynced, false);
  assert.equal(table.applyDelta(0, 1, [{ op: 'add', route: route(1) }]), 'gap', 'no delta before a snapshot');
  table.applySnapshot(5, [route(1), route(2)]);
  assert.equal(table.revision, 5);
  assert.equal(table.applyDelta(5, 6, [{ op: 'add', route: route(3) }]), 'applied');
  assert.equal(table.applyDelta(5, 6, [{ op: 'add', route: route(3) }]), 'stale');
  assert.equal(table.applyDelta(7, 8, [{ op: 'remove', route: route(1) }]), 'gap');
  assert.equal(table.applyDelta(6, 7, [{ op: 'remove', route: route(1) }]), 'applied');
  assert.deepEqual(table.routes().map((r) => r.nodeName), ['n2', 'n3']);
  assert.deepEqual(table.peers('n2').map((r) => r.nodeName), ['n3']);
  table.applySnapshot(9, [route(4)]);
  assert.deepEqual(table.routes().map((r) => r.nodeName), ['n4']);
});

test('a remove for a node that was re-added with another subnet keeps the new route', () => {
  const table = new AgentRouteTable();
  const old = route(1);
  const moved: RouteEntry = { ...old, subnet: { base: 0x0af46300, prefixLen: 24 } };
  table.applySnapshot(1, [moved]);
  assert.equal(table.applyDelta(1, 2, [{ op: 'remove', route: old }]), 'applied');
  assert.equal(table.routes()[0]?.subnet.base, moved.subnet.base);
});

test('coalesced deltas: add sets the route of its subnet, remove of an absent subnet is a no-op, revisions may jump', () => {
  const table = new AgentRouteTable();
  table.applySnapshot(10, [route(1), route(2)], 'c1');
  // Subnet of n2 moved to n9 (removed and re-added between two messages): one add, which replaces.
  const moved: RouteEntry = { nodeName: 'n9', subnet: route(2).subnet, underlayIp: (0xc0a80000 + 9) >>> 0 };
  assert.equal(
    table.applyDelta(10, 57, [
      { op: 'add', route: moved },
      // Added and removed again since revision 10: the controller may still send the remove.
      { op: 'remove', route: route(5) },
      { op: 'add', route: route(3) },
    ]),
    'applied',
  );
  assert.equal(table.revision, 57);
  assert.deepEqual(
    table.routes().map((r) => [r.nodeName, r.underlayIp]),
    [
      ['n1', route(1).underlayIp],
      ['n9', moved.underlayIp],
      ['n3', route(3).underlayIp],
    ],
  );
  assert.equal(table.size, 3, 'one route per subnet, the moved one replaced');
  assert.equal(table.clusterId, 'c1', 'a delta keeps the cluster id');
  assert.equal(table.applyDelta(56, 60, [{ op: 'add', route: route(4) }]), 'gap', 'base revision other than ours');
  assert.equal(table.revision, 57);
});

test('state() and restore() undo a change exactly', () => {
  const table = new AgentRouteTable();
  table.applySnapshot(4, [route(1), route(2)], 'c1');
  const before = table.state();
  table.applyDelta(4, 9, [{ op: 'remove', route: route(1) }, { op: 'add', route: route(7) }]);
  table.applySnapshot(12, [], 'c2');
  table.restore(before);
  assert.equal(table.revision, 4);
  assert.equal(table.clusterId, 'c1');
  assert.ok(table.isSynced);
  assert.deepEqual(table.routes().map((r) => r.nodeName), ['n1', 'n2']);
  table.reset();
  assert.equal(table.isSynced, false);
  assert.equal(table.revision, 0);
  assert.equal(table.size, 0);
});

test('random change streams: the table equals a replay of the whole log (reference)', () => {
  const random = prng(12345);
  const rand = (n: number) => randomInt(random, n);
  for (let round = 0; round < 300; round++) {
    const log: { revision: number; change: RouteChangeEntry }[] = [];
    const live = new Map<string, RouteEntry>();
    for (let rev = 1; rev <= 60; rev++) {
      const i = rand(20);
      const r = route(i);
      const change: RouteChangeEntry = live.has(r.nodeName) ? { op: 'remove', route: r } : { op: 'add', route: r };
      if (change.op === 'add') live.set(r.nodeName, r);
      else live.delete(r.nodeName);
      log.push({ revision: rev, change });
    }
    // Reference: replay everything from empty.
    const reference = new Map<string, RouteEntry>();
    for (const { change } of log) {
      if (change.op === 'add') reference.set(change.route.nodeName, change.route);
      else reference.delete(change.route.nodeName);
    }
    // Under test: a snapshot at a random point, then deltas, with duplicates and one gap resolved by a new snapshot.
    const cut = rand(log.length);
    const snapshot = new Map<string, RouteEntry>();
    for (const { change } of log.slice(0, cut)) {
      if (change.op === 'add') snapshot.set(change.route.nodeName, change.route);
      else snapshot.delete(change.route.nodeName);
    }
    const table = new AgentRouteTable();
    table.applySnapshot(cut, [...snapshot.values()]);
    for (const { revision, change } of log.slice(cut)) {
      assert.equal(table.applyDelta(revision - 1, revision, [change]), 'applied');
      if (rand(4) === 0) assert.equal(table.applyDelta(revision - 1, revision, [change]), 'stale');
    }
    assert.deepEqual(
      table.routes().map((r) => r.nodeName),
      [...reference.values()].sort((a, b) => a.subnet.base - b.subnet.base).map((r) => r.nodeName),
    );
    assert.equal(table.revision, log.length);
  }
});
