// A controller and a fleet of simulated agents inside one network namespace, over
// 127.0.0.1 with TLS as in production: the controller a `tunctl controller` process, the
// agents in fleet worker processes with their own connections. Shared by the bench runner
// and the controller-restart fault test.
import type { ChildProcess } from 'node:child_process';
import type { AdminClient } from '../../../cli/admin-client.js';
import type { NetnsLab } from '../../netns/netns.js';
import { addNodes, openAdmin, type AddedNode } from './admin-load.js';
import { adminSocketOf, ControllerProcess, findProcess, processUsage, type ControllerSpec, type ProcessUsage } from './controller-process.js';
import { FLEET_WORKER, FleetPool } from './fleet-pool.js';
import { wallClockMs, type FleetStatus, type ResyncResult } from './fleet-protocol.js';

/** Open files allowed to the controller and the workers: one per agent connection, and spare. */
export const NOFILE = 20_000;
export const AGENTS_PER_WORKER = 1250;
/** First connects (TLS, Register, a full snapshot) at about 200 a second. */
export const CONNECT_RAMP_MS_PER_AGENT = 5;
const CONTROLLER_PORT = 7400;

export interface ControlLabOptions {
  readonly lab: NetnsLab;
  /** The namespace everything runs in (lo up). */
  readonly ns: string;
  readonly workDir: string;
  readonly agents: number;
  /** Default: one per AGENTS_PER_WORKER agents, at least 2. */
  readonly workers?: number;
  readonly heartbeatIntervalMs?: number;
  /** A /8 of /24s: 65,536 subnets. */
  readonly network?: string;
  /**
   * CPU lists (taskset syntax, e.g. "0" and "1") for the controller and for the fleet workers:
   * the simulated clients cost several times the controller's CPU per message, and pinned
   * apart they cannot starve it. Default: not pinned.
   */
  readonly pin?: { readonly controller: string; readonly fleet: string };
  /**
   * Run the fleet workers at this nice level (e.g. 19): the 5,000 simulated agents stand for
   * 5,000 other machines, and at a low priority they use only the CPU the controller leaves.
   */
  readonly fleetNice?: number;
  /** add-node calls in flight while adding the fleet's nodes. */
  readonly addInFlight?: number;
  /**
   * Agents start spread over this long (default CONNECT_RAMP_MS_PER_AGENT each): all at once,
   * thousands of TLS connects overflow the controller's listen backlog (511) and the dropped
   * ones wait out TCP retransmission timers, which says nothing about the control plane.
   */
  readonly rampMs?: number;
}

export interface SetupFigures {
  readonly addNodesMs: number;
  readonly joinMs: number;
  /** From starting the agents to all of them watching at the latest revision. */
  readonly connectMs: number;
  readonly workers: number;
}

export class ControlLab {
  readonly spec: ControllerSpec;
  readonly target: string;
  controller!: ControllerProcess;
  admin!: AdminClient;
  pool: FleetPool | undefined;
  nodes: AddedNode[] = [];
  /** Every controller process this lab started, for peak memory. */
  readonly controllers: ControllerProcess[] = [];
  private readonly options: ControlLabOptions;

  constructor(options: ControlLabOptions) {
    this.options = options;
    this.target = `127.0.0.1:${CONTROLLER_PORT}`;
    this.spec = {
      workDir: options.workDir,
      listen: this.target,
      network: options.network ?? '10.0.0.0/8',
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
    };
  }

  get agents(): number {
    return this.options.agents;
  }

  /**
   * `node ARGS` inside the namespace with the raised file limit, on `cpus` if given (prlimit
   * and taskset exec, so the PID is node's).
   */
  spawnNode(args: string[], stdin: 'pipe' | 'ignore' = 'ignore', cpus?: string, nice?: number): ChildProcess {
    const command = [
      `--nofile=${NOFILE}:${NOFILE}`,
      ...(cpus ? ['taskset', '-c', cpus] : []),
      ...(nice !== undefined ? ['nice', '-n', String(nice)] : []),
      process.execPath,
      ...args,
    ];
    return this.options.lab.spawn(this.options.ns, 'prlimit', command, { stdio: [stdin, 'pipe', 'pipe'] });
  }

  async startController(): Promise<ControllerProcess> {
    this.controller = await ControllerProcess.start((args) => this.spawnNode(args, 'ignore', this.options.pin?.controller), this.spec);
    this.controllers.push(this.controller);
    this.admin?.close();
    this.admin = await openAdmin(adminSocketOf(this.spec));
    return this.controller;
  }

  /** Controller up, the fleet's nodes added and joined, every agent watching at the latest revision. */
  async setup(connectTimeoutMs: number): Promise<SetupFigures> {
    const { agents } = this.options;
    await this.startController();
    let t = wallClockMs();
    this.nodes = await addNodes(this.admin, 'sim-', 0, agents, this.options.addInFlight ?? 64);
    const addNodesMs = wallClockMs() - t;

    const workers = this.options.workers ?? Math.max(2, Math.ceil(agents / AGENTS_PER_WORKER));
    // BENCH_FLEET_PROFILE_DIR=/tmp/prof writes a V8 CPU profile of each fleet worker there.
    const fleetProfileDir = process.env['BENCH_FLEET_PROFILE_DIR'];
    const profileArgs = fleetProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${fleetProfileDir}`] : [];
    this.pool = new FleetPool(() => this.spawnNode([...profileArgs, '--max-old-space-size=4096', FLEET_WORKER], 'pipe', this.options.pin?.fleet, this.options.fleetNice), workers);
    t = wallClockMs();
    const joined = await this.pool.join(this.target, this.nodes.map((n) => ({ nodeName: n.name, joinToken: n.joinToken })), 16, connectTimeoutMs);
    if (joined.failed.length > 0) {
      throw new Error(`${joined.failed.length}/${agents} joins failed, e.g. ${joined.failed.slice(0, 3).map((f) => `${f.nodeName}: ${f.error}`).join('; ')}`);
    }
    const joinMs = wallClockMs() - t;

    t = wallClockMs();
    await this.pool.start(this.options.rampMs ?? agents * CONNECT_RAMP_MS_PER_AGENT);
    await this.waitForFleet('every agent watching at the latest revision', await this.latestRevision(), connectTimeoutMs);
    return { addNodesMs, joinMs, connectMs: wallClockMs() - t, workers };
  }

  async latestRevision(): Promise<number> {
    const res = await this.admin.call<object, { revision: number }>('GetNetwork', {});
    return res.revision;
  }

  /**
   * Waits until every agent holds an open stream at `revision` or later; throws with who is
   * behind and why ("4,990/5,000 ...") when `timeoutMs` passes.
   */
  async waitForFleet(what: string, revision: number, timeoutMs: number): Promise<FleetStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.pool!.status(revision);
      if (status.watching === this.agents && status.atRevision === this.agents) return status;
      if (Date.now() > deadline || status.failed > 0) {
        throw new Error(`${what}: after ${(timeoutMs / 1000).toFixed(0)} s, ${describeFleet(status, revision)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * Waits until every agent holds `revision` or later, brought there by a stream opened at or
   * after `since` (a stream to the restarted controller); throws naming who is not, and why.
   */
  async waitForResync(since: number, revision: number, timeoutMs: number): Promise<ResyncResult> {
    const resync = await this.pollResync(since, revision, timeoutMs);
    if (resync.syncedAt.length < this.agents) throw new Error(describeResync(resync, revision, timeoutMs));
    return resync;
  }

  /** Like waitForResync, but resolves with how far the fleet got when `timeoutMs` passes. */
  async pollResync(since: number, revision: number, timeoutMs: number): Promise<ResyncResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const resync = await this.pool!.resync(since, revision);
      if (resync.syncedAt.length === this.agents || Date.now() > deadline) return resync;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM to the controller, then a new one on the same data directory. */
  async restartController(): Promise<{ stoppedMs: number; exitCode: number | null; controller: ControllerProcess }> {
    const t = wallClockMs();
    const exitCode = await this.controller.stop();
    const stoppedMs = wallClockMs() - t;
    return { stoppedMs, exitCode, controller: await this.startController() };
  }

  /** CPU seconds of the fleet worker processes together. */
  workerCpuSeconds(): number {
    return this.workerUsage().cpuSeconds;
  }

  /** The fleet worker processes' CPU time and memory, summed. */
  workerUsage(): ProcessUsage {
    let cpuSeconds = 0;
    let rssBytes = 0;
    let peakRssBytes = 0;
    for (const pid of this.pool?.pids ?? []) {
      const usage = processUsage(findProcess(pid, FLEET_WORKER) ?? pid);
      cpuSeconds += usage?.cpuSeconds ?? 0;
      rssBytes += usage?.rssBytes ?? 0;
      peakRssBytes += usage?.peakRssBytes ?? 0;
    }
    return { cpuSeconds, rssBytes, peakRssBytes };
  }

  async close(): Promise<void> {
    await this.pool?.stop();
    this.admin?.close();
    await this.controller?.stop();
  }
}

/** E.g. "4,990/5,000 watching; 4,980/5,000 applied revision 123; lowest revisions held: 120×20; last errors: ...". */
export function describeFleet(status: FleetStatus, revision: number): string {
  const lowest = Object.entries(status.behind).filter(([r]) => Number(r) < revision);
  const parts = [
    `${fmt(status.watching)}/${fmt(status.agents)} watching`,
    `${fmt(status.atRevision)}/${fmt(status.agents)} applied revision ${revision}`,
  ];
  if (lowest.length) parts.push(`lowest revisions held: ${lowest.map(([r, n]) => `${r}×${n}`).join(', ')}`);
  if (status.failed) parts.push(`${status.failed} stopped for good`);
  const errors = Object.entries(status.errors);
  if (errors.length) parts.push(`last errors: ${errors.slice(0, 5).map(([e, n]) => `${n}× ${e}`).join(' | ')}`);
  return parts.join('; ');
}

/** E.g. "4,646/5,000 agents back at revision 7010 on a new stream after 60 s; the others: 354× not connected (...)". */
export function describeResync(resync: ResyncResult, revision: number, timeoutMs: number): string {
  const pending = Object.entries(resync.pending).map(([why, n]) => `${fmt(n)}× ${why}`).join(' | ');
  return `${fmt(resync.syncedAt.length)}/${fmt(resync.agents)} agents back at revision ${revision} on a new stream after ${(timeoutMs / 1000).toFixed(0)} s; the others: ${pending}`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
