// Parsers for the raw files measure.sh leaves in a run directory: ping's per-packet lines,
// iperf3's JSON, the CPU marks (cpu.txt) and the peak RSS lines (rss.txt). Each returns
// undefined or an error text for output that is missing or unusable, never a made-up figure.
import { percentile } from '../control/stats.js';

export interface PingFigures {
  readonly sent: number | undefined;
  readonly received: number;
  readonly lossPct: number | undefined;
  readonly minMs: number;
  readonly avgMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * RTT figures from the per-packet "time=X ms" lines (not ping's own summary line, which
 * has no percentiles); undefined when no reply came back.
 */
export function parsePing(text: string): PingFigures | undefined {
  const rtts = [...text.matchAll(/ time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  if (rtts.length === 0) return undefined;
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(text);
  const sent = summary ? Number(summary[1]) : undefined;
  const total = rtts.reduce((sum, v) => sum + v, 0);
  return {
    sent,
    received: rtts.length,
    lossPct: sent ? (100 * (sent - rtts.length)) / sent : undefined,
    minMs: rtts[0]!,
    avgMs: total / rtts.length,
    p99Ms: percentile(rtts, 99),
    maxMs: rtts[rtts.length - 1]!,
  };
}

export interface TcpFigures {
  readonly gbps: number;
  /** Gbit the receiver got over the whole test. */
  readonly gbit: number;
  readonly retransmits: number | undefined;
}

export interface UdpFigures {
  readonly sentPps: number;
  /** Packets the receiver got per second (its count less its losses). */
  readonly deliveredPps: number;
  /** The receiver's loss percentage. */
  readonly lossPct: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

interface IperfSum {
  bytes?: number;
  bits_per_second?: number;
  seconds?: number;
  retransmits?: number;
  packets?: number;
  lost_packets?: number;
  lost_percent?: number;
}

interface IperfDocument {
  error?: string;
  end?: { sum_sent?: IperfSum; sum_received?: IperfSum; sum?: IperfSum };
}

function readIperf(text: string): Parsed<IperfDocument> {
  if (text.trim() === '') return { ok: false, error: 'no output' };
  try {
    return { ok: true, value: JSON.parse(text) as IperfDocument };
  } catch {
    return { ok: false, error: 'unparsable iperf3 JSON' };
  }
}

/** Throughput of a TCP test as the receiver saw it (sum over the streams). */
export function parseIperfTcp(text: string): Parsed<TcpFigures> {
  const doc = readIperf(text);
  if (!doc.ok) return doc;
  const received = doc.value.end?.sum_received;
  if (!received?.bytes || !received.bits_per_second) {
    return { ok: false, error: doc.value.error ? `iperf3: ${doc.value.error}` : 'iperf3 reported nothing received' };
  }
  return {
    ok: true,
    value: { gbps: received.bits_per_second / 1e9, gbit: (received.bytes * 8) / 1e9, retransmits: doc.value.end?.sum_sent?.retransmits },
  };
}

/** Small-packet UDP: the offered rate from the sender, delivery and loss from the receiver. */
export function parseIperfUdp(text: string): Parsed<UdpFigures> {
  const doc = readIperf(text);
  if (!doc.ok) return doc;
  const sent = doc.value.end?.sum_sent;
  const received = doc.value.end?.sum_received;
  if (!sent?.packets || !sent.seconds || received?.packets === undefined || received.lost_packets === undefined) {
    return { ok: false, error: doc.value.error ? `iperf3: ${doc.value.error}` : 'iperf3 UDP output without sender/receiver sums' };
  }
  const seconds = received.seconds || sent.seconds;
  return {
    ok: true,
    value: {
      sentPps: sent.packets / sent.seconds,
      deliveredPps: (received.packets - received.lost_packets) / seconds,
      lossPct: received.lost_percent ?? (received.packets ? (100 * received.lost_packets) / received.packets : 0),
    },
  };
}

export interface CpuMark {
  /** utime + stime ticks of the accounted forwarder processes (all threads). */
  readonly fwTicks: number;
  readonly fwUserTicks: number;
  /** The machine's /proc/stat cpu line: user nice system idle iowait irq softirq steal ... */
  readonly machine: readonly number[];
  /** Accounted processes that were already gone when the mark was taken. */
  readonly dead: number;
}

/**
 * cpu.txt: "LABEL fw_ticks=N fw_utime=N fw_stime=N stat=cpu,1,2,... t=S" per mark, each
 * preceded by a "dead PID" line for every accounted process that had exited.
 */
export function parseCpuMarks(text: string): Map<string, CpuMark> {
  const marks = new Map<string, CpuMark>();
  let dead = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('dead ')) {
      dead++;
      continue;
    }
    const [label, ...fields] = line.split(' ');
    const kv = new Map(fields.map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]));
    const stat = (kv.get('stat') ?? '').split(',').slice(1).map(Number);
    marks.set(label!, { fwTicks: Number(kv.get('fw_ticks')), fwUserTicks: Number(kv.get('fw_utime')), machine: stat, dead });
    dead = 0;
  }
  return marks;
}

export interface CpuBetween {
  /** CPU seconds of the accounted forwarder processes; undefined if one of them had exited. */
  readonly fwSeconds: number | undefined;
  readonly fwUserSeconds: number | undefined;
  /** Share of the whole machine that was busy (not idle/iowait). */
  readonly machineBusyPct: number | undefined;
}

/** CPU spent between the marks TEST-start and TEST-end; undefined when a mark is missing. */
export function cpuBetween(marks: Map<string, CpuMark>, test: string, clockTicks: number): CpuBetween | undefined {
  const start = marks.get(`${test}-start`);
  const end = marks.get(`${test}-end`);
  if (!start || !end) return undefined;
  const alive = start.dead === 0 && end.dead === 0;
  const delta = end.machine.map((v, i) => v - (start.machine[i] ?? 0));
  const total = delta.slice(0, 8).reduce((sum, v) => sum + v, 0);
  const idle = (delta[3] ?? 0) + (delta[4] ?? 0);
  return {
    fwSeconds: alive ? (end.fwTicks - start.fwTicks) / clockTicks : undefined,
    fwUserSeconds: alive ? (end.fwUserTicks - start.fwUserTicks) / clockTicks : undefined,
    machineBusyPct: total > 0 ? (100 * (total - idle)) / total : undefined,
  };
}

export interface RssFigures {
  /** The largest VmHWM of one accounted process (one host's forwarder), KiB. */
  readonly peakKib: number;
  /** VmHWM summed over the accounted processes, KiB. */
  readonly sumKib: number;
  readonly processes: number;
}

/** rss.txt: "PID VmHWM_kB VmRSS_kB" per accounted process; undefined when it lists none. */
export function parseRss(text: string): RssFigures | undefined {
  const peaks = text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && /^\d+$/.test(f[1]!))
    .map((f) => Number(f[1]));
  if (peaks.length === 0) return undefined;
  return { peakKib: Math.max(...peaks), sumKib: peaks.reduce((sum, v) => sum + v, 0), processes: peaks.length };
}

/**
 * The line of a process's log that says why it stopped: the first one that reads like an
 * error (a usage error prints the help after it), else the last line.
 */
export function tellingLogLine(log: string): string | undefined {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const error = lines.find((l) => /error|unknown|fatal|cannot|failed|refus|denied|invalid/i.test(l));
  const line = error ?? lines[lines.length - 1];
  return line === undefined ? undefined : line.length > 240 ? `${line.slice(0, 237)}...` : line;
}
