// Request-field validation shared by the RPC handlers: every field is checked before it
// reaches the store, with messages that say what to fix.
import { cidrSize, formatCidr, parseCidr, parseIpv4, type Ipv4Cidr } from '../common/cidr.js';
import { InvalidArgumentError } from '../common/errors.js';
import { validateNodeName } from '../common/names.js';
import { validateUnderlayIp } from './network-config.js';
import type { NetworkConfig } from './store/store.js';

export function requireNodeName(name: string | undefined, field = 'name'): string {
  if (!name) throw new InvalidArgumentError(`${field} is required (a node name such as node-1)`);
  return validateNodeName(name);
}

/** An address other hosts can send encapsulated packets to (rules in network-config.ts). */
export function requireUnderlayIp(text: string | undefined, network: NetworkConfig, field = 'underlay_ip'): number {
  if (!text) throw new InvalidArgumentError(`${field} is required (the IPv4 address the node's agent uses to reach other hosts)`);
  return validateUnderlayIp(network, parseIpv4(text, field));
}

export function optionalSubnet(text: string | undefined, field = 'subnet'): Ipv4Cidr | undefined {
  return text ? parseCidr(text, field) : undefined;
}

/**
 * An agent's address usage for its node's `subnet`: capacity from 1 up to the subnet's size (the
 * agent decides which addresses it keeps back, such as the gateway), and no more leased than that.
 */
export function requireAddressUsage(leased: number, capacity: number, subnet: Ipv4Cidr): { leased: number; capacity: number } {
  const size = cidrSize(subnet);
  if (capacity === 0) {
    throw new InvalidArgumentError(
      `capacity must be at least 1: the number of addresses of the node's subnet ${formatCidr(subnet)} the agent hands out to containers (leased: how many of them are in use)`,
    );
  }
  if (capacity > size) {
    throw new InvalidArgumentError(
      `capacity ${capacity} is more than the ${size} addresses of the node's subnet ${formatCidr(subnet)}; report how many of them the agent hands out to containers`,
    );
  }
  if (leased > capacity) {
    throw new InvalidArgumentError(`leased ${leased} is more than capacity ${capacity}: the agent cannot have leased more addresses than it hands out; report the leases it holds now`);
  }
  return { leased, capacity };
}
