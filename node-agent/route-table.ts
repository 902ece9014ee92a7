// The agent's copy of the cluster route table, kept in step with the controller's watch
// stream: a snapshot replaces it, a delta applies only on top of the revision it names.
import type { Ipv4Cidr } from '../common/cidr.js';

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

export class AgentRouteTable {
  private entries = new Map<string, RouteEntry>();
  private currentRevision = 0;
  private synced = false;

  get revision(): number {
    return this.currentRevision;
  }

  /** True once a snapshot (or a resumed stream) has given us a complete table. */
  get isSynced(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.entries.size;
  }

  applySnapshot(revision: number, routes: readonly RouteEntry[]): void {
    this.entries = new Map(routes.map((r) => [r.nodeName, r]));
    this.currentRevision = revision;
    this.synced = true;
  }

  /**
   * Applies a delta. 'stale': already have it (ignored); 'gap': it does not start at our
   * revision, so something was missed and the agent must resynchronise.
   */
  applyDelta(baseRevision: number, revision: number, changes: readonly RouteChangeEntry[]): DeltaResult {
    if (revision <= this.currentRevision) return 'stale';
    if (!this.synced || baseRevision !== this.currentRevision) return 'gap';
    for (const { op, route } of changes) {
      if (op === 'add') this.entries.set(route.nodeName, route);
      else if (this.entries.get(route.nodeName)?.subnet.base === route.subnet.base) this.entries.delete(route.nodeName);
    }
    this.currentRevision = revision;
    return 'applied';
  }

  routes(): RouteEntry[] {
    return [...this.entries.values()].sort((a, b) => a.subnet.base - b.subnet.base);
  }

  /** Every route except our own node's: what the data path and the route installer need. */
  peers(selfName: string): RouteEntry[] {
    return this.routes().filter((r) => r.nodeName !== selfName);
  }
}
