// End to end under sustained load: a controller, two hosts with real tunctl agents (default
// data path: superpackets where the kernel has them, a worker pair per core), and a 60 s
// iperf3 TCP run from one container to the other. The agents' resident memory is sampled
// every second: a data path that leaks per packet or per batch shows up as RSS that keeps
// growing long after the first seconds of traffic.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster, type AgentStats, type Host } from './cluster.js';
import { labFor, netnsTestOptions, waitFor } from './netns.js';

const DURATION_S = 60;
/** Traffic before this is warm-up: buffers, JIT, socket queues filling. */
const WARMUP_S = 5;
/** The reference window right after warm-up. */
const EARLY_WINDOW_S = 15;
/** The window compared with it, at the end of the run. */
const LATE_WINDOW_S = 30;
/** How far the late window's peak may rise above the early window's. */
const RSS_GROWTH_LIMIT = 16 * 1024 * 1024;
/** A floor far below what the data path does, to catch a stall, not to measure speed (the machine is shared). */
const MIN_BITS_PER_SECOND = 0.3e9;
const IPERF_PORT = 5201;

function iperf3Installed(): boolean {
  return spawnSync('iperf3', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Skips without namespaces (as every namespace test) and, outside CI only, without iperf3. */
function sustainedTestOptions(): { skip?: string; timeout: number } {
  const base = { ...netnsTestOptions(), timeout: 300_000 };
  if (base.skip || iperf3Installed() || process.env.CI === 'true') return base;
  return { ...base, skip: 'iperf3 is not installed' };
}

interface RssSample {
  /** Seconds since the iperf3 client started. */
  at: number;
  bytes: number;
}

/** VmRSS of a process, in bytes. */
function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The agent's own PID: `ip netns exec` execs the command, so the spawned PID is the agent's node process. */
function agentPid(host: Host): number {
  const pid = host.agent?.pid;
  assert.ok(pid, `the agent of ${host.name} is running`);
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes('agent') && cmdline.some((a) => a.endsWith('tunctl.js')), `PID ${pid} is the agent: ${cmdline.join(' ')}`);
  return pid;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

interface IperfResult {
  error?: string;
  end?: { sum_sent?: { bytes: number; bits_per_second: number; retransmits?: number }; sum_received?: { bytes: number; bits_per_second: number } };
  intervals?: { sum: { bits_per_second: number } }[];
}

const dropsTotal = (s: AgentStats): number => [...Object.values(s.rxDrops), ...Object.values(s.txDrops)].reduce((a, b) => a + b, 0);

test(`a ${DURATION_S} s iperf3 TCP run through two agents moves data and leaves their memory flat`, sustainedTestOptions(), async (t) => {
  assert.ok(iperf3Installed(), 'iperf3 is not installed: this test needs it in CI (add iperf3 to the apt packages in .ci/run)');
  const lab = labFor(t, 'sus');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-sustained-'));
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: 1000 });
  let failed = true;
  t.after(() => {
    if (failed) cluster.dumpLogs(['controller', 'agent-h1', 'agent-h2']);
    rmSync(workDir, { recursive: true, force: true });
  });
  try {
    const { h1, h2 } = await cluster.startPair();
    const warm = await cluster.ping(h1, h2, 3);
    assert.equal(warm.received, 3, warm.output);
    const hosts = [h1, h2];
    const pids = hosts.map(agentPid);
    for (const h of hosts) {
      const started = /dataplane started .*path="([^"]+)"/.exec(readFileSync(cluster.logFile(`agent-${h.name}`), 'utf8'));
      t.diagnostic(`agent ${h.name}: ${started?.[1] ?? 'path not logged'}`);
    }
    const statsBefore = await Promise.all(hosts.map((h) => cluster.freshStats(h)));

    // The server answers one test and exits; `timeout` bounds it if the client never comes.
    lab.spawn(h2.containerNs, 'timeout', [String(DURATION_S + 90), 'iperf3', '-s', '-1', '-B', h2.containerIp, '-p', String(IPERF_PORT)]);
    await waitFor('the iperf3 server to listen', async () => {
      const res = await lab.execStatus(h2.containerNs, 'ss', ['-ltnH', `sport = :${IPERF_PORT}`]);
      return res.code === 0 && res.stdout.trim() !== '';
    }, 10_000, 100);

    const samples: RssSample[][] = hosts.map(() => []);
    const startedAt = Date.now();
    const sample = () => {
      const at = (Date.now() - startedAt) / 1000;
      pids.forEach((pid, i) => samples[i]!.push({ at, bytes: rssOf(pid) }));
    };
    sample();
    const sampler = setInterval(sample, 1000);
    let run: { code: number; stdout: string; stderr: string };
    try {
      run = await lab.execStatus(
        h1.containerNs,
        'timeout',
        [String(DURATION_S + 30), 'iperf3', '-c', h2.containerIp, '-p', String(IPERF_PORT), '-t', String(DURATION_S), '-J'],
        (DURATION_S + 40) * 1000,
      );
    } finally {
      clearInterval(sampler);
    }
    const endedAt = (Date.now() - startedAt) / 1000;

    const result = JSON.parse(run.stdout || '{}') as IperfResult;
    assert.equal(result.error, undefined, `iperf3 reported an error: ${result.error}`);
    assert.equal(run.code, 0, `iperf3 client exit ${run.code}: ${run.stderr}`);
    const received = result.end?.sum_received;
    assert.ok(received, `iperf3 gave a summary: ${run.stdout.slice(0, 500)}`);
    const perTen = (result.intervals ?? []).reduce<number[]>((acc, iv, i) => {
      acc[Math.floor(i / 10)] = (acc[Math.floor(i / 10)] ?? 0) + iv.sum.bits_per_second / 10;
      return acc;
    }, []);
    t.diagnostic(
      `iperf3: ${(received.bytes / 1e9).toFixed(2)} GB in ${DURATION_S} s, ${(received.bits_per_second / 1e9).toFixed(2)} Gbit/s average, ` +
        `retransmits ${result.end?.sum_sent?.retransmits ?? '?'}; per 10 s: ${perTen.map((b) => (b / 1e9).toFixed(2)).join(' ')} Gbit/s`,
    );
    assert.ok(
      received.bits_per_second > MIN_BITS_PER_SECOND,
      `average ${(received.bits_per_second / 1e9).toFixed(3)} Gbit/s is above the ${MIN_BITS_PER_SECOND / 1e9} Gbit/s floor`,
    );

    hosts.forEach((h, i) => {
      const series = samples[i]!;
      const early = series.filter((s) => s.at >= WARMUP_S && s.at < WARMUP_S + EARLY_WINDOW_S);
      const late = series.filter((s) => s.at >= endedAt - LATE_WINDOW_S);
      const earlyMax = Math.max(...early.map((s) => s.bytes));
      const lateMax = Math.max(...late.map((s) => s.bytes));
      const figures =
        `agent ${h.name}: RSS max ${mib(earlyMax)} over ${WARMUP_S}-${WARMUP_S + EARLY_WINDOW_S} s (${early.length} samples), ` +
        `max ${mib(lateMax)} over the last ${LATE_WINDOW_S} s (${late.length} samples), growth ${mib(lateMax - earlyMax)}, ` +
        `first ${mib(series[0]!.bytes)}, last ${mib(series[series.length - 1]!.bytes)}`;
      t.diagnostic(figures);
      // A sampler starved by a loaded machine would make the comparison meaningless.
      assert.ok(early.length >= EARLY_WINDOW_S / 2 && late.length >= LATE_WINDOW_S / 2, `enough samples: ${figures}`);
      assert.ok(lateMax - earlyMax <= RSS_GROWTH_LIMIT, `RSS grew by more than ${mib(RSS_GROWTH_LIMIT)}: ${figures}`);
    });

    // The run crossed the agents, and nothing of it was dropped as invalid or unroutable.
    const statsAfter = await Promise.all(hosts.map((h) => cluster.freshStats(h)));
    const minDatagrams = received.bytes / 1472;
    assert.ok(statsAfter[0]!.udpTxPackets - statsBefore[0]!.udpTxPackets >= minDatagrams, `h1 sent the stream: ${JSON.stringify(statsAfter[0])}`);
    assert.ok(statsAfter[1]!.udpRxPackets - statsBefore[1]!.udpRxPackets >= minDatagrams, `h2 received the stream: ${JSON.stringify(statsAfter[1])}`);
    assert.ok(statsAfter[1]!.tunTxPackets > statsBefore[1]!.tunTxPackets, 'h2 delivered to its container');
    hosts.forEach((h, i) => assert.equal(dropsTotal(statsAfter[i]!), 0, `no drops on ${h.name}: ${JSON.stringify(statsAfter[i])}`));
    for (const h of hosts) assert.equal(h.agent?.exitCode, null, `the agent of ${h.name} is still running`);
    failed = false;
  } finally {
    for (const host of cluster.hosts.values()) await cluster.stopAgent(host);
    await cluster.stopController();
  }
});
