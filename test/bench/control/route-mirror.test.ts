// The simulated agent's table: snapshot, deltas on the right base only, remove-if-present,
// cluster id, shared route objects, and the comparison the restart test relies on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng, randomInt } from '../../prng.js';
import { internRoute, RouteMirror, type MirrorChange, type MirrorRoute } from './route-mirror.js';

const route = (i: number, via = i): MirrorRoute => ({ subnet: `10.0.${i}.0/24`, underlayIp: `198.18.0.${via}`, nodeName: `n${i}` });

test('a snapshot replaces the table; a delta applies only on top of the revision held', () => {
  const mirror = new RouteMirror();
  assert.equal(mirror.applyDelta(0, 1, [{ op: 'add', route: route(1) }], 'c1'), 'gap', 'a delta before any snapshot cannot apply');
  mirror.applySnapshot(5, [route(1), route(2)], 'c1');
  assert.equal(mirror.revision, 5);
  assert.equal(mirror.size, 2);
  assert.equal(mirror.applyDelta(6, 7, [{ op: 'add', route: route(3) }], 'c1'), 'gap', 'base 6 is not what we hold');
  assert.equal(mirror.applyDelta(4, 5, [{ op: 'add', route: route(3) }], 'c1'), 'stale');
  assert.equal(mirror.size, 2, 'neither a gap nor a stale delta changes the table');
  assert.equal(mirror.applyDelta(5, 8, [{ op: 'add', route: route(3) }, { op: 'remove', route: route(1) }], 'c1'), 'applied');
  assert.equal(mirror.revision, 8);
  assert.deepEqual(mirror.differences([route(2), route(3)], 'none'), []);
  mirror.applySnapshot(9, [route(4)], 'c1');
  assert.deepEqual(mirror.differences([route(4)], 'none'), [], 'the snapshot dropped everything before it');
});

test('add sets the route of its subnet, remove deletes whatever route the subnet has', () => {
  const mirror = new RouteMirror();
  mirror.applySnapshot(1, [route(1)], 'c1');
  mirror.applyDelta(1, 2, [{ op: 'add', route: route(1, 99) }], 'c1');
  assert.deepEqual(mirror.differences([route(1, 99)], 'none'), []);
  // The remove names the subnet; the underlay it carries need not match what we hold.
  mirror.applyDelta(2, 3, [{ op: 'remove', route: route(1, 7) }, { op: 'remove', route: route(50) }], 'c1');
  assert.equal(mirror.size, 0);
});

test('a delta from another cluster is a gap, whatever its revisions', () => {
  const mirror = new RouteMirror();
  mirror.applySnapshot(3, [route(1)], 'c1');
  assert.equal(mirror.applyDelta(3, 4, [{ op: 'add', route: route(2) }], 'c2'), 'gap');
  assert.equal(mirror.applyDelta(3, 4, [{ op: 'add', route: route(2) }], ''), 'applied', 'no cluster id on the message: nothing to compare');
  mirror.reset();
  assert.equal(mirror.isSynced, false);
  assert.equal(mirror.revision, 0);
  assert.equal(mirror.clusterId, '');
});

test('equal routes received by different agents are one shared object', () => {
  const a = new RouteMirror();
  const b = new RouteMirror();
  a.applySnapshot(1, [{ ...route(1) }], 'c');
  b.applySnapshot(1, [{ ...route(1) }], 'c');
  const held = a.get('10.0.1.0/24');
  assert.ok(held);
  assert.equal(b.get('10.0.1.0/24'), held, 'two agents, one object');
  // A changed route is a new object; the agent that still holds the old one keeps it unchanged.
  b.applyDelta(1, 2, [{ op: 'add', route: route(1, 2) }], 'c');
  assert.notEqual(b.get('10.0.1.0/24'), held);
  assert.equal(a.get('10.0.1.0/24'), held);
  assert.equal(held.underlayIp, '198.18.0.1');
  assert.equal(internRoute({ ...route(1, 2) }), b.get('10.0.1.0/24'));
});

test('differences names missing, wrong and extra routes and ignores the agent\'s own', () => {
  const mirror = new RouteMirror();
  mirror.applySnapshot(1, [route(1), route(2, 42), route(3), route(9)], 'c');
  assert.deepEqual(mirror.differences([route(1), route(2, 42), route(3), route(4)], 'n9'), ['missing 10.0.4.0/24 (n4)']);
  assert.deepEqual(mirror.differences([route(1), route(2), route(3)], 'n9'), ['10.0.2.0/24: holds n2 via 198.18.0.42, expected n2 via 198.18.0.2']);
  assert.deepEqual(mirror.differences([route(1), route(2, 42)], 'n9'), ['extra 10.0.3.0/24 (n3)']);
  assert.deepEqual(mirror.differences([route(1), route(2, 42), route(3)], 'n9'), [], 'own route n9 is held but not expected: fine');
  assert.deepEqual(mirror.differences([route(1), route(2, 42), route(3), route(9), route(10)], 'n10'), [], 'own route expected but not held: fine');
});

test('random add/remove deltas leave the same table as a plain map', () => {
  const rand = prng(20261125);
  const mirror = new RouteMirror();
  const reference = new Map<string, MirrorRoute>();
  mirror.applySnapshot(1, [], 'c');
  let revision = 1;
  for (let step = 0; step < 2000; step++) {
    // At most one change per subnet in a delta, as the contract says.
    const subnets = new Set<number>();
    const changes: MirrorChange[] = [];
    for (let k = randomInt(rand, 4); k >= 0; k--) {
      const i = randomInt(rand, 60);
      if (subnets.has(i)) continue;
      subnets.add(i);
      changes.push({ op: rand() < 0.6 ? 'add' : 'remove', route: route(i, randomInt(rand, 250) + 1) });
    }
    for (const { op, route: r } of changes) {
      if (op === 'add') reference.set(r.subnet, r);
      else reference.delete(r.subnet);
    }
    assert.equal(mirror.applyDelta(revision, revision + 1, changes, 'c'), 'applied');
    revision++;
  }
  assert.equal(mirror.size, reference.size);
  assert.deepEqual(mirror.differences([...reference.values()], 'none'), []);
});
