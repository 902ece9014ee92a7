// Validation and description of the address plan the controller is started with.
import { cidrContainsIp, cidrLast, cidrSize, formatCidr, formatIpv4, prefixMask, type Ipv4Cidr } from '../common/cidr.js';
import { InvalidArgumentError } from '../common/errors.js';
import { subnetFitsPool } from './allocator.js';
import type { NetworkConfig, NetworkConfigInput } from './store/store.js';

/** Longest subnet length: a /30 still leaves two host addresses besides network and broadcast. */
export const MAX_SUBNET_LEN = 30;
/** The UDP port agents exchange packets on unless the cluster is made with --udp-port. */
export const DEFAULT_UDP_PORT = 7000;

function checkCidr(cidr: Ipv4Cidr, what: string): void {
  const { base, prefixLen } = cidr;
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) {
    throw new InvalidArgumentError(`${what} prefix length ${String(prefixLen)} is invalid (expected 0-32)`);
  }
  if (!Number.isInteger(base) || base < 0 || base > 0xffffffff) {
    throw new InvalidArgumentError(`${what} base address ${String(base)} is not an IPv4 address`);
  }
  const masked = (base & prefixMask(prefixLen)) >>> 0;
  if (masked !== base) {
    throw new InvalidArgumentError(`${what} ${formatCidr(cidr)} has host bits set; did you mean ${formatCidr({ base: masked, prefixLen })}?`);
  }
}

/** First and last subnet of the network: the bounds used when the operator gives none. */
export function defaultSubnetBounds(network: Ipv4Cidr, subnetLen: number): { subnetMin: Ipv4Cidr; subnetMax: Ipv4Cidr } {
  const size = cidrSize({ base: 0, prefixLen: subnetLen });
  return {
    subnetMin: { base: network.base, prefixLen: subnetLen },
    subnetMax: { base: cidrLast(network) - size + 1, prefixLen: subnetLen },
  };
}

function checkBound(bound: Ipv4Cidr, flag: string, network: Ipv4Cidr, subnetLen: number): void {
  checkCidr(bound, flag);
  if (bound.prefixLen !== subnetLen) {
    const hint = (bound.base & prefixMask(subnetLen)) >>> 0;
    throw new InvalidArgumentError(
      `${flag} ${formatCidr(bound)} must be a /${subnetLen} subnet like the others (e.g. ${formatCidr({ base: hint, prefixLen: subnetLen })})`,
    );
  }
  if (bound.base < network.base || cidrLast(bound) > cidrLast(network)) {
    throw new InvalidArgumentError(`${flag} ${formatCidr(bound)} is outside the network ${formatCidr(network)}`);
  }
}

/** Checks an operator's input and fills in the default bounds; throws InvalidArgumentError naming the flag to fix. */
export function validateNetworkConfig(input: NetworkConfigInput): NetworkConfig {
  const { network, subnetLen, udpPort } = input;
  checkCidr(network, '--network');
  if (!Number.isInteger(subnetLen)) {
    throw new InvalidArgumentError(`--subnet-len ${String(subnetLen)} is not a whole number (e.g. 24)`);
  }
  if (subnetLen <= network.prefixLen) {
    throw new InvalidArgumentError(
      `--subnet-len /${subnetLen} must be longer than the network's prefix /${network.prefixLen} of ${formatCidr(network)}` +
        ` so that the network holds several subnets (e.g. --subnet-len ${Math.min(MAX_SUBNET_LEN, Math.max(network.prefixLen + 1, 24))})`,
    );
  }
  if (subnetLen > MAX_SUBNET_LEN) {
    throw new InvalidArgumentError(
      `--subnet-len /${subnetLen} is too long: at most /${MAX_SUBNET_LEN}, so each node's subnet has host addresses left`,
    );
  }
  if (!Number.isInteger(udpPort) || udpPort < 1 || udpPort > 65535) {
    throw new InvalidArgumentError(`--udp-port ${String(udpPort)} is invalid (expected a port number 1-65535)`);
  }
  const defaults = defaultSubnetBounds(network, subnetLen);
  const subnetMin = input.subnetMin ?? defaults.subnetMin;
  const subnetMax = input.subnetMax ?? defaults.subnetMax;
  checkBound(subnetMin, '--subnet-min', network, subnetLen);
  checkBound(subnetMax, '--subnet-max', network, subnetLen);
  if (subnetMin.base > subnetMax.base) {
    throw new InvalidArgumentError(
      `--subnet-min ${formatCidr(subnetMin)} is above --subnet-max ${formatCidr(subnetMax)}; swap them or widen the range`,
    );
  }
  return {
    network: { base: network.base, prefixLen: network.prefixLen },
    subnetLen,
    subnetMin: { base: subnetMin.base, prefixLen: subnetMin.prefixLen },
    subnetMax: { base: subnetMax.base, prefixLen: subnetMax.prefixLen },
    udpPort,
  };
}

function sameCidr(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.base === b.base && a.prefixLen === b.prefixLen;
}

export function networkConfigsEqual(a: NetworkConfig, b: NetworkConfig): boolean {
  return (
    sameCidr(a.network, b.network) &&
    a.subnetLen === b.subnetLen &&
    sameCidr(a.subnetMin, b.subnetMin) &&
    sameCidr(a.subnetMax, b.subnetMax) &&
    a.udpPort === b.udpPort
  );
}

/** True when subnetMin/subnetMax span the whole network (the operator gave no bounds). */
export function hasDefaultBounds(config: NetworkConfig): boolean {
  const defaults = defaultSubnetBounds(config.network, config.subnetLen);
  return sameCidr(config.subnetMin, defaults.subnetMin) && sameCidr(config.subnetMax, defaults.subnetMax);
}

/** One line for people, e.g. `network 10.244.0.0/16 with /24 subnets (udp port 7000)`. */
export function describeNetworkConfig(config: NetworkConfig): string {
  const range = hasDefaultBounds(config) ? '' : ` from ${formatCidr(config.subnetMin)} to ${formatCidr(config.subnetMax)}`;
  return `network ${formatCidr(config.network)} with /${config.subnetLen} subnets${range} (udp port ${config.udpPort})`;
}

/** The controller flags that reproduce `config`, e.g. `--network 10.244.0.0/16 --subnet-len 24 --udp-port 7000`. */
export function networkConfigFlags(config: NetworkConfig): string {
  const range = hasDefaultBounds(config)
    ? ''
    : ` --subnet-min ${formatCidr(config.subnetMin)} --subnet-max ${formatCidr(config.subnetMax)}`;
  return `--network ${formatCidr(config.network)} --subnet-len ${config.subnetLen}${range} --udp-port ${config.udpPort}`;
}

/**
 * Checks that `ip` can be a node's underlay (physical) address: a unicast address outside the
 * overlay network, since packets to an underlay inside the overlay would loop back into the TUN.
 */
export function validateUnderlayIp(config: NetworkConfig, ip: number): number {
  if (!Number.isInteger(ip) || ip < 0 || ip > 0xffffffff) {
    throw new InvalidArgumentError(`underlay address ${String(ip)} is not an IPv4 address`);
  }
  const text = formatIpv4(ip);
  if (ip >>> 24 === 0 || ip === 0xffffffff || ip >>> 28 >= 0xe) {
    throw new InvalidArgumentError(`underlay address ${text} is not a unicast address; use the host's own IPv4 address`);
  }
  if (ip >>> 24 === 127) {
    throw new InvalidArgumentError(`underlay address ${text} is a loopback address that other hosts cannot reach; use the host's own IPv4 address`);
  }
  if (cidrContainsIp(config.network, ip)) {
    throw new InvalidArgumentError(
      `underlay address ${text} lies inside the overlay network ${formatCidr(config.network)}; use the host's physical (underlay) address`,
    );
  }
  return ip;
}

/** A subnet the store has given out: to a node, or pinned to a name by a reservation. */
export interface PlanAssignment {
  readonly kind: 'node' | 'reservation';
  readonly name: string;
  readonly subnet: Ipv4Cidr;
}

/** How many orphans a refusal names one by one; the rest are counted. */
const ORPHANS_LISTED = 10;

/**
 * Why the stored plan cannot become `next`, as a clause for an error message, or null when it
 * can: every assignment must still be a subnet of `next`'s pool (inside the network, same
 * length, within subnet-min/max), so nothing already handed out moves or overlaps what the
 * allocator hands out next. The UDP port may not change while nodes exist: agents learn it
 * when they register, so until every one had re-registered, some would send to the old port
 * and others listen on the new one. Quarantined subnets do not count: they are simply dropped.
 */
export function networkChangeRefusal(stored: NetworkConfig, next: NetworkConfig, assignments: readonly PlanAssignment[], nodeCount: number): string | null {
  const problems: string[] = [];
  const orphans = assignments.filter((a) => !subnetFitsPool(next, a.subnet));
  if (orphans.length > 0) {
    const listed = orphans.slice(0, ORPHANS_LISTED).map((a) => `${a.kind} "${a.name}" (${formatCidr(a.subnet)})`);
    const more = orphans.length > ORPHANS_LISTED ? ` and ${orphans.length - ORPHANS_LISTED} more` : '';
    problems.push(
      `${orphans.length} subnet(s) already handed out would not fit its pool: ${listed.join(', ')}${more}; ` +
        'remove those nodes (`tunctl remove-node NAME`) and reservations (`tunctl unreserve NAME`) first',
    );
  }
  if (next.udpPort !== stored.udpPort && nodeCount > 0) {
    problems.push(
      `the UDP port would change from ${stored.udpPort} to ${next.udpPort} while ${nodeCount} node(s) exist, ` +
        `and their agents would disagree on the port to send to; keep --udp-port ${stored.udpPort}, or remove the nodes first`,
    );
  }
  return problems.length === 0 ? null : problems.join('; and ');
}
