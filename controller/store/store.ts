// What the controller keeps: the network configuration, the nodes and the changelog.
// The SQLite implementation (sqlite-store.ts) is the only file that imports better-sqlite3.
import type { Ipv4Cidr } from '../../common/cidr.js';

/** The address plan, fixed on the controller's first start. */
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
   * First start: validates and stores the configuration. Later starts: returns the stored
   * one, or throws FailedPreconditionError naming what is stored when `input` differs.
   */
  initNetwork(input: NetworkConfigInput): NetworkConfig;
  /** The stored configuration; throws FailedPreconditionError if none yet. */
  network(): NetworkConfig;

  /**
   * Validates, allocates and inserts in one transaction, appending an 'add' change.
   * InvalidArgumentError (bad subnet), AlreadyExistsError (name, underlay IP or subnet
   * taken), PoolExhaustedError (no free subnet).
   */
  addNode(input: AddNodeInput, now: Date, audit?: AuditContext, joinToken?: NewJoinToken): { node: NodeRecord; revision: number; joinToken?: JoinTokenRecord };
  /** Throws NotFoundError naming the node. */
  getNode(name: string): NodeRecord;
  listNodes(): NodeRecord[];
  /**
   * Deletes, appends a 'remove' change, deletes the node's join tokens and revokes its
   * certificates, in one transaction; NotFoundError if absent.
   */
  removeNode(name: string, audit?: AuditContext): { node: NodeRecord; revision: number; revokedCertificates: number };
  /** Records that an agent registered as this node (NotFoundError if absent). */
  recordRegistration(name: string, agentVersion: string, now: Date): NodeRecord;

  /** The whole route table and the revision it is at, read in one transaction. */
  routeSnapshot(): { routes: RouteRecord[]; revision: number };
  /** Changes after `revision` in order, or null when some were compacted away. */
  changesSince(revision: number): ChangeRecord[] | null;
  latestRevision(): number;
  /** Deletes all but the newest `keepLast` changes; returns how many went. */
  compactChanges(keepLast: number): number;
  /** How many subnets the pool has and how many are assigned. */
  poolUsage(): { total: number; used: number };

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
