// Which addresses of the node's subnet containers get. Pure functions: the lease file
// and the attach service decide with them, and tests check them against a slow reference.
//
// In a subnet such as 10.244.3.0/24: .0 is the network address (and the node's own
// address on the TUN device), .1 the containers' gateway (the host side of every
// container veth), the last one the broadcast address; .2 to .254 go to containers.
import { cidrContainsIp, cidrLast, formatCidr, formatIpv4, parseIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import { AlreadyExistsError, InvalidArgumentError, PoolExhaustedError } from '../../common/errors.js';

/** The containers' default gateway in `subnet`: its first host address. */
export function gatewayOf(subnet: Ipv4Cidr): number {
  return subnet.base + 1;
}

/** The first and last address containers may get; first > last when the subnet has no room. */
export function containerRange(subnet: Ipv4Cidr): { first: number; last: number } {
  return { first: subnet.base + 2, last: cidrLast(subnet) - 1 };
}

/** How many containers the subnet holds (0 for a /31 or /32). */
export function containerCapacity(subnet: Ipv4Cidr): number {
  const { first, last } = containerRange(subnet);
  return Math.max(0, last - first + 1);
}

/**
 * The lowest address of the range that no lease holds; PoolExhaustedError when none is left.
 * `taken` may hold anything (addresses outside the range are ignored).
 */
export function pickFreeAddress(subnet: Ipv4Cidr, taken: ReadonlySet<number>): number {
  const { first, last } = containerRange(subnet);
  for (let ip = first; ip <= last; ip++) if (!taken.has(ip)) return ip;
  const capacity = containerCapacity(subnet);
  throw new PoolExhaustedError(
    capacity === 0
      ? `the node's subnet ${formatCidr(subnet)} has no room for containers (it needs at least a /30)`
      : `no free address in ${formatCidr(subnet)}: all ${capacity} container addresses are leased; detach a container first (\`tunctl containers\` lists them)`,
  );
}

/**
 * Checks an address an operator asked for: an IPv4 address in the container range of
 * `subnet` that no lease holds. `holderOf` names who has a taken address.
 */
export function checkRequestedAddress(text: string, subnet: Ipv4Cidr, holderOf: (ip: number) => string | undefined): number {
  const ip = parseIpv4(text, '--ip');
  const { first, last } = containerRange(subnet);
  if (!cidrContainsIp(subnet, ip)) {
    throw new InvalidArgumentError(`${text} is not in this node's subnet ${formatCidr(subnet)}; give an address from ${formatIpv4(first)} to ${formatIpv4(last)}`);
  }
  if (ip === subnet.base) throw new InvalidArgumentError(`${text} is the network address of ${formatCidr(subnet)} (the node's own TUN address)`);
  if (ip === gatewayOf(subnet)) throw new InvalidArgumentError(`${text} is the containers' gateway in ${formatCidr(subnet)}; give an address from ${formatIpv4(first)} to ${formatIpv4(last)}`);
  if (ip > last) throw new InvalidArgumentError(`${text} is the broadcast address of ${formatCidr(subnet)}`);
  const holder = holderOf(ip);
  if (holder !== undefined) throw new AlreadyExistsError(`${text} is already leased to ${holder}; pick another address or leave --ip out to get a free one`);
  return ip;
}
