// The agent's copy of the cluster route table, kept in step with the controller's watch
// stream: a snapshot replaces it, a delta applies only on top of the revision it names.
// Deltas are coalesced by the controller (the net change per subnet from base_revision to
// revision), so the table is keyed by subnet: `add` sets the route for its subnet whatever
// the agent held for it (the subnet may have moved to another node), `remove` drops it if held.
import { formatCidr, type Ipv4Cidr } from '../common/cidr.js';
import { RouteTableDigest } from '../common/route-table-digest.js';

export interface RouteEntry {
  readonly nodeName: string;
  readonly subnet: Ipv4Cidr;
  readonly underlayIp: number;
}

export interface RouteChangeEntry {
  readonly op: 'add' | 'remove';
  readonly route: RouteEntry;
}

export type DeltaResult = 'applied' | 'stale' | 'gap';

/** Everything the table holds, as a value: for the state file and for undoing a refused change. */
export interface RouteTableState {
  readonly revision: number;
  /** The cluster the revision belongs to; '' when the controller named none. */
  readonly clusterId: string;
  readonly synced: boolean;
  readonly routes: readonly RouteEntry[];
}

export class AgentRouteTable {
  /** By subnet ("10.244.1.0/24"): one route per subnet, as the controller's changes are. */
  private entries = new Map<string, RouteEntry>();
  private currentRevision = 0;
  private currentClusterId = '';
  private synced = false;
  /** digest() of the table as it is; '' when it changed since. */
  private cachedDigest = '';

  get revision(): number {
    return this.currentRevision;
  }

  get clusterId(): string {
    return this.currentClusterId;
  }

  /** True once a snapshot (or a table restored from disk) has given us a complete table. */
  get isSynced(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The digest of the routes held (common/route-table-digest.ts), to compare with the controller's. */
  digest(): string {
    if (!this.cachedDigest) this.cachedDigest = RouteTableDigest.of(this.entries.values()).value;
    return this.cachedDigest;
  }

  applySnapshot(revision: number, routes: readonly RouteEntry[], clusterId = ''): void {
    this.cachedDigest = '';
    this.entries = new Map(routes.map((r) => [formatCidr(r.subnet), r]));
    this.currentRevision = revision;
    this.currentClusterId = clusterId;
    this.synced = true;
  }

  /**
   * Applies a delta. 'stale': already have it (ignored); 'gap': it does not start at our
   * revision, so something was missed and the agent must resynchronise.
   */
  applyDelta(baseRevision: number, revision: number, changes: readonly RouteChangeEntry[]): DeltaResult {
    if (revision <= this.currentRevision) return 'stale';
    if (!this.synced || baseRevision !== this.currentRevision) return 'gap';
    this.cachedDigest = '';
    for (const { op, route } of changes) {
      // Set, not "add if absent": a coalesced add may replace the route of a subnet that moved.
      if (op === 'add') this.entries.set(formatCidr(route.subnet), route);
      // Absent is fine: the controller may coalesce an add and a remove we never saw the add of.
      else this.entries.delete(formatCidr(route.subnet));
    }
    this.currentRevision = revision;
    return 'applied';
  }

  state(): RouteTableState {
    return { revision: this.currentRevision, clusterId: this.currentClusterId, synced: this.synced, routes: [...this.entries.values()] };
  }

  /** Puts back a state() taken earlier (a change the data path refused is undone this way). */
  restore(state: RouteTableState): void {
    this.cachedDigest = '';
    this.entries = new Map(state.routes.map((r) => [formatCidr(r.subnet), r]));
    this.currentRevision = state.revision;
    this.currentClusterId = state.clusterId;
    this.synced = state.synced;
  }

  /** Forgets everything: the next stream asks for a snapshot. */
  reset(): void {
    this.restore({ revision: 0, clusterId: '', synced: false, routes: [] });
  }

  routes(): RouteEntry[] {
    return [...this.entries.values()].sort((a, b) => a.subnet.base - b.subnet.base || a.subnet.prefixLen - b.subnet.prefixLen);
  }

  /** Every route except our own node's: what the data path and the route installer need. */
  peers(selfName: string): RouteEntry[] {
    return this.routes().filter((r) => r.nodeName !== selfName);
  }
}
