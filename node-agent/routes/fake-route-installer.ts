// In-memory routes and links that behave like the kernel's main table as seen through `ip`:
// `replace` takes over any route to the same block, `del ... proto 147` only matches our routes.
import { formatCidr, type Ipv4Cidr } from '../../common/cidr.js';
import { InvalidArgumentError } from '../../common/errors.js';
import {
  TUNCTL_ROUTE_PROTOCOL,
  isSafeInterfaceName,
  type LinkConfigurator,
  type RouteChange,
  type RouteInstaller,
  type TunLinkConfig,
  type UnderlayLink,
} from './route-installer.js';

export interface FakeRoute {
  readonly cidr: Ipv4Cidr;
  readonly dev: string;
  /** Route protocol: a number, or a name like "boot" / "static" as `ip` shows it. */
  readonly proto: number | string;
}

export interface FakeLink {
  mtu: number;
  up: boolean;
  /** IPv4 addresses with their prefix length. */
  addresses: Array<{ local: number; prefixLen: number }>;
}

export class FakeRouteInstaller implements RouteInstaller, LinkConfigurator {
  private readonly links = new Map<string, FakeLink>();
  // Keyed by block: the main table holds one route per destination (metric 0), like the kernel.
  private readonly routes = new Map<string, FakeRoute>();
  private readonly applyFailures: Error[] = [];
  /** Number of apply() calls, including failed ones. */
  applyCalls = 0;

  /** Creates a link, like `ip link add`; routes can only point at existing links. */
  addDevice(name: string, mtu = 1500): void {
    if (this.links.has(name)) throw new Error(`fake device ${name} already exists`);
    this.links.set(name, { mtu, up: false, addresses: [] });
  }

  /** Removes a link and, like the kernel, every route through it. */
  deleteDevice(name: string): void {
    this.links.delete(name);
    for (const [key, route] of this.routes) if (route.dev === name) this.routes.delete(key);
  }

  link(name: string): FakeLink | undefined {
    return this.links.get(name);
  }

  /** Someone else's route (default protocol "boot"), as `ip route add <cidr> dev <dev>` would create. */
  addForeignRoute(dev: string, cidr: Ipv4Cidr, proto: number | string = 'boot'): void {
    this.requireDevice(dev);
    this.routes.set(formatCidr(cidr), { cidr, dev, proto });
  }

  /** Deletes a route regardless of owner, as an admin running `ip route del` would. */
  deleteRouteBehindBack(cidr: Ipv4Cidr): boolean {
    return this.routes.delete(formatCidr(cidr));
  }

  /** Every route in the table, ours and foreign, sorted by block. */
  allRoutes(): FakeRoute[] {
    return [...this.routes.values()].sort((a, b) => a.cidr.base - b.cidr.base || a.cidr.prefixLen - b.cidr.prefixLen);
  }

  /** Makes the next apply() calls fail with these errors, one per call, without changing anything. */
  failNextApply(...errors: Error[]): void {
    this.applyFailures.push(...errors);
  }

  async list(dev: string): Promise<Ipv4Cidr[]> {
    this.requireDevice(dev);
    return this.allRoutes()
      .filter((r) => r.dev === dev && r.proto === TUNCTL_ROUTE_PROTOCOL)
      .map((r) => ({ base: r.cidr.base, prefixLen: r.cidr.prefixLen }));
  }

  async apply(dev: string, change: RouteChange): Promise<void> {
    this.applyCalls++;
    const failure = this.applyFailures.shift();
    if (failure) throw failure;
    if (change.add.length === 0 && change.remove.length === 0) return;
    this.requireDevice(dev);
    for (const cidr of change.remove) {
      const key = formatCidr(cidr);
      const existing = this.routes.get(key);
      if (existing && existing.dev === dev && existing.proto === TUNCTL_ROUTE_PROTOCOL) this.routes.delete(key);
    }
    for (const cidr of change.add) {
      this.routes.set(formatCidr(cidr), { cidr: { base: cidr.base, prefixLen: cidr.prefixLen }, dev, proto: TUNCTL_ROUTE_PROTOCOL });
    }
  }

  async configureTun(dev: string, cfg: TunLinkConfig): Promise<void> {
    const link = this.requireDevice(dev);
    if (!Number.isInteger(cfg.mtu) || cfg.mtu < 68 || cfg.mtu > 65535) {
      throw new InvalidArgumentError(`MTU ${cfg.mtu} for ${dev} is invalid (expected an integer 68-65535)`);
    }
    link.mtu = cfg.mtu;
    link.addresses = [{ local: cfg.address >>> 0, prefixLen: 32 }];
    link.up = true;
  }

  /** Adds an IPv4 address to a link, like `ip addr add`. */
  addAddress(dev: string, local: number, prefixLen = 24): void {
    this.requireDevice(dev).addresses.push({ local: local >>> 0, prefixLen });
  }

  async findUnderlay(ip: number): Promise<UnderlayLink | null> {
    for (const [ifName, link] of this.links) {
      if (link.addresses.some((a) => a.local === ip >>> 0)) return { ifName, mtu: link.mtu };
    }
    return null;
  }

  async listLocalAddresses(): Promise<number[]> {
    return [...this.links.values()].flatMap((l) => l.addresses.map((a) => a.local));
  }

  private requireDevice(dev: string): FakeLink {
    if (!isSafeInterfaceName(dev)) {
      throw new InvalidArgumentError(`device name "${dev}" is invalid (expected 1-15 characters: letters, digits, _ . : + @ -)`);
    }
    const link = this.links.get(dev);
    if (!link) throw new Error(`Cannot find device "${dev}"`);
    return link;
  }
}
