// A simulated agent's copy of the route table.
// Semantics are the Watch contract's: a snapshot replaces the table; a delta applies on top of
// the revision it names, at most one change per subnet (add sets that subnet's route, remove
// deletes it if present).
//
// Why the tables are shared: in a real cluster each agent applies each message on its own
// host; here thousands of agents share two cores with the controller, all receive the same
// messages from the same revisions, and applying every copy (one Map.set per route per agent,
// 5,000 agents × 2,000 routes in a storm) made the fleet, not the controller, what the bench
// measured. So a table is an immutable *version* (cluster id, revision, subnet → route) shared
// by every agent that holds it, and the step from one version to the next is computed once per
// process: the first agent to apply a delta (or snapshot) builds the new version, every other
// agent applying the same delta on the same version takes the result (see SharedTables).
// Each agent still decides, with its own revision and cluster id, whether a message applies
// at all; only the resulting table is shared. The cache holds versions weakly: one lives as
// long as a mirror holds it, so memory is that of the distinct tables held, not of the agents.

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

/** One immutable table, shared by every mirror that holds it. Never modify `routes`. */
export interface TableVersion {
  readonly clusterId: string;
  readonly revision: number;
  readonly routes: ReadonlyMap<string, MirrorRoute>;
}

/**
 * Routes interned per process, by subnet: the same route received by 5,000 agents is stored
 * once. A subnet whose route changed gets a new object; versions still holding the old one
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

const sameRoute = (a: MirrorRoute, b: MirrorRoute): boolean =>
  a === b || (a.subnet === b.subnet && a.underlayIp === b.underlayIp && a.nodeName === b.nodeName);

function sameRoutes(a: readonly MirrorRoute[], b: readonly MirrorRoute[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameRoute(a[i]!, b[i]!)) return false;
  return true;
}

function sameChanges(a: readonly MirrorChange[], b: readonly MirrorChange[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.op !== b[i]!.op || !sameRoute(a[i]!.route, b[i]!.route)) return false;
  return true;
}

function sameTable(a: ReadonlyMap<string, MirrorRoute>, b: ReadonlyMap<string, MirrorRoute>): boolean {
  if (a.size !== b.size) return false;
  for (const [subnet, route] of a) {
    const other = b.get(subnet);
    if (!other || !sameRoute(route, other)) return false;
  }
  return true;
}

/** Different deltas remembered per base version (agents at one revision get one delta per fan-out). */
const STEPS_KEPT_PER_BASE = 8;
/** Different route lists remembered per snapshot revision. */
const SNAPSHOTS_KEPT_PER_REVISION = 2;
/**
 * Snapshot revisions remembered. Few: each holds its routes arrays (the whole table) strongly,
 * and snapshots come at a handful of revisions (setup, a resync), not at every one.
 */
const SNAPSHOT_REVISIONS_KEPT = 16;
/** Revisions whose canonical version is remembered (weakly: it costs a key and a WeakRef). */
const CANONICAL_REVISIONS_KEPT = 256;

interface Step<Input> {
  /** What was applied: the caller's array, compared by identity first, then by content. */
  readonly input: Input;
  readonly revision: number;
  /** Weak: a version no mirror holds any more is collected, and rebuilt if it is asked for again. */
  readonly result: WeakRef<TableVersion>;
}

const revisionKey = (clusterId: string, revision: number): string => `${clusterId}\n${revision}`;

function remember<V>(map: Map<string, V>, key: string, value: V, kept: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > kept) map.delete(map.keys().next().value!);
}

function find<Input>(steps: readonly Step<Input>[] | undefined, revision: number, input: Input, same: (a: Input, b: Input) => boolean): TableVersion | undefined {
  if (!steps) return undefined;
  // Identity first: the shared decoder hands every agent the same array for the same bytes.
  for (const step of steps) {
    if (step.input !== input || step.revision !== revision) continue;
    const result = step.result.deref();
    if (result) return result;
  }
  for (const step of steps) {
    if (step.revision !== revision || step.input === input || !same(step.input, input)) continue;
    const result = step.result.deref();
    if (result) return result;
  }
  return undefined;
}

function record<Input>(steps: Step<Input>[], step: Step<Input>, kept: number): void {
  steps.push(step);
  if (steps.length > kept) steps.shift();
}

/**
 * The process's table versions and the steps between them. A step is remembered by what it
 * really depends on: for a delta, the base version object (not just its revision: two tables
 * at one revision may differ, which the bench exists to detect), the new revision and the
 * changes (the same array, or an equal one); for a snapshot, cluster, revision and routes.
 * The message's cluster id is not part of a delta's key: once the mirror accepted it, the
 * result does not depend on it. Arrays handed in must not be modified afterwards (the
 * decoder's objects are read-only).
 *
 * Versions built along different paths (a snapshot at 12; 10 + delta to 12; 11 + delta to
 * 12) are merged when equal, so agents that took different paths share their next steps
 * again instead of each path costing a copy per fan-out.
 */
export class SharedTables {
  /** Tables built (each a copy of a base, or a snapshot's routes), for tests and curiosity. */
  built = 0;
  /** Of those, the ones dropped for an equal version already held at that revision. */
  merged = 0;
  private readonly steps = new WeakMap<TableVersion, Step<readonly MirrorChange[]>[]>();
  private readonly snapshots = new Map<string, Step<readonly MirrorRoute[]>[]>();
  /** The version at (cluster, revision) others are merged into when equal. */
  private readonly canonical = new Map<string, WeakRef<TableVersion>>();

  snapshot(revision: number, routes: readonly MirrorRoute[], clusterId: string): TableVersion {
    const key = revisionKey(clusterId, revision);
    const known = this.snapshots.get(key);
    const found = find(known, revision, routes, sameRoutes);
    if (found) return found;
    const table = new Map<string, MirrorRoute>();
    for (const route of routes) {
      const shared = internRoute(route);
      table.set(shared.subnet, shared);
    }
    const version = this.settle({ clusterId, revision, routes: table });
    const steps = known ?? [];
    record(steps, { input: routes, revision, result: new WeakRef(version) }, SNAPSHOTS_KEPT_PER_REVISION);
    remember(this.snapshots, key, steps, SNAPSHOT_REVISIONS_KEPT);
    return version;
  }

  delta(base: TableVersion, revision: number, changes: readonly MirrorChange[]): TableVersion {
    let steps = this.steps.get(base);
    const found = find(steps, revision, changes, sameChanges);
    if (found) return found;
    const table = new Map(base.routes);
    for (const { op, route } of changes) {
      if (op === 'add') {
        const shared = internRoute(route);
        table.set(shared.subnet, shared);
      } else {
        table.delete(route.subnet);
      }
    }
    const version = this.settle({ clusterId: base.clusterId, revision, routes: table });
    if (!steps) this.steps.set(base, (steps = []));
    record(steps, { input: changes, revision, result: new WeakRef(version) }, STEPS_KEPT_PER_BASE);
    return version;
  }

  /** `fresh`, or the equal version already held at its revision. */
  private settle(fresh: TableVersion): TableVersion {
    const key = revisionKey(fresh.clusterId, fresh.revision);
    this.built++;
    const existing = this.canonical.get(key)?.deref();
    if (existing && sameTable(existing.routes, fresh.routes)) {
      this.merged++;
      return existing;
    }
    remember(this.canonical, key, new WeakRef(fresh), CANONICAL_REVISIONS_KEPT);
    return fresh;
  }
}

/** The tables shared by every mirror of this process. */
const processTables = new SharedTables();

/** No table yet (or forgotten): never shared with a version a snapshot or delta produced. */
const UNSYNCED: TableVersion = { clusterId: '', revision: 0, routes: new Map() };

export class RouteMirror {
  private current = UNSYNCED;
  private readonly tables: SharedTables;

  /** `tables`: where versions are shared; the process's by default (tests pass their own). */
  constructor(tables: SharedTables = processTables) {
    this.tables = tables;
  }

  /** The version held: the same object for every mirror holding an identical table built from the same messages. */
  get version(): TableVersion {
    return this.current;
  }

  get revision(): number {
    return this.current.revision;
  }

  get clusterId(): string {
    return this.current.clusterId;
  }

  /** True once a snapshot gave us a whole table. */
  get isSynced(): boolean {
    return this.current !== UNSYNCED;
  }

  get size(): number {
    return this.current.routes.size;
  }

  /** The route held for `subnet`, if any. */
  get(subnet: string): MirrorRoute | undefined {
    return this.current.routes.get(subnet);
  }

  /** `routes` must not be modified afterwards: the array may be remembered to recognise the same snapshot. */
  applySnapshot(revision: number, routes: readonly MirrorRoute[], clusterId: string): void {
    this.current = this.tables.snapshot(revision, routes, clusterId);
  }

  /** `changes` must not be modified afterwards: the array may be remembered to recognise the same delta. */
  applyDelta(baseRevision: number, revision: number, changes: readonly MirrorChange[], clusterId: string): MirrorDeltaResult {
    // A delta from another cluster cannot apply to this table, whatever its numbers say.
    if (!this.isSynced || (clusterId !== '' && clusterId !== this.current.clusterId)) return 'gap';
    if (revision <= this.current.revision) return 'stale';
    if (baseRevision !== this.current.revision) return 'gap';
    this.current = this.tables.delta(this.current, revision, changes);
    return 'applied';
  }

  /** Forgets the table, so the next stream starts from a snapshot. */
  reset(): void {
    this.current = UNSYNCED;
  }

  /**
   * How this table differs from `expected`, ignoring `ownNode`'s route on both sides (an
   * agent needs no route to itself): at most `limit` human-readable differences.
   */
  differences(expected: readonly MirrorRoute[], ownNode: string, limit = 5): string[] {
    const held = this.current.routes;
    const found: string[] = [];
    let expectedCount = 0;
    for (const want of expected) {
      if (want.nodeName === ownNode) continue;
      expectedCount++;
      const have = held.get(want.subnet);
      if (!have) found.push(`missing ${want.subnet} (${want.nodeName})`);
      else if (have.underlayIp !== want.underlayIp || have.nodeName !== want.nodeName) {
        found.push(`${want.subnet}: holds ${have.nodeName} via ${have.underlayIp}, expected ${want.nodeName} via ${want.underlayIp}`);
      }
      if (found.length >= limit) return found;
    }
    if (found.length > 0) return found;
    // Every expected route is held: the table is right unless it holds more.
    let heldCount = 0;
    for (const route of held.values()) if (route.nodeName !== ownNode) heldCount++;
    if (heldCount === expectedCount) return found;
    const wanted = new Set(expected.map((r) => r.subnet));
    for (const route of held.values()) {
      if (route.nodeName !== ownNode && !wanted.has(route.subnet)) found.push(`extra ${route.subnet} (${route.nodeName})`);
      if (found.length >= limit) break;
    }
    return found;
  }
}
