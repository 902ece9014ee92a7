// Keeps the agent's route table in step with the controller: watch, apply, and when the
// stream breaks or goes silent for three heartbeat intervals, reconnect with jittered
// backoff and resume from the revision we hold. The data path keeps forwarding meanwhile.
import { Backoff, sleep } from '../common/backoff.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ControllerCallError, WatchEvent, WatchHandle } from './controller-client.js';
import type { AgentRouteTable } from './route-table.js';

export interface WatchSource {
  watch(nodeName: string, knownRevision: number, onEvent: (event: WatchEvent) => void, onEnd: (err: ControllerCallError | null) => void): WatchHandle;
}

export interface WatchLoopOptions {
  readonly source: WatchSource;
  readonly nodeName: string;
  readonly table: AgentRouteTable;
  readonly heartbeatIntervalMs: () => number;
  /** Called after the table changed (snapshot or applied delta). */
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
    }
    first = false;
    const known = table.isSynced && !forceSnapshot ? table.revision : 0;
    forceSnapshot = false;
    const outcome = await watchOnce(options, known);
    if (signal.aborted) break;
    if (outcome.gap) forceSnapshot = true;
    if (outcome.received) backoff.reset();
    const delay = outcome.gap ? 0 : backoff.next();
    logger.warn('route stream ended; reconnecting', { reason: outcome.reason, retry_in_ms: delay, revision: table.revision });
    if (delay > 0) await sleep(delay, signal);
  }
}

interface WatchOutcome {
  readonly received: boolean;
  readonly gap: boolean;
  readonly reason: string;
}

function watchOnce(options: WatchLoopOptions, knownRevision: number): Promise<WatchOutcome> {
  const { source, nodeName, table, logger, signal } = options;
  return new Promise((resolve) => {
    let received = false;
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let handle: WatchHandle | undefined;
    const finish = (gap: boolean, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', onAbort);
      handle?.cancel();
      resolve({ received, gap, reason });
    };
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      const silenceMs = MISSED_HEARTBEATS * options.heartbeatIntervalMs();
      idleTimer = setTimeout(() => finish(false, `no message from the controller in ${silenceMs} ms`), silenceMs);
    };
    const onAbort = () => finish(false, 'agent stopping');
    signal.addEventListener('abort', onAbort, { once: true });

    const onEvent = (event: WatchEvent) => {
      if (settled) return;
      received = true;
      armIdleTimer();
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
            finish(true, `delta from revision ${event.baseRevision} does not follow our revision ${table.revision}; resynchronising`);
          }
          break;
        }
        case 'heartbeat':
          if (event.revision > table.revision) finish(true, `controller is at revision ${event.revision}, we have ${table.revision}; resynchronising`);
          break;
      }
    };
    armIdleTimer();
    handle = source.watch(nodeName, knownRevision, onEvent, (err) => finish(false, err ? err.message : 'stream closed'));
    if (settled) handle.cancel();
  });
}
