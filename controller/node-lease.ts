// Node leases (--node-lease-ttl): a node whose agent stays away longer than the TTL is removed,
// so that hosts that vanished for good (autoscaled away, reinstalled) do not hold subnets and
// routes forever. The removal is an ordinary removeNode: the subnet goes into quarantine, the
// certificates are revoked, every agent drops the route.
//
// The clock of a lease never starts before the controller did: after a long controller outage
// every agent gets a whole TTL to reconnect, however long ago it was last seen.
import { formatCidr } from '../common/cidr.js';
import { errorMessage, InvalidArgumentError, NotFoundError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { NodeRecord, Store } from './store/store.js';

/** What the lease loop needs to know about agents (implemented by the controller's NodePresence). */
export interface PresenceView {
  isConnected(nodeName: string): boolean;
  /** When the agent was last heard from since this controller started; null if not yet (see lastSignOfLife). */
  lastSeen(nodeName: string): Date | null;
}

/** The longest pause between two sweeps; shorter TTLs are checked ten times per TTL. */
export const MAX_LEASE_CHECK_INTERVAL_MS = 60_000;
/** TTLs below this are refused: a lease shorter than a few heartbeats removes nodes that merely hiccup. */
export const MIN_NODE_LEASE_TTL_MS = 10_000;

export interface NodeLeaseOptions {
  readonly store: Store;
  readonly presence: PresenceView;
  readonly ttlMs: number;
  /** When this controller process started serving. */
  readonly controllerStartedAt: Date;
  readonly now: () => Date;
  readonly logger: Logger;
  /** After each removal, so the caller can close the node's stream and publish the change. */
  readonly onRemoved: (nodeName: string, revision: number, node: NodeRecord) => void;
  /** Timers; tests pass fakes. */
  readonly setInterval?: (fn: () => void, ms: number) => { unref?(): unknown };
  readonly clearInterval?: (timer: never) => void;
}

/** The controller's actor in the audit log for removals nobody asked for. */
export const LEASE_AUDIT = { actor: 'controller', peer: '' } as const;

export function leaseCheckIntervalMs(ttlMs: number): number {
  return Math.min(Math.ceil(ttlMs / 10), MAX_LEASE_CHECK_INTERVAL_MS);
}

/**
 * The moment the node's lease runs out: a full TTL after the later of its agent's last sign of
 * life (or, never seen, the node's creation) and the controller's start. null while connected.
 */
export function leaseExpiresAt(node: NodeRecord, presence: PresenceView, ttlMs: number, controllerStartedAt: Date): Date | null {
  if (presence.isConnected(node.name)) return null;
  const since = lastSignOfLife(node, presence.lastSeen(node.name)) ?? node.createdAt;
  return new Date(Math.max(since.getTime(), controllerStartedAt.getTime()) + ttlMs);
}

/** The latest time the agent was heard from (`live`, as stored, or its last Register); null if never. */
export function lastSignOfLife(node: NodeRecord, live: Date | null): Date | null {
  const times = [live, node.lastSeenAt, node.lastRegisteredAt].filter((t): t is Date => t !== null);
  return times.length === 0 ? null : new Date(Math.max(...times.map((t) => t.getTime())));
}

export class NodeLeaseLoop {
  private readonly options: NodeLeaseOptions;
  private timer: { unref?(): unknown } | undefined;

  constructor(options: NodeLeaseOptions) {
    if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs < MIN_NODE_LEASE_TTL_MS) {
      throw new InvalidArgumentError(`node lease TTL ${String(options.ttlMs)} ms is invalid (at least ${MIN_NODE_LEASE_TTL_MS} ms)`);
    }
    this.options = options;
  }

  /** Sweeps every leaseCheckIntervalMs(ttl); the first sweep comes after one interval, not at once. */
  start(): void {
    if (this.timer !== undefined) return;
    const every = leaseCheckIntervalMs(this.options.ttlMs);
    this.timer = (this.options.setInterval ?? setInterval)(() => this.sweep(), every);
    this.timer.unref?.();
    this.options.logger.info('node leases on', { ttl_ms: this.options.ttlMs, check_every_ms: every });
  }

  stop(): void {
    if (this.timer === undefined) return;
    (this.options.clearInterval ?? clearInterval)(this.timer as never);
    this.timer = undefined;
  }

  /**
   * Removes every node whose lease ran out; returns their names. Synchronous from the check to
   * the removal, so an agent cannot connect in between.
   */
  sweep(): string[] {
    const { store, presence, ttlMs, controllerStartedAt, logger } = this.options;
    const at = this.options.now();
    const removed: string[] = [];
    for (const node of store.listNodes()) {
      const expiresAt = leaseExpiresAt(node, presence, ttlMs, controllerStartedAt);
      if (expiresAt === null || expiresAt.getTime() >= at.getTime()) continue;
      const lastSeen = lastSignOfLife(node, presence.lastSeen(node.name));
      const since = lastSeen ?? node.createdAt;
      const what = lastSeen === null ? 'no agent seen since the node was added' : 'its agent silent';
      const reason = `${what} for ${formatDuration(at.getTime() - since.getTime())} (since ${since.toISOString()}), longer than the node lease TTL ${formatDuration(ttlMs)}`;
      try {
        const result = store.removeNode(node.name, LEASE_AUDIT, { action: 'expire-node', reason, at });
        removed.push(node.name);
        logger.warn('node lease expired; node removed', {
          node: node.name,
          subnet: formatCidr(node.subnet),
          last_seen: lastSeen?.toISOString() ?? 'never',
          revision: result.revision,
          quarantined_until: result.quarantinedUntil?.toISOString(),
        });
        this.options.onRemoved(node.name, result.revision, result.node);
      } catch (err) {
        // Removed by an admin since listNodes: nothing left to do. Anything else must not stop the other removals.
        if (!(err instanceof NotFoundError)) logger.error('removing an expired node failed', { node: node.name, error: errorMessage(err) });
      }
    }
    return removed;
  }
}

const UNITS = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const;

/** "1h2m", "45s", "3d4h": the largest unit and the next one, for log lines and audit details. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const i = UNITS.findIndex(([, size]) => s >= size);
  if (i < 0) return '0s';
  const [unit, size] = UNITS[i]!;
  const next = UNITS[i + 1];
  const rest = next ? Math.floor((s % size) / next[1]) : 0;
  return `${Math.floor(s / size)}${unit}${rest > 0 && next ? `${rest}${next[0]}` : ''}`;
}
