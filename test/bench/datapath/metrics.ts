// What one run records (one JSON line of runs.jsonl) and which of its figures the report
// shows, in which order, and which way is better.

export interface RunRecord {
  readonly fw: string;
  readonly rep: number;
  /** The run did not reach the measurement (or its summary): no figures, see errors. */
  readonly failed: boolean;
  readonly errors: readonly string[];
  /** A kernel data path: no process of its own, so no CPU or RSS figures. */
  readonly kernel?: boolean;
  readonly desc?: string;
  /** "PID NAME" of the processes whose CPU and RSS are the forwarder's (pids.desc). */
  readonly accounted?: readonly string[];
  /** Figures by MetricSpec key, plus a few extra ones kept for the record (retransmits...). */
  readonly metrics: Readonly<Record<string, number>>;
}

export type Better = 'higher' | 'lower';

export interface MetricSpec {
  readonly key: string;
  readonly label: string;
  readonly better: Better;
  readonly digits: number;
  /** Exists only for a forwarder with processes (CPU, RSS): "–" for kernel paths. */
  readonly perProcess: boolean;
  /** Whether a ratio between two candidates means anything (not for a loss of 0 %). */
  readonly ratio: boolean;
}

const tcp = (streams: number, reverse: boolean): MetricSpec => ({
  key: `tcp${streams}${reverse ? 'r' : ''}_gbps`,
  label: `TCP ${streams} stream${streams > 1 ? 's' : ''} ${reverse ? 'ctr2→ctr1 (-R)' : 'ctr1→ctr2'}, Gbit/s`,
  better: 'higher',
  digits: 2,
  perProcess: false,
  ratio: true,
});

export const TCP_TESTS = ['tcp1', 'tcp2', 'tcp4', 'tcp1r', 'tcp2r', 'tcp4r'] as const;

export const METRICS: readonly MetricSpec[] = [
  tcp(1, false),
  tcp(2, false),
  tcp(4, false),
  tcp(1, true),
  tcp(2, true),
  tcp(4, true),
  { key: 'udp64_delivered_kpps', label: 'UDP 64 B delivered, kpps', better: 'higher', digits: 1, perProcess: false, ratio: true },
  { key: 'udp64_loss_pct', label: 'UDP 64 B loss at the receiver, %', better: 'lower', digits: 1, perProcess: false, ratio: false },
  { key: 'udp64_sent_kpps', label: 'UDP 64 B offered by the sender, kpps', better: 'higher', digits: 1, perProcess: false, ratio: false },
  { key: 'ping_min_ms', label: 'ping RTT min, ms', better: 'lower', digits: 3, perProcess: false, ratio: true },
  { key: 'ping_avg_ms', label: 'ping RTT avg, ms', better: 'lower', digits: 3, perProcess: false, ratio: true },
  { key: 'ping_p99_ms', label: 'ping RTT p99, ms', better: 'lower', digits: 3, perProcess: false, ratio: true },
  { key: 'tcp1_cpu_s', label: 'forwarder CPU-s during TCP 1 stream', better: 'lower', digits: 2, perProcess: true, ratio: true },
  { key: 'tcp1_gbit_per_cpu_s', label: 'Gbit per forwarder CPU-s (TCP 1 stream)', better: 'higher', digits: 2, perProcess: true, ratio: true },
  { key: 'rss_peak_mib', label: 'peak RSS of one forwarder process (VmHWM, largest), MiB', better: 'lower', digits: 1, perProcess: true, ratio: true },
];

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
