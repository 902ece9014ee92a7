// One simulated node agent: its own gRPC channel (its own TCP + TLS connection, mTLS with its
// node certificate), Register, then the bidirectional Watch as the contract describes it:
// start with the revision held, apply each message, ack every one (heartbeats too), and on
// an ended stream wait out the controller's retry-after (plus jitter) or a jittered backoff,
// register again and resume. No TUN and no kernel routes: only the real agent's conversation
// with the controller, so thousands fit in one process.
import * as grpc from '@grpc/grpc-js';
import { Backoff, sleep } from '../../../common/backoff.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials } from '../../../common/controller-tls.js';
import type { AgentServiceClient } from '../../../proto/gen/tunctl/v1/AgentService.js';
import type { RegisterResponse__Output } from '../../../proto/gen/tunctl/v1/RegisterResponse.js';
import type { RouteChange__Output } from '../../../proto/gen/tunctl/v1/RouteChange.js';
import type { WatchRequest } from '../../../proto/gen/tunctl/v1/WatchRequest.js';
import type { WatchResponse__Output } from '../../../proto/gen/tunctl/v1/WatchResponse.js';
import { wallClockMs, type AgentCounters } from './fleet-protocol.js';
import { RouteMirror, type MirrorChange } from './route-mirror.js';
import { sharedAgentServiceClient } from './shared-codec.js';

export const RETRY_AFTER_TRAILER = 'tunctl-retry-after-ms';
/** Heartbeats missed before the agent gives up on a silent stream (as the real agent). */
export const MISSED_HEARTBEATS = 3;
const REGISTER_TIMEOUT_MS = 20_000;
const SIM_AGENT_VERSION = 'bench-sim';
/** Stream records kept per agent: enough to find the one that followed a restart. */
const KEPT_STREAMS = 8;

/** Refusals that retrying cannot fix: the agent stops and reports it. */
const PERMANENT_CODES = new Set([grpc.status.NOT_FOUND, grpc.status.PERMISSION_DENIED, grpc.status.UNAUTHENTICATED, grpc.status.FAILED_PRECONDITION, grpc.status.INVALID_ARGUMENT, grpc.status.UNIMPLEMENTED]);

export interface SimAgentIdentity {
  readonly nodeName: string;
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly caPem: string;
}

/** One Watch stream as the agent saw it. */
export interface StreamRecord {
  readonly startedAt: number;
  /** Kind of the first message (KIND_SNAPSHOT, KIND_DELTA, KIND_HEARTBEAT), '' before one. */
  firstKind: string;
  /** When the agent first held the revision the controller said it had on this stream; 0 before. */
  syncedAt: number;
}

interface StreamEnd {
  readonly received: boolean;
  readonly code: grpc.status;
  readonly details: string;
  readonly retryAfterMs: number | undefined;
  readonly gap: boolean;
}

/**
 * Decoded change lists, converted once per process: the decoder hands every agent the same
 * array for the same bytes (shared-codec.ts), and handing the mirror one converted array per
 * delta lets it recognise the delta by identity (route-mirror.ts). null: a change is malformed.
 */
const convertedChanges = new WeakMap<readonly RouteChange__Output[], readonly MirrorChange[] | null>();

function mirrorChanges(changes: readonly RouteChange__Output[]): readonly MirrorChange[] | null {
  let converted = convertedChanges.get(changes);
  if (converted === undefined) {
    converted = changes.some((c) => (c.op !== 'OP_ADD' && c.op !== 'OP_REMOVE') || !c.route)
      ? null
      : changes.map((c): MirrorChange => ({ op: c.op === 'OP_REMOVE' ? 'remove' : 'add', route: c.route! }));
    convertedChanges.set(changes, converted);
  }
  return converted;
}

/** A fresh counters object (all zero). */
export function zeroCounters(): AgentCounters {
  return { snapshots: 0, deltas: 0, heartbeats: 0, gaps: 0, streams: 0, registers: 0, streamRegisters: 0, retryAfters: 0 };
}

export class SimAgent {
  readonly nodeName: string;
  readonly mirror = new RouteMirror();
  readonly counters = zeroCounters();
  /** Revisions applied and when, flattened: [revision, time, revision, time, ...]. */
  history: number[] = [];
  /** The revision held when the history was last reset, and when. */
  historyBase = { revision: 0, at: 0 };
  readonly streams: StreamRecord[] = [];
  /** An open stream has delivered at least one message. */
  watching = false;
  /** Set when the agent stopped for good after a refusal. */
  failed: string | undefined;
  lastError = '';
  private readonly client: AgentServiceClient;
  private readonly abort = new AbortController();
  // The real agent's backoff (node-agent/watch-loop.ts): 0.5 s doubling to at most 10 s, with jitter.
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  private call: grpc.ClientDuplexStream<WatchRequest, WatchResponse__Output> | undefined;
  private heartbeatIntervalMs = 5000;
  private forceSnapshot = false;

  constructor(target: string, identity: SimAgentIdentity) {
    this.nodeName = identity.nodeName;
    const credentials = controllerChannelCredentials(identity.caPem, { keyPem: identity.keyPem, certificatePem: identity.certificatePem });
    const AgentService = sharedAgentServiceClient();
    this.client = new AgentService(target, credentials, {
      ...CONTROLLER_CHANNEL_OPTIONS,
      // Without it every agent in the process would share one connection to the same target.
      'grpc.use_local_subchannel_pool': 1,
      // As the real agent: notice a dead connection, and reconnect soon after a restart.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 5_000,
    });
  }

  /** Runs until stop(): Register, then watch, wait and watch again (registering on the stream), as the agent does. */
  async run(initialDelayMs = 0): Promise<void> {
    const { signal } = this.abort;
    if (initialDelayMs > 0) await sleep(initialDelayMs, signal);
    // As the real agent: Register once at start; every later stream registers on itself.
    let registered = false;
    let registerOnStream = false;
    while (!signal.aborted && !this.failed) {
      if (!registered) {
        try {
          await this.register();
          registered = true;
        } catch (err) {
          const { code, details } = err as grpc.ServiceError;
          this.lastError = `register: ${grpc.status[code] ?? code}: ${details}`;
          if (PERMANENT_CODES.has(code)) this.failed = this.lastError;
          else await sleep(this.backoff.next(), signal);
          continue;
        }
        if (signal.aborted) break;
      }
      const end = await this.watchOnce(registerOnStream);
      registerOnStream = true;
      if (signal.aborted) break;
      if (await this.handleEnd(end)) break;
    }
  }

  /** After a stream ended: true if this agent must stop (a permanent refusal), else waits before the next. */
  private async handleEnd(end: StreamEnd): Promise<boolean> {
    if (PERMANENT_CODES.has(end.code)) {
      this.failed = `watch: ${grpc.status[end.code]}: ${end.details}`;
      return true;
    }
    if (end.code !== grpc.status.OK) this.lastError = `watch: ${grpc.status[end.code] ?? end.code}: ${end.details}`;
    if (end.received) this.backoff.reset();
    let delay: number;
    if (end.retryAfterMs !== undefined) {
      this.counters.retryAfters++;
      // At least what the controller asked, plus jitter so equal answers still spread.
      delay = end.retryAfterMs + Math.random() * Math.min(1000, Math.max(100, end.retryAfterMs * 0.2));
    } else {
      delay = end.gap ? 0 : this.backoff.next();
    }
    if (delay > 0) await sleep(delay, this.abort.signal);
    return false;
  }

  stop(): void {
    this.abort.abort();
    this.call?.cancel();
    this.client.close();
  }

  private register(): Promise<void> {
    this.counters.registers++;
    return new Promise((resolve, reject) => {
      this.client.Register(
        { nodeName: this.nodeName, underlayIp: '', underlayMtu: 1500, agentVersion: SIM_AGENT_VERSION },
        // Wait for the connection instead of failing fast while the channel is between connect
        // attempts: otherwise the channel's backoff and ours compound, and an agent that was
        // unlucky a few times during a restart waits seconds after the controller is back.
        new grpc.Metadata({ waitForReady: true }),
        { deadline: Date.now() + REGISTER_TIMEOUT_MS },
        (err: grpc.ServiceError | null, res?: RegisterResponse__Output) => {
          if (err || !res) return reject(err ?? Object.assign(new Error('empty Register answer'), { code: grpc.status.INTERNAL, details: 'empty answer' }));
          if (res.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = res.heartbeatIntervalMs;
          // Revisions of another cluster mean nothing here: start over from a snapshot.
          if (res.clusterId && this.mirror.clusterId && res.clusterId !== this.mirror.clusterId) this.mirror.reset();
          resolve();
        },
      );
    });
  }

  /** One stream; `register`: registers on it (WatchStart.register), as the real agent does on a reconnect. */
  private watchOnce(register: boolean): Promise<StreamEnd> {
    return new Promise((resolve) => {
      const record: StreamRecord = { startedAt: wallClockMs(), firstKind: '', syncedAt: 0 };
      this.streams.push(record);
      if (this.streams.length > KEPT_STREAMS) this.streams.shift();
      this.counters.streams++;
      let received = false;
      let gap = false;
      // A stream that registers is also the reconnect attempt: it waits for the connection like
      // Register does (see register()), instead of failing fast between connect attempts.
      const call = this.client.Watch(new grpc.Metadata({ waitForReady: register }));
      this.call = call;
      const silenceMs = MISSED_HEARTBEATS * this.heartbeatIntervalMs;
      const idleTimer = setTimeout(() => {
        this.lastError = `watch: no message in ${silenceMs} ms`;
        call.cancel();
      }, silenceMs);
      call.on('data', (msg: WatchResponse__Output) => {
        if (gap) return;
        received = true;
        if (msg.kind === 'KIND_REGISTERED') {
          this.counters.streamRegisters++;
          if (msg.registration && msg.registration.heartbeatIntervalMs > 0) this.heartbeatIntervalMs = msg.registration.heartbeatIntervalMs;
          idleTimer.refresh();
          return;
        }
        this.watching = true;
        idleTimer.refresh();
        if (!record.firstKind) record.firstKind = msg.kind;
        if (!this.apply(msg)) {
          // Something was missed: this stream cannot bring us in sync; start over with a snapshot.
          gap = true;
          this.counters.gaps++;
          this.forceSnapshot = true;
          call.cancel();
          return;
        }
        if (record.syncedAt === 0 && this.mirror.revision >= msg.revision) record.syncedAt = wallClockMs();
        call.write({ ack: { appliedRevision: this.mirror.revision } });
      });
      // Every end arrives as 'status'; 'error' repeats it for non-OK codes.
      call.on('error', () => {});
      call.on('status', (status: grpc.StatusObject) => {
        clearTimeout(idleTimer);
        this.watching = false;
        this.call = undefined;
        const trailer = status.metadata?.get(RETRY_AFTER_TRAILER)[0];
        const retryAfterMs = trailer !== undefined && Number.isFinite(Number(trailer)) ? Math.max(0, Number(trailer)) : undefined;
        resolve({ received, code: status.code, details: status.details, retryAfterMs, gap });
      });
      const resume = this.mirror.isSynced && !this.forceSnapshot;
      if (this.forceSnapshot) this.mirror.reset();
      this.forceSnapshot = false;
      call.write({
        start: {
          nodeName: this.nodeName,
          knownRevision: resume ? this.mirror.revision : 0,
          clusterId: resume ? this.mirror.clusterId : '',
          acceptPacked: true,
          register: register ? { nodeName: this.nodeName, underlayIp: '', underlayMtu: 1500, agentVersion: SIM_AGENT_VERSION } : null,
        },
      });
    });
  }

  /** Applies one message; false when it shows we missed something. */
  private apply(msg: WatchResponse__Output): boolean {
    const before = this.mirror.revision;
    switch (msg.kind) {
      case 'KIND_SNAPSHOT':
        this.counters.snapshots++;
        this.mirror.applySnapshot(msg.revision, msg.routes, msg.clusterId);
        break;
      case 'KIND_DELTA': {
        this.counters.deltas++;
        const changes = mirrorChanges(msg.changes);
        if (!changes) return false;
        if (this.mirror.applyDelta(msg.baseRevision, msg.revision, changes, msg.clusterId) === 'gap') return false;
        break;
      }
      case 'KIND_HEARTBEAT':
        this.counters.heartbeats++;
        // The controller is further than we are with nothing on the way: a change was lost.
        if (msg.revision > this.mirror.revision || !this.mirror.isSynced) return false;
        break;
      default:
        return false;
    }
    if (this.mirror.revision !== before) this.history.push(this.mirror.revision, wallClockMs());
    return true;
  }

  /** When this agent first held `revision` or later since the last history reset; null if not yet. */
  heldSince(revision: number): number | null {
    if (revision <= this.historyBase.revision) return this.historyBase.at;
    for (let i = 0; i < this.history.length; i += 2) {
      if (this.history[i]! >= revision) return this.history[i + 1]!;
    }
    return null;
  }

  resetHistory(): void {
    this.history = [];
    this.historyBase = { revision: this.mirror.revision, at: wallClockMs() };
  }
}
