// ContainerLinks with iproute2: `ip -batch` on the host side, `nsenter --net=PATH ip -batch`
// inside the container (`ip -n` only takes names, and runtimes give paths). Proxy ARP is a
// write under /proc/sys, which is the agent's own namespace.
import { writeFile } from 'node:fs/promises';
import { formatIpv4 } from '../../common/cidr.js';
import { errorMessage, FailedPreconditionError } from '../../common/errors.js';
import { runTool, type ToolResult } from '../host/run-tool.js';
import { TUNCTL_ROUTE_PROTOCOL } from '../routes/route-installer.js';
import type { ContainerLinkSpec, ContainerLinks } from './container-links.js';

const IP_HINT = 'install iproute2 (e.g. apt-get install iproute2)';
const NSENTER_HINT = 'install util-linux (e.g. apt-get install util-linux)';

/** A step of attaching or detaching that the host refused (FAILED_PRECONDITION); the message names it and carries the tool's words. */
export class ContainerLinkError extends FailedPreconditionError {
  override name = 'ContainerLinkError';
}

export interface IpContainerLinksOptions {
  readonly ipPath?: string;
  readonly nsenterPath?: string;
  readonly timeoutMs?: number;
  /** Where per-interface sysctls live; tests may point elsewhere. */
  readonly sysctlRoot?: string;
}

export class IpContainerLinks implements ContainerLinks {
  private readonly ipPath: string;
  private readonly nsenterPath: string;
  private readonly timeoutMs: number;
  private readonly sysctlRoot: string;

  constructor(options: IpContainerLinksOptions = {}) {
    this.ipPath = options.ipPath ?? 'ip';
    this.nsenterPath = options.nsenterPath ?? 'nsenter';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sysctlRoot = options.sysctlRoot ?? '/proc/sys/net/ipv4/conf';
  }

  async hasInterface(netnsPath: string, ifname: string): Promise<boolean> {
    return linkShown(await this.inContainer(netnsPath, ['-json', 'link', 'show', 'dev', ifname]), `cannot look into the namespace ${netnsPath}`);
  }

  async existing(hostInterfaces: readonly string[]): Promise<Set<string>> {
    if (hostInterfaces.length === 0) return new Set();
    const r = await this.ip(['-json', 'link', 'show']);
    if (r.code !== 0) throw new ContainerLinkError(`cannot list the host's interfaces: ${r.stderr.trim() || `exit ${r.code}`}`);
    let links: Array<{ ifname?: unknown }>;
    try {
      links = JSON.parse(r.stdout) as Array<{ ifname?: unknown }>;
    } catch {
      throw new ContainerLinkError(`cannot list the host's interfaces: \`ip -json link show\` printed no JSON`);
    }
    const present = new Set(links.map((l) => l.ifname));
    return new Set(hostInterfaces.filter((name) => present.has(name)));
  }

  async create(spec: ContainerLinkSpec): Promise<void> {
    const host = spec.hostInterface;
    const address = `${formatIpv4(spec.address)}/${spec.prefixLen}`;
    const gateway = formatIpv4(spec.gateway);
    // The peer is created inside the namespace with its final name: it never shows up on the host.
    await this.hostBatch(
      [`link add ${host} mtu ${spec.mtu} type veth peer name ${spec.ifname} mtu ${spec.mtu} netns ${spec.netnsPath}`],
      `create the veth pair ${host} / ${spec.ifname} in ${spec.netnsPath}`,
    );
    try {
      const inside = await this.inContainer(spec.netnsPath, ['-batch', '-'], [
        'link set lo up',
        `address add ${address} dev ${spec.ifname}`,
        `link set ${spec.ifname} up`,
        `route add default via ${gateway} dev ${spec.ifname}`,
      ]);
      if (inside.code !== 0) throw new ContainerLinkError(`configuring ${spec.ifname} in ${spec.netnsPath} failed: ${oneLine(inside.stderr)}`);
      await this.hostBatch([`address add ${gateway}/32 dev ${host}`, `link set ${host} up`], `configure ${host}`);
      // Answers the container's ARP for addresses on other veths of this host: its neighbours.
      await this.setProxyArp(host);
      await this.hostBatch(
        [`route replace ${formatIpv4(spec.address)}/32 dev ${host} proto ${TUNCTL_ROUTE_PROTOCOL} scope link src ${gateway}`],
        `route ${formatIpv4(spec.address)} to ${host}`,
      );
    } catch (err) {
      await this.remove(host).catch(() => undefined);
      throw err;
    }
  }

  async remove(hostInterface: string): Promise<void> {
    const r = await this.ip(['link', 'del', 'dev', hostInterface]);
    if (r.code === 0 || /Cannot find device|does not exist/.test(r.stderr)) return;
    throw new ContainerLinkError(`removing ${hostInterface} failed: ${oneLine(r.stderr)}`);
  }

  private async setProxyArp(dev: string): Promise<void> {
    const file = `${this.sysctlRoot}/${dev}/proxy_arp`;
    try {
      await writeFile(file, '1\n');
    } catch (err) {
      throw new ContainerLinkError(`enabling proxy ARP on ${dev} (${file}) failed: ${errorMessage(err)}`);
    }
  }

  private async hostBatch(lines: string[], what: string): Promise<void> {
    const r = await this.ip(['-batch', '-'], lines);
    if (r.code !== 0) throw new ContainerLinkError(`cannot ${what}: ${oneLine(r.stderr)}`);
  }

  private ip(args: string[], lines?: string[]): Promise<ToolResult> {
    return runTool(this.ipPath, args, { ...(lines && { input: lines.join('\n') + '\n' }), timeoutMs: this.timeoutMs, installHint: IP_HINT });
  }

  private inContainer(netnsPath: string, args: string[], lines?: string[]): Promise<ToolResult> {
    return runTool(this.nsenterPath, [`--net=${netnsPath}`, this.ipPath, ...args], {
      ...(lines && { input: lines.join('\n') + '\n' }),
      timeoutMs: this.timeoutMs,
      installHint: NSENTER_HINT,
    });
  }
}

/** What `ip link show dev X` said: the link is there, it is not, or `failure` with ip's words. */
function linkShown(r: ToolResult, failure: string): boolean {
  if (r.code === 0) return true;
  if (/does not exist/.test(r.stderr)) return false;
  throw new ContainerLinkError(`${failure}: ${r.stderr.trim() || `exit ${r.code}`}`);
}

function oneLine(stderr: string): string {
  return stderr.trim().split('\n').filter((l) => !/^Command failed/.test(l)).join('; ') || 'no message';
}
