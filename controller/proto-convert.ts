// Domain records -> proto messages. The handlers stay thin by calling these.
import { formatCidr, formatIpv4 } from '../common/cidr.js';
import type { Network } from '../proto/gen/tunctl/v1/Network.js';
import type { Node } from '../proto/gen/tunctl/v1/Node.js';
import type { Route } from '../proto/gen/tunctl/v1/Route.js';
import type { RouteChange } from '../proto/gen/tunctl/v1/RouteChange.js';
import type { Timestamp } from '../proto/gen/google/protobuf/Timestamp.js';
import type { ChangeRecord, NetworkConfig, NodeRecord, RouteRecord } from './store/store.js';

/** IPv4 + UDP headers: what each encapsulated packet costs on the underlay. */
export const ENCAP_OVERHEAD = 28;

export function timestampToProto(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function nodeToProto(node: NodeRecord, connected: boolean): Node {
  return {
    name: node.name,
    underlayIp: formatIpv4(node.underlayIp),
    subnet: formatCidr(node.subnet),
    createdAt: timestampToProto(node.createdAt),
    updatedAt: timestampToProto(node.updatedAt),
    lastRegisteredAt: node.lastRegisteredAt ? timestampToProto(node.lastRegisteredAt) : null,
    connected,
    agentVersion: node.agentVersion,
  };
}

export function routeToProto(route: RouteRecord): Route {
  return { subnet: formatCidr(route.subnet), underlayIp: formatIpv4(route.underlayIp), nodeName: route.nodeName };
}

export function changeToProto(change: ChangeRecord): RouteChange {
  return { op: change.op === 'add' ? 'OP_ADD' : 'OP_REMOVE', route: routeToProto(change.route) };
}

export function networkToProto(config: NetworkConfig): Network {
  return {
    cidr: formatCidr(config.network),
    subnetLen: config.subnetLen,
    subnetMin: formatCidr(config.subnetMin),
    subnetMax: formatCidr(config.subnetMax),
    udpPort: config.udpPort,
    encapOverhead: ENCAP_OVERHEAD,
  };
}
