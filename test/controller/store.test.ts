import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { formatCidr, parseCidr, parseIpv4 } from '../../common/cidr.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PoolExhaustedError,
} from '../../common/errors.js';
import { MemoryLogger } from '../../common/logger.js';
import { MIGRATIONS, type Migration } from '../../controller/store/migrations.js';
import { DB_FILE_NAME, SqliteStore, type SqliteStoreOptions } from '../../controller/store/sqlite-store.js';
import type { NetworkConfigInput } from '../../controller/store/store.js';

const NET: NetworkConfigInput = { network: parseCidr('10.244.0.0/16'), subnetLen: 24, udpPort: 7000 };
const T0 = new Date('2026-01-02T03:04:05.000Z');

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunctl-store-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openStore(t: TestContext, dir: string, logger = new MemoryLogger(), options: SqliteStoreOptions = {}): SqliteStore {
  const store = SqliteStore.open(dir, logger, options);
  t.after(() => store.close());
  return store;
}

/** Quarantine off unless a test asks for it: these tests are about allocation and the changelog. */
function freshStore(t: TestContext, net: NetworkConfigInput = NET, options: SqliteStoreOptions = { subnetQuarantineMs: 0 }): { store: SqliteStore; dir: string } {
  const dir = path.join(tempDir(t), 'data');
  const store = openStore(t, dir, new MemoryLogger(), options);
  store.initNetwork(net);
  return { store, dir };
}

function rawDb(t: TestContext, dir: string): Database.Database {
  const db = new Database(path.join(dir, DB_FILE_NAME), { timeout: 5000 });
  t.after(() => db.close());
  return db;
}

function rejects<E extends Error>(fn: () => unknown, cls: new (...args: never[]) => E, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

const ip = (text: string): number => parseIpv4(text);

test('first open creates a private data directory and database; no network until initNetwork', (t) => {
  const dir = path.join(tempDir(t), 'nested', 'data');
  const store = openStore(t, dir);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(dir, DB_FILE_NAME)).mode & 0o777, 0o600);
  assert.equal(store.dbPath, path.join(dir, DB_FILE_NAME));
  rejects(() => store.network(), FailedPreconditionError, /holds no network configuration yet; start the controller with --network/);
  rejects(() => store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0), FailedPreconditionError, /no network configuration/);
  assert.equal(store.latestRevision(), 0);
  assert.deepEqual(store.changesSince(0), []);
  assert.deepEqual(store.routeSnapshot(), { routes: [], revision: 0 });
});

test('WAL, foreign keys, synchronous FULL and busy_timeout are in effect', (t) => {
  const { store, dir } = freshStore(t);
  assert.deepEqual(store.pragmas(), { journalMode: 'wal', foreignKeys: true, synchronous: 2, busyTimeoutMs: 5000 });
  // journal_mode=WAL is stored in the file, so any other connection sees it too.
  assert.equal(rawDb(t, dir).pragma('journal_mode', { simple: true }), 'wal');
});

test('initNetwork stores the configuration once and accepts the same input again', (t) => {
  const { store } = freshStore(t);
  const cfg = store.network();
  assert.equal(formatCidr(cfg.network), '10.244.0.0/16');
  assert.equal(formatCidr(cfg.subnetMin), '10.244.0.0/24');
  assert.equal(formatCidr(cfg.subnetMax), '10.244.255.0/24');
  assert.deepEqual(store.initNetwork(NET), cfg);
  // Spelling out the default bounds is the same configuration.
  assert.deepEqual(store.initNetwork({ ...NET, subnetMin: parseCidr('10.244.0.0/24'), subnetMax: parseCidr('10.244.255.0/24') }), cfg);
  rejects(() => store.initNetwork({ ...NET, subnetLen: 33 }), InvalidArgumentError, /--subnet-len/);
});

test('initNetwork with a different input that would orphan a node is refused, naming what is stored, the node and how to proceed', (t) => {
  const { store, dir } = freshStore(t);
  store.addNode({ name: 'a', underlayIp: ip('192.168.1.1'), subnet: parseCidr('10.244.3.0/24') }, T0);
  const expected = new RegExp(
    `^the data directory ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds network 10\\.244\\.0\\.0/16 with /24 subnets \\(udp port 7000\\)` +
      `; this start asks for network 10\\.96\\.0\\.0/12 with /24 subnets \\(udp port 7000\\), but 1 subnet\\(s\\) already handed out would not fit its pool: node "a" \\(10\\.244\\.3\\.0/24\\)` +
      `; remove those nodes .*\\. To keep the stored plan, start with --network 10\\.244\\.0\\.0/16 --subnet-len 24 --udp-port 7000 \\(or without --network\\); ` +
      `for an unrelated cluster, use a new --data-dir$`,
  );
  rejects(() => store.initNetwork({ ...NET, network: parseCidr('10.96.0.0/12') }), FailedPreconditionError, expected);
  rejects(() => store.initNetwork({ ...NET, subnetLen: 26 }), FailedPreconditionError, /asks for network 10\.244\.0\.0\/16 with \/26 subnets .*node "a" \(10\.244\.3\.0\/24\)/);
  rejects(() => store.initNetwork({ ...NET, udpPort: 7001 }), FailedPreconditionError, /\(udp port 7001\), but the UDP port would change from 7000 to 7001 while 1 node\(s\) exist/);
  rejects(() => store.initNetwork({ ...NET, subnetMin: parseCidr('10.244.4.0/24') }), FailedPreconditionError, /from 10\.244\.4\.0\/24 to 10\.244\.255\.0\/24.*node "a"/);
  assert.equal(formatCidr(store.network().network), '10.244.0.0/16');
  assert.equal(store.latestRevision(), 1, 'a refused change writes nothing');
});

test('add, get, list and remove nodes; the lowest free subnet is reused', (t) => {
  const { store } = freshStore(t);
  const a = store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  assert.equal(a.revision, 1);
  assert.equal(a.node.name, 'a');
  assert.equal(a.node.underlayIp, ip('192.168.1.1'));
  assert.equal(formatCidr(a.node.subnet), '10.244.0.0/24');
  assert.deepEqual(a.node.createdAt, T0);
  assert.deepEqual(a.node.updatedAt, T0);
  assert.equal(a.node.lastRegisteredAt, null);
  assert.equal(a.node.agentVersion, '');
  const c = store.addNode({ name: 'c', underlayIp: ip('192.168.1.3') }, T0);
  const b = store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0);
  assert.deepEqual([c.revision, b.revision], [2, 3]);
  assert.deepEqual([formatCidr(c.node.subnet), formatCidr(b.node.subnet)], ['10.244.1.0/24', '10.244.2.0/24']);
  assert.deepEqual(store.getNode('b'), b.node);
  assert.deepEqual(store.listNodes().map((n) => n.name), ['a', 'b', 'c']);
  assert.deepEqual(store.poolUsage(), { total: 256, used: 3, reserved: 0, quarantined: 0 });

  const removed = store.removeNode('c');
  assert.equal(removed.revision, 4);
  assert.deepEqual(removed.node, c.node);
  rejects(() => store.getNode('c'), NotFoundError, /node "c" not found; `tunctl list-nodes` shows the nodes that exist/);
  const d = store.addNode({ name: 'd', underlayIp: ip('192.168.1.3') }, T0);
  assert.equal(formatCidr(d.node.subnet), '10.244.1.0/24', 'the freed subnet is the lowest free one');
  assert.equal(d.revision, 5);
  assert.equal(store.latestRevision(), 5);
});

test('a pinned subnet is honoured and skipped by later allocations', (t) => {
  const { store } = freshStore(t);
  const pinned = store.addNode({ name: 'pinned', underlayIp: ip('192.168.1.1'), subnet: parseCidr('10.244.0.0/24') }, T0);
  assert.equal(formatCidr(pinned.node.subnet), '10.244.0.0/24');
  const far = store.addNode({ name: 'far', underlayIp: ip('192.168.1.2'), subnet: parseCidr('10.244.200.0/24') }, T0);
  assert.equal(formatCidr(far.node.subnet), '10.244.200.0/24');
  const next = store.addNode({ name: 'next', underlayIp: ip('192.168.1.3') }, T0);
  assert.equal(formatCidr(next.node.subnet), '10.244.1.0/24');
});

test('every add-node refusal has its error class and a message naming the conflict', (t) => {
  const { store, dir } = freshStore(t);
  store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  store.addNode({ name: 'b', underlayIp: ip('192.168.1.2'), subnet: parseCidr('10.244.3.0/24') }, T0);
  const before = store.latestRevision();

  rejects(() => store.addNode({ name: 'a', underlayIp: ip('192.168.1.9') }, T0), AlreadyExistsError, /^node "a" already exists \(subnet 10\.244\.0\.0\/24\)$/);
  rejects(() => store.addNode({ name: 'x', underlayIp: ip('192.168.1.2') }, T0), AlreadyExistsError, /^underlay address 192\.168\.1\.2 is already used by node "b"$/);
  rejects(
    () => store.addNode({ name: 'x', underlayIp: ip('192.168.1.9'), subnet: parseCidr('10.244.3.0/24') }, T0),
    AlreadyExistsError,
    /^subnet 10\.244\.3\.0\/24 is already assigned to node "b"$/,
  );
  rejects(() => store.addNode({ name: 'Bad_Name', underlayIp: ip('192.168.1.9') }, T0), InvalidArgumentError, /node name "Bad_Name" is invalid/);
  rejects(() => store.addNode({ name: '', underlayIp: ip('192.168.1.9') }, T0), InvalidArgumentError, /node name "" is invalid/);
  rejects(
    () => store.addNode({ name: 'x', underlayIp: ip('192.168.1.9'), subnet: parseCidr('10.244.3.0/25') }, T0),
    InvalidArgumentError,
    /hands out \/24 subnets/,
  );
  rejects(
    () => store.addNode({ name: 'x', underlayIp: ip('192.168.1.9'), subnet: parseCidr('10.9.0.0/24') }, T0),
    InvalidArgumentError,
    /outside the network 10\.244\.0\.0\/16/,
  );
  rejects(() => store.addNode({ name: 'x', underlayIp: ip('10.244.7.1') }, T0), InvalidArgumentError, /lies inside the overlay network/);
  rejects(() => store.removeNode('nope'), NotFoundError, /^node "nope" not found; `tunctl list-nodes` shows the nodes that exist$/);
  rejects(() => store.getNode('nope'), NotFoundError, /node "nope" not found/);
  rejects(() => store.recordRegistration('nope', '1.0.0', T0), NotFoundError, /node "nope" not found/);

  // Refusals write nothing: no node, no change row, no revision consumed.
  assert.equal(store.latestRevision(), before);
  assert.deepEqual(store.listNodes().map((n) => n.name), ['a', 'b']);
  assert.equal(rawDb(t, dir).prepare('SELECT count(*) FROM changes').pluck().get(), 2);
  assert.equal(store.addNode({ name: 'x', underlayIp: ip('192.168.1.9') }, T0).revision, before + 1);
});

test('an exhausted pool is refused with a message saying what to do; removing a node frees a subnet', (t) => {
  const { store } = freshStore(t, { network: parseCidr('10.244.0.0/28'), subnetLen: 30, udpPort: 7000 });
  const subnets = [1, 2, 3, 4].map((i) => formatCidr(store.addNode({ name: `n${i}`, underlayIp: ip(`192.168.1.${i}`) }, T0).node.subnet));
  assert.deepEqual(subnets, ['10.244.0.0/30', '10.244.0.4/30', '10.244.0.8/30', '10.244.0.12/30']);
  assert.deepEqual(store.poolUsage(), { total: 4, used: 4, reserved: 0, quarantined: 0 });
  rejects(
    () => store.addNode({ name: 'n5', underlayIp: ip('192.168.1.5') }, T0),
    PoolExhaustedError,
    /^no free subnet left in 10\.244\.0\.0\/28 \(4 subnets of \/30, all assigned\); remove a node or start a controller with a larger --network$/,
  );
  assert.equal(store.latestRevision(), 4);
  store.removeNode('n3');
  assert.equal(formatCidr(store.addNode({ name: 'n5', underlayIp: ip('192.168.1.5') }, T0).node.subnet), '10.244.0.8/30');
});

test('an exhausted bounded pool names its range', (t) => {
  const { store } = freshStore(t, { ...NET, subnetMin: parseCidr('10.244.5.0/24'), subnetMax: parseCidr('10.244.6.0/24') });
  store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0);
  assert.deepEqual(store.poolUsage(), { total: 2, used: 2, reserved: 0, quarantined: 0 });
  rejects(
    () => store.addNode({ name: 'c', underlayIp: ip('192.168.1.3') }, T0),
    PoolExhaustedError,
    /no free subnet left in 10\.244\.5\.0\/24 - 10\.244\.6\.0\/24 of 10\.244\.0\.0\/16 \(2 subnets of \/24, all assigned\)/,
  );
});

test('recordRegistration stamps the node without a new revision', (t) => {
  const { store } = freshStore(t);
  store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  const later = new Date(T0.getTime() + 60_000);
  const node = store.recordRegistration('a', '0.1.0', later);
  assert.deepEqual(node.lastRegisteredAt, later);
  assert.deepEqual(node.updatedAt, later);
  assert.deepEqual(node.createdAt, T0);
  assert.equal(node.agentVersion, '0.1.0');
  assert.deepEqual(store.getNode('a'), node);
  assert.equal(store.latestRevision(), 1);
});

test('recordAddressUsage replaces the node\'s usage without a new revision; an unknown node is NotFoundError', (t) => {
  const { store } = freshStore(t);
  const added = store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0).node;
  store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0);
  assert.equal(added.addressUsage, null, 'a new node has never reported');
  const at = new Date(T0.getTime() + 60_000);
  const node = store.recordAddressUsage('a', { leased: 3, capacity: 253, reportedAt: at });
  assert.deepEqual(node.addressUsage, { leased: 3, capacity: 253, reportedAt: at });
  assert.deepEqual(node.updatedAt, T0, 'telemetry, not a change to the node');
  assert.deepEqual(store.getNode('a'), node);
  const later = new Date(at.getTime() + 1000);
  store.recordAddressUsage('a', { leased: 0, capacity: 253, reportedAt: later });
  assert.deepEqual(store.getNode('a').addressUsage, { leased: 0, capacity: 253, reportedAt: later });
  assert.equal(store.getNode('b').addressUsage, null);
  assert.equal(store.latestRevision(), 2);
  assert.deepEqual(store.changesSince(2), []);
  rejects(() => store.recordAddressUsage('zz', { leased: 0, capacity: 1, reportedAt: at }), NotFoundError, /node "zz" not found/);
  // The schema is the backstop for counts the handler should have refused.
  assert.throws(() => store.recordAddressUsage('a', { leased: 5, capacity: 4, reportedAt: at }), /CHECK constraint failed/);
  assert.deepEqual(store.getNode('a').addressUsage, { leased: 0, capacity: 253, reportedAt: later });
});

test('routeSnapshot and changesSince tell the same story', (t) => {
  const { store } = freshStore(t);
  store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0);
  store.removeNode('a');
  store.addNode({ name: 'c', underlayIp: ip('192.168.1.3') }, T0);
  const snap = store.routeSnapshot();
  assert.equal(snap.revision, 4);
  assert.deepEqual(
    snap.routes.map((r) => [r.nodeName, formatCidr(r.subnet), r.underlayIp]),
    [
      ['c', '10.244.0.0/24', ip('192.168.1.3')],
      ['b', '10.244.1.0/24', ip('192.168.1.2')],
    ],
  );
  const all = store.changesSince(0);
  assert.ok(all !== null);
  assert.deepEqual(
    all.map((c) => [c.revision, c.op, c.route.nodeName, formatCidr(c.route.subnet), c.route.underlayIp]),
    [
      [1, 'add', 'a', '10.244.0.0/24', ip('192.168.1.1')],
      [2, 'add', 'b', '10.244.1.0/24', ip('192.168.1.2')],
      [3, 'remove', 'a', '10.244.0.0/24', ip('192.168.1.1')],
      [4, 'add', 'c', '10.244.0.0/24', ip('192.168.1.3')],
    ],
  );
  assert.deepEqual(all[0]!.at, T0);
  assert.deepEqual(store.changesSince(2)!.map((c) => c.revision), [3, 4]);
  assert.deepEqual(store.changesSince(4), []);
  assert.equal(store.changesSince(5), null, 'a revision from the future (another database) needs a snapshot');
  rejects(() => store.changesSince(-1), InvalidArgumentError, /revision -1 is invalid/);
  rejects(() => store.changesSince(1.5), InvalidArgumentError, /revision 1\.5 is invalid/);
});

test('compaction makes changesSince return null for revisions it cut away, and never moves the revision back', (t) => {
  const { store, dir } = freshStore(t);
  for (let i = 1; i <= 10; i++) store.addNode({ name: `n${i}`, underlayIp: ip(`192.168.1.${i}`) }, T0);
  assert.equal(store.compactChanges(3), 7);
  assert.equal(store.latestRevision(), 10);
  assert.equal(store.changesSince(6), null);
  assert.deepEqual(store.changesSince(7)!.map((c) => c.revision), [8, 9, 10]);
  assert.deepEqual(store.changesSince(10), []);
  assert.equal(store.compactChanges(3), 0);
  assert.equal(store.compactChanges(1), 2);
  assert.equal(store.changesSince(8), null);
  assert.deepEqual(store.changesSince(9)!.map((c) => c.revision), [10]);
  rejects(() => store.compactChanges(0), InvalidArgumentError, /keep at least the newest change/);
  assert.equal(store.addNode({ name: 'n11', underlayIp: ip('192.168.1.11') }, T0).revision, 11);

  // Even with every change row gone, the revision comes from sqlite_sequence and is never reused.
  rawDb(t, dir).exec('DELETE FROM changes');
  assert.equal(store.latestRevision(), 11);
  assert.equal(store.changesSince(10), null);
  assert.deepEqual(store.changesSince(11), []);
  assert.equal(store.addNode({ name: 'n12', underlayIp: ip('192.168.1.12') }, T0).revision, 12);
});

test('reopening the data directory gives the same nodes, subnets, quarantine and revision, and refuses a network that orphans nodes', (t) => {
  const dir = path.join(tempDir(t), 'data');
  // Default quarantine (24 h): n2's subnet stays held across the reopen.
  const first = SqliteStore.open(dir, new MemoryLogger());
  first.initNetwork(NET);
  for (let i = 1; i <= 5; i++) first.addNode({ name: `n${i}`, underlayIp: ip(`192.168.1.${i}`) }, T0);
  first.removeNode('n2');
  first.compactChanges(2);
  const nodesBefore = first.listNodes();
  const revisionBefore = first.latestRevision();
  first.close();

  const logger = new MemoryLogger();
  const second = openStore(t, dir, logger);
  assert.deepEqual(second.listNodes(), nodesBefore);
  assert.equal(second.latestRevision(), revisionBefore);
  assert.equal(second.latestRevision(), 6);
  assert.equal(formatCidr(second.network().network), '10.244.0.0/16', 'network() works before initNetwork on a reopened store');
  rejects(() => second.initNetwork({ ...NET, network: parseCidr('10.96.0.0/12') }), FailedPreconditionError, /holds network 10\.244\.0\.0\/16 .*4 subnet\(s\) already handed out would not fit/);
  second.initNetwork({ network: parseCidr('10.244.0.0/16'), subnetLen: 24, udpPort: 7000 });
  assert.deepEqual(second.listQuarantinedSubnets(new Date()).map((q) => [formatCidr(q.subnet), q.previousNode]), [['10.244.1.0/24', 'n2']]);
  assert.equal(formatCidr(second.addNode({ name: 'n6', underlayIp: ip('192.168.1.6') }, new Date()).node.subnet), '10.244.5.0/24', "n2's subnet is in quarantine");
  assert.equal(second.latestRevision(), 7);
  assert.ok(!logger.lines.some((l) => l.includes('applied schema migration')), 'no migration re-applied');
  assert.ok(logger.lines.some((l) => l.includes('store opened') && l.includes('revision=6') && l.includes('nodes=4')));
});

test('migrations are recorded once, applied in order, rolled back on failure, and a newer database is refused', (t) => {
  const dir = path.join(tempDir(t), 'data');
  const logger = new MemoryLogger();
  SqliteStore.open(dir, logger).close();
  assert.equal(logger.lines.filter((l) => l.includes('applied schema migration')).length, MIGRATIONS.length);
  const db = rawDb(t, dir);
  const recorded = (): { id: number; name: string; applied_at: number }[] =>
    db.prepare<[], { id: number; name: string; applied_at: number }>('SELECT id, name, applied_at FROM schema_migrations ORDER BY id').all();
  const first = recorded();
  assert.deepEqual(first.map((r) => [r.id, r.name]), MIGRATIONS.map((m) => [m.id, m.name]));
  SqliteStore.open(dir, new MemoryLogger()).close();
  assert.deepEqual(recorded(), first, 'reopening re-applies nothing');

  const extra: Migration = { id: 299901010001, name: 'test: extra table', sql: 'CREATE TABLE extra (x INTEGER) STRICT;' };
  const withExtra = [...MIGRATIONS, extra];
  SqliteStore.open(dir, new MemoryLogger(), { migrations: withExtra }).close();
  assert.deepEqual(recorded().map((r) => r.id), withExtra.map((m) => m.id));
  assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").pluck().get(), 1);

  // A migration that fails half-way leaves nothing behind and the open fails.
  const broken: Migration = { id: 299901010002, name: 'test: broken', sql: 'CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);' };
  assert.throws(() => SqliteStore.open(dir, new MemoryLogger(), { migrations: [...withExtra, broken] }), /no such table: no_such_table/);
  assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get(), 0);
  assert.equal(recorded().length, withExtra.length);

  // The database now records a migration the default list does not know: written by a newer tunctl.
  rejects(() => SqliteStore.open(dir, new MemoryLogger()), FailedPreconditionError, /migration 299901010001 \("test: extra table"\) that this tunctl does not know.*newer version/);
  assert.throws(() => SqliteStore.open(dir, new MemoryLogger(), { migrations: [extra, ...MIGRATIONS] }), /migration ids must increase/);
});

test('migration 202611260001 (address usage) upgrades a database with nodes: each starts as never reported, the rest kept', (t) => {
  const dir = path.join(tempDir(t), 'data');
  fs.mkdirSync(dir, { mode: 0o700 });
  const usageMigration = MIGRATIONS.findIndex((m) => m.id === 202611260001);
  assert.ok(usageMigration > 0, 'the migration is shipped');
  // A database as the tunctl before this migration left it (that tunctl's store cannot be run
  // here: this one prepares statements for the new columns), written with its schema and rows.
  const db = rawDb(t, dir);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
  for (const m of MIGRATIONS.slice(0, usageMigration)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, T0.getTime());
  }
  const t0 = T0.getTime();
  db.prepare('INSERT INTO network (id, cidr_base, cidr_len, subnet_len, subnet_min_base, subnet_max_base, udp_port, created_at) VALUES (1, ?, 16, 24, ?, ?, 7000, ?)').run(
    NET.network.base, NET.network.base, parseCidr('10.244.255.0/24').base, t0,
  );
  db.prepare(
    `INSERT INTO nodes (name, underlay_ip, subnet_base, subnet_len, created_at, updated_at, last_registered_at, agent_version, last_seen_at, applied_revision, apply_error)
     VALUES ('a', ?, ?, 24, ?, ?, ?, '0.1.0', ?, 1, '')`,
  ).run(ip('192.168.1.1'), NET.network.base, t0, t0, t0, t0);
  db.prepare("INSERT INTO changes (op, node_name, subnet_base, subnet_len, underlay_ip, at) VALUES ('add', 'a', ?, 24, ?, ?)").run(NET.network.base, ip('192.168.1.1'), t0);
  const before = db.prepare('SELECT * FROM nodes').all() as Array<Record<string, unknown>>;
  assert.equal(before.length, 1);
  assert.ok(!('address_capacity' in before[0]!));

  const logger = new MemoryLogger();
  const store = openStore(t, dir, logger);
  assert.equal(logger.lines.filter((l) => l.includes('applied schema migration')).length, MIGRATIONS.length - usageMigration);
  const after = db.prepare('SELECT * FROM nodes').all() as Array<Record<string, unknown>>;
  assert.deepEqual(after, [{ ...before[0], address_capacity: 0, addresses_leased: 0, address_usage_reported_at: null }]);
  const node = store.getNode('a');
  assert.equal(node.addressUsage, null);
  assert.deepEqual([node.agentVersion, node.appliedRevision, node.lastSeenAt], ['0.1.0', 1, T0]);
  assert.equal(store.latestRevision(), 1);
  store.recordAddressUsage('a', { leased: 2, capacity: 10, reportedAt: T0 });
  assert.deepEqual(store.getNode('a').addressUsage, { leased: 2, capacity: 10, reportedAt: T0 });

  // The new columns refuse rows that would mean nothing.
  const code = (sql: string): string => {
    try {
      db.prepare(sql).run();
    } catch (err) {
      assert.ok(err instanceof Database.SqliteError, String(err));
      return err.code;
    }
    return 'no error';
  };
  assert.equal(code("UPDATE nodes SET addresses_leased = 11 WHERE name = 'a'"), 'SQLITE_CONSTRAINT_CHECK', 'more leased than capacity');
  assert.equal(code("UPDATE nodes SET address_capacity = 0, addresses_leased = 0 WHERE name = 'a'"), 'SQLITE_CONSTRAINT_CHECK', 'a time without a capacity');
  assert.equal(code("UPDATE nodes SET address_usage_reported_at = NULL WHERE name = 'a'"), 'SQLITE_CONSTRAINT_CHECK', 'a capacity without a time');
  assert.equal(code("UPDATE nodes SET address_capacity = -1 WHERE name = 'a'"), 'SQLITE_CONSTRAINT_CHECK');
  assert.deepEqual(store.getNode('a').addressUsage, { leased: 2, capacity: 10, reportedAt: T0 });
});

test('the shipped migration ids are timestamps in strictly increasing order', () => {
  assert.ok(MIGRATIONS.length >= 1);
  for (const [i, m] of MIGRATIONS.entries()) {
    assert.match(String(m.id), /^20\d{10}$/, `${m.id} is not yyyymmddNNNN`);
    if (i > 0) assert.ok(m.id > MIGRATIONS[i - 1]!.id);
    assert.ok(m.name.length > 0);
  }
});

test('the schema itself refuses duplicate names, subnets and underlay addresses and malformed rows', (t) => {
  const { store, dir } = freshStore(t);
  const a = store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0).node;
  const db = rawDb(t, dir);
  const insert = db.prepare(
    'INSERT INTO nodes (name, underlay_ip, subnet_base, subnet_len, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)',
  );
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof Database.SqliteError, String(err));
      return err.code;
    }
    return 'no error';
  };
  assert.equal(code(() => insert.run('b', ip('192.168.1.2'), a.subnet.base, 24)), 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal(code(() => insert.run('a', ip('192.168.1.2'), parseCidr('10.244.9.0/24').base, 24)), 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal(code(() => insert.run('b', a.underlayIp, parseCidr('10.244.9.0/24').base, 24)), 'SQLITE_CONSTRAINT_UNIQUE');
  assert.equal(code(() => insert.run('b', ip('192.168.1.2'), parseCidr('10.244.9.0/24').base + 1, 24)), 'SQLITE_CONSTRAINT_CHECK');
  assert.equal(code(() => insert.run('b', 2 ** 32, parseCidr('10.244.9.0/24').base, 24)), 'SQLITE_CONSTRAINT_CHECK');
  assert.equal(code(() => insert.run('b', ip('192.168.1.2'), 'ten', 24)), 'SQLITE_CONSTRAINT_DATATYPE');
  assert.equal(
    code(() => db.prepare("INSERT INTO changes (op, node_name, subnet_base, subnet_len, underlay_ip, at) VALUES ('rename', 'a', 0, 24, 0, 0)").run()),
    'SQLITE_CONSTRAINT_CHECK',
  );
  assert.equal(code(() => db.prepare('INSERT INTO network (id, cidr_base, cidr_len, subnet_len, subnet_min_base, subnet_max_base, udp_port, created_at) VALUES (2, 0, 8, 24, 0, 0, 7000, 0)').run()), 'SQLITE_CONSTRAINT_CHECK');
  assert.equal(store.listNodes().length, 1);
});

test('a UNIQUE violation raised by SQLite itself becomes AlreadyExistsError; other SQLite errors pass through', (t) => {
  const { store, dir } = freshStore(t);
  const db = rawDb(t, dir);
  // Constraints the store's own checks do not know about, so only SQLite can catch them.
  db.exec('CREATE UNIQUE INDEX test_unique_created ON nodes (created_at)');
  store.addNode({ name: 'a', underlayIp: ip('192.168.1.1') }, T0);
  rejects(() => store.addNode({ name: 'b', underlayIp: ip('192.168.1.2') }, T0), AlreadyExistsError, /node "b" conflicts with an existing node \(UNIQUE constraint failed: nodes\.created_at\)/);
  db.exec("CREATE TRIGGER test_refuse BEFORE INSERT ON nodes WHEN NEW.name = 'c' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END");
  assert.throws(
    () => store.addNode({ name: 'c', underlayIp: ip('192.168.1.3') }, new Date(T0.getTime() + 1)),
    (err: unknown) => err instanceof Database.SqliteError && /refused by test trigger/.test(err.message),
  );
  assert.equal(store.latestRevision(), 1, 'the failed transactions left no change row');
});

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { SqliteStore } = await import(workerData.storeUrl);
  const { MemoryLogger } = await import(workerData.loggerUrl);
  const gate = new Int32Array(workerData.gate);
  const store = SqliteStore.open(workerData.dir, new MemoryLogger());
  store.initNetwork(workerData.net);
  // Start adding only when every worker has opened its store, so the writers really overlap.
  Atomics.add(gate, 0, 1);
  Atomics.notify(gate, 0);
  const deadline = Date.now() + 20000;
  for (let seen = Atomics.load(gate, 0); seen < workerData.workers && Date.now() < deadline; seen = Atomics.load(gate, 0)) {
    Atomics.wait(gate, 0, seen, 100);
  }
  const results = [];
  for (let i = 0; i < workerData.perWorker; i++) {
    const name = 'w' + workerData.id + '-n' + i;
    const r = store.addNode({ name, underlayIp: workerData.underlayBase + workerData.id * 1000 + i }, new Date());
    results.push({ name, base: r.node.subnet.base, revision: r.revision });
  }
  store.close();
  parentPort.postMessage({ results });
})().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

interface WorkerResult {
  name: string;
  base: number;
  revision: number;
}

test('200 simultaneous add-node calls get 200 distinct subnets', { timeout: 120_000 }, async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const workers = 4;
  const perWorker = 50;
  const gate = new SharedArrayBuffer(4);
  const runs = Array.from({ length: workers }, (_, id) =>
    new Promise<WorkerResult[]>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          id,
          dir,
          gate,
          workers,
          perWorker,
          net: NET,
          underlayBase: ip('172.16.0.0'),
          storeUrl: new URL('../../controller/store/sqlite-store.js', import.meta.url).href,
          loggerUrl: new URL('../../common/logger.js', import.meta.url).href,
        },
      });
      worker.once('message', (msg: { results?: WorkerResult[]; error?: string }) => {
        if (msg.error !== undefined) reject(new Error(`worker ${id}: ${msg.error}`));
        else resolve(msg.results ?? []);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`worker ${id} exited with ${code}`));
      });
    }),
  );
  // allSettled: on failure, wait for the other workers to stop writing before the temp dir is removed.
  const settled = await Promise.allSettled(runs);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const results = settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  assert.equal(results.length, workers * perWorker);
  assert.equal(new Set(results.map((r) => r.base)).size, 200, 'every call got its own subnet');
  assert.deepEqual(
    results.map((r) => r.revision).sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i + 1),
    'every call got its own revision, none skipped',
  );

  const store = openStore(t, dir);
  const nodes = store.listNodes();
  assert.equal(nodes.length, 200);
  assert.equal(new Set(nodes.map((n) => n.subnet.base)).size, 200);
  const byName = new Map(nodes.map((n) => [n.name, n.subnet.base]));
  for (const r of results) assert.equal(byName.get(r.name), r.base, `${r.name} is stored with the subnet it was told`);
  // The lowest-free rule with no removals means the 200 subnets are exactly the first 200.
  assert.deepEqual(
    [...byName.values()].sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => NET.network.base + i * 256),
  );
  assert.equal(store.latestRevision(), 200);
  assert.equal(store.changesSince(0)!.length, 200);
  assert.deepEqual(store.poolUsage(), { total: 256, used: 200, reserved: 0, quarantined: 0 });
});

const CHILD_SOURCE = `
const { SqliteStore } = await import(process.env.STORE_URL);
const { MemoryLogger } = await import(process.env.LOGGER_URL);
const store = SqliteStore.open(process.env.DATA_DIR, new MemoryLogger());
store.initNetwork(JSON.parse(process.env.NET));
const deadline = Date.now() + 30000;
for (let i = 0; i < 20000 && Date.now() < deadline; i++) {
  store.addNode({ name: 'n' + i, underlayIp: 0xac100000 + i }, new Date());
  if (i % 3 === 2) store.removeNode('n' + (i - 1));
  process.stdout.write('added ' + i + '\\n');
}
store.close();
`;

test('a writer killed with SIGKILL mid-way leaves a consistent database', { timeout: 120_000 }, async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const net: NetworkConfigInput = { network: parseCidr('10.0.0.0/8'), subnetLen: 24, udpPort: 7000 };
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SOURCE], {
    env: {
      ...process.env,
      STORE_URL: new URL('../../controller/store/sqlite-store.js', import.meta.url).href,
      LOGGER_URL: new URL('../../common/logger.js', import.meta.url).href,
      DATA_DIR: dir,
      NET: JSON.stringify(net),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let added = 0;
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      added += buffered.split('\n').length - 1;
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      if (added >= 40) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`writer exited (${String(code)}) after ${added} adds before it was killed: ${stderr}`)));
  });
  assert.ok(child.pid !== undefined);
  process.kill(child.pid, 'SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL');

  const store = openStore(t, dir);
  const db = rawDb(t, dir);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.deepEqual(db.pragma('foreign_key_check'), []);
  const nodes = store.listNodes();
  assert.ok(nodes.length >= 20, `only ${nodes.length} nodes survived ${added} reported adds`);
  assert.equal(new Set(nodes.map((n) => n.subnet.base)).size, nodes.length, 'no duplicate subnets');
  const changes = store.changesSince(0);
  assert.ok(changes !== null);
  // Replaying the changelog must give exactly the node table: every add/remove committed with its node row.
  const replay = new Map<string, { base: number; underlayIp: number }>();
  const addsPerName = new Map<string, number>();
  for (const c of changes) {
    if (c.op === 'add') {
      assert.ok(!replay.has(c.route.nodeName), `change ${c.revision} adds ${c.route.nodeName} twice`);
      replay.set(c.route.nodeName, { base: c.route.subnet.base, underlayIp: c.route.underlayIp });
      addsPerName.set(c.route.nodeName, (addsPerName.get(c.route.nodeName) ?? 0) + 1);
    } else {
      assert.ok(replay.delete(c.route.nodeName), `change ${c.revision} removes ${c.route.nodeName}, which was not there`);
    }
  }
  assert.deepEqual(
    [...replay.entries()].sort(([a], [b]) => a.localeCompare(b)),
    nodes.map((n) => [n.name, { base: n.subnet.base, underlayIp: n.underlayIp }] as const).sort(([a], [b]) => a.localeCompare(b)),
  );
  for (const n of nodes) assert.equal(addsPerName.get(n.name), 1, `${n.name} has exactly one add row`);
  assert.equal(store.latestRevision(), changes.at(-1)!.revision);
  assert.deepEqual(changes.map((c) => c.revision), Array.from({ length: changes.length }, (_, i) => i + 1));
  // And the store keeps working where the writer stopped.
  const next = store.addNode({ name: 'after-crash', underlayIp: ip('192.168.9.9') }, T0);
  assert.equal(next.revision, changes.length + 1);
  assert.ok(!nodes.some((n) => n.subnet.base === next.node.subnet.base));
});
