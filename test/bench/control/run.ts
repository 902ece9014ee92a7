// npm run bench:control — the control plane under N simulated agents (real gRPC clients,
// each on its own TLS connection) in a throwaway network namespace. For each N: setup (add
// the nodes, join, connect), propagation of single add-nodes, add-node throughput, and
// resync after a controller restart; controller CPU and memory from /proc. Prints a
// markdown table with PASS/FAIL against the targets, then one JSON line with every figure.
//
//   sudo node dist/test/bench/control/run.js [--agents 1000,5000] [--adds 2000] [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NetnsLab } from '../../netns/netns.js';
import { addNode, addNodes, controllerRoutes } from './admin-load.js';
import { ControlLab, describeFleet, describeResync } from './control-lab.js';
import { wallClockMs, type AgentCounters } from './fleet-protocol.js';
import { summarize, type Summary } from './stats.js';

const TARGETS = { p99PropagationMs: 1000, resyncMs: 15_000, addsPerSecond: 1000 } as const;

interface BenchOptions {
  readonly agents: number[];
  readonly adds: number;
  readonly propagationAdds: number;
  readonly propagationGapMs: number;
  readonly inFlight: number;
  readonly heartbeatIntervalMs: number;
  readonly workers: number | undefined;
  /** Controller on CPU 0, fleet workers on CPU 1. */
  readonly pin: boolean;
  /** Niceness of the fleet workers (0: the controller's own priority). */
  readonly fleetNice: number;
  readonly timeoutMs: number;
  readonly keep: boolean;
}

interface CpuMark {
  readonly controller: number;
  readonly workers: number;
  readonly runner: number;
}

interface PhaseCpu {
  /** CPU seconds the controller spent in the phase. */
  readonly controllerS: number;
  readonly workersS: number;
  /** This process: the admin calls (add-node) and the bookkeeping. */
  readonly runnerS: number;
  readonly wallS: number;
}

interface FleetFigures {
  agents: number;
  workers?: number;
  setup?: { addNodesS: number; joinS: number; connectS: number; cpu: PhaseCpu };
  held?: { afterSetup: number; beforeRestart?: number; atEnd?: number };
  propagation?: Summary & { adds: number; missing: number; cpu: PhaseCpu };
  throughput?: { adds: number; seconds: number; addsPerSecond: number; catchUp: Summary; underLoad: Summary; cpu: PhaseCpu };
  resync?: Summary & {
    revision: number;
    stopMs: number;
    readyMs: number;
    firstKinds: Record<string, number>;
    synced: number;
    cpu: PhaseCpu;
    verified: { matching: number; agents: number; examples: string[] };
  };
  controller?: { rssMiB: number; peakRssMiB: number; cpuS: number };
  /** All fleet worker processes together. */
  fleet?: { rssMiB: number; peakRssMiB: number };
  counters?: AgentCounters;
  failures: string[];
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      agents: { type: 'string' },
      adds: { type: 'string' },
      'propagation-adds': { type: 'string' },
      'in-flight': { type: 'string' },
      'heartbeat-interval': { type: 'string' },
      workers: { type: 'string' },
      timeout: { type: 'string' },
      quick: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      'fleet-nice': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      [
        'usage: node dist/test/bench/control/run.js [--agents 1000,5000] [--adds 2000] [--propagation-adds 20]',
        '          [--in-flight 256] [--heartbeat-interval 5000] [--workers K] [--timeout SECONDS] [--quick] [--keep] [--pin] [--fleet-nice 19]',
        '  --quick   a short smoke run: 200 agents, 300 adds, 5 single adds',
        '  --keep    keep the work directory (controller database and log) after a passing run',
        '  --pin     controller on CPU 0, fleet workers on CPU 1 (the simulated clients cannot starve the controller)',
        '  --fleet-nice N  niceness of the fleet workers (default 19): they stand for 5,000 other machines, so they get',
        '                the CPU the controller and the admin client leave, not a share of it; 0 runs them at the same priority',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const quick = values.quick!;
  const int = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };
  const agents = (values.agents ?? (quick ? '200' : '1000,5000')).split(',').map((a) => int('agents', a.trim(), 0));
  return {
    agents,
    adds: int('adds', values.adds, quick ? 300 : 2000),
    propagationAdds: int('propagation-adds', values['propagation-adds'], quick ? 5 : 20),
    propagationGapMs: 300,
    // Enough calls in flight to keep the controller busy: with 64, its event loop sat idle for
    // about 45% of a storm at N = 5,000, waiting for this process's next calls (a profile of
    // the controller shows it), so the figure measured the round trip, not the controller.
    inFlight: int('in-flight', values['in-flight'], 256),
    heartbeatIntervalMs: int('heartbeat-interval', values['heartbeat-interval'], 5000),
    workers: values.workers === undefined ? undefined : int('workers', values.workers, 1),
    timeoutMs: int('timeout', values.timeout, quick ? 300 : 1800) * 1000,
    keep: values.keep!,
    pin: values.pin!,
    fleetNice: niceness(values['fleet-nice']),
  };
}

/** --fleet-nice: 0-19, default 19. */
function niceness(text: string | undefined): number {
  if (text === undefined) return 19;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`--fleet-nice must be an integer from 0 to 19, got ${JSON.stringify(text)}`);
  return n;
}

const log = (message: string) => process.stderr.write(`[bench:control ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mark(lab: ControlLab): CpuMark {
  const own = process.cpuUsage();
  return { controller: lab.controller.usage()?.cpuSeconds ?? 0, workers: lab.workerCpuSeconds(), runner: (own.user + own.system) / 1e6 };
}

function since(lab: ControlLab, from: CpuMark, startedAt: number): PhaseCpu {
  const now = mark(lab);
  return { controllerS: now.controller - from.controller, workersS: now.workers - from.workers, runnerS: now.runner - from.runner, wallS: (wallClockMs() - startedAt) / 1000 };
}

function cpuSecondsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
}

/** Latencies of every (agent, revision) pair: time held minus that revision's t0; null = never. */
function latencies(times: (number | null)[][], t0s: number[]): { samples: number[]; missing: number } {
  const samples: number[] = [];
  let missing = 0;
  times.forEach((perAgent, i) => {
    for (const t of perAgent) {
      if (t === null) missing++;
      else samples.push(t - t0s[i]!);
    }
  });
  return { samples, missing };
}

async function benchFleet(nsLab: NetnsLab, ns: string, agents: number, options: BenchOptions, figures: FleetFigures): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), `tunctl-bench-${agents}-`));
  log(`N=${agents}: work directory ${workDir}`);
  const lab = new ControlLab({ lab: nsLab, ns, workDir, agents, workers: options.workers, pin: options.pin ? { controller: '0', fleet: '1' } : undefined, fleetNice: options.fleetNice > 0 ? options.fleetNice : undefined, heartbeatIntervalMs: options.heartbeatIntervalMs, addInFlight: options.inFlight });
  const connectTimeoutMs = 60_000 + agents * 20;
  let ok = false;
  try {
    // 1. setup
    let t = wallClockMs();
    const runnerAtStart = process.cpuUsage();
    const setup = await lab.setup(connectTimeoutMs);
    const setupCpu = { controllerS: lab.controller.usage()?.cpuSeconds ?? 0, workersS: lab.workerCpuSeconds(), runnerS: cpuSecondsSince(runnerAtStart), wallS: (wallClockMs() - t) / 1000 };
    figures.workers = setup.workers;
    figures.setup = { addNodesS: setup.addNodesMs / 1000, joinS: setup.joinMs / 1000, connectS: setup.connectMs / 1000, cpu: setupCpu };
    const afterSetup = (await lab.pool!.status()).watching;
    figures.held = { afterSetup };
    log(`N=${agents}: setup: ${agents} add-node ${figures.setup.addNodesS.toFixed(1)} s, join ${figures.setup.joinS.toFixed(1)} s, connect ${figures.setup.connectS.toFixed(1)} s; ${afterSetup} watching`);

    // 2. propagation of single adds
    await lab.pool!.resetHistory();
    let cpu = mark(lab);
    t = wallClockMs();
    const singles = [];
    for (let i = 0; i < options.propagationAdds; i++) {
      singles.push(await addNode(lab.admin, `prop-${i}`, agents + i));
      await sleep(options.propagationGapMs);
    }
    const lastSingle = singles[singles.length - 1]!.revision;
    await lab.waitForFleet(`every agent applying the ${options.propagationAdds} single adds`, lastSingle, 30_000);
    const singleTimes = await lab.pool!.applied(singles.map((s) => s.revision));
    const single = latencies(singleTimes, singles.map((s) => s.returnedAt));
    figures.propagation = { ...summarize(single.samples), adds: singles.length, missing: single.missing, cpu: since(lab, cpu, t) };
    log(`N=${agents}: propagation p50 ${figures.propagation.p50.toFixed(1)} ms, p99 ${figures.propagation.p99.toFixed(1)} ms, max ${figures.propagation.max.toFixed(1)} ms`);

    // 3. add-node throughput while every agent watches
    await lab.pool!.resetHistory();
    cpu = mark(lab);
    t = wallClockMs();
    const load = await addNodes(lab.admin, 'load-', agents + options.propagationAdds, options.adds, options.inFlight);
    const loadSeconds = (wallClockMs() - t) / 1000;
    const last = load.reduce((a, b) => (b.revision > a.revision ? b : a));
    const lastReturned = Math.max(...load.map((l) => l.returnedAt));
    await lab.waitForFleet(`every agent applying the last of ${options.adds} adds`, last.revision, 60_000);
    // A sample of adds spread over the run: how long changes took to arrive while under load,
    // from the call (its return waits behind the other calls in flight, often past the push).
    const sampleCount = Math.min(20, load.length);
    const sample = Array.from({ length: sampleCount }, (_, i) => load[Math.round((i * (load.length - 1)) / Math.max(1, sampleCount - 1))]!);
    const [lastTimes, ...sampleTimes] = await lab.pool!.applied([last.revision, ...sample.map((s) => s.revision)]);
    const catchUp = latencies([lastTimes!], [lastReturned]);
    const underLoad = latencies(sampleTimes, sample.map((s) => s.calledAt));
    figures.throughput = {
      adds: options.adds,
      seconds: loadSeconds,
      addsPerSecond: options.adds / loadSeconds,
      catchUp: summarize(catchUp.samples),
      underLoad: summarize(underLoad.samples),
      cpu: since(lab, cpu, t),
    };
    log(`N=${agents}: ${options.adds} adds in ${loadSeconds.toFixed(2)} s = ${figures.throughput.addsPerSecond.toFixed(0)}/s; all applied the last ${figures.throughput.catchUp.max.toFixed(0)} ms after it returned`);

    // 4. resync after a controller restart
    figures.held.beforeRestart = (await lab.pool!.status()).watching;
    const oldController = lab.controller;
    const revision = await lab.latestRevision();
    const beforeStop = oldController.usage();
    const workersBefore = lab.workerCpuSeconds();
    const runnerBefore = process.cpuUsage();
    const restart = await lab.restartController();
    const spawnedAt = restart.controller.spawnedAt;
    const resyncTimeoutMs = 60_000;
    const resync = await lab.pollResync(spawnedAt, revision, resyncTimeoutMs);
    if (resync.syncedAt.length < agents) figures.failures.push(`resync after the controller restart: ${describeResync(resync, revision, resyncTimeoutMs)}`);
    const resyncCpu = { controllerS: restart.controller.usage()?.cpuSeconds ?? 0, workersS: lab.workerCpuSeconds() - workersBefore, runnerS: cpuSecondsSince(runnerBefore), wallS: (wallClockMs() - spawnedAt) / 1000 };
    const routes = await controllerRoutes(lab.admin);
    const verified = await lab.pool!.verify(routes.routes, routes.revision);
    figures.resync = {
      ...summarize(resync.syncedAt.map((s) => s - spawnedAt)),
      revision,
      stopMs: restart.stoppedMs,
      readyMs: restart.controller.readyAt - spawnedAt,
      firstKinds: resync.firstKinds,
      synced: resync.syncedAt.length,
      cpu: resyncCpu,
      verified: {
        matching: verified.matching,
        agents: verified.agents,
        examples: verified.mismatches.slice(0, 3).map((m) => `${m.nodeName}@${m.revision}: ${m.differences.join(', ')}`),
      },
    };
    log(`N=${agents}: resync after restart: ${resync.syncedAt.length}/${agents} back, the last ${(figures.resync.max / 1000).toFixed(2)} s after the spawn (first messages ${JSON.stringify(resync.firstKinds)}); tables ${verified.matching}/${verified.agents} equal to ListRoutes`);
    if (verified.matching !== verified.agents) figures.failures.push(`${verified.agents - verified.matching} agents' tables differ from ListRoutes: ${figures.resync.verified.examples.join('; ')}`);

    // Held: still every stream open a few seconds later (nobody dropped after the storm).
    await sleep(Math.min(5000, options.heartbeatIntervalMs));
    const end = await lab.pool!.status();
    figures.held.atEnd = end.watching;
    figures.counters = end.counters;
    if (end.watching !== agents) figures.failures.push(`after the resync ${describeFleet(end, revision)}`);
    const now = restart.controller.usage();
    figures.controller = {
      rssMiB: (now?.rssBytes ?? 0) / 2 ** 20,
      peakRssMiB: Math.max(beforeStop?.peakRssBytes ?? 0, now?.peakRssBytes ?? 0) / 2 ** 20,
      cpuS: (beforeStop?.cpuSeconds ?? 0) + (now?.cpuSeconds ?? 0),
    };
    const fleetUsage = lab.workerUsage();
    figures.fleet = { rssMiB: fleetUsage.rssBytes / 2 ** 20, peakRssMiB: fleetUsage.peakRssBytes / 2 ** 20 };
    ok = figures.failures.length === 0;
  } catch (err) {
    figures.failures.push((err as Error).message);
    log(`N=${agents}: FAILED: ${(err as Error).message}`);
    try {
      figures.counters = (await lab.pool?.status())?.counters;
    } catch {
      /* the fleet is gone too */
    }
  } finally {
    await lab.close().catch((err: Error) => log(`N=${agents}: cleanup: ${err.message}`));
    if (ok && !options.keep) rmSync(workDir, { recursive: true, force: true });
    else log(`N=${agents}: kept ${workDir} (controller.log, data/)`);
  }
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? '' : pass ? ' PASS' : ' FAIL';
}

const f1 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1));
const f0 = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(0));
const ms3 = (s: Summary | undefined) => (s ? `${f1(s.p50)} / ${f1(s.p99)} / ${f1(s.max)}` : '-');
const sec3 = (s: Summary | undefined) => (s ? `${(s.p50 / 1000).toFixed(2)} / ${(s.p99 / 1000).toFixed(2)} / ${(s.max / 1000).toFixed(2)}` : '-');

/** Pass/fail per target; undefined where the phase did not produce a figure. */
function checks(f: FleetFigures) {
  return {
    held: f.held ? f.held.afterSetup === f.agents && f.held.atEnd === f.agents : false,
    propagation: f.propagation ? f.propagation.missing === 0 && f.propagation.p99 <= TARGETS.p99PropagationMs : undefined,
    resync: f.resync ? f.resync.synced === f.agents && f.resync.max <= TARGETS.resyncMs : undefined,
    throughput: f.throughput ? f.throughput.addsPerSecond >= TARGETS.addsPerSecond : undefined,
  };
}

function table(all: FleetFigures[], fleetNice: number): string {
  const head = `| | ${all.map((f) => `N = ${f.agents.toLocaleString('en-US')}`).join(' | ')} | target |`;
  const rows: [string, (f: FleetFigures) => string, string][] = [
    ['agents held (after setup / before restart / at end)', (f) => (f.held ? `${f.held.afterSetup} / ${f.held.beforeRestart ?? '-'} / ${f.held.atEnd ?? '-'}${verdict(checks(f).held)}` : `-${verdict(false)}`), 'all N'],
    ['fleet worker processes (niceness)', (f) => `${f.workers ?? '-'} (nice ${fleetNice})`, ''],
    ['setup: add N nodes / join / connect (s)', (f) => (f.setup ? `${f1(f.setup.addNodesS)} / ${f1(f.setup.joinS)} / ${f1(f.setup.connectS)}` : '-'), ''],
    ['propagation, single add-node: p50 / p99 / max (ms)', (f) => (f.propagation ? `${ms3(f.propagation)}${f.propagation.missing ? ` (${f.propagation.missing} missing)` : ''}${verdict(checks(f).propagation)}` : '-'), `p99 ≤ ${TARGETS.p99PropagationMs} ms`],
    ['add-node throughput (/s)', (f) => (f.throughput ? `${f0(f.throughput.addsPerSecond)} (${f.throughput.adds} in ${f.throughput.seconds.toFixed(2)} s)${verdict(checks(f).throughput)}` : '-'), `≥ ${TARGETS.addsPerSecond}/s`],
    ['propagation under that load, from the call: p50 / p99 / max (ms)', (f) => ms3(f.throughput?.underLoad), ''],
    ['last add → applied by all: p50 / p99 / max (ms)', (f) => ms3(f.throughput?.catchUp), ''],
    ['resync after restart, from spawn: p50 / p99 / max (s)', (f) => (f.resync ? `${sec3(f.resync)}${f.resync.synced < f.agents ? ` (only ${f.resync.synced} back)` : ''}${verdict(checks(f).resync)}` : '-'), `≤ ${TARGETS.resyncMs / 1000} s`],
    ['  controller answering after spawn (ms); SIGTERM → exit (ms)', (f) => (f.resync ? `${f0(f.resync.readyMs)}; ${f0(f.resync.stopMs)}` : '-'), ''],
    ['  first message on the new stream', (f) => (f.resync ? Object.entries(f.resync.firstKinds).map(([k, n]) => `${k.replace('KIND_', '').toLowerCase()} ${n}`).join(', ') : '-'), 'no snapshot (resumed)'],
    ['  tables equal to ListRoutes after resync', (f) => (f.resync ? `${f.resync.verified.matching}/${f.resync.verified.agents}` : '-'), 'all N'],
    ['controller CPU (s): setup / propagation / throughput / resync', (f) => [f.setup?.cpu, f.propagation?.cpu, f.throughput?.cpu, f.resync?.cpu].map((c) => (c ? f1(c.controllerS) : '-')).join(' / '), ''],
    ['  phase wall time (s), same order', (f) => [f.setup?.cpu, f.propagation?.cpu, f.throughput?.cpu, f.resync?.cpu].map((c) => (c ? f1(c.wallS) : '-')).join(' / '), ''],
    ['fleet workers CPU (s), same order', (f) => [f.setup?.cpu, f.propagation?.cpu, f.throughput?.cpu, f.resync?.cpu].map((c) => (c ? f1(c.workersS) : '-')).join(' / '), ''],
    ['bench runner CPU (s), same order', (f) => [f.setup?.cpu, f.propagation?.cpu, f.throughput?.cpu, f.resync?.cpu].map((c) => (c ? f1(c.runnerS) : '-')).join(' / '), ''],
    ['controller RSS now / peak (MiB)', (f) => (f.controller ? `${f0(f.controller.rssMiB)} / ${f0(f.controller.peakRssMiB)}` : '-'), ''],
    ['fleet workers RSS now / peak, all together (MiB)', (f) => (f.fleet ? `${f0(f.fleet.rssMiB)} / ${f0(f.fleet.peakRssMiB)}` : '-'), ''],
    [
      'agent counters: snapshots / deltas / heartbeats / gaps / streams / registers (call, on stream) / retry-after',
      (f) => (f.counters ? [f.counters.snapshots, f.counters.deltas, f.counters.heartbeats, f.counters.gaps, f.counters.streams, `${f.counters.registers}, ${f.counters.streamRegisters}`, f.counters.retryAfters].join(' / ') : '-'),
      'gaps 0',
    ],
  ];
  const lines = [head, `|---|${all.map(() => '---').join('|')}|---|`];
  for (const [label, cell, target] of rows) lines.push(`| ${label} | ${all.map(cell).join(' | ')} | ${target} |`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    log('must run as root: it creates a network namespace (sudo npm run bench:control)');
    return 2;
  }
  const nsLab = new NetnsLab('tunctl-bench-');
  const overall = setTimeout(() => {
    log(`FAILED: the whole run took longer than ${options.timeoutMs / 1000} s; cleaning up`);
    nsLab.cleanupSync();
    process.exit(1);
  }, options.timeoutMs);
  overall.unref();
  const all: FleetFigures[] = [];
  try {
    const ns = await nsLab.addNamespace('ns');
    log(`namespace ${ns}; agents ${options.agents.join(', ')}; ${options.adds} adds with ${options.inFlight} in flight; heartbeat ${options.heartbeatIntervalMs} ms${options.pin ? '; controller pinned to CPU 0, fleet to CPU 1' : ''}${options.fleetNice > 0 ? `; fleet at nice ${options.fleetNice}` : '; fleet at the controller\'s priority'}`);
    for (const agents of options.agents) {
      const figures: FleetFigures = { agents, failures: [] };
      all.push(figures);
      await benchFleet(nsLab, ns, agents, options, figures);
    }
  } finally {
    clearTimeout(overall);
    await nsLab.cleanup();
  }
  process.stdout.write(`\n${table(all, options.fleetNice)}\n\n`);
  let failed = false;
  for (const f of all) {
    for (const failure of f.failures) process.stdout.write(`FAILED (N=${f.agents}): ${failure}\n`);
    const c = checks(f);
    if (f.failures.length || Object.values(c).some((v) => v !== true)) failed = true;
  }
  process.stdout.write(`Targets: all N held, p99 propagation ≤ ${TARGETS.p99PropagationMs} ms, resync ≤ ${TARGETS.resyncMs / 1000} s, ≥ ${TARGETS.addsPerSecond} add-node/s. Overall: ${failed ? 'FAIL' : 'PASS'}\n`);
  process.stdout.write(`BENCH_CONTROL_JSON ${JSON.stringify({ targets: TARGETS, options, results: all })}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
