// The one file that runs `ip` (iproute2): JSON for reads, one `ip -batch -` process per write.
import { formatCidr, formatIpv4, parseCidr, parseIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { runTool, ToolRunError, type ToolResult } from '../host/run-tool.js';
import {
  TUNCTL_ROUTE_PROTOCOL,
  isSafeInterfaceName,
  type LinkConfigurator,
  type RouteChange,
  type RouteInstaller,
  type TunLinkConfig,
  type UnderlayLink,
} from './route-installer.js';

export interface IpRouteInstallerOptions {
  /**
   * Network namespace to act in (`ip -n <netns>`), for operator tools and tests.
   * Production leaves it unset: the agent configures the namespace it runs in.
   */
  readonly netns?: string;
  /** Path or name of the `ip` binary; default `ip` from PATH. */
  readonly ipPath?: string;
  /** Per-command deadline; `ip` is killed when it passes. */
  readonly timeoutMs?: number;
}

/** A failed `ip` invocation; the message names the command and carries its stderr. */
export class IpCommandError extends Error {
  override name = 'IpCommandError';
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

interface JsonRoute { dst?: unknown }
interface JsonAddrInfo { family?: unknown; local?: unknown; prefixlen?: unknown }
interface JsonLink { ifname?: unknown; mtu?: unknown; addr_info?: unknown }

// "No such process" (ESRCH) is the kernel saying the route is not there, or not with our protocol.
const ROUTE_GONE = /No such process/;

export class IpRouteInstaller implements RouteInstaller, LinkConfigurator {
  private readonly netns: string | undefined;
  private readonly ipPath: string;
  private readonly timeoutMs: number;

  constructor(options: IpRouteInstallerOptions = {}) {
    this.netns = options.netns;
    this.ipPath = options.ipPath ?? 'ip';
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async list(dev: string): Promise<Ipv4Cidr[]> {
    checkDev(dev);
    const routes = await this.readJson<JsonRoute[]>(
      ['-4', 'route', 'show', 'table', 'main', 'proto', String(TUNCTL_ROUTE_PROTOCOL), 'dev', dev],
      `list routes on ${dev}`,
    );
    return routes.map((route) => parseRouteDst(route.dst));
  }

  async apply(dev: string, change: RouteChange): Promise<void> {
    checkDev(dev);
    const proto = String(TUNCTL_ROUTE_PROTOCOL);
    // Removals first so that a block leaving and another arriving never overlap in the table.
    const lines = [
      ...change.remove.map((c) => ({ kind: 'del' as const, text: `route del ${formatCidr(c)} dev ${dev} proto ${proto} table main` })),
      ...change.add.map((c) => ({ kind: 'add' as const, text: `route replace ${formatCidr(c)} dev ${dev} proto ${proto} table main` })),
    ];
    if (lines.length === 0) return;
    const { failures, command } = await this.batch(lines.map((l) => l.text), `apply routes on ${dev}`);
    const real = failures.filter((f) => !(lines[f.line - 1]?.kind === 'del' && ROUTE_GONE.test(f.message)));
    if (real.length > 0) {
      const detail = real.map((f) => `"${lines[f.line - 1]?.text ?? `line ${f.line}`}": ${f.message}`).join('; ');
      throw new IpCommandError(
        `applying routes on device ${dev} failed (${real.length} of ${lines.length} commands in ${command}): ${detail}`,
        real.map((f) => f.message).join('\n'),
      );
    }
  }

  async configureTun(dev: string, cfg: TunLinkConfig): Promise<void> {
    checkDev(dev);
    if (!Number.isInteger(cfg.mtu) || cfg.mtu < 68 || cfg.mtu > 65535) {
      throw new InvalidArgumentError(`MTU ${cfg.mtu} for ${dev} is invalid (expected an integer 68-65535)`);
    }
    const address = formatIpv4(cfg.address);
    const links = await this.readJson<JsonLink[]>(['-4', 'addr', 'show', 'dev', dev], `read addresses of ${dev}`);
    // A node that moved to a new subnet must not keep answering for the old one.
    const stale = inetAddresses(links).filter((a) => !(a.local === cfg.address >>> 0 && a.prefixLen === 32));
    const lines = [
      `link set dev ${dev} mtu ${cfg.mtu}`,
      ...stale.map((a) => `address del ${formatIpv4(a.local)}/${a.prefixLen} dev ${dev}`),
      `address replace ${address}/32 dev ${dev}`,
      `link set dev ${dev} up`,
    ];
    const { failures, command } = await this.batch(lines, `configure ${dev}`);
    if (failures.length > 0) {
      const detail = failures.map((f) => `"${lines[f.line - 1] ?? `line ${f.line}`}": ${f.message}`).join('; ');
      throw new IpCommandError(`configuring device ${dev} (mtu ${cfg.mtu}, address ${address}/32) with ${command} failed: ${detail}`,
        failures.map((f) => f.message).join('\n'));
    }
  }

  async findUnderlay(ip: number): Promise<UnderlayLink | null> {
    const links = await this.readJson<JsonLink[]>(['-4', 'addr', 'show'], 'list addresses');
    for (const link of links) {
      if (inetAddresses([link]).some((a) => a.local === ip >>> 0)) {
        if (typeof link.ifname !== 'string' || typeof link.mtu !== 'number') {
          throw new IpCommandError(`unexpected output from ${this.describe(['-4', 'addr', 'show'])}: interface without name or mtu`, '');
        }
        return { ifName: link.ifname, mtu: link.mtu };
      }
    }
    return null;
  }

  async listLocalAddresses(): Promise<number[]> {
    const links = await this.readJson<JsonLink[]>(['-4', 'addr', 'show'], 'list addresses');
    return inetAddresses(links).map((a) => a.local);
  }

  /** Runs `ip -json <args>` and parses its output, failing with the command and stderr. */
  private async readJson<T>(args: string[], what: string): Promise<T> {
    const full = ['-json', ...args];
    const result = await this.run(full);
    if (result.code !== 0) {
      throw new IpCommandError(`${what} failed: ${this.describe(full)} exited with ${result.code}: ${result.stderr.trim()}`, result.stderr);
    }
    // Older iproute2 prints nothing at all for an empty route list.
    if (result.stdout.trim() === '') return [] as T;
    try {
      return JSON.parse(result.stdout) as T;
    } catch {
      throw new IpCommandError(
        `${what} failed: ${this.describe(full)} did not print JSON; tunctl needs iproute2 4.15 or newer (${result.stdout.slice(0, 80)})`,
        result.stderr,
      );
    }
  }

  /** Runs `ip -force -batch -`; returns the commands that failed (1-based line and message). */
  private async batch(lines: string[], what: string): Promise<{ failures: Array<{ line: number; message: string }>; command: string }> {
    const args = ['-force', '-batch', '-'];
    const command = this.describe(args);
    const result = await this.run(args, lines.join('\n') + '\n');
    if (result.code === 0) return { failures: [], command };
    const failures = parseBatchErrors(result.stderr);
    if (failures.length === 0) {
      throw new IpCommandError(`${what} failed: ${this.describe(args)} exited with ${result.code}: ${result.stderr.trim()}`, result.stderr);
    }
    return { failures, command };
  }

  private describe(args: string[]): string {
    return [this.ipPath, ...this.nsArgs(), ...args].join(' ');
  }

  private nsArgs(): string[] {
    return this.netns === undefined ? [] : ['-n', this.netns];
  }

  private async run(args: string[], input?: string): Promise<ToolResult> {
    try {
      return await runTool(this.ipPath, [...this.nsArgs(), ...args], {
        ...(input !== undefined && { input }),
        timeoutMs: this.timeoutMs,
        installHint: 'install iproute2 (e.g. apt-get install iproute2)',
      });
    } catch (err) {
      if (err instanceof ToolRunError) throw new IpCommandError(err.message, err.stderr);
      throw err;
    }
  }
}

function checkDev(dev: string): void {
  if (!isSafeInterfaceName(dev)) {
    throw new InvalidArgumentError(`device name "${dev}" is invalid (expected 1-15 characters: letters, digits, _ . : + @ -)`);
  }
}

/** `ip -batch` reports each failure as its message lines followed by "Command failed -:<line>". */
export function parseBatchErrors(stderr: string): Array<{ line: number; message: string }> {
  const failures: Array<{ line: number; message: string }> = [];
  let pending: string[] = [];
  for (const raw of stderr.split('\n')) {
    const text = raw.trim();
    if (text === '') continue;
    const m = /^Command failed .*:(\d+)$/.exec(text);
    if (m) {
      failures.push({ line: Number(m[1]), message: pending.join(' ') || 'unknown error' });
      pending = [];
    } else {
      pending.push(text);
    }
  }
  return failures;
}

/** `ip -j route` prints "default" for 0/0 and a bare address for a /32. */
function parseRouteDst(dst: unknown): Ipv4Cidr {
  if (dst === 'default') return { base: 0, prefixLen: 0 };
  if (typeof dst !== 'string') throw new IpCommandError(`unexpected route in ip -json output: dst=${String(dst)}`, '');
  return dst.includes('/') ? parseCidr(dst, 'route destination') : { base: parseIpv4(dst, 'route destination'), prefixLen: 32 };
}

function inetAddresses(links: readonly JsonLink[]): Array<{ local: number; prefixLen: number }> {
  const out: Array<{ local: number; prefixLen: number }> = [];
  for (const link of links) {
    if (!Array.isArray(link.addr_info)) continue;
    for (const info of link.addr_info as JsonAddrInfo[]) {
      if (info.family !== 'inet' || typeof info.local !== 'string') continue;
      out.push({ local: parseIpv4(info.local, 'interface address'), prefixLen: typeof info.prefixlen === 'number' ? info.prefixlen : 32 });
    }
  }
  return out;
}
