// Request-field validation shared by the RPC handlers: every field is checked before it
// reaches the store, with messages that say what to fix.
import { parseCidr, parseIpv4, type Ipv4Cidr } from '../common/cidr.js';
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
