// Keeps the agent's route table in step with the controller: watch, apply, and when the
// stream breaks or goes silent for three heartbeat intervals, reconnect with jittered
// backoff and resume from the revision we hold. The data path keeps forwarding meanwhile.
import { Backoff, sleep } from '../common/backoff.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { AgentController, WatchEvent, WatchHandle } from './controller-client.js';
import type { AgentRouteTable } from './route-table.js';

export type WatchSource = Pick<AgentController, 'watch'>;

export interface WatchLoopOptions {
  readonly source: WatchSource;
  readonly nodeName: string;
  readonly table: AgentRouteTable;
  readonly heartbeatIntervalMs: () => number;
  /** Called after the table changed (snapshot or applied delta); a throw ends the stream and the next one starts from a snapshot. */
  readonly onTableChanged: () => void;
  /** Runs before every reconnect (e.g. register again); a throw counts as a failed attempt. */
  readonly beforeReconnect?: () => Promise<void>;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly backoff?: Backoff;
}

/** Heartbeats missed before the stream counts as dead. */
export const MISSED_HEARTBEATS = 3;

export async function runWatchLoop(options: WatchLoopOptions): Promise<void> {
  const { logger, signal, table } = options;
  const backoff = options.backoff ?? new Backoff({ initialMs: 500, maxMs: 30_000 });
  let forceSnapshot = false;
  let first = true;
  while (!signal.aborted) {
    if (!first && options.beforeReconnect) {
      try {
        await options.beforeReconnect();
      } catch (err) {
        const delay = backoff.next();
        logger.warn('reconnect to the controller failed; forwarding continues with the routes we have', { error: errorMessage(err), retry_in_ms: delay, revision: table.revision });
        await sleep(delay, signal);
        continue;
      }
      if (signal.aborted) break;
    }
    first = false;
    const known = table.isSynced && !forceSnapshot ? table.revision : 0;
    forceSnapshot = false;
    const outcome = await watchOnce(options, known);
    if (signal.aborted) break;
    if (outcome.end !== 'closed') forceSnapshot = true;
    // A refused table is not progress: keep backing off so a bad snapshot cannot spin the loop.
    if (outcome.received && outcome.end !== 'refused') backoff.reset();
    const delay = outcome.end === 'gap' ? 0 : backoff.next();
    logger.warn('route stream ended; reconnecting', { reason: outcome.reason, retry_in_ms: delay, revision: table.revision });
    if (delay > 0) await sleep(delay, signal);
  }
}

interface WatchOutcome {
  readonly received: boolean;
  /** closed: the stream ended or went silent; gap: we missed changes; refused: applying the table failed. */
  readonly end: 'closed' | 'gap' | 'refused';
  readonly reason: string;
}

function watchOnce(options: WatchLoopOptions, knownRevision: number): Promise<WatchOutcome> {
  const { source, nodeName, table, logger, signal } = options;
  return new Promise((resolve) => {
    // An abort that came before us fires no event: without this the stream would stay open until the idle timer.
    if (signal.aborted) {
      resolve({ received: false, end: 'closed', reason: 'agent stopping' });
      return;
    }
    let received = false;
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let handle: WatchHandle | undefined;
    const finish = (end: WatchOutcome['end'], reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', onAbort);
      handle?.cancel();
      resolve({ received, end, reason });
    };
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      const silenceMs = MISSED_HEARTBEATS * options.heartbeatIntervalMs();
      idleTimer = setTimeout(() => finish('closed', `no message from the controller in ${silenceMs} ms`), silenceMs);
    };
    const onAbort = () => finish('closed', 'agent stopping');
    signal.addEventListener('abort', onAbort, { once: true });

    // Runs inside the gRPC stream's 'data' handler, where a throw would crash the agent.
    const onEvent = (event: WatchEvent) => {
      if (settled) return;
      received = true;
      armIdleTimer();
      try {
        apply(event);
      } catch (err) {
        logger.error('could not apply the route table from the controller; forwarding continues with the previous one', { error: errorMessage(err), revision: event.revision });
        finish('refused', `applying revision ${event.revision} failed: ${errorMessage(err)}; will ask for a snapshot`);
      }
    };
    const apply = (event: WatchEvent) => {
      switch (event.kind) {
        case 'snapshot':
          table.applySnapshot(event.revision, event.routes);
          logger.info('route table snapshot applied', { revision: event.revision, routes: event.routes.length });
          options.onTableChanged();
          break;
        case 'delta': {
          const result = table.applyDelta(event.baseRevision, event.revision, event.changes);
          if (result === 'applied') {
            for (const change of event.changes) {
              logger.info(change.op === 'add' ? 'route added by controller' : 'route removed by controller', { node: change.route.nodeName, revision: event.revision });
            }
            options.onTableChanged();
          } else if (result === 'gap') {
            finish('gap', `delta from revision ${event.baseRevision} does not follow our revision ${table.revision}; resynchronising`);
          }
          break;
        }
        case 'heartbeat':
          if (event.revision > table.revision) finish('gap', `controller is at revision ${event.revision}, we have ${table.revision}; resynchronising`);
          break;
      }
    };
    armIdleTimer();
    handle = source.watch(nodeName, knownRevision, onEvent, (err) => finish('closed', err ? err.message : 'stream closed'));
    if (settled) handle.cancel();
  });
}
