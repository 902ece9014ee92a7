// The runner's side of the fleet: worker processes (fleet-worker.ts), each hosting a share
// of the simulated agents, driven over their stdin/stdout, with the answers of all of them
// merged into one view of the fleet.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type {
  AgentEnrolment,
  AppliedResult,
  FleetCommand,
  FleetReply,
  FleetStatus,
  JoinResult,
  ResyncResult,
  VerifyResult,
} from './fleet-protocol.js';
import type { MirrorRoute } from './route-mirror.js';
import { zeroCounters } from './sim-agent.js';

export const FLEET_WORKER = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));

/** Starts `node FLEET_WORKER` somewhere (a namespace, raised limits) with stdin and stdout piped. */
export type WorkerSpawner = (index: number) => ChildProcess;

const STDERR_KEPT = 4000;

class WorkerHandle {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private stderrTail = '';
  private exited: string | undefined;
  readonly index: number;

  constructor(child: ChildProcess, index: number) {
    this.child = child;
    this.index = index;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_KEPT);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let reply: FleetReply;
      try {
        reply = JSON.parse(line) as FleetReply;
      } catch {
        return; // not a reply (a stray log line)
      }
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`fleet worker ${this.index}: ${reply.error}`));
    });
    child.once('exit', (code, signal) => {
      this.exited = `fleet worker ${this.index} exited (${signal ?? code})${this.stderrTail ? `; its last output:\n${this.stderrTail}` : ''}`;
      for (const waiter of this.pending.values()) waiter.reject(new Error(this.exited));
      this.pending.clear();
    });
  }

  request<T>(command: FleetCommand, timeoutMs: number): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`fleet worker ${this.index} did not answer "${command.cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.child.stdin!.write(JSON.stringify({ id, command }) + '\n');
    });
  }

  get alive(): boolean {
    return this.exited === undefined;
  }
}

export class FleetPool {
  private readonly workers: WorkerHandle[];

  constructor(spawn: WorkerSpawner, count: number) {
    this.workers = Array.from({ length: count }, (_, i) => new WorkerHandle(spawn(i), i));
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid!).filter((pid) => pid !== undefined);
  }

  /** Joins the nodes, dealt round-robin to the workers; resolves with every failure. */
  async join(target: string, agents: readonly AgentEnrolment[], concurrencyPerWorker: number, timeoutMs: number): Promise<JoinResult> {
    const shares = this.workers.map((_, i) => agents.filter((__, k) => k % this.workers.length === i));
    const results = await this.all<JoinResult>((w, i) => w.request({ cmd: 'join', target, agents: shares[i]!, concurrency: concurrencyPerWorker, timeoutMs }, timeoutMs + 10_000));
    return { joined: sum(results.map((r) => r.joined)), failed: results.flatMap((r) => r.failed) };
  }

  async start(rampMs: number): Promise<void> {
    await this.all((w) => w.request({ cmd: 'start', rampMs }, 30_000));
  }

  /** The fleet's state; `revision`: also count the agents holding it or later. */
  async status(revision = 0): Promise<FleetStatus> {
    const parts = await this.all<FleetStatus>((w) => w.request({ cmd: 'status', revision }, 30_000));
    const counters = zeroCounters();
    const errors: Record<string, number> = {};
    const behind: Record<string, number> = {};
    for (const part of parts) {
      for (const key of Object.keys(counters) as (keyof typeof counters)[]) counters[key] += part.counters[key];
      for (const [error, n] of Object.entries(part.errors)) errors[error] = (errors[error] ?? 0) + n;
      for (const [revision, n] of Object.entries(part.behind)) behind[revision] = (behind[revision] ?? 0) + n;
    }
    const withAgents = parts.filter((p) => p.agents > 0);
    return {
      agents: sum(parts.map((p) => p.agents)),
      watching: sum(parts.map((p) => p.watching)),
      failed: sum(parts.map((p) => p.failed)),
      atRevision: sum(parts.map((p) => p.atRevision)),
      minRevision: withAgents.length ? Math.min(...withAgents.map((p) => p.minRevision)) : 0,
      maxRevision: Math.max(0, ...parts.map((p) => p.maxRevision)),
      behind,
      counters,
      errors,
    };
  }

  async resetHistory(): Promise<void> {
    await this.all((w) => w.request({ cmd: 'reset-history' }, 30_000));
  }

  /** For each revision, the time every agent first held it (null: not yet), all workers together. */
  async applied(revisions: readonly number[]): Promise<(number | null)[][]> {
    const parts = await this.all<AppliedResult>((w) => w.request({ cmd: 'applied', revisions }, 60_000));
    return revisions.map((_, i) => parts.flatMap((p) => p.times[i]!));
  }

  async resync(since: number, revision: number): Promise<ResyncResult> {
    const parts = await this.all<ResyncResult>((w) => w.request({ cmd: 'resync', since, revision }, 30_000));
    return {
      agents: sum(parts.map((p) => p.agents)),
      syncedAt: parts.flatMap((p) => p.syncedAt),
      firstKinds: mergeCounts(parts.map((p) => p.firstKinds)),
      pending: mergeCounts(parts.map((p) => p.pending)),
    };
  }

  async verify(routes: readonly MirrorRoute[], revision: number): Promise<VerifyResult> {
    const parts = await this.all<VerifyResult>((w) => w.request({ cmd: 'verify', routes, revision }, 120_000));
    return {
      agents: sum(parts.map((p) => p.agents)),
      matching: sum(parts.map((p) => p.matching)),
      mismatches: parts.flatMap((p) => p.mismatches).slice(0, 10),
      mismatchCount: sum(parts.map((p) => p.mismatchCount)),
    };
  }

  /** Asks every worker to stop its agents and exit; kills (by PID) any that does not within 10 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (!w.alive) return;
        const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
        await w.request({ cmd: 'stop' }, 10_000).catch(() => undefined);
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private all<T>(fn: (worker: WorkerHandle, index: number) => Promise<T>): Promise<T[]> {
    return Promise.all(this.workers.map(fn));
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mergeCounts(parts: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of parts) for (const [key, n] of Object.entries(part)) out[key] = (out[key] ?? 0) + n;
  return out;
}
