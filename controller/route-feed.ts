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

export type FeedCloseReason = 'node-removed' | 'superseded' | 'shutdown';

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
  readonly logger: Logger;
  readonly now?: () => number;
}

class Subscription {
  sentRevision = -1;
  paused = false;
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
  private readonly heartbeatTimer: NodeJS.Timeout;

  constructor(store: Store, options: RouteFeedOptions) {
    this.store = store;
    this.options = {
      maxDeltaBacklog: 1000,
      recentChanges: 4096,
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
    const previous = this.subscriptions.get(nodeName);
    if (previous) {
      this.drop(previous, 'superseded', `a newer watch from node "${nodeName}" replaced this one`);
    }
    const sub = new Subscription(nodeName, sink);
    this.subscriptions.set(nodeName, sub);
    const resumable = knownRevision > 0 && knownRevision <= this.latest && this.changesAfter(knownRevision) !== null;
    if (resumable) {
      sub.sentRevision = knownRevision;
      this.options.logger.info('agent watching (resumed)', { node: nodeName, from_revision: knownRevision, latest: this.latest });
      this.pump(sub);
    } else {
      this.sendSnapshot(sub);
      this.options.logger.info('agent watching', { node: nodeName, revision: this.latest, routes_sent: 'snapshot' });
      this.pump(sub);
    }
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
    for (const sub of this.subscriptions.values()) this.pump(sub);
  }

  /** Ends the watch of a node that was removed. */
  closeNode(nodeName: string, message: string): void {
    const sub = this.subscriptions.get(nodeName);
    if (sub) this.drop(sub, 'node-removed', message);
  }

  /** Ends every watch (controller shutdown). */
  close(message: string): void {
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
    const { routes, revision } = this.store.routeSnapshot();
    sub.sentRevision = revision;
    return this.send(sub, { kind: 'snapshot', revision, routes });
  }

  /** Sends what `sub` lacks until it is current or its stream asks us to wait. */
  private pump(sub: Subscription): void {
    while (!sub.closed && !sub.paused && sub.sentRevision < this.latest) {
      const changes = this.changesAfter(sub.sentRevision);
      let writable: boolean;
      if (changes === null || changes.length > this.options.maxDeltaBacklog) {
        this.options.logger.info('agent too far behind, sending a snapshot', { node: sub.nodeName, had: sub.sentRevision, latest: this.latest });
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
    sub.sink.onceDrain(() => {
      sub.paused = false;
      this.pump(sub);
    });
  }

  private sendHeartbeats(): void {
    const now = this.options.now();
    for (const sub of this.subscriptions.values()) {
      if (sub.paused || sub.closed || sub.sentRevision < this.latest) continue;
      if (now - sub.lastSentAt >= this.options.heartbeatIntervalMs) {
        if (!this.send(sub, { kind: 'heartbeat', revision: sub.sentRevision })) this.pauseUntilDrained(sub);
      }
    }
  }
}
