// The Store on SQLite: the one file that imports better-sqlite3. Every write is one
// BEGIN IMMEDIATE transaction that also appends to `changes`, whose row id is the revision.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { cidrSize, formatCidr, formatIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PoolExhaustedError,
  quoted,
} from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { validateNodeName } from '../../common/names.js';
import { secretLabel } from '../../common/secrets.js';
import { lowestFreeSubnet, poolSize, subnetFitsPool, validateRequestedSubnet } from '../allocator.js';
import {
  describeNetworkConfig,
  hasDefaultBounds,
  networkChangeRefusal,
  networkConfigFlags,
  networkConfigsEqual,
  validateNetworkConfig,
  validateUnderlayIp,
  type PlanAssignment,
} from '../network-config.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { AuthTables } from './sqlite-auth-tables.js';
import { LifecycleTables } from './sqlite-lifecycle-tables.js';
import type {
  AddNodeInput,
  AddressUsage,
  AgentStatusUpdate,
  WriteOutcome,
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
  PoolUsage,
  QuarantineRecord,
  RemoveNodeOptions,
  ReservationRecord,
  RouteRecord,
  Store,
} from './store.js';

export const DB_FILE_NAME = 'tunctl.db';

type AddedNode = { node: NodeRecord; revision: number; joinToken?: JoinTokenRecord };
type RemovedNode = { node: NodeRecord; revision: number; revokedCertificates: number; quarantinedUntil: Date | null };
/** How long a writer waits for another connection's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;
/** How long a removed node's subnet is held back unless the store is told otherwise. */
export const DEFAULT_SUBNET_QUARANTINE_MS = 24 * 3600_000;

export interface SqliteStoreOptions {
  /** Clock for timestamps of writes that take no `now` (removeNode, compaction); defaults to the system clock. */
  readonly now?: () => Date;
  /** The migration list; tests pass their own to exercise the runner. */
  readonly migrations?: readonly Migration[];
  /**
   * How long a removed node's subnet stays in quarantine (the controller's --subnet-quarantine);
   * 0 hands it out again at once. Default DEFAULT_SUBNET_QUARANTINE_MS (24 h).
   */
  readonly subnetQuarantineMs?: number;
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
  last_seen_at: number | null;
  applied_revision: number;
  apply_error: string;
  address_capacity: number;
  addresses_leased: number;
  address_usage_reported_at: number | null;
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
    lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
    appliedRevision: row.applied_revision,
    applyError: row.apply_error,
    addressUsage:
      row.address_usage_reported_at === null
        ? null
        : { leased: row.addresses_leased, capacity: row.address_capacity, reportedAt: new Date(row.address_usage_reported_at) },
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

/** Where a new node's or reservation's subnet came from, for the audit detail. */
type SubnetSource = 'allocated' | 'requested' | 'reserved' | 'quarantine';

/** The refusal for a subnet someone asked for by name while it is in quarantine for another node. */
function quarantineRefusal(held: QuarantineRecord): string {
  const subnet = formatCidr(held.subnet);
  return (
    `subnet ${subnet} is in quarantine until ${held.availableAt.toISOString()}: node "${held.previousNode}" had it until ` +
    `${held.releasedAt.toISOString()}, and stale routes to it may still exist; choose another subnet (or none), or release it early ` +
    `with \`tunctl quarantine release ${subnet}\``
  );
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
  private readonly lifecycle: LifecycleTables;
  private readonly quarantineMs: number;

  private readonly stmts: {
    selectNetwork: Database.Statement<[], NetworkRow>;
    insertNetwork: Database.Statement<[number, number, number, number, number, number, number]>;
    updateNetwork: Database.Statement<[number, number, number, number, number, number]>;
    selectNode: Database.Statement<[string], NodeRow>;
    selectNodeNameByUnderlay: Database.Statement<[number], string>;
    selectNodeNameBySubnet: Database.Statement<[number], string>;
    insertNode: Database.Statement<[string, number, number, number, number, number], NodeRow>;
    deleteNode: Database.Statement<[string], NodeRow>;
    updateRegistration: Database.Statement<[number, number, string, string], NodeRow>;
    updateAgentStatus: Database.Statement<[number, number, string, string]>;
    updateAddressUsage: Database.Statement<[number, number, number, string], NodeRow>;
    selectClusterId: Database.Statement<[], string>;
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
  private readonly removeNodeTx: Database.Transaction<
    (name: string, now: Date, audit: AuditContext | undefined, options: RemoveNodeOptions) => RemovedNode
  >;
  private readonly redeemTx: Database.Transaction<(id: string, cert: CertificateRecord, audit: AuditContext) => boolean>;
  private readonly initNetworkTx: Database.Transaction<(config: NetworkConfig, now: Date) => NetworkConfig>;
  private readonly snapshotTx: Database.Transaction<() => { routes: RouteRecord[]; revision: number }>;
  private readonly changesSinceTx: Database.Transaction<(revision: number) => ChangeRecord[] | null>;
  private readonly compactTx: Database.Transaction<(keepLast: number) => number>;
  // Every subnet below this base is held by a node, reservation or quarantine, so allocation
  // scans from here instead of from subnet_min: an add costs O(1) instead of O(nodes). It is
  // a hint for this process's own writes: whatever frees a subnet resets it (undefined: scan
  // all), and a subnet found above it is still checked against the database.
  private allocationFloor: number | undefined;
  private readonly agentStatusTx: Database.Transaction<(updates: readonly AgentStatusUpdate[]) => void>;
  private readonly clusterIdValue: string;

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
    this.quarantineMs = options.subnetQuarantineMs ?? DEFAULT_SUBNET_QUARANTINE_MS;
    if (!Number.isSafeInteger(this.quarantineMs) || this.quarantineMs < 0) {
      throw new InvalidArgumentError(`subnet quarantine ${String(this.quarantineMs)} ms is invalid (expected a whole number >= 0; 0 turns quarantine off)`);
    }

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
      updateNetwork: db.prepare(
        'UPDATE network SET cidr_base = ?, cidr_len = ?, subnet_len = ?, subnet_min_base = ?, subnet_max_base = ?, udp_port = ? WHERE id = 1',
      ),
      selectNode: db.prepare('SELECT * FROM nodes WHERE name = ?'),
      selectNodeNameByUnderlay: db.prepare<[number], string>('SELECT name FROM nodes WHERE underlay_ip = ?').pluck(),
      selectNodeNameBySubnet: db.prepare<[number], string>('SELECT name FROM nodes WHERE subnet_base = ?').pluck(),
      insertNode: db.prepare(
        `INSERT INTO nodes (name, underlay_ip, subnet_base, subnet_len, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      deleteNode: db.prepare('DELETE FROM nodes WHERE name = ? RETURNING *'),
      updateRegistration: db.prepare(
        'UPDATE nodes SET last_registered_at = ?, updated_at = ?, agent_version = ? WHERE name = ? RETURNING *',
      ),
      // max(): a batch flushed late never moves last_seen_at backwards.
      updateAgentStatus: db.prepare(
        'UPDATE nodes SET last_seen_at = max(coalesce(last_seen_at, 0), ?), applied_revision = ?, apply_error = ? WHERE name = ?',
      ),
      updateAddressUsage: db.prepare(
        'UPDATE nodes SET address_capacity = ?, addresses_leased = ?, address_usage_reported_at = ? WHERE name = ? RETURNING *',
      ),
      selectClusterId: db.prepare<[], string>('SELECT cluster_id FROM cluster WHERE id = 1').pluck(),
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
    this.lifecycle = new LifecycleTables(db);
    this.addNodeTx = db.transaction((input: AddNodeInput, now: Date, audit: AuditContext | undefined, token: NewJoinToken | undefined) => {
      const { source, ...added } = this.addNodeInTx(input, now);
      if (audit) {
        const how = source === 'reserved' ? ' (reserved)' : source === 'quarantine' ? ' (its own, back from quarantine)' : '';
        const detail = `underlay ${formatIpv4(added.node.underlayIp)}, subnet ${formatCidr(added.node.subnet)}${how}, revision ${added.revision}`;
        this.auth.audit({ at: now, ...audit, action: 'add-node', target: added.node.name, outcome: 'ok', detail });
      }
      if (!token) return added;
      return { ...added, joinToken: this.createJoinTokenInTx(added.node.name, token, now, audit) };
    });
    this.removeNodeTx = db.transaction((name: string, now: Date, audit: AuditContext | undefined, options: RemoveNodeOptions) => {
      const removed = this.removeNodeInTx(name, now);
      const subnet = formatCidr(removed.node.subnet);
      const quarantinedUntil = this.quarantineReleased(removed.node, now);
      // Join tokens go with the node row (ON DELETE CASCADE); certificates stay on record, revoked.
      const action = options.action ?? 'remove-node';
      const revokedCertificates = this.auth.revokeCertificatesOf(name, now, action === 'remove-node' ? 'node removed' : `node removed (${action})`);
      if (audit) {
        const held = quarantinedUntil
          ? `subnet ${subnet} in quarantine until ${quarantinedUntil.toISOString()}`
          : this.lifecycle.reservation(name)
            ? `subnet ${subnet} stays reserved for "${name}"`
            : `subnet ${subnet} released`;
        const detail = `${options.reason ? `${options.reason}; ` : ''}${held}, revision ${removed.revision}`;
        this.auth.audit({ at: now, ...audit, action, target: name, outcome: 'ok', detail });
        if (revokedCertificates > 0) {
          this.auth.audit({ at: now, ...audit, action: 'revoke-certificate', target: name, outcome: 'ok', detail: `${revokedCertificates} certificate(s): node removed` });
        }
      }
      return { ...removed, revokedCertificates, quarantinedUntil };
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
    this.agentStatusTx = db.transaction((updates: readonly AgentStatusUpdate[]) => {
      for (const u of updates) this.stmts.updateAgentStatus.run(u.lastSeenAt.getTime(), u.appliedRevision, u.applyError, u.nodeName);
    });
    this.clusterIdValue = this.stmts.selectClusterId.get() ?? '';
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
    // Only initNetwork changes it, at the controller's start, and it refreshes the cache.
    if (this.cachedNetwork !== null) return this.cachedNetwork;
    const row = this.stmts.selectNetwork.get();
    if (row === undefined) {
      throw new FailedPreconditionError(
        `the data directory ${this.dataDir} holds no network configuration yet; start the controller with --network (and --subnet-len) first`,
      );
    }
    this.cachedNetwork = toNetworkConfig(row);
    return this.cachedNetwork;
  }

  addNode(input: AddNodeInput, now: Date, audit?: AuditContext, joinToken?: NewJoinToken): AddedNode {
    try {
      return this.addNodeTx.immediate(input, now, audit, joinToken);
    } catch (err) {
      // The floor may have moved past a subnet this rolled-back transaction never took.
      this.allocationFloor = undefined;
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

  removeNode(name: string, audit?: AuditContext, options: RemoveNodeOptions = {}): RemovedNode {
    return this.removeNodeTx.immediate(name, options.at ?? this.now(), audit, options);
  }

  reserveSubnet(nodeName: string, subnet: Ipv4Cidr | undefined, now: Date, audit: AuditContext): ReservationRecord {
    return this.db.transaction(() => {
      const { reservation, source } = this.reserveSubnetInTx(nodeName, subnet, now, audit.actor);
      const how = source === 'quarantine' ? ' (its own, back from quarantine)' : source === 'allocated' ? ' (allocated)' : '';
      this.auth.audit({ at: now, ...audit, action: 'reserve-subnet', target: reservation.nodeName, outcome: 'ok', detail: `subnet ${formatCidr(reservation.subnet)}${how}` });
      return reservation;
    }).immediate();
  }

  listReservations(): ReservationRecord[] {
    return this.lifecycle.listReservations();
  }

  deleteReservation(nodeName: string, now: Date, audit: AuditContext): ReservationRecord {
    return this.db.transaction(() => {
      this.pruneQuarantine(now);
      const reservation = this.lifecycle.deleteReservation(nodeName);
      this.allocationFloor = undefined;
      if (reservation === null) {
        throw new NotFoundError(`node name ${quoted(nodeName)} has no reservation; \`tunctl reservations\` lists the ones that exist`);
      }
      const subnet = formatCidr(reservation.subnet);
      const holder = this.stmts.selectNodeNameBySubnet.get(reservation.subnet.base);
      let detail: string;
      if (holder !== undefined) {
        detail = `subnet ${subnet}, still assigned to node "${holder}"`;
      } else {
        // A reserved node's removal skipped quarantine (the pin held the subnet); without the
        // pin, the subnet gets the rest of the quarantine its last removal would have had.
        const until = this.quarantineAfterUnpin(reservation, now);
        detail = until ? `subnet ${subnet}, in quarantine until ${until.toISOString()} (its node was removed recently)` : `subnet ${subnet} free`;
      }
      this.auth.audit({ at: now, ...audit, action: 'unreserve-subnet', target: nodeName, outcome: 'ok', detail });
      return reservation;
    }).immediate();
  }

  listQuarantinedSubnets(now: Date): QuarantineRecord[] {
    return this.lifecycle.listQuarantine(now);
  }

  releaseQuarantinedSubnet(subnet: Ipv4Cidr, now: Date, audit: AuditContext): QuarantineRecord {
    return this.db.transaction(() => {
      this.pruneQuarantine(now);
      const held = this.lifecycle.quarantined(subnet.base, now);
      if (held === null || held.subnet.prefixLen !== subnet.prefixLen) {
        throw new NotFoundError(`subnet ${formatCidr(subnet)} is not in quarantine; \`tunctl quarantine\` lists the subnets that are`);
      }
      this.lifecycle.unquarantine(subnet.base, now);
      this.allocationFloor = undefined;
      const detail = `previous node "${held.previousNode}", released ${held.releasedAt.toISOString()}, was held until ${held.availableAt.toISOString()}`;
      this.auth.audit({ at: now, ...audit, action: 'release-quarantine', target: formatCidr(subnet), outcome: 'ok', detail });
      return held;
    }).immediate();
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
    // Almost every Register finds nothing to retire: answer that with a read, no write transaction.
    if (this.auth.countOlderCertificates(nodeName, serial) === 0) return 0;
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

  recordAddressUsage(name: string, usage: AddressUsage): NodeRecord {
    const row = this.stmts.updateAddressUsage.get(usage.capacity, usage.leased, usage.reportedAt.getTime(), name);
    if (row === undefined) throw this.notFound(name);
    return toNodeRecord(row);
  }

  batchWrites(writes: readonly (() => unknown)[], durable = true): WriteOutcome[] {
    return durable ? this.batchTx(writes) : this.withoutFsync(() => this.batchTx(writes));
  }

  /**
   * Runs `commit` with synchronous=NORMAL: the commit skips its fsync. Under WAL it stays in
   * order, and the next durable commit's fsync covers it; only a power cut may lose it. For
   * bookkeeping only (agent status, registration times), never for the address plan.
   */
  private withoutFsync<T>(commit: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      return commit();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private batchTx(writes: readonly (() => unknown)[]): WriteOutcome[] {
    return this.db
      .transaction(() =>
        writes.map((write): WriteOutcome => {
          try {
            // Nested in the batch's transaction, this is a savepoint: a throw undoes only this write.
            return { ok: true, value: this.db.transaction(write)() };
          } catch (error) {
            return { ok: false, error };
          }
        }),
      )
      .immediate();
  }

  recordAgentStatus(updates: readonly AgentStatusUpdate[]): void {
    if (updates.length > 0) this.withoutFsync(() => this.agentStatusTx.immediate(updates));
  }

  routeCount(): number {
    return this.stmts.countNodes.get() ?? 0;
  }

  clusterId(): string {
    return this.clusterIdValue;
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

  poolUsage(): PoolUsage {
    const now = this.now();
    // One read transaction, so that the counts add up.
    return this.db.transaction(() => ({
      total: poolSize(this.network()),
      used: this.stmts.countNodes.get() ?? 0,
      reserved: this.lifecycle.countUnusedReservations(),
      quarantined: this.lifecycle.countQuarantine(now),
    }))();
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
    this.allocationFloor = undefined;
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
    if (networkConfigsEqual(stored, config)) {
      this.cachedNetwork = stored;
      return stored;
    }
    const assignments: PlanAssignment[] = [
      ...this.stmts.listNodesByName.all().map((n): PlanAssignment => ({ kind: 'node', name: n.name, subnet: { base: n.subnet_base, prefixLen: n.subnet_len } })),
      ...this.lifecycle.listReservations().map((r): PlanAssignment => ({ kind: 'reservation', name: r.nodeName, subnet: r.subnet })),
    ];
    const refusal = networkChangeRefusal(stored, config, assignments, this.stmts.countNodes.get() ?? 0);
    if (refusal !== null) {
      throw new FailedPreconditionError(
        `the data directory ${this.dataDir} holds ${describeNetworkConfig(stored)}; this start asks for ` +
          `${describeNetworkConfig(config)}, but ${refusal}. To keep the stored plan, start with ${networkConfigFlags(stored)} (or without --network); ` +
          'for an unrelated cluster, use a new --data-dir',
      );
    }
    this.stmts.updateNetwork.run(config.network.base, config.network.prefixLen, config.subnetLen, config.subnetMin.base, config.subnetMax.base, config.udpPort);
    const dropped = this.lifecycle.dropQuarantineOutside(config);
    const detail = `from ${describeNetworkConfig(stored)} to ${describeNetworkConfig(config)}; ${dropped} quarantined subnet(s) outside the new pool dropped`;
    this.auth.audit({ at: now, actor: 'controller', action: 'change-network', target: formatCidr(config.network), outcome: 'ok', detail, peer: '' });
    this.logger.warn('network configuration changed', {
      from: describeNetworkConfig(stored),
      to: describeNetworkConfig(config),
      nodes: assignments.filter((a) => a.kind === 'node').length,
      reservations: assignments.filter((a) => a.kind === 'reservation').length,
      quarantine_dropped: dropped,
      db: this.dbPath,
    });
    this.cachedNetwork = config;
    return config;
  }

  private addNodeInTx(input: AddNodeInput, now: Date): { node: NodeRecord; revision: number; source: SubnetSource } {
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
    this.pruneQuarantine(now);
    const reserved = this.lifecycle.reservation(name);
    let subnet: Ipv4Cidr;
    let source: SubnetSource;
    if (reserved !== null) {
      if (input.subnet !== undefined && (input.subnet.base !== reserved.subnet.base || input.subnet.prefixLen !== reserved.subnet.prefixLen)) {
        const asked = formatCidr(input.subnet);
        throw new FailedPreconditionError(
          `node "${name}" has subnet ${formatCidr(reserved.subnet)} reserved, not ${asked}; add it without --subnet to get the reserved one, ` +
            `or drop the reservation first with \`tunctl unreserve ${name}\``,
        );
      }
      subnet = reserved.subnet;
      source = 'reserved';
      // Reservations refuse assigned subnets and the allocator skips reserved ones; the UNIQUE index is the backstop.
      const owner = this.stmts.selectNodeNameBySubnet.get(subnet.base);
      if (owner !== undefined) throw new AlreadyExistsError(`subnet ${formatCidr(subnet)}, reserved for "${name}", is assigned to node "${owner}"`);
      this.lifecycle.unquarantine(subnet.base, now);
    } else {
      ({ subnet, source } = this.subnetForName(config, name, input.subnet, now));
    }
    const ms = now.getTime();
    const row = this.stmts.insertNode.get(name, underlayIp, subnet.base, subnet.prefixLen, ms, ms);
    if (row === undefined) throw new Error(`inserting node "${name}" returned no row`);
    const revision = Number(this.stmts.insertChange.run('add', name, subnet.base, subnet.prefixLen, underlayIp, ms).lastInsertRowid);
    return { node: toNodeRecord(row), revision, source };
  }

  /**
   * The subnet an add or a reservation for `name` gets when no reservation decides it: the
   * requested one (valid, not assigned, not reserved, not quarantined for another name), else
   * the name's own subnet back from quarantine, else the lowest free one.
   */
  private subnetForName(config: NetworkConfig, name: string, requested: Ipv4Cidr | undefined, now: Date): { subnet: Ipv4Cidr; source: SubnetSource } {
    if (requested !== undefined) {
      const subnet = validateRequestedSubnet(config, requested);
      const owner = this.stmts.selectNodeNameBySubnet.get(subnet.base);
      if (owner !== undefined) throw new AlreadyExistsError(`subnet ${formatCidr(subnet)} is already assigned to node "${owner}"`);
      const pinnedTo = this.lifecycle.reservationOfSubnet(subnet.base);
      if (pinnedTo !== null) {
        throw new AlreadyExistsError(`subnet ${formatCidr(subnet)} is reserved for node "${pinnedTo.nodeName}"; \`tunctl reservations\` lists the reservations`);
      }
      return { subnet, source: this.takeFromQuarantine(subnet, name, now) ? 'quarantine' : 'requested' };
    }
    const own = this.lifecycle.quarantinedFor(name, now);
    if (own !== null && subnetFitsPool(config, own.subnet)) {
      // The same name back within its quarantine gets its old subnet: subnets that change on a re-add are what operators hate most.
      this.lifecycle.unquarantine(own.subnet.base, now);
      return { subnet: own.subnet, source: 'quarantine' };
    }
    return { subnet: this.allocateInTx(config, now), source: 'allocated' };
  }

  /** The lowest subnet no node, reservation or quarantine holds; PoolExhaustedError if none. */
  private allocateInTx(config: NetworkConfig, now: Date): Ipv4Cidr {
    const from = Math.max(this.allocationFloor ?? config.subnetMin.base, config.subnetMin.base);
    const above = { ...config, subnetMin: { base: from, prefixLen: config.subnetLen } };
    const found = lowestFreeSubnet(above, this.lifecycle.taken(now, from), { sorted: true });
    if (found === 'exhausted') throw new PoolExhaustedError(this.exhaustedMessage(config, now));
    this.allocationFloor = found.base + cidrSize(found);
    return found;
  }

  /** Deletes expired quarantine rows; the subnets they held are free again. */
  private pruneQuarantine(now: Date): void {
    if (this.lifecycle.pruneQuarantine(now) > 0) this.allocationFloor = undefined;
  }

  /**
   * For an explicitly requested subnet: true (and the quarantine ended) when it is `name`'s own
   * quarantined subnet, false when it is not in quarantine; FailedPreconditionError when it is
   * held for another name.
   */
  private takeFromQuarantine(subnet: Ipv4Cidr, name: string, now: Date): boolean {
    const held = this.lifecycle.quarantined(subnet.base, now);
    if (held === null) return false;
    if (held.previousNode !== name) throw new FailedPreconditionError(quarantineRefusal(held));
    this.lifecycle.unquarantine(subnet.base, now);
    return true;
  }

  private reserveSubnetInTx(nodeName: string, requested: Ipv4Cidr | undefined, now: Date, actor: string): { reservation: ReservationRecord; source: SubnetSource } {
    const name = validateNodeName(nodeName);
    const config = this.network();
    this.pruneQuarantine(now);
    const already = this.lifecycle.reservation(name);
    if (already !== null) {
      throw new AlreadyExistsError(
        `node name "${name}" already has subnet ${formatCidr(already.subnet)} reserved; to pin another one, \`tunctl unreserve ${name}\` first`,
      );
    }
    const node = this.stmts.selectNode.get(name);
    if (node !== undefined) {
      throw new AlreadyExistsError(
        `node "${name}" was already added with subnet ${formatCidr({ base: node.subnet_base, prefixLen: node.subnet_len })}; ` +
          'reservations are for names not added yet (remove the node first to pin a subnet for its next add-node)',
      );
    }
    const { subnet, source } = this.subnetForName(config, name, requested, now);
    const reservation = this.lifecycle.insertReservation({ nodeName: name, subnet, createdAt: now, createdBy: actor });
    return { reservation, source };
  }

  /** Puts a removed node's subnet into quarantine unless its name has it reserved or quarantine is off; returns until when. */
  private quarantineReleased(node: NodeRecord, now: Date): Date | null {
    this.pruneQuarantine(now);
    const pin = this.lifecycle.reservation(node.name);
    if (pin !== null && pin.subnet.base === node.subnet.base) return null;
    if (this.quarantineMs === 0) return null;
    const availableAt = new Date(now.getTime() + this.quarantineMs);
    this.lifecycle.quarantine({ subnet: node.subnet, previousNode: node.name, releasedAt: now, availableAt });
    return availableAt;
  }

  /** After a pin is dropped: quarantine for what is left of the time since the subnet's last removal, if any. */
  private quarantineAfterUnpin(reservation: ReservationRecord, now: Date): Date | null {
    if (this.quarantineMs === 0) return null;
    const removedAt = this.lifecycle.lastRemovalOf(reservation.subnet.base);
    if (removedAt === null) return null;
    const availableAt = new Date(removedAt.getTime() + this.quarantineMs);
    if (availableAt.getTime() <= now.getTime()) return null;
    this.lifecycle.quarantine({ subnet: reservation.subnet, previousNode: reservation.nodeName, releasedAt: removedAt, availableAt });
    return availableAt;
  }

  private removeNodeInTx(name: string, now: Date): { node: NodeRecord; revision: number } {
    const row = this.stmts.deleteNode.get(name);
    if (row === undefined) throw this.notFound(name);
    this.allocationFloor = undefined;
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

  private exhaustedMessage(config: NetworkConfig, now: Date): string {
    const total = poolSize(config);
    const where = hasDefaultBounds(config)
      ? formatCidr(config.network)
      : `${formatCidr(config.subnetMin)} - ${formatCidr(config.subnetMax)} of ${formatCidr(config.network)}`;
    const used = this.stmts.countNodes.get() ?? 0;
    const reserved = this.lifecycle.countUnusedReservations();
    const quarantined = this.lifecycle.countQuarantine(now);
    if (reserved === 0 && quarantined === 0) {
      return (
        `no free subnet left in ${where} (${total} subnets of /${config.subnetLen}, all assigned); ` +
        `remove a node or start a controller with a larger --network`
      );
    }
    const hints: string[] = [];
    const soonest = this.lifecycle.soonestAvailable(now);
    if (soonest !== null) {
      hints.push(
        `${quarantined} subnet(s) are in quarantine after their nodes were removed, the first until ${soonest.availableAt.toISOString()}; ` +
          `release one early with \`tunctl quarantine release ${formatCidr(soonest.subnet)}\` (\`tunctl quarantine\` lists them)`,
      );
    }
    if (reserved > 0) hints.push(`${reserved} subnet(s) are reserved for nodes not added; drop an unused one with \`tunctl unreserve NODE\``);
    return (
      `no free subnet left in ${where} (${total} subnets of /${config.subnetLen}: ${used} assigned, ${reserved} reserved, ${quarantined} in quarantine); ` +
      `${hints.join('; ')}; or remove a node, or start a controller with a larger --network`
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
