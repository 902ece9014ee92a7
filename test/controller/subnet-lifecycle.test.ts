// The store's subnet lifecycle: quarantine after removal, reservations, pool accounting and
// changing the network on restart. A settable clock drives the store, so quarantine expiry is exact.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { formatCidr, parseCidr, parseIpv4 } from '../../common/cidr.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, PoolExhaustedError } from '../../common/errors.js';
import { MemoryLogger } from '../../common/logger.js';
import { DB_FILE_NAME, SqliteStore, type SqliteStoreOptions } from '../../controller/store/sqlite-store.js';
import type { AuditContext, NetworkConfigInput } from '../../controller/store/store.js';

const NET: NetworkConfigInput = { network: parseCidr('10.244.0.0/16'), subnetLen: 24, udpPort: 7000 };
const T0 = new Date('2026-03-01T00:00:00.000Z');
const HOUR = 3600_000;
const WHO: AuditContext = { actor: 'local', peer: 'unix socket' };
const ip = (text: string): number => parseIpv4(text);
const cidr = (text: string) => parseCidr(text);

interface Fixture {
  store: SqliteStore;
  dir: string;
  logger: MemoryLogger;
  /** The store's clock; tests move it. */
  clock: { now: Date };
  at(ms: number): Date;
  db(): Database.Database;
}

function fixture(t: TestContext, net: NetworkConfigInput = NET, options: SqliteStoreOptions = {}): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunctl-lifecycle-'));
  const clock = { now: T0 };
  const logger = new MemoryLogger();
  const store = SqliteStore.open(dir, logger, { now: () => clock.now, ...options });
  let raw: Database.Database | undefined;
  t.after(() => {
    raw?.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  store.initNetwork(net);
  return {
    store,
    dir,
    logger,
    clock,
    at: (ms) => (clock.now = new Date(T0.getTime() + ms)),
    db: () => (raw ??= new Database(path.join(dir, DB_FILE_NAME), { timeout: 5000 })),
  };
}

function rejects<E extends Error>(fn: () => unknown, cls: new (...args: never[]) => E, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

const subnetOf = (r: { node: { subnet: { base: number; prefixLen: number } } }) => formatCidr(r.node.subnet);
const quarantined = (f: Fixture) => f.store.listQuarantinedSubnets(f.clock.now).map((q) => `${formatCidr(q.subnet)}<${q.previousNode}`);
const auditOf = (f: Fixture, action: string) => f.store.listAuditEvents(null, 100).filter((e) => e.action === action);

test('a removed node\'s subnet is quarantined in the same transaction and skipped by the allocator until it expires', (t) => {
  const f = fixture(t);
  const add = (name: string, last: number, now = f.clock.now) => f.store.addNode({ name, underlayIp: ip(`192.168.1.${last}`) }, now, WHO);
  add('a', 1);
  add('b', 2);
  f.at(1000);
  const removed = f.store.removeNode('a', WHO);
  assert.deepEqual(removed.quarantinedUntil, new Date(T0.getTime() + 1000 + 24 * HOUR), 'default 24 h');
  assert.deepEqual(quarantined(f), ['10.244.0.0/24<a']);
  const q = f.store.listQuarantinedSubnets(f.clock.now)[0]!;
  assert.deepEqual([q.releasedAt, q.availableAt], [new Date(T0.getTime() + 1000), removed.quarantinedUntil]);
  assert.deepEqual(f.store.poolUsage(), { total: 256, used: 1, reserved: 0, quarantined: 1 });
  assert.match(auditOf(f, 'remove-node')[0]!.detail, /^subnet 10\.244\.0\.0\/24 in quarantine until 2026-03-02T00:00:01\.000Z, revision 3$/);

  assert.equal(subnetOf(add('c', 3)), '10.244.2.0/24', 'not the quarantined 10.244.0.0/24');
  // A second before expiry it is still held; at available_at it is free again.
  f.at(1000 + 24 * HOUR - 1);
  assert.equal(subnetOf(add('d', 4)), '10.244.3.0/24');
  f.at(1000 + 24 * HOUR);
  assert.deepEqual(quarantined(f), [], 'expired rows are not listed');
  assert.equal(f.store.poolUsage().quarantined, 0);
  assert.equal(f.db().prepare('SELECT count(*) FROM subnet_quarantine').pluck().get(), 1, 'pruned lazily, on the next write');
  assert.equal(subnetOf(add('e', 5)), '10.244.0.0/24');
  assert.equal(f.db().prepare('SELECT count(*) FROM subnet_quarantine').pluck().get(), 0, 'the write pruned it');
});

test('the same name added again within quarantine gets its old subnet back, which ends the quarantine', (t) => {
  const f = fixture(t);
  f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  f.store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0);
  f.store.removeNode('b');
  f.at(HOUR);
  // A new underlay address does not matter: identity is the name.
  const back = f.store.addNode({ name: 'b', underlayIp: ip('192.168.1.22') }, f.clock.now, WHO);
  assert.equal(subnetOf(back), '10.244.1.0/24');
  assert.deepEqual(quarantined(f), []);
  assert.match(auditOf(f, 'add-node')[0]!.detail, /subnet 10\.244\.1\.0\/24 \(its own, back from quarantine\)/);
  // Asking for it explicitly works too.
  f.store.removeNode('b');
  assert.equal(subnetOf(f.store.addNode({ name: 'b', underlayIp: ip('192.168.1.2'), subnet: cidr('10.244.1.0/24') }, f.clock.now)), '10.244.1.0/24');
  assert.deepEqual(quarantined(f), []);
});

test('asking for a subnet quarantined for another node is refused, saying whose it was, until when and how to release it', (t) => {
  const f = fixture(t);
  f.store.addNode({ name: 'old', underlayIp: ip('192.168.1.1'), subnet: cidr('10.244.7.0/24') }, T0);
  f.store.removeNode('old');
  const before = f.store.latestRevision();
  const refusal =
    /^subnet 10\.244\.7\.0\/24 is in quarantine until 2026-03-02T00:00:00\.000Z: node "old" had it until 2026-03-01T00:00:00\.000Z, .*release it early with `tunctl quarantine release 10\.244\.7\.0\/24`$/;
  rejects(() => f.store.addNode({ name: 'new', underlayIp: ip('192.168.1.2'), subnet: cidr('10.244.7.0/24') }, T0), FailedPreconditionError, refusal);
  rejects(() => f.store.reserveSubnet('new', cidr('10.244.7.0/24'), T0, WHO), FailedPreconditionError, refusal);
  assert.equal(f.store.latestRevision(), before, 'nothing written');

  rejects(() => f.store.releaseQuarantinedSubnet(cidr('10.244.8.0/24'), T0, WHO), NotFoundError, /^subnet 10\.244\.8\.0\/24 is not in quarantine; `tunctl quarantine` lists/);
  rejects(() => f.store.releaseQuarantinedSubnet(cidr('10.244.7.0/25'), T0, WHO), NotFoundError, /not in quarantine/);
  const released = f.store.releaseQuarantinedSubnet(cidr('10.244.7.0/24'), T0, WHO);
  assert.equal(released.previousNode, 'old');
  assert.match(auditOf(f, 'release-quarantine')[0]!.detail, /previous node "old", released 2026-03-01T00:00:00\.000Z, was held until 2026-03-02T00:00:00\.000Z/);
  assert.equal(auditOf(f, 'release-quarantine')[0]!.target, '10.244.7.0/24');
  assert.equal(subnetOf(f.store.addNode({ name: 'new', underlayIp: ip('192.168.1.2'), subnet: cidr('10.244.7.0/24') }, T0)), '10.244.7.0/24');
});

test('quarantine 0 hands a subnet out again at once; a negative or fractional setting is refused', (t) => {
  const f = fixture(t, NET, { subnetQuarantineMs: 0 });
  f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  assert.equal(f.store.removeNode('a').quarantinedUntil, null);
  assert.deepEqual(quarantined(f), []);
  assert.equal(subnetOf(f.store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0)), '10.244.0.0/24');
  const dir = path.join(f.dir, 'other');
  for (const bad of [-1, 1.5, Number.NaN]) {
    rejects(() => SqliteStore.open(dir, new MemoryLogger(), { subnetQuarantineMs: bad }), InvalidArgumentError, /subnet quarantine .* is invalid/);
  }
});

test('a removal that cannot write its quarantine row rolls back whole: the node, its change and its certificates stay', (t) => {
  const f = fixture(t);
  f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  f.db().exec("CREATE TRIGGER test_refuse BEFORE INSERT ON subnet_quarantine BEGIN SELECT RAISE(ABORT, 'quarantine refused by test'); END");
  assert.throws(() => f.store.removeNode('a', WHO), /quarantine refused by test/);
  assert.equal(f.store.getNode('a').name, 'a');
  assert.equal(f.store.latestRevision(), 1);
  assert.deepEqual(auditOf(f, 'remove-node'), []);
});

test('an exhausted pool says when quarantine and reservations are what hold the subnets, and how to free one', (t) => {
  const f = fixture(t, { network: parseCidr('10.244.0.0/28'), subnetLen: 30, udpPort: 7000 });
  for (const i of [1, 2, 3]) f.store.addNode({ name: `n${i}`, underlayIp: ip(`192.168.1.${i}`) }, T0);
  f.store.removeNode('n2');
  f.store.reserveSubnet('later', undefined, T0, WHO);
  assert.deepEqual(f.store.poolUsage(), { total: 4, used: 2, reserved: 1, quarantined: 1 });
  rejects(
    () => f.store.addNode({ name: 'n4', underlayIp: ip('192.168.1.4') }, T0),
    PoolExhaustedError,
    new RegExp(
      '^no free subnet left in 10\\.244\\.0\\.0/28 \\(4 subnets of /30: 2 assigned, 1 reserved, 1 in quarantine\\); ' +
        '1 subnet\\(s\\) are in quarantine after their nodes were removed, the first until 2026-03-02T00:00:00\\.000Z; ' +
        'release one early with `tunctl quarantine release 10\\.244\\.0\\.4/30` \\(`tunctl quarantine` lists them\\); ' +
        '1 subnet\\(s\\) are reserved for nodes not added; drop an unused one with `tunctl unreserve NODE`; ' +
        'or remove a node, or start a controller with a larger --network$',
    ),
  );
  rejects(() => f.store.reserveSubnet('more', undefined, T0, WHO), PoolExhaustedError, /no free subnet left/);
});

test('a reserved name gets its subnet at add-node, nobody else ever does, and it keeps it across remove and re-add (no quarantine)', (t) => {
  const f = fixture(t);
  const r = f.store.reserveSubnet('db-1', cidr('10.244.0.0/24'), T0, WHO);
  assert.deepEqual([r.nodeName, formatCidr(r.subnet), r.createdAt, r.createdBy], ['db-1', '10.244.0.0/24', T0, 'local']);
  assert.match(auditOf(f, 'reserve-subnet')[0]!.detail, /^subnet 10\.244\.0\.0\/24$/);
  assert.deepEqual(f.store.poolUsage(), { total: 256, used: 0, reserved: 1, quarantined: 0 });

  assert.equal(subnetOf(f.store.addNode({ name: 'web-1', underlayIp: ip('192.168.1.1') }, T0)), '10.244.1.0/24', 'the allocator skips the reserved subnet');
  rejects(
    () => f.store.addNode({ name: 'web-2', underlayIp: ip('192.168.1.2'), subnet: cidr('10.244.0.0/24') }, T0),
    AlreadyExistsError,
    /^subnet 10\.244\.0\.0\/24 is reserved for node "db-1"; `tunctl reservations` lists the reservations$/,
  );
  rejects(
    () => f.store.addNode({ name: 'db-1', underlayIp: ip('192.168.1.3'), subnet: cidr('10.244.9.0/24') }, T0),
    FailedPreconditionError,
    /^node "db-1" has subnet 10\.244\.0\.0\/24 reserved, not 10\.244\.9\.0\/24; add it without --subnet .* `tunctl unreserve db-1`/,
  );
  const db = f.store.addNode({ name: 'db-1', underlayIp: ip('192.168.1.3') }, T0, WHO);
  assert.equal(subnetOf(db), '10.244.0.0/24');
  assert.match(auditOf(f, 'add-node')[0]!.detail, /subnet 10\.244\.0\.0\/24 \(reserved\)/);
  assert.deepEqual(f.store.poolUsage(), { total: 256, used: 2, reserved: 0, quarantined: 0 }, 'a used reservation counts as used, once');
  assert.deepEqual(f.store.listReservations().map((x) => x.nodeName), ['db-1'], 'the reservation stays: it is a pin');

  const removed = f.store.removeNode('db-1', WHO);
  assert.equal(removed.quarantinedUntil, null);
  assert.deepEqual(quarantined(f), []);
  assert.match(auditOf(f, 'remove-node')[0]!.detail, /subnet 10\.244\.0\.0\/24 stays reserved for "db-1"/);
  assert.equal(subnetOf(f.store.addNode({ name: 'other', underlayIp: ip('192.168.1.4') }, T0)), '10.244.2.0/24');
  f.at(48 * HOUR);
  assert.equal(subnetOf(f.store.addNode({ name: 'db-1', underlayIp: ip('192.168.1.3') }, f.clock.now)), '10.244.0.0/24', 'days later, still its subnet');
  // The explicit request for the reserved subnet itself is fine.
  f.store.removeNode('db-1');
  assert.equal(subnetOf(f.store.addNode({ name: 'db-1', underlayIp: ip('192.168.1.3'), subnet: cidr('10.244.0.0/24') }, f.clock.now)), '10.244.0.0/24');
});

test('reserving without a subnet takes the one the allocator would pick; a name whose old subnet is in quarantine gets that back', (t) => {
  const f = fixture(t);
  f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  f.store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0);
  f.store.removeNode('a');
  assert.equal(formatCidr(f.store.reserveSubnet('c', undefined, T0, WHO).subnet), '10.244.2.0/24', 'past b and the quarantined subnet');
  assert.equal(formatCidr(f.store.reserveSubnet('a', undefined, T0, WHO).subnet), '10.244.0.0/24', "a's own subnet, from quarantine");
  assert.deepEqual(quarantined(f), []);
  assert.match(auditOf(f, 'reserve-subnet')[0]!.detail, /\(its own, back from quarantine\)/);
  assert.equal(subnetOf(f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0)), '10.244.0.0/24');
});

test('every reservation refusal has its error class and a message naming who holds what', (t) => {
  const f = fixture(t, { ...NET, subnetMin: cidr('10.244.0.0/24'), subnetMax: cidr('10.244.99.0/24') });
  f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1'), subnet: cidr('10.244.1.0/24') }, T0);
  f.store.reserveSubnet('r', cidr('10.244.2.0/24'), T0, WHO);
  const auditBefore = f.store.listAuditEvents(null, 100).length;
  const cases: [() => unknown, new (...args: never[]) => Error, RegExp][] = [
    [() => f.store.reserveSubnet('Bad_Name', undefined, T0, WHO), InvalidArgumentError, /node name "Bad_Name" is invalid/],
    [() => f.store.reserveSubnet('x', cidr('10.244.3.0/25'), T0, WHO), InvalidArgumentError, /hands out \/24 subnets/],
    [() => f.store.reserveSubnet('x', cidr('10.9.0.0/24'), T0, WHO), InvalidArgumentError, /outside the network 10\.244\.0\.0\/16/],
    [() => f.store.reserveSubnet('x', cidr('10.244.200.0/24'), T0, WHO), InvalidArgumentError, /outside the allocatable range 10\.244\.0\.0\/24 - 10\.244\.99\.0\/24/],
    [() => f.store.reserveSubnet('r', cidr('10.244.5.0/24'), T0, WHO), AlreadyExistsError, /^node name "r" already has subnet 10\.244\.2\.0\/24 reserved; .*`tunctl unreserve r` first/],
    [() => f.store.reserveSubnet('a', undefined, T0, WHO), AlreadyExistsError, /^node "a" was already added with subnet 10\.244\.1\.0\/24; reservations are for names not added yet/],
    [() => f.store.reserveSubnet('x', cidr('10.244.1.0/24'), T0, WHO), AlreadyExistsError, /^subnet 10\.244\.1\.0\/24 is already assigned to node "a"$/],
    [() => f.store.reserveSubnet('x', cidr('10.244.2.0/24'), T0, WHO), AlreadyExistsError, /^subnet 10\.244\.2\.0\/24 is reserved for node "r"; `tunctl reservations` lists the reservations$/],
    [() => f.store.deleteReservation('nobody', T0, WHO), NotFoundError, /^node name "nobody" has no reservation; `tunctl reservations` lists/],
  ];
  for (const [fn, cls, message] of cases) rejects(fn, cls, message);
  assert.equal(f.store.listAuditEvents(null, 100).length, auditBefore, 'refusals write no audit row from the store');
  assert.deepEqual(f.store.listReservations().map((x) => [x.nodeName, formatCidr(x.subnet)]), [['r', '10.244.2.0/24']]);
});

test('unreserving: an added node keeps its subnet; an unused pin frees its subnet; a recently removed node\'s subnet gets the rest of its quarantine', (t) => {
  const f = fixture(t);
  f.store.reserveSubnet('kept', cidr('10.244.5.0/24'), T0, WHO);
  f.store.addNode({ name: 'kept', underlayIp: ip('192.168.1.1') }, T0);
  f.store.deleteReservation('kept', T0, WHO);
  assert.equal(formatCidr(f.store.getNode('kept').subnet), '10.244.5.0/24');
  assert.match(auditOf(f, 'unreserve-subnet')[0]!.detail, /still assigned to node "kept"/);

  f.store.reserveSubnet('unused', cidr('10.244.0.0/24'), T0, WHO);
  f.store.deleteReservation('unused', T0, WHO);
  assert.deepEqual(quarantined(f), []);
  assert.equal(subnetOf(f.store.addNode({ name: 'n', underlayIp: ip('192.168.1.2') }, T0)), '10.244.0.0/24');

  f.store.reserveSubnet('gone', cidr('10.244.9.0/24'), T0, WHO);
  f.store.addNode({ name: 'gone', underlayIp: ip('192.168.1.3') }, T0);
  f.at(HOUR);
  f.store.removeNode('gone');
  assert.deepEqual(quarantined(f), [], 'pinned: no quarantine while reserved');
  f.at(3 * HOUR);
  f.store.deleteReservation('gone', f.clock.now, WHO);
  const held = f.store.listQuarantinedSubnets(f.clock.now);
  assert.deepEqual(held.map((q) => [formatCidr(q.subnet), q.previousNode, q.releasedAt, q.availableAt]), [
    ['10.244.9.0/24', 'gone', new Date(T0.getTime() + HOUR), new Date(T0.getTime() + 25 * HOUR)],
  ]);
  assert.match(auditOf(f, 'unreserve-subnet')[0]!.detail, /in quarantine until 2026-03-02T01:00:00\.000Z/);
});

test('pool accounting: used, reserved (unused pins) and quarantined (unexpired) are disjoint and add up', (t) => {
  const f = fixture(t, { network: parseCidr('10.244.0.0/24'), subnetLen: 28, udpPort: 7000 });
  for (const i of [1, 2, 3, 4]) f.store.addNode({ name: `n${i}`, underlayIp: ip(`192.168.1.${i}`) }, T0);
  f.store.reserveSubnet('n1b', undefined, T0, WHO);
  f.store.reserveSubnet('p', undefined, T0, WHO);
  f.store.removeNode('n2');
  f.store.removeNode('n3');
  const usage = f.store.poolUsage();
  assert.deepEqual(usage, { total: 16, used: 2, reserved: 2, quarantined: 2 });
  // Allocate until exhausted: exactly the free ones are handed out.
  const free = usage.total - usage.used - usage.reserved - usage.quarantined;
  for (let i = 0; i < free; i++) f.store.addNode({ name: `x${i}`, underlayIp: ip(`192.168.2.${i + 1}`) }, T0);
  rejects(() => f.store.addNode({ name: 'one-more', underlayIp: ip('192.168.3.1') }, T0), PoolExhaustedError, /2 in quarantine/);
  const bases = new Set([
    ...f.store.listNodes().map((n) => n.subnet.base),
    ...f.store.listReservations().map((r) => r.subnet.base),
    ...f.store.listQuarantinedSubnets(T0).map((q) => q.subnet.base),
  ]);
  assert.equal(bases.size, 16, 'every subnet held by exactly one of the three sets');
});

test('a new network that every node and reservation fits is accepted: stored, logged, audited; quarantine outside it dropped', (t) => {
  const f = fixture(t);
  f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1'), subnet: cidr('10.244.3.0/24') }, T0);
  f.store.reserveSubnet('r', cidr('10.244.4.0/24'), T0, WHO);
  for (const [name, subnet, underlay] of [['q-in', '10.244.5.0/24', '192.168.2.1'], ['q-out', '10.244.200.0/24', '192.168.2.2']] as const) {
    f.store.addNode({ name, underlayIp: ip(underlay), subnet: cidr(subnet) }, T0);
    f.store.removeNode(name);
  }
  const revision = f.store.latestRevision();
  const next = f.store.initNetwork({ ...NET, subnetMin: cidr('10.244.0.0/24'), subnetMax: cidr('10.244.99.0/24') });
  assert.equal(formatCidr(next.subnetMax), '10.244.99.0/24');
  assert.deepEqual(f.store.network(), next);
  assert.deepEqual(quarantined(f), ['10.244.5.0/24<q-in'], 'the row outside the new pool is dropped');
  assert.equal(f.store.latestRevision(), revision, 'no route changed, no revision');
  assert.ok(f.logger.lines.some((l) => l.includes('network configuration changed') && l.includes('quarantine_dropped=1')), f.logger.lines.join('\n'));
  const audit = auditOf(f, 'change-network')[0]!;
  assert.equal(audit.actor, 'controller');
  assert.match(audit.detail, /^from network 10\.244\.0\.0\/16 with \/24 subnets \(udp port 7000\) to network 10\.244\.0\.0\/16 with \/24 subnets from 10\.244\.0\.0\/24 to 10\.244\.99\.0\/24/);

  // A wider network too, and the stored plan survives a reopen.
  f.store.initNetwork({ ...NET, network: cidr('10.244.0.0/15') });
  const reopened = SqliteStore.open(f.dir, new MemoryLogger());
  try {
    assert.equal(formatCidr(reopened.network().network), '10.244.0.0/15');
    assert.equal(reopened.poolUsage().total, 512);
  } finally {
    reopened.close();
  }
  assert.equal(subnetOf(f.store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0)), '10.244.0.0/24');
});

test('a new network is refused when a reservation would be orphaned, or the UDP port changes under existing nodes', (t) => {
  const f = fixture(t);
  f.store.reserveSubnet('r', cidr('10.244.200.0/24'), T0, WHO);
  rejects(
    () => f.store.initNetwork({ ...NET, subnetMax: cidr('10.244.99.0/24') }),
    FailedPreconditionError,
    /1 subnet\(s\) already handed out would not fit its pool: reservation "r" \(10\.244\.200\.0\/24\); remove those nodes .* and reservations \(`tunctl unreserve NAME`\) first/,
  );
  // With only a reservation (no agent exists yet) the port may change.
  assert.equal(f.store.initNetwork({ ...NET, udpPort: 7001 }).udpPort, 7001);
  f.store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  rejects(() => f.store.initNetwork({ ...NET, udpPort: 7002 }), FailedPreconditionError, /UDP port would change from 7001 to 7002 while 1 node\(s\) exist/);
  assert.equal(f.store.network().udpPort, 7001);
  assert.equal(auditOf(f, 'change-network').length, 1);
});
