// Pushes the route table to every watching agent: a snapshot (or the missed changes when
// the agent says which revision it holds), then one delta per change, heartbeats while
// idle. The changelog is the queue: a subscriber that cannot keep up is not buffered
// without bound; it is paused until its stream drains and then catches up from the log
// (or gets a fresh snapshot when it fell too far behind).
import type { Logger } from '../common/logger.js';
import type { ChangeRecord, RouteRecord, Store } from './store/store.js';

export type FeedMessage =
  | { readonly kind: 'snapshot'; readonly revision: number; readonly routes: readonly RouteRecord[] }
  | { readonly kind: 'delta'; readonly baseRevision: number; readonly revision: number; readonly changes: readonly ChangeRecord[] }
  | { readonly kind: 'heartbeat'; readonly revision: number };

export type FeedCloseReason = 'node-removed' | 'superseded' | 'shutdown' | 'stalled' | 'internal';

/** One watcher's stream, as the feed sees it. */
export interface FeedSink {
  /** Queues a message; false means "buffer full, wait for onDrain before sending more". */
  send(message: FeedMessage): boolean;
  /** Calls `callback` once when the stream can take more. */
  onceDrain(callback: () => void): void;
  /** Ends the stream with an error the agent can act on. */
  close(reason: FeedCloseReason, message: string): void;
}

export interface RouteFeedOptions {
  readonly heartbeatIntervalMs: number;
  /** A subscriber more than this many changes behind gets a snapshot instead of deltas. */
  readonly maxDeltaBacklog?: number;
  /** How many recent changes to keep in memory for catching up without the store. */
  readonly recentChanges?: number;
  /**
   * A stream that has not drained for this long is dropped (default 3 heartbeat intervals,
   * when the agent itself gives up): a dead or wedged peer must not stay "connected".
   */
  readonly stallTimeoutMs?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** sentRevision of a subscriber that must start with a snapshot. */
const NEEDS_SNAPSHOT = -1;

class Subscription {
  sentRevision = NEEDS_SNAPSHOT;
  paused = false;
  pausedAt = 0;
  closed = false;
  lastSentAt = 0;
  readonly nodeName: string;
  readonly sink: FeedSink;
  constructor(nodeName: string, sink: FeedSink) {
    this.nodeName = nodeName;
    this.sink = sink;
  }
}

export class RouteFeed {
  private readonly store: Store;
  private readonly options: Required<Omit<RouteFeedOptions, 'logger'>> & { logger: Logger };
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly recent: ChangeRecord[] = [];
  private latest: number;
  // The delta most subscribers receive for the newest change: built once, sent to all.
  private sharedDelta: FeedMessage | undefined;
  // The snapshot at `latest`, read once however many agents (re)connect at that revision.
  private sharedSnapshot: FeedMessage | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout;
  // Set by close(): later watches are ended at once instead of living on after shutdown.
  private closedWith: string | undefined;

  constructor(store: Store, options: RouteFeedOptions) {
    this.store = store;
    this.options = {
      maxDeltaBacklog: 1000,
      recentChanges: 4096,
      stallTimeoutMs: 3 * options.heartbeatIntervalMs,
      now: Date.now,
      ...options,
    };
    this.latest = store.latestRevision();
    this.heartbeatTimer = setInterval(() => this.sendHeartbeats(), Math.max(10, Math.floor(options.heartbeatIntervalMs / 2)));
    this.heartbeatTimer.unref();
  }

  get latestRevision(): number {
    return this.latest;
  }

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  isConnected(nodeName: string): boolean {
    return this.subscriptions.has(nodeName);
  }

  /**
   * Starts feeding `sink`. A node has at most one live watch: a newer one supersedes the
   * older (an agent that restarted before its old connection timed out).
   * Returns the function to call when the stream ends from the agent's side.
   */
  subscribe(nodeName: string, knownRevision: number, sink: FeedSink): () => void {
    if (this.closedWith !== undefined) {
      sink.close('shutdown', this.closedWith);
      return () => {};
    }
    const sub = new Subscription(nodeName, sink);
    const previous = this.subscriptions.get(nodeName);
    if (previous) {
      this.drop(previous, 'superseded', `a newer watch from node "${nodeName}" replaced this one`);
    }
    this.subscriptions.set(nodeName, sub);
    // A revision this feed has not reached came from another database: start over with a snapshot.
    const resume = knownRevision > 0 && knownRevision <= this.latest;
    if (resume) sub.sentRevision = knownRevision;
    this.options.logger.info('agent watching', { node: nodeName, known_revision: knownRevision, latest: this.latest, resume });
    this.pump(sub);
    return () => {
      if (this.subscriptions.get(nodeName) === sub) this.subscriptions.delete(nodeName);
      sub.closed = true;
    };
  }

  /** Called after a change is committed; fans it out to every subscriber. */
  publish(change: ChangeRecord): void {
    if (change.revision <= this.latest) return;
    this.latest = change.revision;
    this.recent.push(change);
    if (this.recent.length > this.options.recentChanges) this.recent.splice(0, this.recent.length - this.options.recentChanges);
    for (const sub of [...this.subscriptions.values()]) this.pump(sub);
  }

  /** Ends the watch of a node that was removed. */
  closeNode(nodeName: string, message: string): void {
    const sub = this.subscriptions.get(nodeName);
    if (sub) this.drop(sub, 'node-removed', message);
  }

  /** Ends every watch (controller shutdown). */
  close(message: string): void {
    this.closedWith ??= message;
    clearInterval(this.heartbeatTimer);
    for (const sub of [...this.subscriptions.values()]) this.drop(sub, 'shutdown', message);
  }

  private drop(sub: Subscription, reason: FeedCloseReason, message: string): void {
    if (this.subscriptions.get(sub.nodeName) === sub) this.subscriptions.delete(sub.nodeName);
    if (sub.closed) return;
    sub.closed = true;
    sub.sink.close(reason, message);
  }

  /** Changes after `revision`, or null when they are no longer all available. */
  private changesAfter(revision: number): readonly ChangeRecord[] | null {
    if (revision >= this.latest) return [];
    const first = this.recent[0];
    if (first && first.revision <= revision + 1) {
      let lo = 0;
      let hi = this.recent.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.recent[mid]!.revision <= revision) lo = mid + 1;
        else hi = mid;
      }
      return this.recent.slice(lo);
    }
    return this.store.changesSince(revision);
  }

  private send(sub: Subscription, message: FeedMessage): boolean {
    sub.lastSentAt = this.options.now();
    return sub.sink.send(message);
  }

  private sendSnapshot(sub: Subscription): boolean {
    let snapshot = this.sharedSnapshot;
    if (snapshot?.revision !== this.latest) {
      const { routes, revision } = this.store.routeSnapshot();
      snapshot = { kind: 'snapshot', revision, routes };
      this.sharedSnapshot = snapshot;
    }
    sub.sentRevision = snapshot.revision;
    return this.send(sub, snapshot);
  }

  /** Runs `fn` for one subscriber; a failure ends that subscriber's stream, never the caller or the others. */
  private guarded(sub: Subscription, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error('cannot feed a watcher; ending its stream', {
        node: sub.nodeName,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      this.drop(sub, 'internal', 'internal error while sending the route table; see the controller log (the agent reconnects)');
    }
  }

  /** Sends what `sub` lacks until it is current or its stream asks us to wait. */
  private pump(sub: Subscription): void {
    this.guarded(sub, () => this.pumpUnguarded(sub));
  }

  private pumpUnguarded(sub: Subscription): void {
    while (!sub.closed && !sub.paused && sub.sentRevision < this.latest) {
      const changes = sub.sentRevision === NEEDS_SNAPSHOT ? null : this.changesAfter(sub.sentRevision);
      let writable: boolean;
      if (changes === null || changes.length > this.options.maxDeltaBacklog) {
        if (sub.sentRevision !== NEEDS_SNAPSHOT) {
          this.options.logger.info('agent too far behind, sending a snapshot', { node: sub.nodeName, had: sub.sentRevision, latest: this.latest });
        }
        writable = this.sendSnapshot(sub);
      } else {
        writable = true;
        for (const change of changes) {
          const base = sub.sentRevision;
          sub.sentRevision = change.revision;
          writable = this.send(sub, this.deltaFor(base, change));
          if (!writable) break;
        }
      }
      if (!writable) this.pauseUntilDrained(sub);
    }
  }

  private deltaFor(baseRevision: number, change: ChangeRecord): FeedMessage {
    const shared = this.sharedDelta;
    if (shared?.kind === 'delta' && shared.revision === change.revision && shared.baseRevision === baseRevision) return shared;
    const delta: FeedMessage = { kind: 'delta', baseRevision, revision: change.revision, changes: [change] };
    if (change.revision === this.latest) this.sharedDelta = delta;
    return delta;
  }

  private pauseUntilDrained(sub: Subscription): void {
    sub.paused = true;
    sub.pausedAt = this.options.now();
    sub.sink.onceDrain(() => {
      sub.paused = false;
      this.pump(sub);
    });
  }

  private sendHeartbeats(): void {
    const now = this.options.now();
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.closed) continue;
      if (sub.paused) {
        if (now - sub.pausedAt >= this.options.stallTimeoutMs) {
          this.options.logger.warn('agent stopped reading its route stream; dropping it', { node: sub.nodeName, stalled_ms: now - sub.pausedAt });
          this.drop(sub, 'stalled', `the agent read nothing from its route stream for ${now - sub.pausedAt} ms; reconnect to resume`);
        }
        continue;
      }
      if (sub.sentRevision < this.latest) continue;
      if (now - sub.lastSentAt >= this.options.heartbeatIntervalMs) {
        this.guarded(sub, () => {
          if (!this.send(sub, { kind: 'heartbeat', revision: sub.sentRevision })) this.pauseUntilDrained(sub);
        });
      }
    }
  }
}
