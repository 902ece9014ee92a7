// Domain records -> proto messages. The handlers stay thin by calling these.
import { formatCidr, formatIpv4 } from '../common/cidr.js';
import type { Network } from '../proto/gen/tunctl/v1/Network.js';
import type { Node } from '../proto/gen/tunctl/v1/Node.js';
import type { Route } from '../proto/gen/tunctl/v1/Route.js';
import type { RouteChange } from '../proto/gen/tunctl/v1/RouteChange.js';
import type { Timestamp } from '../proto/gen/google/protobuf/Timestamp.js';
import type { ApiKey } from '../proto/gen/tunctl/v1/ApiKey.js';
import type { AuditEvent } from '../proto/gen/tunctl/v1/AuditEvent.js';
import type { JoinToken } from '../proto/gen/tunctl/v1/JoinToken.js';
import type {
  ApiKeyRecord,
  AuditEventRecord,
  ChangeRecord,
  JoinTokenRecord,
  NetworkConfig,
  NodeRecord,
  RouteRecord,
} from './store/store.js';
import { revisionLag, type NodeState, type NodeStatus } from './node-presence.js';

/** IPv4 + UDP headers: what each encapsulated packet costs on the underlay. */
export const ENCAP_OVERHEAD = 28;

export function timestampToProto(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

const NODE_STATE: Record<NodeState, Node['state']> = {
  pending: 'NODE_STATE_PENDING',
  ready: 'NODE_STATE_READY',
  'not-ready': 'NODE_STATE_NOT_READY',
};

/** A node with its agent's live status; `latestRevision` gives the lag. */
export function nodeToProto(node: NodeRecord, status: NodeStatus, latestRevision: number): Node {
  return {
    name: node.name,
    underlayIp: formatIpv4(node.underlayIp),
    subnet: formatCidr(node.subnet),
    createdAt: timestampToProto(node.createdAt),
    updatedAt: timestampToProto(node.updatedAt),
    lastRegisteredAt: node.lastRegisteredAt ? timestampToProto(node.lastRegisteredAt) : null,
    connected: status.connected,
    agentVersion: node.agentVersion,
    lastSeenAt: status.lastSeenAt ? timestampToProto(status.lastSeenAt) : null,
    appliedRevision: status.appliedRevision,
    lag: revisionLag(status.appliedRevision, latestRevision),
    state: NODE_STATE[status.state],
    applyError: status.applyError,
    leaseExpiresAt: status.leaseExpiresAt ? timestampToProto(status.leaseExpiresAt) : null,
    // Never reported: capacity 0 and no time, as the proto documents.
    addressesLeased: node.addressUsage?.leased ?? 0,
    addressCapacity: node.addressUsage?.capacity ?? 0,
    addressUsageReportedAt: node.addressUsage ? timestampToProto(node.addressUsage.reportedAt) : null,
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

const optionalTimestamp = (date: Date | null): Timestamp | null => (date ? timestampToProto(date) : null);

/** `token` is the whole secret, passed only by the call that created it. */
export function joinTokenToProto(token: JoinTokenRecord, secretText = ''): JoinToken {
  return {
    id: token.id,
    nodeName: token.nodeName,
    createdAt: timestampToProto(token.createdAt),
    expiresAt: timestampToProto(token.expiresAt),
    usedAt: optionalTimestamp(token.usedAt),
    createdBy: token.createdBy,
    token: secretText,
  };
}

/** `key` is the whole secret, passed only by the call that created it. */
export function apiKeyToProto(key: ApiKeyRecord, secretText = ''): ApiKey {
  return {
    id: key.id,
    scope: key.scope === 'admin' ? 'API_KEY_SCOPE_ADMIN' : 'API_KEY_SCOPE_READ',
    description: key.description,
    createdAt: timestampToProto(key.createdAt),
    expiresAt: optionalTimestamp(key.expiresAt),
    revokedAt: optionalTimestamp(key.revokedAt),
    createdBy: key.createdBy,
    key: secretText,
  };
}

export function auditEventToProto(event: AuditEventRecord): AuditEvent {
  return { ...event, at: timestampToProto(event.at) };
}
