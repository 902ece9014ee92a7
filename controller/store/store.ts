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
  addNode(input: AddNodeInput, now: Date): { node: NodeRecord; revision: number };
  /** Throws NotFoundError naming the node. */
  getNode(name: string): NodeRecord;
  listNodes(): NodeRecord[];
  /** Deletes and appends a 'remove' change in one transaction; NotFoundError if absent. */
  removeNode(name: string): { node: NodeRecord; revision: number };
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

  close(): void;
}
