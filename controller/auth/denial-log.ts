// Refusals go to the audit log, but a stranger must not be able to grow the database by
// sending garbage. Refusals of callers we know (an API key id, a node certificate) are
// written one by one: their credential makes them accountable. Anonymous refusals are
// written one by one up to a budget per minute; beyond it they are counted, and one
// summary row per minute says how many were not recorded individually.
import type { AuditEventInput, Store } from '../store/store.js';

export const ANONYMOUS_DENIALS_PER_MINUTE = 60;
const MINUTE_MS = 60_000;

export class DenialLog {
  private readonly store: Store;
  private readonly perMinute: number;
  private windowStart = 0;
  private writtenInWindow = 0;
  private suppressed = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(store: Store, perMinute = ANONYMOUS_DENIALS_PER_MINUTE) {
    this.store = store;
    this.perMinute = perMinute;
  }

  record(event: Omit<AuditEventInput, 'outcome'>): void {
    const denied: AuditEventInput = { ...event, outcome: 'denied' };
    if (event.actor !== 'anonymous') {
      this.store.recordAudit(denied);
      return;
    }
    const ms = event.at.getTime();
    if (ms - this.windowStart >= MINUTE_MS) {
      this.flush(event.at);
      this.windowStart = ms;
      this.writtenInWindow = 0;
    }
    if (this.writtenInWindow < this.perMinute) {
      this.writtenInWindow++;
      this.store.recordAudit(denied);
      return;
    }
    this.suppressed++;
    // A burst that stops still gets its summary, a minute later at most.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush(new Date());
    }, MINUTE_MS).unref();
  }

  /** Writes the pending summary row, if any refusals were counted without a row. */
  flush(at: Date): void {
    if (this.suppressed === 0) return;
    this.store.recordAudit({
      at,
      actor: 'anonymous',
      action: 'refusals-not-itemized',
      target: '',
      outcome: 'denied',
      detail: `${this.suppressed} more refused anonymous calls (over ${this.perMinute} a minute are counted, not itemized)`,
    });
    this.suppressed = 0;
  }

  close(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flush(new Date());
  }
}
