// Request-field validation shared by the RPC handlers: every field is checked before it
// reaches the store, with messages that say what to fix.
import { cidrContainsIp, formatCidr, parseCidr, parseIpv4, type Ipv4Cidr } from '../common/cidr.js';
import { InvalidArgumentError } from '../common/errors.js';
import { validateNodeName } from '../common/names.js';
import type { NetworkConfig } from './store/store.js';

export function requireNodeName(name: string | undefined, field = 'name'): string {
  if (!name) throw new InvalidArgumentError(`${field} is required (a node name such as node-1)`);
  return validateNodeName(name);
}

/** An address other hosts can send encapsulated packets to. */
export function requireUnderlayIp(text: string | undefined, network: NetworkConfig, field = 'underlay_ip'): number {
  if (!text) throw new InvalidArgumentError(`${field} is required (the IPv4 address the node's agent uses to reach other hosts)`);
  const ip = parseIpv4(text, field);
  const first = ip >>> 24;
  if (ip === 0 || ip === 0xffffffff || first === 0 || first === 127 || first >= 224) {
    throw new InvalidArgumentError(`${field} ${text} cannot be a node's underlay address: use a unicast address that other hosts can reach`);
  }
  if (cidrContainsIp(network.network, ip)) {
    throw new InvalidArgumentError(
      `${field} ${text} lies inside the cluster network ${formatCidr(network.network)}; the underlay address must be outside the overlay`,
    );
  }
  return ip;
}

export function optionalSubnet(text: string | undefined, field = 'subnet'): Ipv4Cidr | undefined {
  return text ? parseCidr(text, field) : undefined;
}
