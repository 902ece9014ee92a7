// A simulated agent's copy of the route table. Thousands of agents share one process, each
// holding the whole table, so every distinct route is one interned object shared by all the
// agents that hold it, and each agent keeps only a subnet → route map.
// Semantics are the Watch contract's: a snapshot replaces the table; a delta applies on top of
// the revision it names, at most one change per subnet (add sets that subnet's route, remove
// deletes it if present).

export interface MirrorRoute {
  readonly subnet: string;
  readonly underlayIp: string;
  readonly nodeName: string;
}

export interface MirrorChange {
  readonly op: 'add' | 'remove';
  readonly route: MirrorRoute;
}

/** applied: the table moved on; stale: we already hold that revision; gap: it does not start at ours. */
export type MirrorDeltaResult = 'applied' | 'stale' | 'gap';

/**
 * Routes interned per process, by subnet: the same route received by 5,000 agents is stored
 * once. A subnet whose route changed gets a new object; agents still holding the old one
 * keep it (it is theirs, unchanged).
 */
const interned = new Map<string, MirrorRoute>();

export function internRoute(route: MirrorRoute): MirrorRoute {
  const found = interned.get(route.subnet);
  if (found && found.underlayIp === route.underlayIp && found.nodeName === route.nodeName) return found;
  const shared = { subnet: route.subnet, underlayIp: route.underlayIp, nodeName: route.nodeName };
  interned.set(shared.subnet, shared);
  return shared;
}

export class RouteMirror {
  private bySubnet = new Map<string, MirrorRoute>();
  private currentRevision = 0;
  private currentClusterId = '';
  private synced = false;

  get revision(): number {
    return this.currentRevision;
  }

  get clusterId(): string {
    return this.currentClusterId;
  }

  /** True once a snapshot gave us a whole table. */
  get isSynced(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.bySubnet.size;
  }

  /** The route held for `subnet`, if any. */
  get(subnet: string): MirrorRoute | undefined {
    return this.bySubnet.get(subnet);
  }

  applySnapshot(revision: number, routes: readonly MirrorRoute[], clusterId: string): void {
    const table = new Map<string, MirrorRoute>();
    for (const route of routes) {
      const shared = internRoute(route);
      table.set(shared.subnet, shared);
    }
    this.bySubnet = table;
    this.currentRevision = revision;
    this.currentClusterId = clusterId;
    this.synced = true;
  }

  applyDelta(baseRevision: number, revision: number, changes: readonly MirrorChange[], clusterId: string): MirrorDeltaResult {
    // A delta from another cluster cannot apply to this table, whatever its numbers say.
    if (!this.synced || (clusterId !== '' && clusterId !== this.currentClusterId)) return 'gap';
    if (revision <= this.currentRevision) return 'stale';
    if (baseRevision !== this.currentRevision) return 'gap';
    for (const { op, route } of changes) {
      if (op === 'add') {
        const shared = internRoute(route);
        this.bySubnet.set(shared.subnet, shared);
      } else {
        this.bySubnet.delete(route.subnet);
      }
    }
    this.currentRevision = revision;
    return 'applied';
  }

  /** Forgets the table, so the next stream starts from a snapshot. */
  reset(): void {
    this.bySubnet = new Map();
    this.currentRevision = 0;
    this.currentClusterId = '';
    this.synced = false;
  }

  /**
   * How this table differs from `expected`, ignoring `ownNode`'s route on both sides (an
   * agent needs no route to itself): at most `limit` human-readable differences.
   */
  differences(expected: readonly MirrorRoute[], ownNode: string, limit = 5): string[] {
    const found: string[] = [];
    let expectedCount = 0;
    for (const want of expected) {
      if (want.nodeName === ownNode) continue;
      expectedCount++;
      const have = this.bySubnet.get(want.subnet);
      if (!have) found.push(`missing ${want.subnet} (${want.nodeName})`);
      else if (have.underlayIp !== want.underlayIp || have.nodeName !== want.nodeName) {
        found.push(`${want.subnet}: holds ${have.nodeName} via ${have.underlayIp}, expected ${want.nodeName} via ${want.underlayIp}`);
      }
      if (found.length >= limit) return found;
    }
    if (found.length > 0) return found;
    // Every expected route is held: the table is right unless it holds more.
    let heldCount = 0;
    for (const route of this.bySubnet.values()) if (route.nodeName !== ownNode) heldCount++;
    if (heldCount === expectedCount) return found;
    const wanted = new Set(expected.map((r) => r.subnet));
    for (const route of this.bySubnet.values()) {
      if (route.nodeName !== ownNode && !wanted.has(route.subnet)) found.push(`extra ${route.subnet} (${route.nodeName})`);
      if (found.length >= limit) break;
    }
    return found;
  }
}
