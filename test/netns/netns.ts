// Throwaway network namespaces for tests: every namespace and process a lab creates is
// removed when the lab is cleaned up, and again on process exit if a test crashed.
// Nothing is ever added to the root namespace.
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const execFileAsync = promisify(execFile);

/** Whether this process can create namespaces (root with iproute2). */
export function netnsSupported(): { ok: boolean; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'needs root' };
  if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip') && !existsSync('/usr/bin/ip')) {
    return { ok: false, why: 'needs iproute2 (ip)' };
  }
  if (!existsSync('/dev/net/tun')) return { ok: false, why: 'needs /dev/net/tun' };
  return { ok: true, why: '' };
}

/**
 * Options for node:test that skip namespace tests where they cannot run, except in CI
 * (CI=true), where a skip would hide a failure: there the test runs and fails loudly.
 */
export function netnsTestOptions(): { skip?: string } {
  const { ok, why } = netnsSupported();
  if (ok || process.env.CI === 'true') return {};
  return { skip: `network namespace test ${why}` };
}

const liveLabs = new Set<NetnsLab>();
process.on('exit', () => {
  for (const lab of liveLabs) lab.cleanupSync();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const lab of liveLabs) lab.cleanupSync();
    process.exit(130);
  });
}

let labCounter = 0;

export class NetnsLab {
  /** Short unique prefix so parallel test processes never share a namespace. */
  readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();

  constructor(tag = 'tt') {
    this.prefix = `${tag}${process.pid % 100000}${labCounter++}`;
    liveLabs.add(this);
  }

  /** Creates a namespace named `${prefix}-${name}` with lo up and IPv6 off; returns its name. */
  async addNamespace(name: string): Promise<string> {
    const ns = `${this.prefix}-${name}`;
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await this.exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    // IPv6 off: no router solicitations or MLD chatter crossing the tunnel in tests.
    await this.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    await this.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
    return ns;
  }

  /** Runs a command inside a namespace and returns its output; rejects on non-zero exit. */
  async exec(ns: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
  }

  /** Like exec but resolves with the exit code instead of rejecting. */
  async execStatus(ns: string, cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const out = await this.exec(ns, cmd, args, timeoutMs);
      return { code: 0, ...out };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
    }
  }

  /** Starts a long-running process inside a namespace; it is killed (by PID) on cleanup. */
  spawn(ns: string, cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** A veth pair between two namespaces (created inside `nsA`, peer moved straight to `nsB`). */
  async veth(nsA: string, ifA: string, nsB: string, ifB: string, mtu = 1500): Promise<void> {
    await run('ip', ['-n', nsA, 'link', 'add', ifA, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    await run('ip', ['-n', nsA, 'link', 'set', ifA, 'up']);
    await run('ip', ['-n', nsB, 'link', 'set', ifB, 'up']);
  }

  async addAddress(ns: string, ifName: string, cidr: string): Promise<void> {
    await run('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', ifName]);
  }

  async sysctl(ns: string, key: string, value: string): Promise<void> {
    await this.exec(ns, 'sysctl', ['-qw', `${key}=${value}`]);
  }

  /** Stops spawned processes (SIGTERM, then SIGKILL) and deletes the namespaces. */
  async cleanup(): Promise<void> {
    const waits = [...this.children].map((child) => stopChild(child));
    await Promise.all(waits);
    for (const ns of this.namespaces.splice(0)) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
    liveLabs.delete(this);
  }

  /** Last-resort cleanup from an exit handler: synchronous, never throws. */
  cleanupSync(): void {
    for (const child of this.children) {
      try { if (child.pid) process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    for (const ns of this.namespaces.splice(0)) {
      // Anything still inside our own namespace was started by this lab.
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
        for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
      } catch { /* namespace gone */ }
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* gone */ }
    }
    liveLabs.delete(this);
  }
}

/** Creates a lab for one test and guarantees its cleanup when the test ends. */
export function labFor(t: TestContext, tag?: string): NetnsLab {
  const lab = new NetnsLab(tag);
  t.after(() => lab.cleanup());
  return lab;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves when the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(cmd, args, { timeout: timeoutMs, encoding: 'utf8' });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
