// The controller as its own process (`tunctl controller`), started where the caller's spawner
// puts it (a namespace, raised file limit), ready once its admin socket answers, and measured
// from /proc: CPU time and memory of exactly that process.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminClient } from '../../../cli/admin-client.js';
import { wallClockMs } from './fleet-protocol.js';

export const TUNCTL = fileURLToPath(new URL('../../../cli/tunctl.js', import.meta.url));

/** Runs `node ARGS...` somewhere (inside a namespace, with a raised file limit); output piped. */
export type NodeSpawner = (args: string[]) => ChildProcess;

export interface ControllerSpec {
  /** Holds the data directory (data/), the admin socket and the log. */
  readonly workDir: string;
  /** host:port for TLS (agents). */
  readonly listen: string;
  readonly network: string;
  readonly heartbeatIntervalMs: number;
}

export interface ProcessUsage {
  /** User + system CPU time since the process started. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** Peak resident set size (VmHWM). */
  readonly peakRssBytes: number;
}

export function adminSocketOf(spec: ControllerSpec): string {
  return join(spec.workDir, 'controller.sock');
}

export class ControllerProcess {
  readonly child: ChildProcess;
  /** When the process was spawned (wall clock). */
  readonly spawnedAt: number;
  /** When its admin socket first answered. */
  readyAt = 0;
  /** The controller's own PID (the spawner may exec through helpers such as ip and prlimit). */
  pid = 0;
  private readonly spec: ControllerSpec;

  private constructor(child: ChildProcess, spec: ControllerSpec, spawnedAt: number) {
    this.child = child;
    this.spec = spec;
    this.spawnedAt = spawnedAt;
  }

  /** Starts the controller on `spec` (same data directory on every start) and waits until it answers. */
  static async start(spawn: NodeSpawner, spec: ControllerSpec, readyTimeoutMs = 30_000): Promise<ControllerProcess> {
    const spawnedAt = wallClockMs();
    // BENCH_CONTROLLER_PROFILE_DIR=/tmp/prof writes a V8 CPU profile of each controller process there.
    const profileDir = process.env['BENCH_CONTROLLER_PROFILE_DIR'];
    const child = spawn([
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      TUNCTL,
      'controller',
      '--listen', spec.listen,
      '--admin-socket', adminSocketOf(spec),
      '--data-dir', join(spec.workDir, 'data'),
      '--network', spec.network,
      '--heartbeat-interval', String(spec.heartbeatIntervalMs),
    ]);
    const log = createWriteStream(join(spec.workDir, 'controller.log'), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const controller = new ControllerProcess(child, spec, spawnedAt);
    await controller.waitReady(readyTimeoutMs);
    controller.pid = findProcess(child.pid!, TUNCTL) ?? child.pid!;
    return controller;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the controller exited (${this.child.signalCode ?? this.child.exitCode}) before answering; see ${join(this.spec.workDir, 'controller.log')}`);
      }
      try {
        const admin = await AdminClient.connect({ kind: 'unix', path: adminSocketOf(this.spec) }, 1000);
        try {
          await admin.call('GetNetwork', {});
        } finally {
          admin.close();
        }
        this.readyAt = wallClockMs();
        return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the controller did not answer on ${adminSocketOf(this.spec)} within ${timeoutMs} ms (${lastError})`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code once it is gone. */
  async stop(graceMs = 15_000): Promise<number | null> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    return child.exitCode;
  }

  usage(): ProcessUsage | undefined {
    return this.pid ? processUsage(this.pid) : undefined;
  }
}

let clockTicks: number | undefined;

/** CPU time and memory of a live process from /proc; undefined once it is gone. */
export function processUsage(pid: number): ProcessUsage | undefined {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // Fields after the command name, which may itself hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicks;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds, rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
  } catch {
    return undefined;
  }
}

/** `pid` itself or the first descendant whose command line mentions `marker`. */
export function findProcess(pid: number, marker: string, depth = 0): number | undefined {
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) return pid;
    if (depth > 4) return undefined;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    for (const child of children) {
      const found = findProcess(child, marker, depth + 1);
      if (found) return found;
    }
  } catch {
    /* gone */
  }
  return undefined;
}
