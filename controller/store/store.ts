// What the controller keeps: the network configuration, the nodes and the changelog.
// The SQLite implementation (sqlite-store.ts) is the only file that imports better-sqlite3.
import type { Ipv4Cidr } from '../../common/cidr.js';

/** The address plan, stored on the controller's first start; a later start may change it only while every assignment still fits (see initNetwork). */
export interface NetworkConfig {
  readonly network: Ipv4Cidr;
  readonly subnetLen: number;
  /** First and last subnet (as CIDRs of subnetLen) the allocator may use. */
  readonly subnetMin: Ipv4Cidr;
  readonly subnetMax: Ipv4Cidr;
  readonly udpPort: number;
}

/** What an operator asks for on first start; omitted bounds default to the whole network. */
export interface NetworkConfigInput {
  readonly network: Ipv4Cidr;
  readonly subnetLen: number;
  readonly subnetMin?: Ipv4Cidr;
  readonly subnetMax?: Ipv4Cidr;
  readonly udpPort: number;
}

export interface NodeRecord {
  readonly name: string;
  readonly underlayIp: number;
  readonly subnet: Ipv4Cidr;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastRegisteredAt: Date | null;
  readonly agentVersion: string;
  /** As last flushed from the controller's memory (see recordAgentStatus); live values are in NodePresence. */
  readonly lastSeenAt: Date | null;
  readonly appliedRevision: number;
  readonly applyError: string;
  /** The agent's last ReportAddressUsage; null if it never sent one. */
  readonly addressUsage: AddressUsage | null;
}

/** How full a node's subnet is, as its agent (which leases out container addresses) reported it. */
export interface AddressUsage {
  /** Container addresses leased. */
  readonly leased: number;
  /** Addresses the subnet offers containers; at least 1 and at least `leased`. */
  readonly capacity: number;
  readonly reportedAt: Date;
}

export type WriteOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** What the controller learned about one agent since its last flush. */
export interface AgentStatusUpdate {
  readonly nodeName: string;
  readonly lastSeenAt: Date;
  readonly appliedRevision: number;
  readonly applyError: string;
}

/** One route: packets for `subnet` go to `underlayIp` (the node `nodeName`). */
export interface RouteRecord {
  readonly nodeName: string;
  readonly subnet: Ipv4Cidr;
  readonly underlayIp: number;
}

/** One changelog row; `revision` is its row id, the global revision it brings the table to. */
export interface ChangeRecord {
  readonly revision: number;
  readonly op: 'add' | 'remove';
  readonly route: RouteRecord;
  readonly at: Date;
}

export interface AddNodeInput {
  readonly name: string;
  readonly underlayIp: number;
  /** Pin this subnet; otherwise the allocator picks the lowest free one. */
  readonly subnet?: Ipv4Cidr;
}

/** A subnet pinned to a node name: add-node for that name gets it, nobody else does. */
export interface ReservationRecord {
  readonly nodeName: string;
  readonly subnet: Ipv4Cidr;
  readonly createdAt: Date;
  readonly createdBy: string;
}

/** A released subnet held back from the allocator until `availableAt` (except for `previousNode`). */
export interface QuarantineRecord {
  readonly subnet: Ipv4Cidr;
  readonly previousNode: string;
  readonly releasedAt: Date;
  readonly availableAt: Date;
}

/** How the pool's subnets are held; the four sets are disjoint, so free = total - the other three. */
export interface PoolUsage {
  readonly total: number;
  /** Assigned to nodes (a reserved subnet whose node exists counts here). */
  readonly used: number;
  /** Reserved for names that are not added (yet). */
  readonly reserved: number;
  /** In quarantine now (expired rows do not count). */
  readonly quarantined: number;
}

/** How a removal is recorded; the defaults are an admin's remove-node. */
export interface RemoveNodeOptions {
  /** Audit action, e.g. "expire-node" when the controller's lease loop removes a node. */
  readonly action?: string;
  /** Why, put first in the audit detail. */
  readonly reason?: string;
  /** When; defaults to the store's clock. */
  readonly at?: Date;
}

/** Who made a change, for the audit log: "local", "apikey:<id>", "node:<name>" or "anonymous". */
export interface AuditContext {
  readonly actor: string;
  /** The caller's address as gRPC reports it. */
  readonly peer: string;
}

export type AuditOutcome = 'ok' | 'denied';

export interface AuditEventInput {
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: AuditOutcome;
  readonly detail?: string;
  readonly peer?: string;
}

export interface AuditEventRecord extends Required<AuditEventInput> {
  readonly id: number;
}

export interface NewJoinToken {
  readonly id: string;
  readonly secretHash: string;
  readonly expiresAt: Date;
}

export interface JoinTokenRecord {
  readonly id: string;
  readonly nodeName: string;
  readonly secretHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly createdBy: string;
}

/** A node client certificate the controller issued; `serial` is upper-case hex. */
export interface CertificateRecord {
  readonly serial: string;
  readonly nodeName: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly revokeReason: string;
}

export type ApiKeyScope = 'read' | 'admin';

export interface ApiKeyRecord {
  readonly id: string;
  readonly secretHash: string;
  readonly scope: ApiKeyScope;
  readonly description: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly createdBy: string;
}

export interface Store {
  /**
   * First start: validates and stores the configuration. Later starts with a different one:
   * stores it when every node and reservation still fits and the UDP port is unchanged (or no
   * node exists), dropping quarantine rows outside the new pool; otherwise throws
   * FailedPreconditionError naming what would be orphaned.
   */
  initNetwork(input: NetworkConfigInput): NetworkConfig;
  /** The stored configuration; throws FailedPreconditionError if none yet. */
  network(): NetworkConfig;

  /**
   * Validates, allocates and inserts in one transaction, appending an 'add' change. A reserved
   * name gets its reserved subnet; a name re-added while its old subnet is in quarantine gets
   * that one back. InvalidArgumentError (bad subnet), AlreadyExistsError (name, underlay IP or
   * subnet taken or reserved), FailedPreconditionError (subnet in quarantine, or not the one
   * reserved for the name), PoolExhaustedError (no free subnet).
   */
  addNode(input: AddNodeInput, now: Date, audit?: AuditContext, joinToken?: NewJoinToken): { node: NodeRecord; revision: number; joinToken?: JoinTokenRecord };
  /** Throws NotFoundError naming the node. */
  getNode(name: string): NodeRecord;
  listNodes(): NodeRecord[];
  /**
   * Deletes, appends a 'remove' change, deletes the node's join tokens, revokes its
   * certificates and puts its subnet into quarantine (unless the name has it reserved, or
   * quarantine is off), in one transaction; NotFoundError if absent.
   */
  removeNode(
    name: string,
    audit?: AuditContext,
    options?: RemoveNodeOptions,
  ): { node: NodeRecord; revision: number; revokedCertificates: number; quarantinedUntil: Date | null };
  /** Records that an agent registered as this node (NotFoundError if absent). */
  recordRegistration(name: string, agentVersion: string, now: Date): NodeRecord;
  /**
   * Replaces the node's address usage with `usage` (NotFoundError if absent): agent telemetry,
   * so no change row, no new revision and no audit row. The caller checks the counts.
   */
  recordAddressUsage(name: string, usage: AddressUsage): NodeRecord;
  /**
   * Group commit: runs each write in its own savepoint (a failing one rolls back alone)
   * inside one IMMEDIATE transaction, committed with one fsync; returns what each returned
   * or threw, in order. Throws (nothing stored) if the commit itself fails. `durable` false
   * skips the fsync: for bookkeeping a power cut may lose (the next durable commit keeps it).
   */
  batchWrites(writes: readonly (() => unknown)[], durable?: boolean): WriteOutcome[];
  /** Stores agents' sync status in one transaction; updates for nodes that are gone are skipped. */
  recordAgentStatus(updates: readonly AgentStatusUpdate[]): void;
  /** Random id fixed when the database was created: revisions are comparable only within it. */
  clusterId(): string;

  /** The whole route table and the revision it is at, read in one transaction. */
  routeSnapshot(): { routes: RouteRecord[]; revision: number };
  /** Changes after `revision` in order, or null when some were compacted away. */
  changesSince(revision: number): ChangeRecord[] | null;
  latestRevision(): number;
  /** Deletes all but the newest `keepLast` changes; returns how many went. */
  compactChanges(keepLast: number): number;
  /** How many subnets the pool has and how they are held, now by the store's clock. */
  poolUsage(): PoolUsage;
  /** How many routes the table has (one per node). */
  routeCount(): number;

  /**
   * Pins `subnet` (or, without one, the subnet the allocator would pick now) to a name that is
   * not added yet, audited. InvalidArgumentError (bad name or subnet), AlreadyExistsError (name
   * reserved or added, subnet assigned or reserved), FailedPreconditionError (subnet in
   * quarantine for another name), PoolExhaustedError.
   */
  reserveSubnet(nodeName: string, subnet: Ipv4Cidr | undefined, now: Date, audit: AuditContext): ReservationRecord;
  /** Ordered by node name. */
  listReservations(): ReservationRecord[];
  /**
   * Drops the pin, audited; NotFoundError if there is none. When no node holds the subnet and
   * its last node was removed less than the quarantine time ago, it goes into quarantine for
   * the rest of that time.
   */
  deleteReservation(nodeName: string, now: Date, audit: AuditContext): ReservationRecord;
  /** Subnets in quarantine at `now`, in address order. */
  listQuarantinedSubnets(now: Date): QuarantineRecord[];
  /** Ends a quarantine early, audited; NotFoundError if the subnet is not in quarantine at `now`. */
  releaseQuarantinedSubnet(subnet: Ipv4Cidr, now: Date, audit: AuditContext): QuarantineRecord;

  /** A fresh join token for an existing node (NotFoundError otherwise), audited. */
  createJoinToken(nodeName: string, token: NewJoinToken, now: Date, audit: AuditContext): JoinTokenRecord;
  /** All tokens (or one node's), newest first. */
  listJoinTokens(nodeName?: string): JoinTokenRecord[];
  joinToken(id: string): JoinTokenRecord | null;
  /** Makes the token expire at `now` (an earlier expiry stays), audited; NotFoundError if unknown. */
  expireJoinToken(id: string, now: Date, audit: AuditContext): JoinTokenRecord;
  /**
   * Marks the token used and records the certificate issued for it, in one transaction;
   * returns false (changing nothing) if another join used the token first.
   */
  redeemJoinToken(id: string, certificate: CertificateRecord, audit: AuditContext): boolean;
  /** Records a certificate issued on renewal, audited. */
  addCertificate(certificate: CertificateRecord, audit: AuditContext, action: string): void;
  certificate(serial: string): CertificateRecord | null;
  /**
   * Revokes the node's certificates issued before `serial` (a renewal or a new join now in
   * use), audited; returns how many. The older ones stay valid until the new one is used,
   * so an agent that crashed before saving its new certificate is not locked out.
   */
  supersedeCertificates(nodeName: string, serial: string, at: Date, audit: AuditContext): number;

  createApiKey(key: ApiKeyRecord, audit: AuditContext): ApiKeyRecord;
  listApiKeys(): ApiKeyRecord[];
  apiKey(id: string): ApiKeyRecord | null;
  /** Sets revoked_at (NotFoundError if unknown; a second revoke keeps the first time). */
  revokeApiKey(id: string, now: Date, audit: AuditContext): ApiKeyRecord;

  recordAudit(event: AuditEventInput): void;
  /** Newest first. */
  listAuditEvents(since: Date | null, limit: number): AuditEventRecord[];

  close(): void;
}
