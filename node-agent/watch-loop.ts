// Keeps the agent's route table in step with the controller: watch, apply, acknowledge, and
// when the stream breaks or goes silent for three heartbeat intervals, reconnect with
// jittered backoff and resume from the revision we hold. The data path keeps forwarding meanwhile.
//
// The agent's side of the Watch protocol:
// - it opens the stream with WatchStart { known_revision, cluster_id } of the table it holds;
// - it answers every message (heartbeats too: the controller takes acks as our liveness) with
//   the revision its table is at once the message is handled;
// - a message it cannot apply is answered with failed_revision and the reason, the table stays
//   as it was (and forwarding with it), and the next stream asks for a snapshot;
// - a "tunctl-retry-after-ms" trailer on the stream's end is a least wait before reconnecting;
// - with registerOnStream, every stream also registers (WatchStart.register): one call per
//   reconnect instead of Register then Watch. The answer comes first, before any route
//   message; a permanent error before it is a refused registration. A controller that does
//   not answer it (an older version) gets a separate Register call before later streams.
import { Backoff, sleep } from '../common/backoff.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import {
  MAX_ACK_ERROR_CHARS,
  type AgentController,
  type ControllerCallError,
  type Registration,
  type RegistrationRequest,
  type WatchEvent,
  type WatchHandle,
} from './controller-client.js';
import type { AgentRouteTable, RouteTableState } from './route-table.js';

export type WatchSource = Pick<AgentController, 'watch'>;

export interface WatchLoopOptions {
  readonly source: WatchSource;
  readonly nodeName: string;
  readonly table: AgentRouteTable;
  readonly heartbeatIntervalMs: () => number;
  /**
   * Called after the table changed (snapshot or applied delta). A throw means the data path
   * refused it: the table goes back to what it was, the controller is told, and the next
   * stream starts from a snapshot.
   */
  readonly onTableChanged: () => void;
  /**
   * Runs before every reconnect (e.g. register again); a throw counts as a failed attempt.
   * With registerOnStream, only while the controller does not register on the stream.
   */
  readonly beforeReconnect?: () => Promise<void>;
  /** Register on every stream instead (see the top of this file). */
  readonly registerOnStream?: RegisterOnStream;
  /**
   * Called when the stream went silent (no message for three heartbeat intervals): the
   * connection under it is likely dead (cut without FIN), and a call on it would hang until
   * its deadline, so the agent opens a fresh one before reconnecting.
   */
  readonly onSilentStream?: () => void;
  /**
   * Told when a stream starts delivering (its first message arrived) and when the agent is
   * without one (a stream ended, or an attempt failed, with the reason): `tunctl status`.
   */
  readonly onConnection?: (change: ConnectionChange) => void;
  /** Also run beforeReconnect before the first stream (an agent that started without registering). */
  readonly beforeFirstStream?: boolean;
  /** The cluster our registration named, for a snapshot that names none. */
  readonly clusterId?: () => string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly backoff?: Backoff;
  /** Random source in [0, 1) for the retry-after jitter; injectable for tests. */
  readonly random?: () => number;
}

export interface RegisterOnStream {
  readonly request: () => RegistrationRequest;
  /** The controller's answer, before any route message of that stream. */
  readonly accepted: (registration: Registration) => void;
  /** The stream ended with a permanent error before the answer: the controller refused the registration. */
  readonly refused: (err: ControllerCallError) => void;
}

export type ConnectionChange = { readonly connected: true } | { readonly connected: false; readonly reason: string };

/** Heartbeats missed before the stream counts as dead. */
export const MISSED_HEARTBEATS = 3;

export async function runWatchLoop(options: WatchLoopOptions): Promise<void> {
  const { logger, signal, table } = options;
  // 10 s at most: after a long controller outage an agent is back within ~10 s of it; the
  // jitter spreads a fleet's returns over that window, and the controller can ask for more.
  const backoff = options.backoff ?? new Backoff({ initialMs: 500, maxMs: 10_000 });
  const random = options.random ?? Math.random;
  let forceSnapshot = false;
  let first = true;
  let previousEnd: WatchOutcome['end'] | undefined;
  // Cleared for good when the controller ignores the registration on a stream (an older version).
  let registerOnStream = options.registerOnStream;
  while (!signal.aborted) {
    // Not before the first stream of an agent that has just registered.
    const reRegister = !first || options.beforeFirstStream === true;
    if (reRegister && options.beforeReconnect && !registerOnStream) {
      try {
        await options.beforeReconnect();
      } catch (err) {
        first = false;
        options.onConnection?.({ connected: false, reason: errorMessage(err) });
        const delay = backoff.next();
        logger.warn('reconnect to the controller failed; forwarding continues with the routes we have', { error: errorMessage(err), retry_in_ms: delay, revision: table.revision });
        await sleep(delay, signal);
        continue;
      }
      if (signal.aborted) break;
    }
    first = false;
    const resume = table.isSynced && !forceSnapshot;
    forceSnapshot = false;
    const outcome = await watchOnce(options, resume ? table.revision : 0, resume ? table.clusterId : '', reRegister ? registerOnStream : undefined);
    if (outcome.registrationIgnored) registerOnStream = undefined;
    if (signal.aborted) break;
    options.onConnection?.({ connected: false, reason: outcome.reason });
    if (outcome.silent) options.onSilentStream?.();
    if (outcome.end !== 'closed') forceSnapshot = true;
    // A refused table is not progress: keep backing off so a bad snapshot cannot spin the loop.
    if (outcome.received && outcome.end !== 'refused') backoff.reset();
    // A gap is resolved by a snapshot at once; a second gap in a row means the controller keeps
    // contradicting itself, and reconnecting at full speed would only load it more.
    let delay = outcome.end === 'gap' && previousEnd !== 'gap' ? 0 : backoff.next();
    previousEnd = outcome.end;
    if (outcome.retryAfterMs > 0) {
      // The controller is spreading a reconnect storm: at least its wait, plus our own jitter
      // so that agents it told the same wait do not all come back in the same instant.
      delay = Math.max(delay, outcome.retryAfterMs + Math.round(random() * (outcome.retryAfterMs / 2)));
    }
    logger.warn('route stream ended; reconnecting', { reason: outcome.reason, retry_in_ms: delay, retry_after_ms: outcome.retryAfterMs || undefined, revision: table.revision });
    if (delay > 0) await sleep(delay, signal);
  }
}

interface WatchOutcome {
  readonly received: boolean;
  /**
   * closed: the stream ended or went silent; gap: we missed changes; refused: we could not
   * apply a message, or the controller refused what we sent (then only a snapshot is safe).
   */
  readonly end: 'closed' | 'gap' | 'refused';
  readonly reason: string;
  /** The controller's least wait before reconnecting; 0 if it named none. */
  readonly retryAfterMs: number;
  /** The stream ended because nothing came for three heartbeat intervals. */
  readonly silent: boolean;
  /** We asked to register on the stream, and its first message was not the answer. */
  readonly registrationIgnored?: boolean;
}

function watchOnce(options: WatchLoopOptions, knownRevision: number, knownClusterId: string, register: RegisterOnStream | undefined): Promise<WatchOutcome> {
  const { source, nodeName, table, logger, signal } = options;
  return new Promise((resolve) => {
    // An abort that came before us fires no event: without this the stream would stay open until the idle timer.
    if (signal.aborted) {
      resolve({ received: false, end: 'closed', reason: 'agent stopping', retryAfterMs: 0, silent: false });
      return;
    }
    let received = false;
    let silent = false;
    let settled = false;
    // While we wait for the answer to the registration this stream asked for.
    let awaitingRegistration = register !== undefined;
    let registrationIgnored = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let handle: WatchHandle | undefined;
    /** `politely`: half-close, so the failure report we just wrote reaches the controller. */
    const finish = (end: WatchOutcome['end'], reason: string, retryAfterMs = 0, politely = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', onAbort);
      if (politely) handle?.close();
      else handle?.cancel();
      resolve({ received, end, reason, retryAfterMs, silent, registrationIgnored });
    };
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      const silenceMs = MISSED_HEARTBEATS * options.heartbeatIntervalMs();
      idleTimer = setTimeout(() => {
        silent = true;
        finish('closed', `no message from the controller in ${silenceMs} ms`);
      }, silenceMs);
    };
    const onAbort = () => finish('closed', 'agent stopping');
    signal.addEventListener('abort', onAbort, { once: true });

    const ack = () => handle?.ack({ appliedRevision: table.revision });
    /** The table is unchanged (or was put back); tell the controller and start over from a snapshot. */
    const refuse = (revision: number, error: string) => {
      logger.error('could not apply the route table from the controller; forwarding continues with the previous one', { error, revision, applied_revision: table.revision });
      handle?.ack({ appliedRevision: table.revision, failedRevision: revision, error: error.slice(0, MAX_ACK_ERROR_CHARS) });
      finish('refused', `applying revision ${revision} failed: ${error}; will ask for a snapshot`, 0, true);
    };
    /** Hands the changed table to the data path; if it refuses, puts the table back to `before`. */
    const install = (revision: number, before: RouteTableState): boolean => {
      try {
        options.onTableChanged();
        return true;
      } catch (err) {
        table.restore(before);
        refuse(revision, errorMessage(err));
        return false;
      }
    };

    /**
     * The controller's table at our revision is not ours, though every revision matched: its
     * history is not the one we followed (a controller restored from an older backup reuses
     * revision numbers). Only a snapshot repairs that.
     */
    const divergedFrom = (event: { revision: number; tableDigest?: string | undefined }): string => {
      if (!event.tableDigest || event.revision !== table.revision) return '';
      const ours = table.digest();
      return ours === event.tableDigest ? '' : `our table at revision ${table.revision} differs from the controller's (digest ${ours}, the controller's ${event.tableDigest}): its history is not the one we followed (restored from a backup?); asking for a snapshot`;
    };

    // Runs inside the gRPC stream's 'data' handler, where a throw would crash the agent.
    const onEvent = (event: WatchEvent) => {
      if (settled) return;
      if (!received) options.onConnection?.({ connected: true });
      received = true;
      armIdleTimer();
      try {
        handleEvent(event);
      } catch (err) {
        refuse(event.revision, errorMessage(err));
      }
    };
    const handleEvent = (event: WatchEvent) => {
      if (awaitingRegistration) {
        awaitingRegistration = false;
        if (event.kind === 'registered') return register!.accepted(event.registration);
        registrationIgnored = true;
        logger.info('the controller does not register on the route stream (an older version); registering with a separate call before each later stream');
      }
      if (event.kind === 'registered') {
        logger.warn('ignoring a registration answer the agent did not ask for', { revision: event.revision });
        return;
      }
      if (event.kind === 'invalid') return refuse(event.revision, event.error);
      const heldCluster = table.isSynced ? table.clusterId : '';
      if (event.kind !== 'snapshot' && heldCluster && event.clusterId && event.clusterId !== heldCluster) {
        // Revisions of another cluster say nothing about ours: only a snapshot can help.
        ack();
        return finish('gap', `the controller is on cluster ${event.clusterId}, our table is from cluster ${heldCluster}; asking for a snapshot`);
      }
      switch (event.kind) {
        case 'snapshot': {
          const clusterId = event.clusterId || options.clusterId?.() || '';
          if (heldCluster && clusterId && clusterId !== heldCluster) {
            logger.warn('the controller belongs to a new cluster; its snapshot replaces every route we held', { cluster: clusterId, previous_cluster: heldCluster, previous_revision: table.revision });
          }
          const before = table.state();
          table.applySnapshot(event.revision, event.routes, clusterId);
          if (!install(event.revision, before)) return;
          logger.info('route table snapshot applied', { revision: event.revision, routes: event.routes.length });
          // A snapshot is the controller's own table: a digest that does not fit it is the
          // controller's fault, and asking again would bring the same snapshot.
          if (divergedFrom(event)) logger.error('the controller\'s snapshot does not match the digest it sent; keeping it', { revision: event.revision, digest: event.tableDigest, ours: table.digest() });
          return ack();
        }
        case 'delta': {
          const before = table.state();
          const result = table.applyDelta(event.baseRevision, event.revision, event.changes);
          if (result === 'applied') {
            if (!install(event.revision, before)) return;
            for (const change of event.changes) {
              logger.info(change.op === 'add' ? 'route set by controller' : 'route removed by controller', { node: change.route.nodeName, revision: event.revision });
            }
          }
          ack();
          if (result === 'gap') {
            finish('gap', `delta from revision ${event.baseRevision} does not follow our revision ${table.revision}; resynchronising`);
            return;
          }
          const diverged = divergedFrom(event);
          if (diverged) finish('gap', diverged);
          return;
        }
        case 'heartbeat': {
          ack();
          if (event.revision !== table.revision) {
            finish('gap', `controller is at revision ${event.revision}, we have ${table.revision}; resynchronising`);
            return;
          }
          const diverged = divergedFrom(event);
          if (diverged) finish('gap', diverged);
          return;
        }
      }
    };
    armIdleTimer();
    const onEnd = (err: ControllerCallError | null, retryAfterMs: number) => {
      if (err?.isPermanent && awaitingRegistration && !settled) {
        // Removed, re-added with another address, ...: retrying cannot help.
        register!.refused(err);
        return finish('refused', `the controller refused the registration: ${err.message}`, retryAfterMs);
      }
      // E.g. INVALID_ARGUMENT for an ack ahead of the controller (its database went back in time).
      if (err?.isPermanent) finish('refused', `the controller refused the stream: ${err.message}; will ask for a snapshot`, retryAfterMs);
      else finish('closed', err ? err.message : 'stream closed', retryAfterMs);
    };
    handle = source.watch(nodeName, knownRevision, onEvent, onEnd, knownClusterId, register?.request());
    if (settled) handle.cancel();
  });
}
