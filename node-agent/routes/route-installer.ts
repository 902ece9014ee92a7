// The OS boundary for host networking: routes tunctl owns, and the TUN link it routes into.
// ip-route-installer.ts is the real implementation, fake-route-installer.ts the in-memory one.
import type { Ipv4Cidr } from '../../common/cidr.js';

/** Routes tunctl installs carry `proto 147`; it only ever lists or removes routes with this protocol. */
export const TUNCTL_ROUTE_PROTOCOL = 147;

export interface RouteChange {
  readonly add: readonly Ipv4Cidr[];
  readonly remove: readonly Ipv4Cidr[];
}

export interface RouteInstaller {
  /** Routes with our protocol on `dev` in the main table; rejects naming `dev` if it does not exist. */
  list(dev: string): Promise<Ipv4Cidr[]>;
  /** One batch: removals, then adds as `replace` (idempotent); removing an already-gone route is fine. */
  apply(dev: string, change: RouteChange): Promise<void>;
}

export interface TunLinkConfig {
  readonly mtu: number;
  /** Host address of this node on the overlay, installed as /32. */
  readonly address: number;
}

export interface UnderlayLink {
  readonly ifName: string;
  readonly mtu: number;
}

export interface LinkConfigurator {
  /** Sets the MTU, makes `address`/32 the only IPv4 address on `dev`, and brings it up; idempotent. */
  configureTun(dev: string, cfg: TunLinkConfig): Promise<void>;
  /** The interface holding this IPv4 address (with its MTU), or null if no interface has it. */
  findUnderlay(ip: number): Promise<UnderlayLink | null>;
  /** Every IPv4 address configured on any interface of this host (namespace). */
  listLocalAddresses(): Promise<number[]>;
}

/** Interface names the kernel accepts and `ip -batch` cannot misparse (IFNAMSIZ is 16 with the NUL). */
export function isSafeInterfaceName(dev: string): boolean {
  return typeof dev === 'string' && /^[A-Za-z0-9_.:+@-]{1,15}$/.test(dev) && dev !== '.' && dev !== '..';
}
