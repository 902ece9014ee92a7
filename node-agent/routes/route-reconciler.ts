// Keeps the routes on the TUN device equal to the desired set: never trusts that they are
// still there (flannel #2554), re-adds what someone deleted and removes what is stale.
import { formatCidr, type Ipv4Cidr } from '../../common/cidr.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { diffRoutes, type RouteDiff } from './route-diff.js';
import type { RouteInstaller } from './route-installer.js';

export interface RouteReconcilerOptions {
  readonly installer: RouteInstaller;
  /** The device our routes point at (the TUN device). */
  readonly dev: string;
  readonly logger: Logger;
}

// Keeps one log line readable when thousands of routes change at once.
const MAX_LOGGED_CIDRS = 32;

function describeCidrs(cidrs: readonly Ipv4Cidr[]): string {
  const shown = cidrs.slice(0, MAX_LOGGED_CIDRS).map(formatCidr).join(',');
  return cidrs.length > MAX_LOGGED_CIDRS ? `${shown},...(+${cidrs.length - MAX_LOGGED_CIDRS} more)` : shown;
}

/** What the reconcile rounds did since the reconciler was made (for status and metrics). */
export interface ReconcileStats {
  rounds: number;
  failures: number;
  added: number;
  removed: number;
  /** Unix ms of the last round, 0 before the first. */
  lastRoundAt: number;
  /** Why the last round failed; '' after one that worked. */
  lastError: string;
}

export class RouteReconciler {
  readonly dev: string;
  private readonly installer: RouteInstaller;
  private readonly logger: Logger;
  private desiredRoutes: Ipv4Cidr[] = [];
  private readonly listeners = new Set<() => void>();
  // One installer conversation at a time: a loop round and removeAll() never interleave.
  private tail: Promise<unknown> = Promise.resolve();
  private readonly counts: ReconcileStats = { rounds: 0, failures: 0, added: 0, removed: 0, lastRoundAt: 0, lastError: '' };

  constructor(options: RouteReconcilerOptions) {
    this.installer = options.installer;
    this.dev = options.dev;
    this.logger = options.logger;
  }

  /** Replaces the desired set (duplicates dropped) and wakes any running loop. */
  setDesired(subnets: readonly Ipv4Cidr[]): void {
    this.desiredRoutes = diffRoutes(subnets, []).add;
    for (const listener of this.listeners) listener();
  }

  /** The desired set, canonical and sorted. */
  desired(): Ipv4Cidr[] {
    return [...this.desiredRoutes];
  }

  /** Calls `listener` after every setDesired(); returns the unsubscribe function. */
  onDesiredChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): ReconcileStats {
    return { ...this.counts };
  }

  /** Lists what is installed, applies the difference, logs and returns it. */
  reconcileOnce(): Promise<RouteDiff> {
    return this.serialize(async () => {
      try {
        const change = await this.reconcile();
        this.counts.rounds++;
        this.counts.added += change.add.length;
        this.counts.removed += change.remove.length;
        this.counts.lastError = '';
        return change;
      } catch (err) {
        this.counts.failures++;
        this.counts.lastError = errorMessage(err);
        throw err;
      } finally {
        this.counts.lastRoundAt = Date.now();
      }
    });
  }

  private async reconcile(): Promise<RouteDiff> {
    const desired = this.desiredRoutes;
    const installed = await this.installer.list(this.dev);
    const change = diffRoutes(desired, installed);
    if (change.add.length === 0 && change.remove.length === 0) {
      this.logger.debug('routes in sync', { dev: this.dev, routes: desired.length });
      return change;
    }
    await this.installer.apply(this.dev, change);
    this.logger.info('routes reconciled', {
      dev: this.dev,
      added: change.add.length,
      removed: change.remove.length,
      add: change.add.length > 0 ? describeCidrs(change.add) : undefined,
      remove: change.remove.length > 0 ? describeCidrs(change.remove) : undefined,
    });
    return change;
  }

  /**
   * Removes every route we own on the device, for a clean shutdown. The desired set is emptied
   * first so that a loop still running does not put the routes back.
   */
  async removeAll(): Promise<RouteDiff> {
    this.desiredRoutes = [];
    return this.reconcileOnce();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

export interface RouteReconcileLoopOptions {
  /** Time between checks when nothing changes; default 10 s. */
  readonly intervalMs?: number;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * Reconciles now, then every `intervalMs`, and at once after setDesired(); several
 * setDesired() calls during a round coalesce into one follow-up round. Failures are logged
 * and retried on the next round; the promise resolves when `signal` aborts and never rejects.
 */
export async function runRouteReconcileLoop(reconciler: RouteReconciler, options: RouteReconcileLoopOptions): Promise<void> {
  const { signal, logger } = options;
  const intervalMs = options.intervalMs ?? 10_000;
  let dirty = false;
  let wake: (() => void) | undefined;
  const unsubscribe = reconciler.onDesiredChange(() => {
    dirty = true;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal.addEventListener('abort', onAbort);
  let failures = 0;
  try {
    while (!signal.aborted) {
      dirty = false;
      try {
        await reconciler.reconcileOnce();
        if (failures > 0) logger.info('route reconcile recovered', { dev: reconciler.dev, failed_rounds: failures });
        failures = 0;
      } catch (err) {
        failures++;
        logger.warn('route reconcile failed; retrying', {
          dev: reconciler.dev,
          error: errorMessage(err),
          failed_rounds: failures,
          retry_in_ms: intervalMs,
        });
      }
      if (signal.aborted || dirty) continue;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, intervalMs);
        wake = done;
      });
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
  logger.debug('route reconcile loop stopped', { dev: reconciler.dev });
}
