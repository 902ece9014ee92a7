// Pushes the route table to every watching agent: a snapshot (or the missed changes when
// the agent says which revision it holds), then deltas, heartbeats while idle.
//
// Why it scales: changes are not pushed one by one. A commit only schedules a fan-out; the
// fan-out sends each subscriber ONE delta with the net changes since what it last got, so a
// storm of adds costs one write per agent per fan-out, not one per change. A fan-out starts
// at once when the feed is idle; under load the next one waits a multiple of the time the
// last one took. The multiple adapts to how busy the controller is (event-loop utilization
// since the last fan-out): it grows while the controller is saturated, so that writes and
// the acks they bring (about as costly again) leave the admin calls causing the storm most
// of the time, and shrinks back when it is not. The wait never exceeds maxFanoutIntervalMs
// (1 s), so that a storm delays changes by about a second, never by many. Fan-outs run in slices so admin calls are
// served in between. Subscribers at the same
// revision share one message object (encoded once by the transport). The changelog is the
// queue: a subscriber whose stream is full is paused, not buffered, and later catches up with
// one coalesced delta (or a snapshot when it fell too far behind). A subscriber that stops
// draining, or stops answering, is dropped.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../common/logger.js';
import { formatCidr } from '../common/cidr.js';
import { RouteTableDigest } from '../common/route-table-digest.js';
import type { ChangeRecord, RouteRecord, Store } from './store/store.js';

/** Every message names the digest of the whole table at its revision (common/route-table-digest.ts). */
export type FeedMessage =
  | { readonly kind: 'snapshot'; readonly revision: number; readonly routes: readonly RouteRecord[]; readonly tableDigest: string }
  | { readonly kind: 'delta'; readonly baseRevision: number; readonly revision: number; readonly changes: readonly ChangeRecord[]; readonly tableDigest: string }
  | { readonly kind: 'heartbeat'; readonly revision: number; readonly tableDigest: string };

export type FeedCloseReason = 'node-removed' | 'superseded' | 'shutdown' | 'stalled' | 'silent' | 'busy' | 'internal';

/** One watcher's stream, as the feed sees it. */
export interface FeedSink {
  /** Queues a message; false means "buffer full, wait for onDrain before sending more". */
  send(message: FeedMessage): boolean;
  /** Calls `callback` once when the stream can take more. */
  onceDrain(callback: () => void): void;
  /** Ends the stream with an error the agent can act on; `retryAfterMs`: the least wait before it comes back. */
  close(reason: FeedCloseReason, message: string, retryAfterMs?: number): void;
}

/** A subscriber's handle: report what the agent said, or that its stream ended. */
export interface FeedSubscription {
  /** The agent answered (an ack); keeps the stream alive. */
  heard(): void;
  /** The stream ended from the agent's side (or the transport's). */
  end(): void;
}

export interface RouteFeedOptions {
  readonly heartbeatIntervalMs: number;
  /** A subscriber more than this many changes behind gets a snapshot instead of a delta. */
  readonly maxDeltaBacklog?: number;
  /** How many recent changes to keep in memory for catching up without the store. */
  readonly recentChanges?: number;
  /**
   * A stream that has not drained for this long is dropped (default 3 heartbeat intervals,
   * when the agent itself gives up): a dead or wedged peer must not stay "connected".
   */
  readonly stallTimeoutMs?: number;
  /** A subscriber that sent nothing for this long is dropped (default 3 heartbeat intervals). */
  readonly silenceTimeoutMs?: number;
  /** Least spacing between two fan-outs; the actual spacing is also a multiple (2-20) of the last one's duration. */
  readonly minFanoutIntervalMs?: number;
  /**
   * Most time between two fan-outs however busy the controller is (default 1000 ms): a change
   * reaches every agent within about this plus one fan-out, and nobody waits so long that it
   * looks silent.
   */
  readonly maxFanoutIntervalMs?: number;
  /** How busy the controller was (0-1) since the previous call; event-loop utilization by default. */
  readonly loadProbe?: () => number;
  /** Subscribers served per slice of a fan-out before yielding to the event loop. */
  readonly fanoutSlice?: number;
  /**
   * Snapshot routes the feed sends per second to watchers that start without a table; more
   * are told to come back later (a fleet returning after its tables were lost would otherwise
   * cost N snapshots at once). Resuming watchers are always admitted: they cost a delta.
   */
  readonly snapshotRoutesPerSecond?: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Bounds of the multiple of its duration that a fan-out is spaced from the next. */
export const MIN_FANOUT_SPACING = 2;
export const MAX_FANOUT_SPACING = 20;
/**
 * Above this utilization the controller counts as saturated (spacing grows); below LOW_LOAD, as
 * idle enough (it shrinks). The band is narrow on purpose: with 5,000 agents, heartbeats and
 * acks alone keep utilization at 0.6-0.7, and with LOW_LOAD at 0.6 the spacing that a storm of
 * reconnects had raised (to 15x) never came down: single changes then waited about 0.5 s for
 * their fan-out (p99 of one add applied by all: 0.9-1.2 s instead of well under 1 s).
 */
const HIGH_LOAD = 0.85;
const LOW_LOAD = 0.75;

/** Event-loop utilization since the previous call. */
function eventLoopLoad(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const load = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return load;
  };
}

/** sentRevision of a subscriber that must start with a snapshot. */
const NEEDS_SNAPSHOT = -1;

class Subscriber {
  sentRevision = NEEDS_SNAPSHOT;
  paused = false;
  pausedAt = 0;
  closed = false;
  lastSentAt = 0;
  lastHeardAt: number;
  readonly nodeName: string;
  readonly sink: FeedSink;
  constructor(nodeName: string, sink: FeedSink, now: number) {
    this.nodeName = nodeName;
    this.sink = sink;
    this.lastHeardAt = now;
  }
}

type Options = Required<Omit<RouteFeedOptions, 'logger'>> & { logger: Logger };

export class RouteFeed {
  private readonly store: Store;
  private readonly options: Options;
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly recent: ChangeRecord[] = [];
  private latest: number;
  // The table at `latest`, by subnet as agents hold it (an add replaces the subnet's route),
  // and its digest, kept in step by publish().
  private readonly table: Map<string, RouteRecord>;
  private readonly digest: RouteTableDigest;
  // Messages for the current `latest`, shared by every subscriber they fit: one delta per
  // base revision, one snapshot, one heartbeat. Cleared when `latest` moves.
  private readonly deltasByBase = new Map<number, FeedMessage>();
  private sharedSnapshot: FeedMessage | undefined;
  private sharedHeartbeat: FeedMessage | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly checkIntervalMs: number;
  private lastCheckAt: number;
  private fanoutTimer: NodeJS.Timeout | undefined;
  private fanoutRunning = false;
  private lastFanoutStart = 0;
  private admissionSecond = 0;
  private snapshotsAdmitted = 0;
  private snapshotsRefused = 0;
  private lastFanoutMs = 0;
  private spacingFactor = MIN_FANOUT_SPACING;
  private idleWaiters: (() => void)[] = [];
  // Set by close(): later watches are ended at once instead of living on after shutdown.
  private closedWith: string | undefined;

  constructor(store: Store, options: RouteFeedOptions) {
    this.store = store;
    this.options = {
      maxDeltaBacklog: 10_000,
      recentChanges: 20_000,
      stallTimeoutMs: 3 * options.heartbeatIntervalMs,
      silenceTimeoutMs: 3 * options.heartbeatIntervalMs,
      minFanoutIntervalMs: 0,
      maxFanoutIntervalMs: 1000,
      loadProbe: eventLoopLoad(),
      fanoutSlice: 500,
      snapshotRoutesPerSecond: 5_000_000,
      now: Date.now,
      // An option passed as undefined keeps its default.
      ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    } as Options;
    const { routes, revision } = store.routeSnapshot();
    this.latest = revision;
    this.table = new Map(routes.map((r) => [formatCidr(r.subnet), r]));
    this.digest = RouteTableDigest.of(routes);
    // The first watchers' snapshot, read once with the rest.
    this.sharedSnapshot = { kind: 'snapshot', revision, routes, tableDigest: this.digest.value };
    this.checkIntervalMs = Math.max(10, Math.floor(options.heartbeatIntervalMs / 4));
    this.lastCheckAt = this.options.now();
    this.heartbeatTimer = setInterval(() => this.checkIdleSubscribers(), this.checkIntervalMs);
    this.heartbeatTimer.unref();
  }

  /** The multiple of a fan-out's duration that the next one waits (see the top of this file). */
  get fanoutSpacing(): number {
    return this.spacingFactor;
  }

  get latestRevision(): number {
    return this.latest;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  isConnected(nodeName: string): boolean {
    return this.subscribers.has(nodeName);
  }

  /**
   * Starts feeding `sink`. A node has at most one live watch: a newer one supersedes the
   * older (an agent that restarted before its old connection timed out). `knownRevision`
   * counts only if the agent's table came from this cluster (`sameCluster`).
   */
  subscribe(nodeName: string, knownRevision: number, sink: FeedSink): FeedSubscription {
    if (this.closedWith !== undefined) {
      sink.close('shutdown', this.closedWith);
      return { heard: () => {}, end: () => {} };
    }
    // A revision this feed has not reached came from another database: start over with a snapshot.
    const resume = knownRevision > 0 && knownRevision <= this.latest;
    if (!resume) {
      const retryAfterMs = this.admitSnapshot();
      if (retryAfterMs > 0) {
        sink.close('busy', `the controller is sending many route tables right now; come back in ${retryAfterMs} ms`, retryAfterMs);
        return { heard: () => {}, end: () => {} };
      }
    }
    const sub = new Subscriber(nodeName, sink, this.options.now());
    const previous = this.subscribers.get(nodeName);
    if (previous) {
      this.drop(previous, 'superseded', `a newer watch from node "${nodeName}" replaced this one`);
    }
    this.subscribers.set(nodeName, sub);
    if (resume) sub.sentRevision = knownRevision;
    this.options.logger.info('agent watching', { node: nodeName, known_revision: knownRevision, latest: this.latest, resume });
    this.pump(sub);
    // An agent already current hears at once that it is, instead of waiting for the first heartbeat.
    if (!sub.closed && !sub.paused && sub.sentRevision === this.latest && sub.lastSentAt === 0) {
      this.guarded(sub, () => this.sendHeartbeat(sub));
    }
    return {
      heard: () => {
        sub.lastHeardAt = this.options.now();
      },
      end: () => {
        if (this.subscribers.get(nodeName) === sub) this.subscribers.delete(nodeName);
        sub.closed = true;
      },
    };
  }

  /** Called after a change is committed; schedules a fan-out that carries it to every subscriber. */
  publish(change: ChangeRecord): void {
    if (change.revision <= this.latest) return;
    this.latest = change.revision;
    const key = formatCidr(change.route.subnet);
    const held = this.table.get(key);
    if (held) this.digest.remove(held);
    if (change.op === 'add') {
      this.table.set(key, change.route);
      this.digest.add(change.route);
    } else {
      this.table.delete(key);
    }
    this.recent.push(change);
    if (this.recent.length > this.options.recentChanges) this.recent.splice(0, this.recent.length - this.options.recentChanges);
    this.deltasByBase.clear();
    this.scheduleFanout();
  }

  /** Resolves once every subscriber has been offered the latest revision (for tests and shutdown). */
  whenIdle(): Promise<void> {
    if (this.fanoutTimer === undefined && !this.fanoutRunning) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Ends the watch of a node that was removed. */
  closeNode(nodeName: string, message: string): void {
    const sub = this.subscribers.get(nodeName);
    if (sub) this.drop(sub, 'node-removed', message);
  }

  /** Ends every watch (controller shutdown). */
  close(message: string): void {
    this.closedWith ??= message;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.fanoutTimer);
    this.fanoutTimer = undefined;
    for (const sub of [...this.subscribers.values()]) this.drop(sub, 'shutdown', message);
    this.settleIdleWaiters();
  }

  /**
   * 0 if a snapshot may go out now; otherwise how long to wait, growing with the number already
   * turned away this second, so that they come back spread over the seconds ahead.
   */
  private admitSnapshot(): number {
    const second = Math.floor(this.options.now() / 1000);
    if (second !== this.admissionSecond) {
      this.admissionSecond = second;
      this.snapshotsAdmitted = 0;
      this.snapshotsRefused = 0;
    }
    const tableSize = Math.max(1, this.sharedSnapshot?.kind === 'snapshot' ? this.sharedSnapshot.routes.length : this.store.routeCount());
    const perSecond = Math.max(1, Math.floor(this.options.snapshotRoutesPerSecond / tableSize));
    if (this.snapshotsAdmitted < perSecond) {
      this.snapshotsAdmitted++;
      return 0;
    }
    this.snapshotsRefused++;
    return 1000 * Math.ceil(this.snapshotsRefused / perSecond);
  }

  private scheduleFanout(): void {
    if (this.fanoutTimer !== undefined || this.fanoutRunning || this.closedWith !== undefined) return;
    const spacing = Math.max(this.options.minFanoutIntervalMs, Math.min(this.options.maxFanoutIntervalMs, this.spacingFactor * this.lastFanoutMs));
    const delay = Math.max(0, this.lastFanoutStart + spacing - this.options.now());
    this.fanoutTimer = setTimeout(() => {
      this.fanoutTimer = undefined;
      this.runFanout();
    }, delay);
  }

  /** Offers the latest revision to every subscriber, a slice at a time. */
  private runFanout(): void {
    this.fanoutRunning = true;
    const started = this.options.now();
    this.lastFanoutStart = started;
    const targets = [...this.subscribers.values()];
    let busyMs = 0;
    let index = 0;
    const slice = () => {
      const sliceStart = this.options.now();
      const end = Math.min(index + this.options.fanoutSlice, targets.length);
      for (; index < end; index++) this.pump(targets[index]!);
      busyMs += this.options.now() - sliceStart;
      if (index < targets.length && this.closedWith === undefined) {
        setImmediate(slice);
        return;
      }
      this.fanoutRunning = false;
      this.lastFanoutMs = busyMs;
      const load = this.options.loadProbe();
      if (load > HIGH_LOAD) this.spacingFactor = Math.min(MAX_FANOUT_SPACING, this.spacingFactor * 1.5);
      else if (load < LOW_LOAD) this.spacingFactor = Math.max(MIN_FANOUT_SPACING, this.spacingFactor / 1.5);
      this.options.logger.debug('fan-out done', {
        revision: this.latest,
        agents: targets.length,
        busy_ms: Math.round(busyMs),
        took_ms: Math.round(this.options.now() - started),
        load: load.toFixed(2),
        next_spacing: this.spacingFactor.toFixed(1),
      });
      const sent = this.latest;
      // Changes committed during the fan-out reached only the slices after them: go again.
      if (targets.some((sub) => !sub.closed && !sub.paused && sub.sentRevision < sent)) this.scheduleFanout();
      else this.settleIdleWaiters();
    };
    slice();
  }

  private settleIdleWaiters(): void {
    if (this.fanoutTimer !== undefined || this.fanoutRunning) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private drop(sub: Subscriber, reason: FeedCloseReason, message: string): void {
    if (this.subscribers.get(sub.nodeName) === sub) this.subscribers.delete(sub.nodeName);
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

  private send(sub: Subscriber, message: FeedMessage): boolean {
    sub.lastSentAt = this.options.now();
    sub.sentRevision = message.revision;
    return sub.sink.send(message);
  }

  private snapshot(): FeedMessage {
    if (this.sharedSnapshot?.revision !== this.latest) {
      const { routes, revision } = this.store.routeSnapshot();
      this.sharedSnapshot = { kind: 'snapshot', revision, routes, tableDigest: RouteTableDigest.of(routes).value };
    }
    return this.sharedSnapshot;
  }

  /** The one message that brings a subscriber at `base` to `latest`: a coalesced delta, or a snapshot. */
  private catchUp(sub: Subscriber): FeedMessage {
    const base = sub.sentRevision;
    if (base === NEEDS_SNAPSHOT) return this.snapshot();
    const cached = this.deltasByBase.get(base);
    if (cached) return cached;
    const changes = this.changesAfter(base);
    let message: FeedMessage;
    if (changes === null || changes.length > this.options.maxDeltaBacklog) {
      this.options.logger.info('agent too far behind, sending a snapshot', { node: sub.nodeName, had: base, latest: this.latest });
      message = this.snapshot();
    } else {
      message = { kind: 'delta', baseRevision: base, revision: this.latest, changes: netChanges(changes), tableDigest: this.digest.value };
    }
    this.deltasByBase.set(base, message);
    return message;
  }

  /** Runs `fn` for one subscriber; a failure ends that subscriber's stream, never the caller or the others. */
  private guarded(sub: Subscriber, fn: () => void): void {
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

  /** Brings `sub` to the latest revision with one message, unless its stream asks us to wait. */
  private pump(sub: Subscriber): void {
    if (sub.closed || sub.paused || sub.sentRevision >= this.latest) return;
    this.guarded(sub, () => {
      if (!this.send(sub, this.catchUp(sub))) this.pauseUntilDrained(sub);
    });
  }

  private pauseUntilDrained(sub: Subscriber): void {
    sub.paused = true;
    sub.pausedAt = this.options.now();
    sub.sink.onceDrain(() => {
      sub.paused = false;
      this.pump(sub);
    });
  }

  private sendHeartbeat(sub: Subscriber): void {
    if (this.sharedHeartbeat?.revision !== this.latest) this.sharedHeartbeat = { kind: 'heartbeat', revision: this.latest, tableDigest: this.digest.value };
    if (!this.send(sub, this.sharedHeartbeat)) this.pauseUntilDrained(sub);
  }

  /** Heartbeats for idle subscribers; drops the stalled (not draining) and the silent (not answering). */
  private checkIdleSubscribers(): void {
    const now = this.options.now();
    // A late check means the event loop was blocked: answers may sit unread in socket
    // buffers, so silence cannot be judged this round.
    const loopStalled = now - this.lastCheckAt > 2 * this.checkIntervalMs;
    this.lastCheckAt = now;
    for (const sub of [...this.subscribers.values()]) {
      if (sub.closed) continue;
      if (sub.paused) {
        if (now - sub.pausedAt >= this.options.stallTimeoutMs) {
          this.options.logger.warn('agent stopped reading its route stream; dropping it', { node: sub.nodeName, stalled_ms: now - sub.pausedAt });
          this.drop(sub, 'stalled', `the agent read nothing from its route stream for ${now - sub.pausedAt} ms; reconnect to resume`);
        }
        continue;
      }
      if (!loopStalled && now - sub.lastHeardAt >= this.options.silenceTimeoutMs) {
        this.options.logger.warn('agent went silent on its route stream; dropping it', { node: sub.nodeName, silent_ms: now - sub.lastHeardAt });
        this.drop(sub, 'silent', `the controller heard nothing from the agent for ${now - sub.lastHeardAt} ms; reconnect to resume`);
        continue;
      }
      if (sub.sentRevision < this.latest) continue;
      if (now - sub.lastSentAt >= this.options.heartbeatIntervalMs) this.guarded(sub, () => this.sendHeartbeat(sub));
    }
  }
}

/** The net effect of `changes` (in revision order): the last change per subnet, in revision order. */
export function netChanges(changes: readonly ChangeRecord[]): ChangeRecord[] {
  if (changes.length <= 1) return [...changes];
  const last = new Map<string, ChangeRecord>();
  for (const change of changes) {
    const key = `${change.route.subnet.base}/${change.route.subnet.prefixLen}`;
    // Delete first so that the map's insertion order is the order of each subnet's last change.
    last.delete(key);
    last.set(key, change);
  }
  return [...last.values()];
}
