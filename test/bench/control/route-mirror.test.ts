// The simulated agent's table: snapshot, deltas on the right base only, remove-if-present,
// cluster id, shared route objects, and the comparison the restart test relies on; then the
// sharing of table versions between mirrors, checked against a plain per-mirror replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng, randomInt } from '../../prng.js';
import { internRoute, RouteMirror, SharedTables, type MirrorChange, type MirrorDeltaResult, type MirrorRoute } from './route-mirror.js';

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

/** The mirror as it was before tables were shared: one plain Map per agent. The reference. */
class PlainMirror {
  table = new Map<string, MirrorRoute>();
  revision = 0;
  clusterId = '';
  synced = false;

  applySnapshot(revision: number, routes: readonly MirrorRoute[], clusterId: string): void {
    this.table = new Map(routes.map((r) => [r.subnet, r]));
    this.revision = revision;
    this.clusterId = clusterId;
    this.synced = true;
  }

  applyDelta(baseRevision: number, revision: number, changes: readonly MirrorChange[], clusterId: string): MirrorDeltaResult {
    if (!this.synced || (clusterId !== '' && clusterId !== this.clusterId)) return 'gap';
    if (revision <= this.revision) return 'stale';
    if (baseRevision !== this.revision) return 'gap';
    for (const { op, route: r } of changes) {
      if (op === 'add') this.table.set(r.subnet, r);
      else this.table.delete(r.subnet);
    }
    this.revision = revision;
    return 'applied';
  }

  reset(): void {
    this.table = new Map();
    this.revision = 0;
    this.clusterId = '';
    this.synced = false;
  }
}

function assertSame(mirror: RouteMirror, plain: PlainMirror, context: string): void {
  assert.equal(mirror.revision, plain.revision, `${context}: revision`);
  assert.equal(mirror.clusterId, plain.clusterId, `${context}: cluster id`);
  assert.equal(mirror.isSynced, plain.synced, `${context}: synced`);
  assert.equal(mirror.size, plain.table.size, `${context}: size`);
  for (const [subnet, want] of plain.table) {
    const have = mirror.get(subnet);
    assert.ok(have, `${context}: ${subnet} missing`);
    assert.deepEqual({ ...have }, { subnet: want.subnet, underlayIp: want.underlayIp, nodeName: want.nodeName }, `${context}: ${subnet}`);
  }
}

const add = (i: number, via = i): MirrorChange => ({ op: 'add', route: route(i, via) });
const remove = (i: number): MirrorChange => ({ op: 'remove', route: route(i) });

test('mirrors applying the same snapshot and deltas share one version, built once', () => {
  const tables = new SharedTables();
  const snapshot = [route(1), route(2), route(3)];
  const deltas: [number, number, MirrorChange[]][] = [[4, 5, [add(4), remove(1)]], [5, 7, [add(2, 77)]], [7, 8, []]];
  const mirrors = [new RouteMirror(tables), new RouteMirror(tables), new RouteMirror(tables)];
  const plain = new PlainMirror();
  plain.applySnapshot(4, snapshot, 'c');
  for (const mirror of mirrors) mirror.applySnapshot(4, snapshot, 'c');
  const snapshotVersion = mirrors[0]!.version;
  assert.equal(mirrors[2]!.version, snapshotVersion);
  assert.equal(tables.built, 1, 'one snapshot table for three mirrors');
  for (const [base, revision, changes] of deltas) {
    plain.applyDelta(base, revision, changes, 'c');
    for (const mirror of mirrors) assert.equal(mirror.applyDelta(base, revision, changes, 'c'), 'applied');
    assert.equal(mirrors[1]!.version, mirrors[0]!.version);
    assert.equal(mirrors[2]!.version, mirrors[0]!.version);
  }
  assert.equal(tables.built, 1 + deltas.length, 'one table per message, not per mirror');
  for (const mirror of mirrors) assertSame(mirror, plain, 'after the deltas');
  // Equal messages in other arrays (decoded apart) are recognised by content: still no copy.
  const late = new RouteMirror(tables);
  late.applySnapshot(4, snapshot.map((r) => ({ ...r })), 'c');
  assert.equal(late.version, snapshotVersion);
  for (const [base, revision, changes] of deltas) late.applyDelta(base, revision, changes.map((c) => ({ op: c.op, route: { ...c.route } })), 'c');
  assert.equal(late.version, mirrors[0]!.version);
  assert.equal(tables.built, 1 + deltas.length);
});

test('a different delta on the same base gets its own, correct table; the shared one is untouched', () => {
  const tables = new SharedTables();
  const a = new RouteMirror(tables);
  const b = new RouteMirror(tables);
  const c = new RouteMirror(tables);
  for (const mirror of [a, b, c]) mirror.applySnapshot(1, [route(1), route(2)], 'c');
  const changes = [add(3)];
  a.applyDelta(1, 2, changes, 'c');
  // Same revisions, other changes: not the same delta, whatever its numbers.
  b.applyDelta(1, 2, [remove(2)], 'c');
  assert.notEqual(b.version, a.version);
  assert.deepEqual(a.differences([route(1), route(2), route(3)], 'none'), []);
  assert.deepEqual(b.differences([route(1)], 'none'), []);
  // The same array to another revision is another step too.
  c.applyDelta(1, 3, changes, 'c');
  assert.equal(c.revision, 3);
  assert.notEqual(c.version, a.version);
  assert.deepEqual(c.differences([route(1), route(2), route(3)], 'none'), []);
  // And a route that differs only in its underlay is a different change.
  const d = new RouteMirror(tables);
  d.applySnapshot(1, [route(1), route(2)], 'c');
  d.applyDelta(1, 2, [add(3, 99)], 'c');
  assert.notEqual(d.version, a.version);
  assert.equal(d.get('10.0.3.0/24')?.underlayIp, '198.18.0.99');
  assert.equal(a.get('10.0.3.0/24')?.underlayIp, '198.18.0.3');
});

test('tables at one revision that differ are never shared', () => {
  const tables = new SharedTables();
  const a = new RouteMirror(tables);
  const b = new RouteMirror(tables);
  a.applySnapshot(5, [route(1)], 'c');
  b.applySnapshot(5, [route(1, 9)], 'c');
  assert.notEqual(a.version, b.version);
  // The same delta on two different bases at the same revision: two results.
  const changes = [add(2)];
  a.applyDelta(5, 6, changes, 'c');
  b.applyDelta(5, 6, changes, 'c');
  assert.notEqual(a.version, b.version);
  assert.equal(a.get('10.0.1.0/24')?.underlayIp, '198.18.0.1');
  assert.equal(b.get('10.0.1.0/24')?.underlayIp, '198.18.0.9');
  // Another cluster at the same revision and routes is another table.
  const other = new RouteMirror(tables);
  other.applySnapshot(5, [route(1)], 'd');
  assert.equal(other.clusterId, 'd');
  const again = new RouteMirror(tables);
  again.applySnapshot(5, [route(1)], 'c');
  assert.notEqual(other.version, again.version);
  assert.equal(again.clusterId, 'c');
});

test('equal tables reached along different paths merge into one version', () => {
  const tables = new SharedTables();
  const stepwise = new RouteMirror(tables);
  const coalesced = new RouteMirror(tables);
  const fresh = new RouteMirror(tables);
  stepwise.applySnapshot(1, [route(1)], 'c');
  coalesced.applySnapshot(1, [route(1)], 'c');
  stepwise.applyDelta(1, 2, [add(2)], 'c');
  stepwise.applyDelta(2, 3, [add(3), remove(1)], 'c');
  coalesced.applyDelta(1, 3, [add(2), add(3), remove(1)], 'c');
  assert.equal(coalesced.version, stepwise.version, 'one delta 1→3 or two, the same table');
  fresh.applySnapshot(3, [route(3), route(2)], 'c');
  assert.equal(fresh.version, stepwise.version, 'and a snapshot of it too');
  assert.equal(tables.merged, 2);
  // Merged paths share what follows.
  const builtBefore = tables.built;
  const next = [add(4)];
  for (const mirror of [stepwise, coalesced, fresh]) mirror.applyDelta(3, 4, next, 'c');
  assert.equal(tables.built, builtBefore + 1);
  assert.equal(fresh.version, stepwise.version);
});

test('the rules stay per mirror: gap and stale whatever another mirror applied', () => {
  const tables = new SharedTables();
  const ahead = new RouteMirror(tables);
  const behind = new RouteMirror(tables);
  ahead.applySnapshot(1, [route(1)], 'c');
  behind.applySnapshot(1, [route(1)], 'c');
  const first = [add(2)];
  const second = [add(3)];
  assert.equal(ahead.applyDelta(1, 2, first, 'c'), 'applied');
  assert.equal(ahead.applyDelta(2, 3, second, 'c'), 'applied');
  assert.equal(behind.applyDelta(2, 3, second, 'c'), 'gap', 'the step 2→3 is known, but this mirror holds 1');
  assert.equal(behind.revision, 1);
  assert.equal(behind.size, 1);
  assert.equal(behind.applyDelta(1, 2, first, 'c'), 'applied');
  assert.equal(behind.applyDelta(1, 2, first, 'c'), 'stale');
  assert.equal(behind.applyDelta(0, 1, [add(9)], 'c'), 'stale');
  assert.equal(behind.applyDelta(2, 3, second, 'd'), 'gap', 'another cluster');
  assert.equal(behind.applyDelta(2, 3, second, ''), 'applied');
  assert.equal(behind.version, ahead.version);
  // Forgetting is per mirror: the other keeps the shared table.
  behind.reset();
  assert.equal(behind.isSynced, false);
  assert.equal(behind.size, 0);
  assert.equal(behind.revision, 0);
  assert.equal(behind.clusterId, '');
  assert.equal(behind.get('10.0.1.0/24'), undefined);
  assert.equal(behind.applyDelta(0, 4, [add(4)], ''), 'gap', 'nothing to apply a delta to after a reset');
  assert.equal(ahead.size, 3);
  assert.deepEqual(ahead.differences([route(1), route(2), route(3)], 'none'), []);
  // An empty snapshot at revision 0 is still a table: synced.
  behind.applySnapshot(0, [], '');
  assert.equal(behind.isSynced, true);
});

test('random interleavings of shared, equal, different and misplaced messages equal a plain replay per mirror', () => {
  const rand = prng(20260214);
  const SUBNETS = 40;
  const MIRRORS = 7;
  // The controller's history: the changes of each revision and the table after it.
  const LATEST = 200;
  const history: Map<string, MirrorRoute>[] = [new Map()];
  const logs: MirrorChange[][] = [[]];
  for (let revision = 1; revision <= LATEST; revision++) {
    const table = new Map(history[revision - 1]);
    const touched = new Set<number>();
    const changes: MirrorChange[] = [];
    for (let k = randomInt(rand, 4); k >= 0; k--) {
      const i = randomInt(rand, SUBNETS);
      if (touched.has(i)) continue;
      touched.add(i);
      const change = rand() < 0.65 ? add(i, randomInt(rand, 5) + 1) : remove(i);
      changes.push(change);
      if (change.op === 'add') table.set(change.route.subnet, change.route);
      else table.delete(change.route.subnet);
    }
    logs.push(changes);
    history.push(table);
  }
  // The net changes from one revision to a later one, as the controller coalesces them;
  // one array per (base, revision) as the shared decoder would hand it, or a fresh copy.
  const coalesced = new Map<string, MirrorChange[]>();
  const netChanges = (base: number, revision: number, copy: boolean): MirrorChange[] => {
    let changes = coalesced.get(`${base}>${revision}`);
    if (!changes) {
      const subnets = new Set<string>();
      for (let r = base + 1; r <= revision; r++) for (const c of logs[r]!) subnets.add(c.route.subnet);
      changes = [...subnets].map((subnet): MirrorChange => {
        const now = history[revision]!.get(subnet);
        return now ? { op: 'add', route: now } : { op: 'remove', route: { subnet, underlayIp: '0.0.0.0', nodeName: '' } };
      });
      coalesced.set(`${base}>${revision}`, changes);
    }
    return copy ? changes.map((c) => ({ op: c.op, route: { ...c.route } })) : changes;
  };
  const snapshots = new Map<number, MirrorRoute[]>();
  const snapshotOf = (revision: number, copy: boolean): MirrorRoute[] => {
    let routes = snapshots.get(revision);
    if (!routes) snapshots.set(revision, (routes = [...history[revision]!.values()]));
    // A copy may come in another order: an equal table all the same.
    return copy ? routes.map((r) => ({ ...r })).sort(() => rand() - 0.5) : routes;
  };

  const tables = new SharedTables();
  const mirrors = Array.from({ length: MIRRORS }, () => new RouteMirror(tables));
  const plains = Array.from({ length: MIRRORS }, () => new PlainMirror());
  const results = { applied: 0, stale: 0, gap: 0, snapshots: 0 };
  const snapshot = (mirror: RouteMirror, plain: PlainMirror, revision: number, clusterId: string, copy: boolean): void => {
    const routes = snapshotOf(revision, copy);
    mirror.applySnapshot(revision, routes, clusterId);
    plain.applySnapshot(revision, routes, clusterId);
    results.snapshots++;
  };
  const delta = (mirror: RouteMirror, plain: PlainMirror, base: number, revision: number, changes: MirrorChange[], clusterId: string, context: string): void => {
    const expected = plain.applyDelta(base, revision, changes, clusterId);
    assert.equal(mirror.applyDelta(base, revision, changes, clusterId), expected, context);
    results[expected]++;
  };
  const STEPS = 4000;
  for (let step = 0; step < STEPS; step++) {
    // The controller's latest revision moves on through the history as the test goes.
    const latest = 1 + Math.floor((step * (LATEST - 1)) / STEPS);
    const m = randomInt(rand, MIRRORS);
    const mirror = mirrors[m]!;
    const plain = plains[m]!;
    const copy = rand() < 0.25;
    const dice = rand();
    const context = `step ${step}, mirror ${m}`;
    if (dice < 0.75) {
      // What the controller sends: a snapshot to a mirror without a (usable) table, else the
      // net changes to the latest revision (sometimes to one before, as a fan-out in progress).
      if (!plain.synced || plain.clusterId !== 'c' || plain.revision > latest) snapshot(mirror, plain, latest, 'c', copy);
      else if (plain.revision < latest) {
        const revision = rand() < 0.7 ? latest : plain.revision + 1 + randomInt(rand, latest - plain.revision);
        delta(mirror, plain, plain.revision, revision, netChanges(plain.revision, revision, copy), rand() < 0.8 ? 'c' : '', context);
      }
    } else if (dice < 0.79) {
      // A snapshot of any revision so far, sometimes of another cluster.
      snapshot(mirror, plain, randomInt(rand, latest + 1), rand() < 0.9 ? 'c' : 'd', copy);
    } else if (dice < 0.8) {
      mirror.reset();
      plain.reset();
    } else if (dice < 0.82) {
      // The same revisions with other changes: this mirror leaves the common history.
      const changes = [add(randomInt(rand, SUBNETS), 100 + randomInt(rand, 3)), remove(randomInt(rand, SUBNETS) + SUBNETS)];
      if (rand() < 0.5) changes.pop();
      delta(mirror, plain, plain.revision, plain.revision + 1, changes, plain.clusterId, context);
    } else {
      // Anything: stale, gap, another cluster, or applied by chance.
      const base = randomInt(rand, latest);
      const revision = base + 1 + randomInt(rand, 3);
      delta(mirror, plain, base, revision, netChanges(base, Math.min(revision, LATEST), copy), rand() < 0.8 ? 'c' : rand() < 0.5 ? '' : 'd', context);
    }
    assertSame(mirror, plain, context);
  }
  // Every mirror, not only the one that moved, still holds what its own replay holds.
  for (let m = 0; m < MIRRORS; m++) assertSame(mirrors[m]!, plains[m]!, `end, mirror ${m}`);
  // The test went where it means to: every outcome, many tables taken from the cache (each
  // snapshot or applied delta used to build one), and paths merged.
  assert.ok(results.applied > 1000 && results.stale > 100 && results.gap > 50 && results.snapshots > 100, JSON.stringify(results));
  const reused = results.applied + results.snapshots - tables.built;
  assert.ok(reused > 400, `${tables.built} tables built for ${results.applied} deltas and ${results.snapshots} snapshots`);
  assert.ok(tables.merged > 100, `${tables.merged} merged`);
});
