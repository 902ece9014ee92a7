// What the controller knows about each node's agent right now: connected or not, when it was
// last heard from, which revision it applied and why it last failed. Acks arrive for every
// message on every stream (thousands a second at scale), so they update memory, and a timer
// flushes what changed to the store in one transaction; list-nodes reads memory over the store.
import type { Logger } from '../common/logger.js';
import { lastSignOfLife, leaseExpiresAt as leaseExpiry } from './node-lease.js';
import type { AgentStatusUpdate, NodeRecord, Store } from './store/store.js';

export type NodeState = 'pending' | 'ready' | 'not-ready';

/** A node's live status, as list-nodes shows it. */
export interface NodeStatus {
  readonly connected: boolean;
  readonly lastSeenAt: Date | null;
  readonly appliedRevision: number;
  readonly applyError: string;
  readonly state: NodeState;
  /** When the lease expires if the agent stays away; null when leases are off or it is connected. */
  readonly leaseExpiresAt: Date | null;
}

/** How many revisions an agent is behind; 0 until it applied a first table (its state says pending then). */
export function revisionLag(appliedRevision: number, latestRevision: number): number {
  return appliedRevision > 0 ? Math.max(0, latestRevision - appliedRevision) : 0;
}

export interface NodePresenceOptions {
  /** A node whose agent is disconnected is still ready for this long after it was last heard. */
  readonly notReadyAfterMs: number;
  /** The lease settings when leases are on: only to show when a silent node would expire. */
  readonly lease?: { readonly ttlMs: number; readonly controllerStartedAt: Date };
  readonly flushIntervalMs?: number;
  readonly isConnected: (nodeName: string) => boolean;
  readonly logger: Logger;
  readonly now?: () => number;
}

interface Live {
  lastSeenAt: number;
  appliedRevision: number;
  applyError: string;
  /** The revision applyError is about; 0 when there is none. */
  failedRevision: number;
}

export class NodePresence {
  private readonly store: Store;
  private readonly options: NodePresenceOptions;
  private readonly now: () => number;
  private readonly live = new Map<string, Live>();
  private readonly dirty = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(store: Store, options: NodePresenceOptions) {
    this.store = store;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 2000);
    this.timer.unref();
  }

  /** The agent spoke (Register, a watch start, an ack). */
  heard(nodeName: string): void {
    this.entry(nodeName).lastSeenAt = this.now();
    this.dirty.add(nodeName);
  }

  /**
   * The agent reports the revision it holds, and the one it failed to apply (0 if none). A
   * failure stays on show until the agent holds that revision or a later one: the acks of
   * heartbeats that follow it name the older revision the agent kept, and must not hide it.
   */
  acknowledged(nodeName: string, appliedRevision: number, failedRevision: number, error: string): void {
    const entry = this.entry(nodeName);
    entry.lastSeenAt = this.now();
    entry.appliedRevision = appliedRevision;
    if (failedRevision > 0) {
      entry.applyError = `revision ${failedRevision}: ${error || 'no reason given'}`;
      entry.failedRevision = failedRevision;
    } else if (entry.failedRevision > 0 && appliedRevision >= entry.failedRevision) {
      entry.applyError = '';
      entry.failedRevision = 0;
    }
    this.dirty.add(nodeName);
  }

  /** The node is gone: forget it (a re-added node of the same name starts fresh). */
  forget(nodeName: string): void {
    this.live.delete(nodeName);
    this.dirty.delete(nodeName);
  }

  isConnected(nodeName: string): boolean {
    return this.options.isConnected(nodeName);
  }

  /** When the agent was last heard from since this controller started; null if not yet (the stored times are in NodeRecord). */
  lastSeen(nodeName: string): Date | null {
    const live = this.live.get(nodeName);
    return live && live.lastSeenAt > 0 ? new Date(live.lastSeenAt) : null;
  }

  status(node: NodeRecord): NodeStatus {
    const live = this.live.get(node.name);
    const connected = this.options.isConnected(node.name);
    const lastSeenAt = lastSignOfLife(node, this.lastSeen(node.name));
    const now = this.now();
    let state: NodeState;
    if (connected) state = 'ready';
    else if (lastSeenAt === null) state = 'pending';
    else state = now - lastSeenAt.getTime() < this.options.notReadyAfterMs ? 'ready' : 'not-ready';
    const lease = this.options.lease;
    const leaseExpiresAt = lease ? leaseExpiry(node, this, lease.ttlMs, lease.controllerStartedAt) : null;
    return {
      connected,
      lastSeenAt,
      appliedRevision: live?.appliedRevision ?? node.appliedRevision,
      applyError: live?.applyError ?? node.applyError,
      state,
      leaseExpiresAt,
    };
  }

  /** Writes what changed since the last flush; a failure is logged and retried next time. */
  flush(): void {
    if (this.dirty.size === 0) return;
    const updates: AgentStatusUpdate[] = [];
    for (const name of this.dirty) {
      const live = this.live.get(name);
      if (live) updates.push({ nodeName: name, lastSeenAt: new Date(live.lastSeenAt), appliedRevision: live.appliedRevision, applyError: live.applyError });
    }
    try {
      this.store.recordAgentStatus(updates);
      this.dirty.clear();
    } catch (err) {
      this.options.logger.warn('cannot store agent status; will retry', { error: err instanceof Error ? err.message : String(err), nodes: updates.length });
    }
  }

  /** Final flush (controller shutdown). */
  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private entry(nodeName: string): Live {
    let entry = this.live.get(nodeName);
    if (!entry) {
      const stored = this.tryGetNode(nodeName);
      const applyError = stored?.applyError ?? '';
      // A failure stored by an earlier run: its revision is in the text ("revision N: why"); if
      // not, any revision newer than the one then held clears it.
      const heldRevision = stored?.appliedRevision ?? 0;
      const failedRevision = applyError ? Number(/^revision (\d+):/.exec(applyError)?.[1] ?? heldRevision + 1) : 0;
      entry = { lastSeenAt: 0, appliedRevision: stored?.appliedRevision ?? 0, applyError, failedRevision };
      this.live.set(nodeName, entry);
    }
    return entry;
  }

  private tryGetNode(nodeName: string): NodeRecord | undefined {
    try {
      return this.store.getNode(nodeName);
    } catch {
      return undefined;
    }
  }
}
