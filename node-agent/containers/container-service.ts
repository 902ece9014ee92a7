// Attaching containers to this node: address leases (on disk, crash-safe) and the veth
// plumbing, one operation at a time. `tunctl attach/detach/containers` and the CNI plugin
// reach it through the agent's local socket.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { cidrContainsIp, formatCidr, formatIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import { AlreadyExistsError, errorMessage, InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { isSafeInterfaceName } from '../routes/route-installer.js';
import { checkRequestedAddress, containerCapacity, gatewayOf, pickFreeAddress } from './container-addresses.js';
import type { ContainerLinks } from './container-links.js';
import { loadLeases, saveLeases, type ContainerLease } from './lease-file.js';

export const DEFAULT_NETNS_DIR = '/run/netns';
export const DEFAULT_CONTAINER_IFNAME = 'eth0';

export interface AttachRequest {
  /** A name under /run/netns, or the path of a namespace file. */
  readonly netns: string;
  /** An address to use instead of the first free one. */
  readonly address?: string;
  readonly ifname?: string;
  readonly containerId?: string;
}

/** Which container to detach: by namespace, or by a runtime's container id. */
export interface DetachRequest {
  readonly netns?: string;
  readonly containerId?: string;
}

export interface ContainerView {
  readonly lease: ContainerLease;
  readonly gateway: number;
  readonly mtu: number;
  /**
   * attached: the host side of its veth exists; gone: it does not (the namespace was
   * deleted; the lease is released at the next attach or agent start); outside: the address
   * is not in the node's current subnet (the node was given another one).
   */
  readonly state: 'attached' | 'gone' | 'outside';
}

export interface ContainerServiceOptions {
  readonly leaseFile: string;
  readonly subnet: Ipv4Cidr;
  /** The container MTU: the TUN device's, so nothing a container sends is too big for the tunnel. */
  readonly mtu: number;
  readonly links: ContainerLinks;
  readonly logger: Logger;
  /** Called after every change of the leases, with how many there are and how many fit. */
  readonly onLeasesChanged?: (leased: number, capacity: number) => void;
  readonly netnsDir?: string;
  readonly now?: () => number;
}

export class ContainerService {
  private leases: ContainerLease[];
  private readonly options: ContainerServiceOptions;
  private readonly netnsDir: string;
  private readonly now: () => number;
  /** Operations run one after another: two attaches must never pick the same free address. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Loads the leases; refuses (FailedPreconditionError) when the file is unreadable. */
  constructor(options: ContainerServiceOptions) {
    this.options = options;
    this.netnsDir = options.netnsDir ?? DEFAULT_NETNS_DIR;
    this.now = options.now ?? Date.now;
    this.leases = loadLeases(options.leaseFile);
    const outside = this.leases.filter((l) => !cidrContainsIp(options.subnet, l.address));
    if (outside.length > 0) {
      options.logger.warn('container leases outside this node\'s subnet: the node was given another subnet; detach and re-attach them', {
        subnet: formatCidr(options.subnet),
        containers: outside.map((l) => `${l.netns}=${formatIpv4(l.address)}`).join(' '),
      });
    }
  }

  get subnet(): Ipv4Cidr {
    return this.options.subnet;
  }

  usage(): { leased: number; capacity: number } {
    return { leased: this.leases.length, capacity: containerCapacity(this.options.subnet) };
  }

  attach(request: AttachRequest): Promise<ContainerView> {
    return this.serially(() => this.attachNow(request));
  }

  detach(request: DetachRequest): Promise<ContainerView> {
    return this.serially(() => this.detachNow(request));
  }

  list(): Promise<ContainerView[]> {
    return this.serially(async () => {
      const views: ContainerView[] = [];
      const present = await this.options.links.existing(this.leases.map((l) => l.hostInterface));
      for (const lease of this.leases) views.push(this.view(lease, present.has(lease.hostInterface)));
      return views;
    });
  }

  /**
   * Releases the leases of containers that are gone: their veth no longer exists (deleting a
   * namespace deletes the pair, and a veth is never half there). Returns how many went.
   */
  reclaim(): Promise<number> {
    return this.serially(() => this.reclaimNow());
  }

  private async attachNow(request: AttachRequest): Promise<ContainerView> {
    const { subnet, links, logger } = this.options;
    const netns = await resolveNetns(request.netns, this.netnsDir);
    await this.reclaimNow();
    const ifname = request.ifname || DEFAULT_CONTAINER_IFNAME;
    if (!isSafeInterfaceName(ifname)) throw new InvalidArgumentError(`interface name "${ifname}" is invalid (1-15 characters: letters, digits, _ . : + @ -)`);
    const containerId = request.containerId ?? '';
    const same = this.leases.find((l) => l.netnsId === netns.id || l.netns === netns.name || (containerId !== '' && l.containerId === containerId));
    if (same) {
      throw new AlreadyExistsError(
        `${describeLease(same)} is already attached with ${formatIpv4(same.address)}/${same.prefixLen} on ${same.ifname}; detach it first (tunctl detach ${same.netns})`,
      );
    }
    if (await links.hasInterface(netns.path, ifname)) {
      throw new AlreadyExistsError(`the namespace ${netns.name} already has an interface ${ifname}; pass another --ifname`);
    }
    const taken = new Map(this.leases.map((l) => [l.address, l] as const));
    const address = request.address
      ? checkRequestedAddress(request.address, subnet, (ip) => {
          const holder = taken.get(ip);
          return holder && describeLease(holder);
        })
      : pickFreeAddress(subnet, new Set(taken.keys()));
    const lease: ContainerLease = {
      netns: netns.name,
      netnsId: netns.id,
      ifname,
      address,
      prefixLen: subnet.prefixLen,
      hostInterface: hostInterfaceFor(netns.id),
      containerId,
      attachedAt: this.now(),
    };
    // The lease is on disk before anything exists on the host: a crash in between leaves a
    // lease without a veth (released as gone), never a veth without a lease.
    this.save([...this.leases, lease], false);
    try {
      await links.create({ netnsPath: netns.path, ifname, hostInterface: lease.hostInterface, address, prefixLen: subnet.prefixLen, gateway: gatewayOf(subnet), mtu: this.options.mtu });
    } catch (err) {
      this.save(this.leases.filter((l) => l !== lease), false);
      throw err;
    }
    this.notify();
    logger.info('container attached', { netns: lease.netns, address: `${formatIpv4(address)}/${lease.prefixLen}`, ifname, host_interface: lease.hostInterface, ...(containerId && { container_id: containerId }) });
    return this.view(lease, true);
  }

  private async detachNow(request: DetachRequest): Promise<ContainerView> {
    const lease = await this.find(request);
    await this.options.links.remove(lease.hostInterface);
    this.save(this.leases.filter((l) => l !== lease));
    this.options.logger.info('container detached', { netns: lease.netns, address: formatIpv4(lease.address), host_interface: lease.hostInterface });
    return this.view(lease, false);
  }

  private async find(request: DetachRequest): Promise<ContainerLease> {
    if (request.containerId) {
      const byId = this.leases.find((l) => l.containerId === request.containerId);
      if (byId) return byId;
      if (!request.netns) throw new NotFoundError(`no container with id ${request.containerId} is attached to this node`);
    }
    if (!request.netns) throw new InvalidArgumentError('name the container to detach: its network namespace (or, for runtimes, its container id)');
    const name = netnsName(request.netns, this.netnsDir);
    const byName = this.leases.find((l) => l.netns === name);
    if (byName) return byName;
    // The same namespace under another name (a path to it, or a second name).
    const id = await netnsIdOf(netnsPath(name, this.netnsDir));
    const byId = id === undefined ? undefined : this.leases.find((l) => l.netnsId === id);
    if (byId) return byId;
    throw new NotFoundError(`the namespace ${request.netns} is not attached to this node (\`tunctl containers\` lists what is)`);
  }

  private async reclaimNow(): Promise<number> {
    const released: ContainerLease[] = [];
    const present = await this.options.links.existing(this.leases.map((l) => l.hostInterface));
    for (const lease of this.leases) if (!present.has(lease.hostInterface)) released.push(lease);
    if (released.length === 0) return 0;
    this.save(this.leases.filter((l) => !released.includes(l)));
    for (const lease of released) {
      this.options.logger.info('container gone: its veth no longer exists; address released', { netns: lease.netns, address: formatIpv4(lease.address) });
    }
    return released.length;
  }

  /** Writes the leases; `notify`: tell onLeasesChanged (not for a lease that may be rolled back). */
  private save(next: ContainerLease[], notify = true): void {
    saveLeases(this.options.leaseFile, next);
    this.leases = next;
    if (notify) this.notify();
  }

  private notify(): void {
    const { leased, capacity } = this.usage();
    this.options.onLeasesChanged?.(leased, capacity);
  }

  private view(lease: ContainerLease, hostSideExists: boolean): ContainerView {
    const subnet = this.options.subnet;
    const state = !cidrContainsIp(subnet, lease.address) ? 'outside' : hostSideExists ? 'attached' : 'gone';
    return { lease, gateway: gatewayOf(subnet), mtu: this.options.mtu, state };
  }

  private serially<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

interface ResolvedNetns {
  /** How leases name it: the name under netnsDir, or the absolute path. */
  readonly name: string;
  readonly path: string;
  readonly id: string;
}

const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/** A namespace name as leases record it: a name under `netnsDir` is given by name, anything else by path. */
export function netnsName(text: string, netnsDir: string): string {
  if (!text.includes('/')) {
    if (!NETNS_NAME.test(text)) throw new InvalidArgumentError(`"${text}" is not a namespace name (letters, digits, _ . -) nor an absolute path`);
    return text;
  }
  if (!isAbsolute(text)) throw new InvalidArgumentError(`the namespace path "${text}" must be absolute (e.g. /proc/PID/ns/net)`);
  const prefix = `${netnsDir}/`;
  const rest = text.startsWith(prefix) ? text.slice(prefix.length) : '';
  return rest !== '' && NETNS_NAME.test(rest) ? rest : text;
}

function netnsPath(name: string, netnsDir: string): string {
  return name.includes('/') ? name : join(netnsDir, name);
}

async function netnsIdOf(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

async function resolveNetns(text: string, netnsDir: string): Promise<ResolvedNetns> {
  if (!text) throw new InvalidArgumentError('name the network namespace to attach (a name from `ip netns list`, or a path such as /proc/PID/ns/net)');
  const name = netnsName(text, netnsDir);
  const path = netnsPath(name, netnsDir);
  let id: string;
  try {
    const st = await stat(path);
    id = `${st.dev}:${st.ino}`;
  } catch (err) {
    throw new NotFoundError(
      `the network namespace ${text} does not exist (${path}: ${errorMessage(err)}); create it with \`ip netns add\`, or give the path of its namespace file (/proc/PID/ns/net)`,
    );
  }
  return { name, path, id };
}

/** "tc" and 11 hex digits of the namespace's identity: unique per namespace, fits IFNAMSIZ. */
export function hostInterfaceFor(netnsId: string): string {
  return `tc${createHash('sha256').update(netnsId).digest('hex').slice(0, 11)}`;
}

function describeLease(lease: ContainerLease): string {
  return lease.containerId ? `container ${lease.containerId} (namespace ${lease.netns})` : `namespace ${lease.netns}`;
}
