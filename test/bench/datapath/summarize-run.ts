// One run directory's raw files -> one RunRecord. Kept apart from the file reading so the
// arithmetic is tested on outputs written by hand.
import { TCP_TESTS, type RunRecord } from './metrics.js';
import { cpuBetween, parseCpuMarks, parseIperfTcp, parseIperfUdp, parsePing, parseRss, tellingLogLine } from './raw-parse.js';

/** A run directory: its files by name (undefined when absent) and its forwarders' logs. */
export interface RawRun {
  read(file: string): string | undefined;
  /** Log name (controller, agent1, socat1...) -> contents. */
  readonly logs: ReadonlyMap<string, string>;
}

const KIB_PER_MIB = 1024;

function accountedProcesses(raw: RawRun): string[] {
  const pids = new Set((raw.read('accounted-pids.txt') ?? '').split(/\s+/).filter((p) => p !== ''));
  return (raw.read('pids.desc') ?? '')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => pids.has(f[0]!))
    .map((f) => `${f[0]} ${f[2]}`);
}

/**
 * Why the processes named in LIST (one log name a line) stopped, from their logs; processes
 * that stopped for the same reason (both agents refusing a flag) share one note.
 */
function deathNotes(raw: RawRun, list: string | undefined): string[] {
  const names = (list ?? '').split('\n').map((n) => n.trim()).filter((n) => n !== '');
  const byReason = new Map<string, string[]>();
  for (const name of names) {
    const reason = tellingLogLine(raw.logs.get(name) ?? '') ?? '';
    byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  }
  return [...byReason].map(([reason, who]) => `${who.join(', ')} exited${reason ? `: ${reason}` : ''}`);
}

export function summarizeRun(raw: RawRun, fw: string, rep: number): RunRecord {
  const errors: string[] = [];
  const metrics: Record<string, number> = {};
  const kernel = raw.read('KERNEL_FW') !== undefined;
  const clockTicks = Number(raw.read('clk_tck.txt')?.trim()) || 100;
  const marks = parseCpuMarks(raw.read('cpu.txt') ?? '');

  const pingText = raw.read('ping.txt');
  if (pingText !== undefined) {
    const ping = parsePing(pingText);
    if (ping) {
      metrics.ping_min_ms = ping.minMs;
      metrics.ping_avg_ms = ping.avgMs;
      metrics.ping_p99_ms = ping.p99Ms;
      metrics.ping_max_ms = ping.maxMs;
      metrics.ping_replies = ping.received;
      if (ping.lossPct !== undefined) metrics.ping_loss_pct = ping.lossPct;
    } else {
      errors.push('ping: no replies');
    }
  }

  for (const test of TCP_TESTS) {
    const text = raw.read(`${test}.json`);
    if (text === undefined) continue;
    const parsed = parseIperfTcp(text);
    if (!parsed.ok) {
      errors.push(`${test}: ${parsed.error}`);
      continue;
    }
    metrics[`${test}_gbps`] = parsed.value.gbps;
    if (parsed.value.retransmits !== undefined) metrics[`${test}_retransmits`] = parsed.value.retransmits;
    const cpu = cpuBetween(marks, test, clockTicks);
    if (cpu?.machineBusyPct !== undefined) metrics[`${test}_machine_busy_pct`] = cpu.machineBusyPct;
    if (kernel || !cpu) continue;
    if (cpu.fwSeconds === undefined) {
      errors.push(`${test}: an accounted process had exited, no CPU figure`);
      continue;
    }
    metrics[`${test}_cpu_s`] = cpu.fwSeconds;
    if (cpu.fwUserSeconds !== undefined) metrics[`${test}_user_cpu_s`] = cpu.fwUserSeconds;
    if (cpu.fwSeconds > 0) metrics[`${test}_gbit_per_cpu_s`] = parsed.value.gbit / cpu.fwSeconds;
  }

  const udpText = raw.read('udp64.json');
  if (udpText !== undefined) {
    const parsed = parseIperfUdp(udpText);
    if (parsed.ok) {
      metrics.udp64_sent_kpps = parsed.value.sentPps / 1000;
      metrics.udp64_delivered_kpps = parsed.value.deliveredPps / 1000;
      metrics.udp64_loss_pct = parsed.value.lossPct;
      const cpu = cpuBetween(marks, 'udp64', clockTicks);
      if (!kernel && cpu?.fwSeconds !== undefined) metrics.udp64_cpu_s = cpu.fwSeconds;
    } else {
      errors.push(`udp64: ${parsed.error}`);
    }
  }

  if (!kernel) {
    const rss = parseRss(raw.read('rss.txt') ?? '');
    if (rss) {
      metrics.rss_peak_mib = rss.peakKib / KIB_PER_MIB;
      metrics.rss_peak_sum_mib = rss.sumKib / KIB_PER_MIB;
    } else {
      errors.push('no peak RSS: no accounted process was running at the end');
    }
  }

  const died = raw.read('FW_DIED');
  if (died !== undefined) errors.push(`died during the measurement: ${deathNotes(raw, died).join('; ') || 'a forwarder process'}`);
  return { fw, rep, failed: false, errors, kernel, desc: raw.read('desc.txt')?.trim(), accounted: accountedProcesses(raw), metrics };
}

/** The record of a run that stopped before its figures: the stage, and why from the logs. */
export function failedRun(raw: RawRun, fw: string, rep: number, stage: string, rc: string): RunRecord {
  const notes = deathNotes(raw, raw.read('dead.txt'));
  const error = `failed at stage ${stage} (rc=${rc})${notes.length ? `: ${notes.join('; ')}` : ''}`;
  return { fw, rep, failed: true, errors: [error], desc: raw.read('desc.txt')?.trim(), metrics: {} };
}
