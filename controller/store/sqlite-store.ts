// The Store on SQLite: the one file that imports better-sqlite3. Every write is one
// BEGIN IMMEDIATE transaction that also appends to `changes`, whose row id is the revision.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { formatCidr, formatIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PoolExhaustedError,
} from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { validateNodeName } from '../../common/names.js';
import { secretLabel } from '../../common/secrets.js';
import { lowestFreeSubnet, poolSize, validateRequestedSubnet } from '../allocator.js';
import {
  describeNetworkConfig,
  hasDefaultBounds,
  networkConfigFlags,
  networkConfigsEqual,
  validateNetworkConfig,
  validateUnderlayIp,
} from '../network-config.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { AuthTables } from './sqlite-auth-tables.js';
import type {
  AddNodeInput,
  ApiKeyRecord,
  AuditContext,
  AuditEventInput,
  AuditEventRecord,
  CertificateRecord,
  ChangeRecord,
  JoinTokenRecord,
  NewJoinToken,
  NetworkConfig,
  NetworkConfigInput,
  NodeRecord,
  RouteRecord,
  Store,
} from './store.js';

export const DB_FILE_NAME = 'tunctl.db';

type AddedNode = { node: NodeRecord; revision: number; joinToken?: JoinTokenRecord };
type RemovedNode = { node: NodeRecord; revision: number; revokedCertificates: number };
/** How long a writer waits for another connection's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** Clock for timestamps of writes that take no `now` (removeNode, compaction); defaults to the system clock. */
  readonly now?: () => Date;
  /** The migration list; tests pass their own to exercise the runner. */
  readonly migrations?: readonly Migration[];
}

/** The connection settings actually in effect, as SQLite reports them. */
export interface StorePragmas {
  readonly journalMode: string;
  readonly foreignKeys: boolean;
  readonly synchronous: number;
  readonly busyTimeoutMs: number;
}

interface NetworkRow {
  cidr_base: number;
  cidr_len: number;
  subnet_len: number;
  subnet_min_base: number;
  subnet_max_base: number;
  udp_port: number;
  created_at: number;
}

interface NodeRow {
  name: string;
  underlay_ip: number;
  subnet_base: number;
  subnet_len: number;
  created_at: number;
  updated_at: number;
  last_registered_at: number | null;
  agent_version: string;
}

interface ChangeRow {
  revision: number;
  op: 'add' | 'remove';
  node_name: string;
  subnet_base: number;
  subnet_len: number;
  underlay_ip: number;
  at: number;
}

function toNodeRecord(row: NodeRow): NodeRecord {
  return {
    name: row.name,
    underlayIp: row.underlay_ip,
    subnet: { base: row.subnet_base, prefixLen: row.subnet_len },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastRegisteredAt: row.last_registered_at === null ? null : new Date(row.last_registered_at),
    agentVersion: row.agent_version,
  };
}

function toRouteRecord(row: NodeRow): RouteRecord {
  return { nodeName: row.name, subnet: { base: row.subnet_base, prefixLen: row.subnet_len }, underlayIp: row.underlay_ip };
}

function toChangeRecord(row: ChangeRow): ChangeRecord {
  return {
    revision: row.revision,
    op: row.op,
    route: { nodeName: row.node_name, subnet: { base: row.subnet_base, prefixLen: row.subnet_len }, underlayIp: row.underlay_ip },
    at: new Date(row.at),
  };
}

function toNetworkConfig(row: NetworkRow): NetworkConfig {
  return {
    network: { base: row.cidr_base, prefixLen: row.cidr_len },
    subnetLen: row.subnet_len,
    subnetMin: { base: row.subnet_min_base, prefixLen: row.subnet_len },
    subnetMax: { base: row.subnet_max_base, prefixLen: row.subnet_len },
    udpPort: row.udp_port,
  };
}

function isUniqueViolation(err: unknown): err is InstanceType<typeof Database.SqliteError> {
  return err instanceof Database.SqliteError && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

function checkMigrationList(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    if (!(migrations[i]!.id > migrations[i - 1]!.id)) {
      throw new Error(`migration ids must increase: ${migrations[i]!.id} follows ${migrations[i - 1]!.id}`);
    }
  }
}

/** Applies each pending migration in its own IMMEDIATE transaction; re-checks inside it so concurrent openers apply it once. */
function applyMigrations(db: Database.Database, migrations: readonly Migration[], dbPath: string, logger: Logger, now: () => Date): void {
  checkMigrationList(migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const known = new Set(migrations.map((m) => m.id));
  const applied = db.prepare<[], { id: number; name: string }>('SELECT id, name FROM schema_migrations ORDER BY id').all();
  const unknown = applied.find((row) => !known.has(row.id));
  if (unknown !== undefined) {
    throw new FailedPreconditionError(
      `the database ${dbPath} has migration ${unknown.id} ("${unknown.name}") that this tunctl does not know: ` +
        `it was written by a newer version; run that version or use a new --data-dir`,
    );
  }
  const isApplied = db.prepare<[number], number>('SELECT 1 FROM schema_migrations WHERE id = ?').pluck();
  const record = db.prepare<[number, string, number]>('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (isApplied.get(migration.id) !== undefined) return false;
      db.exec(migration.sql);
      record.run(migration.id, migration.name, now().getTime());
      return true;
    });
    if (apply.immediate()) logger.info('applied schema migration', { id: migration.id, name: migration.name, db: dbPath });
  }
}

export class SqliteStore implements Store {
  readonly dbPath: string;
  private readonly dataDir: string;
  private readonly db: Database.Database;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private cachedNetwork: NetworkConfig | null = null;
  private readonly auth: AuthTables;

  private readonly stmts: {
    selectNetwork: Database.Statement<[], NetworkRow>;
    insertNetwork: Database.Statement<[number, number, number, number, number, number, number]>;
    selectNode: Database.Statement<[string], NodeRow>;
    selectNodeNameByUnderlay: Database.Statement<[number], string>;
    selectNodeNameBySubnet: Database.Statement<[number], string>;
    selectTaken: Database.Statement<[], Ipv4Cidr>;
    insertNode: Database.Statement<[string, number, number, number, number, number], NodeRow>;
    deleteNode: Database.Statement<[string], NodeRow>;
    updateRegistration: Database.Statement<[number, number, string, string], NodeRow>;
    listNodesByName: Database.Statement<[], NodeRow>;
    listNodesBySubnet: Database.Statement<[], NodeRow>;
    countNodes: Database.Statement<[], number>;
    insertChange: Database.Statement<['add' | 'remove', string, number, number, number, number]>;
    latestRevision: Database.Statement<[], number>;
    oldestRetained: Database.Statement<[], number | null>;
    changesAfter: Database.Statement<[number], ChangeRow>;
    deleteChangesUpTo: Database.Statement<[number]>;
  };

  // Writers run with .immediate(): they take the write lock at BEGIN, so a read-then-upgrade
  // can never fail with SQLITE_BUSY_SNAPSHOT; busy_timeout makes them queue instead.
  private readonly addNodeTx: Database.Transaction<
    (input: AddNodeInput, now: Date, audit: AuditContext | undefined, token: NewJoinToken | undefined) => AddedNode
  >;
  private readonly removeNodeTx: Database.Transaction<(name: string, now: Date, audit: AuditContext | undefined) => RemovedNode>;
  private readonly redeemTx: Database.Transaction<(id: string, cert: CertificateRecord, audit: AuditContext) => boolean>;
  private readonly initNetworkTx: Database.Transaction<(config: NetworkConfig, now: Date) => NetworkConfig>;
  private readonly snapshotTx: Database.Transaction<() => { routes: RouteRecord[]; revision: number }>;
  private readonly changesSinceTx: Database.Transaction<(revision: number) => ChangeRecord[] | null>;
  private readonly compactTx: Database.Transaction<(keepLast: number) => number>;

  /** Opens (creating on first start) `dataDir/tunctl.db` and applies pending migrations. */
  static open(dataDir: string, logger: Logger, options: SqliteStoreOptions = {}): SqliteStore {
    const dir = path.resolve(dataDir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const mode = fs.statSync(dir).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      logger.warn('data directory is accessible to other users; chmod 700 it', { dir, mode: mode.toString(8) });
    }
    const dbPath = path.join(dir, DB_FILE_NAME);
    // Create the file 0600 first: SQLite gives the -wal and -shm files the database file's mode.
    fs.closeSync(fs.openSync(dbPath, 'a', 0o600));
    const db = new Database(dbPath, { timeout: BUSY_TIMEOUT_MS });
    try {
      return new SqliteStore(db, dir, dbPath, logger, options);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Database.Database, dataDir: string, dbPath: string, logger: Logger, options: SqliteStoreOptions) {
    this.db = db;
    this.dataDir = dataDir;
    this.dbPath = dbPath;
    this.logger = logger;
    this.now = options.now ?? (() => new Date());

    // busy_timeout first, so that switching to WAL waits for a concurrent opener instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // FULL, not NORMAL: under WAL, NORMAL may lose the last commits on power loss, and a lost
    // add-node would let the allocator hand that subnet out twice. Writes are rare, so the fsync is cheap.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');

    applyMigrations(db, options.migrations ?? MIGRATIONS, dbPath, logger, this.now);

    this.stmts = {
      selectNetwork: db.prepare('SELECT * FROM network WHERE id = 1'),
      insertNetwork: db.prepare(
        `INSERT INTO network (id, cidr_base, cidr_len, subnet_len, subnet_min_base, subnet_max_base, udp_port, created_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      selectNode: db.prepare('SELECT * FROM nodes WHERE name = ?'),
      selectNodeNameByUnderlay: db.prepare<[number], string>('SELECT name FROM nodes WHERE underlay_ip = ?').pluck(),
      selectNodeNameBySubnet: db.prepare<[number], string>('SELECT name FROM nodes WHERE subnet_base = ?').pluck(),
      // Ascending through the UNIQUE index, so the allocator can stream it and stop at the first gap.
      selectTaken: db.prepare('SELECT subnet_base AS base, subnet_len AS prefixLen FROM nodes ORDER BY subnet_base'),
      insertNode: db.prepare(
        `INSERT INTO nodes (name, underlay_ip, subnet_base, subnet_len, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      deleteNode: db.prepare('DELETE FROM nodes WHERE name = ? RETURNING *'),
      updateRegistration: db.prepare(
        'UPDATE nodes SET last_registered_at = ?, updated_at = ?, agent_version = ? WHERE name = ? RETURNING *',
      ),
      listNodesByName: db.prepare('SELECT * FROM nodes ORDER BY name'),
      listNodesBySubnet: db.prepare('SELECT * FROM nodes ORDER BY subnet_base'),
      countNodes: db.prepare<[], number>('SELECT count(*) FROM nodes').pluck(),
      insertChange: db.prepare(
        'INSERT INTO changes (op, node_name, subnet_base, subnet_len, underlay_ip, at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      // sqlite_sequence keeps the highest revision ever issued even after compaction deleted rows.
      latestRevision: db
        .prepare<[], number>(
          `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0),
                      coalesce((SELECT max(revision) FROM changes), 0))`,
        )
        .pluck(),
      oldestRetained: db.prepare<[], number | null>('SELECT min(revision) FROM changes').pluck(),
      changesAfter: db.prepare('SELECT * FROM changes WHERE revision > ? ORDER BY revision'),
      deleteChangesUpTo: db.prepare('DELETE FROM changes WHERE revision <= ?'),
    };

    this.auth = new AuthTables(db);
    this.addNodeTx = db.transaction((input: AddNodeInput, now: Date, audit: AuditContext | undefined, token: NewJoinToken | undefined) => {
      const added: AddedNode = this.addNodeInTx(input, now);
      if (audit) {
        const detail = `underlay ${formatIpv4(added.node.underlayIp)}, subnet ${formatCidr(added.node.subnet)}, revision ${added.revision}`;
        this.auth.audit({ at: now, ...audit, action: 'add-node', target: added.node.name, outcome: 'ok', detail });
      }
      if (!token) return added;
      return { ...added, joinToken: this.createJoinTokenInTx(added.node.name, token, now, audit) };
    });
    this.removeNodeTx = db.transaction((name: string, now: Date, audit: AuditContext | undefined) => {
      const removed = this.removeNodeInTx(name, now);
      // Join tokens go with the node row (ON DELETE CASCADE); certificates stay on record, revoked.
      const revokedCertificates = this.auth.revokeCertificatesOf(name, now, 'node removed');
      if (audit) {
        this.auth.audit({ at: now, ...audit, action: 'remove-node', target: name, outcome: 'ok', detail: `subnet ${formatCidr(removed.node.subnet)} released, revision ${removed.revision}` });
        if (revokedCertificates > 0) {
          this.auth.audit({ at: now, ...audit, action: 'revoke-certificate', target: name, outcome: 'ok', detail: `${revokedCertificates} certificate(s): node removed` });
        }
      }
      return { ...removed, revokedCertificates };
    });
    this.redeemTx = db.transaction((id: string, cert: CertificateRecord, audit: AuditContext) => {
      if (!this.auth.useJoinToken(id, cert.issuedAt)) return false;
      this.auth.insertCertificate(cert);
      this.auth.audit({ at: cert.issuedAt, ...audit, action: 'join', target: cert.nodeName, outcome: 'ok', detail: `token ${secretLabel('join-token', id)}, certificate ${cert.serial} until ${cert.expiresAt.toISOString()}` });
      return true;
    });
    this.initNetworkTx = db.transaction((config: NetworkConfig, now: Date) => this.initNetworkInTx(config, now));
    this.snapshotTx = db.transaction(() => ({
      routes: this.stmts.listNodesBySubnet.all().map(toRouteRecord),
      revision: this.latestRevision(),
    }));
    this.changesSinceTx = db.transaction((revision: number) => this.changesSinceInTx(revision));
    this.compactTx = db.transaction((keepLast: number) => {
      const cutoff = this.latestRevision() - keepLast;
      return cutoff > 0 ? this.stmts.deleteChangesUpTo.run(cutoff).changes : 0;
    });

    logger.info('store opened', { db: dbPath, revision: this.latestRevision(), nodes: this.stmts.countNodes.get() ?? 0 });
  }

  initNetwork(input: NetworkConfigInput): NetworkConfig {
    const config = validateNetworkConfig(input);
    return this.initNetworkTx.immediate(config, this.now());
  }

  network(): NetworkConfig {
    if (this.cachedNetwork !== null) return this.cachedNetwork;
    const row = this.stmts.selectNetwork.get();
    if (row === undefined) {
      throw new FailedPreconditionError(
        `the data directory ${this.dataDir} holds no network configuration yet; start the controller with --network (and --subnet-len) first`,
      );
    }
    // The configuration never changes once stored, so it is safe to keep.
    this.cachedNetwork = toNetworkConfig(row);
    return this.cachedNetwork;
  }

  addNode(input: AddNodeInput, now: Date, audit?: AuditContext, joinToken?: NewJoinToken): AddedNode {
    try {
      return this.addNodeTx.immediate(input, now, audit, joinToken);
    } catch (err) {
      // The checks inside the transaction should have caught every duplicate; the constraints are the backstop.
      if (isUniqueViolation(err)) throw new AlreadyExistsError(this.describeUniqueViolation(err.message, input));
      throw err;
    }
  }

  getNode(name: string): NodeRecord {
    const row = this.stmts.selectNode.get(name);
    if (row === undefined) throw this.notFound(name);
    return toNodeRecord(row);
  }

  listNodes(): NodeRecord[] {
    return this.stmts.listNodesByName.all().map(toNodeRecord);
  }

  removeNode(name: string, audit?: AuditContext): RemovedNode {
    return this.removeNodeTx.immediate(name, this.now(), audit);
  }

  createJoinToken(nodeName: string, token: NewJoinToken, now: Date, audit: AuditContext): JoinTokenRecord {
    return this.db.transaction(() => {
      if (this.stmts.selectNode.get(nodeName) === undefined) throw this.notFound(nodeName);
      return this.createJoinTokenInTx(nodeName, token, now, audit);
    }).immediate();
  }

  listJoinTokens(nodeName?: string): JoinTokenRecord[] {
    return this.auth.listJoinTokens(nodeName);
  }

  joinToken(id: string): JoinTokenRecord | null {
    return this.auth.joinToken(id);
  }

  expireJoinToken(id: string, now: Date, audit: AuditContext): JoinTokenRecord {
    return this.db.transaction(() => {
      const token = this.auth.expireJoinToken(id, now);
      const label = secretLabel('join-token', id);
      if (token === null) throw new NotFoundError(`join token ${label} not found; \`tunctl list-join-tokens\` shows the tokens that exist`);
      this.auth.audit({ at: now, ...audit, action: 'revoke-join-token', target: token.nodeName, outcome: 'ok', detail: `token ${label}${token.usedAt ? ' (already used)' : ''}` });
      return token;
    }).immediate();
  }

  redeemJoinToken(id: string, certificate: CertificateRecord, audit: AuditContext): boolean {
    return this.redeemTx.immediate(id, certificate, audit);
  }

  addCertificate(certificate: CertificateRecord, audit: AuditContext, action: string): void {
    this.db.transaction(() => {
      this.auth.insertCertificate(certificate);
      this.auth.audit({ at: certificate.issuedAt, ...audit, action, target: certificate.nodeName, outcome: 'ok', detail: `certificate ${certificate.serial} until ${certificate.expiresAt.toISOString()}` });
    }).immediate();
  }

  certificate(serial: string): CertificateRecord | null {
    return this.auth.certificate(serial);
  }

  supersedeCertificates(nodeName: string, serial: string, at: Date, audit: AuditContext): number {
    return this.db.transaction(() => {
      const revoked = this.auth.revokeOlderCertificates(nodeName, serial, at, `superseded by certificate ${serial}`);
      if (revoked > 0) {
        this.auth.audit({ at, ...audit, action: 'revoke-certificate', target: nodeName, outcome: 'ok', detail: `${revoked} older certificate(s) superseded by ${serial}, now in use` });
      }
      return revoked;
    }).immediate();
  }

  createApiKey(key: ApiKeyRecord, audit: AuditContext): ApiKeyRecord {
    return this.db.transaction(() => {
      const created = this.auth.insertApiKey(key);
      const expiry = key.expiresAt ? `expires ${key.expiresAt.toISOString()}` : 'never expires';
      this.auth.audit({ at: key.createdAt, ...audit, action: 'create-api-key', target: secretLabel('api-key', key.id), outcome: 'ok', detail: `scope ${key.scope}, ${expiry}` });
      return created;
    }).immediate();
  }

  listApiKeys(): ApiKeyRecord[] {
    return this.auth.listApiKeys();
  }

  apiKey(id: string): ApiKeyRecord | null {
    return this.auth.apiKey(id);
  }

  revokeApiKey(id: string, now: Date, audit: AuditContext): ApiKeyRecord {
    return this.db.transaction(() => {
      const key = this.auth.revokeApiKey(id, now);
      if (key === null) throw new NotFoundError(`API key ${secretLabel('api-key', id)} not found; \`tunctl apikey list\` shows the keys that exist`);
      this.auth.audit({ at: now, ...audit, action: 'revoke-api-key', target: secretLabel('api-key', id), outcome: 'ok', detail: `scope ${key.scope}` });
      return key;
    }).immediate();
  }

  recordAudit(event: AuditEventInput): void {
    this.auth.audit(event);
  }

  listAuditEvents(since: Date | null, limit: number): AuditEventRecord[] {
    return this.auth.listAudit(since, limit);
  }

  recordRegistration(name: string, agentVersion: string, now: Date): NodeRecord {
    const ms = now.getTime();
    const row = this.stmts.updateRegistration.get(ms, ms, agentVersion, name);
    if (row === undefined) throw this.notFound(name);
    return toNodeRecord(row);
  }

  routeSnapshot(): { routes: RouteRecord[]; revision: number } {
    return this.snapshotTx();
  }

  /**
   * Changes after `revision`, oldest first. null when the caller must take a snapshot instead:
   * changes it lacks were compacted away, or `revision` is ahead of this database (it came
   * from another data directory).
   */
  changesSince(revision: number): ChangeRecord[] | null {
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw new InvalidArgumentError(`revision ${String(revision)} is invalid (expected a whole number >= 0)`);
    }
    return this.changesSinceTx(revision);
  }

  latestRevision(): number {
    return this.stmts.latestRevision.get() ?? 0;
  }

  poolUsage(): { total: number; used: number } {
    return { total: poolSize(this.network()), used: this.stmts.countNodes.get() ?? 0 };
  }

  /**
   * Deletes all but the newest `keepLast` change rows (at least one is kept) and returns how
   * many were deleted; agents further behind get a snapshot from changesSince's null.
   */
  compactChanges(keepLast: number): number {
    if (!Number.isSafeInteger(keepLast) || keepLast < 1) {
      throw new InvalidArgumentError(`keepLast ${String(keepLast)} is invalid: keep at least the newest change (>= 1)`);
    }
    const deleted = this.compactTx.immediate(keepLast);
    if (deleted > 0) this.logger.info('compacted changelog', { deleted, kept: keepLast, revision: this.latestRevision() });
    return deleted;
  }

  /** The connection's settings as SQLite reports them (for diagnostics and tests). */
  pragmas(): StorePragmas {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      foreignKeys: Number(this.db.pragma('foreign_keys', { simple: true })) === 1,
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      busyTimeoutMs: Number(this.db.pragma('busy_timeout', { simple: true })),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private initNetworkInTx(config: NetworkConfig, now: Date): NetworkConfig {
    const row = this.stmts.selectNetwork.get();
    if (row === undefined) {
      this.stmts.insertNetwork.run(
        config.network.base,
        config.network.prefixLen,
        config.subnetLen,
        config.subnetMin.base,
        config.subnetMax.base,
        config.udpPort,
        now.getTime(),
      );
      this.logger.info('stored network configuration', { config: describeNetworkConfig(config), db: this.dbPath });
      this.cachedNetwork = config;
      return config;
    }
    const stored = toNetworkConfig(row);
    if (!networkConfigsEqual(stored, config)) {
      throw new FailedPreconditionError(
        `the data directory ${this.dataDir} already holds ${describeNetworkConfig(stored)}, but this start asks for ` +
          `${describeNetworkConfig(config)}; start with ${networkConfigFlags(stored)}, or use a new --data-dir`,
      );
    }
    this.cachedNetwork = stored;
    return stored;
  }

  private addNodeInTx(input: AddNodeInput, now: Date): { node: NodeRecord; revision: number } {
    const name = validateNodeName(input.name);
    const config = this.network();
    const underlayIp = validateUnderlayIp(config, input.underlayIp);
    const existing = this.stmts.selectNode.get(name);
    if (existing !== undefined) {
      throw new AlreadyExistsError(
        `node "${name}" already exists (subnet ${formatCidr({ base: existing.subnet_base, prefixLen: existing.subnet_len })})`,
      );
    }
    const underlayOwner = this.stmts.selectNodeNameByUnderlay.get(underlayIp);
    if (underlayOwner !== undefined) {
      throw new AlreadyExistsError(`underlay address ${formatIpv4(underlayIp)} is already used by node "${underlayOwner}"`);
    }
    let subnet: Ipv4Cidr;
    if (input.subnet !== undefined) {
      subnet = validateRequestedSubnet(config, input.subnet);
      const owner = this.stmts.selectNodeNameBySubnet.get(subnet.base);
      if (owner !== undefined) {
        throw new AlreadyExistsError(`subnet ${formatCidr(subnet)} is already assigned to node "${owner}"`);
      }
    } else {
      const found = lowestFreeSubnet(config, this.stmts.selectTaken.iterate(), { sorted: true });
      if (found === 'exhausted') throw new PoolExhaustedError(this.exhaustedMessage(config));
      subnet = found;
    }
    const ms = now.getTime();
    const row = this.stmts.insertNode.get(name, underlayIp, subnet.base, subnet.prefixLen, ms, ms);
    if (row === undefined) throw new Error(`inserting node "${name}" returned no row`);
    const revision = Number(this.stmts.insertChange.run('add', name, subnet.base, subnet.prefixLen, underlayIp, ms).lastInsertRowid);
    return { node: toNodeRecord(row), revision };
  }

  private removeNodeInTx(name: string, now: Date): { node: NodeRecord; revision: number } {
    const row = this.stmts.deleteNode.get(name);
    if (row === undefined) throw this.notFound(name);
    const revision = Number(
      this.stmts.insertChange.run('remove', row.name, row.subnet_base, row.subnet_len, row.underlay_ip, now.getTime()).lastInsertRowid,
    );
    return { node: toNodeRecord(row), revision };
  }

  /** Without `audit` (tests and tools that write the store directly) no audit row is written, as for addNode. */
  private createJoinTokenInTx(nodeName: string, token: NewJoinToken, now: Date, audit: AuditContext | undefined): JoinTokenRecord {
    const created = this.auth.insertJoinToken({ ...token, nodeName, createdAt: now, createdBy: audit?.actor ?? 'local' });
    if (audit) this.auth.audit({ at: now, ...audit, action: 'create-join-token', target: nodeName, outcome: 'ok', detail: `token ${secretLabel('join-token', token.id)} expires ${token.expiresAt.toISOString()}` });
    return created;
  }

  private changesSinceInTx(revision: number): ChangeRecord[] | null {
    const latest = this.latestRevision();
    if (revision > latest) return null;
    if (revision === latest) return [];
    const oldest = this.stmts.oldestRetained.get() ?? latest + 1;
    // The caller needs revision+1 onwards; anything older than `oldest` is gone.
    if (revision < oldest - 1) return null;
    return this.stmts.changesAfter.all(revision).map(toChangeRecord);
  }

  private exhaustedMessage(config: NetworkConfig): string {
    const total = poolSize(config);
    const where = hasDefaultBounds(config)
      ? formatCidr(config.network)
      : `${formatCidr(config.subnetMin)} - ${formatCidr(config.subnetMax)} of ${formatCidr(config.network)}`;
    return (
      `no free subnet left in ${where} (${total} subnets of /${config.subnetLen}, all assigned); ` +
      `remove a node or start a controller with a larger --network`
    );
  }

  private describeUniqueViolation(sqliteMessage: string, input: AddNodeInput): string {
    if (sqliteMessage.includes('nodes.name')) return `node "${input.name}" already exists`;
    if (sqliteMessage.includes('nodes.underlay_ip')) {
      return `underlay address ${formatIpv4(input.underlayIp)} is already used by another node`;
    }
    if (sqliteMessage.includes('nodes.subnet_base')) {
      return input.subnet !== undefined
        ? `subnet ${formatCidr(input.subnet)} is already assigned to another node`
        : `the subnet chosen for node "${input.name}" was taken by another node at the same time; retry`;
    }
    return `node "${input.name}" conflicts with an existing node (${sqliteMessage})`;
  }

  private notFound(name: string): NotFoundError {
    return new NotFoundError(`node "${name}" not found; \`tunctl list-nodes\` shows the nodes that exist`);
  }
}
