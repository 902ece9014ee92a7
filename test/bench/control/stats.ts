// Latency figures for the control-plane bench: nearest-rank percentiles over every sample,
// never an average of per-process percentiles (which would hide the slow tail).

export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100) of values sorted ascending; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50, p99, max and mean of the samples (in any order); NaN fields when there are none. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  let total = 0;
  for (const v of values) total += v;
  return {
    count: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length ? values[values.length - 1]! : Number.NaN,
    mean: values.length ? total / values.length : Number.NaN,
  };
}

/** Milliseconds with one decimal, or "-" when there is no figure. */
export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(1) : '-';
}
