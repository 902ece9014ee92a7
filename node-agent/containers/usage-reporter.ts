// Tells the controller how full this node's subnet is (leased container addresses and how
// many fit), so `tunctl list-nodes` can show it. Only the latest figures matter: one report
// in flight at a time, a newer figure sent when it returns; a failed report waits for the
// next change or resend() (the agent calls it whenever the controller answers again).
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';

export type SendUsage = (leased: number, capacity: number) => Promise<void>;

export class UsageReporter {
  private readonly send: SendUsage;
  private readonly logger: Logger;
  private latest: { leased: number; capacity: number } | undefined;
  /** The figures the controller has, as far as we know. */
  private acknowledged: { leased: number; capacity: number } | undefined;
  private inFlight: Promise<void> | undefined;
  private lastFailure = '';

  constructor(send: SendUsage, logger: Logger) {
    this.send = send;
    this.logger = logger;
  }

  /** New figures: sent now, or as soon as the report in flight returns. */
  update(leased: number, capacity: number): void {
    this.latest = { leased, capacity };
    this.kick();
  }

  /** Sends the latest figures again unless the controller has them (e.g. after reconnecting). */
  resend(): void {
    this.acknowledged = undefined;
    this.kick();
  }

  /** Resolves when nothing is in flight (for tests). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private kick(): void {
    if (this.inFlight || !this.latest) return;
    const figures = this.latest;
    if (this.acknowledged && this.acknowledged.leased === figures.leased && this.acknowledged.capacity === figures.capacity) return;
    this.inFlight = this.send(figures.leased, figures.capacity).then(
      () => {
        this.acknowledged = figures;
        this.lastFailure = '';
      },
      (err: unknown) => {
        const message = errorMessage(err);
        // Once per distinct failure: a controller that is down would otherwise log on every change.
        if (message !== this.lastFailure) this.logger.warn('could not report address usage to the controller; will retry when it answers', { error: message });
        this.lastFailure = message;
      },
    ).finally(() => {
      this.inFlight = undefined;
      if (this.acknowledged !== this.latest && this.lastFailure === '') this.kick();
    });
  }
}
