// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { NodeState as _tunctl_v1_NodeState, NodeState__Output as _tunctl_v1_NodeState__Output } from '../../tunctl/v1/NodeState';
import type { Long } from '@grpc/proto-loader';

export interface Node {
  'name'?: (string);
  'underlayIp'?: (string);
  'subnet'?: (string);
  'createdAt'?: (_google_protobuf_Timestamp | null);
  'updatedAt'?: (_google_protobuf_Timestamp | null);
  'lastRegisteredAt'?: (_google_protobuf_Timestamp | null);
  'connected'?: (boolean);
  'agentVersion'?: (string);
  'lastSeenAt'?: (_google_protobuf_Timestamp | null);
  'appliedRevision'?: (number | string | Long);
  'lag'?: (number | string | Long);
  'state'?: (_tunctl_v1_NodeState);
  'applyError'?: (string);
  'leaseExpiresAt'?: (_google_protobuf_Timestamp | null);
  'addressesLeased'?: (number);
  'addressCapacity'?: (number);
  'addressUsageReportedAt'?: (_google_protobuf_Timestamp | null);
}

export interface Node__Output {
  'name': (string);
  'underlayIp': (string);
  'subnet': (string);
  'createdAt': (_google_protobuf_Timestamp__Output | null);
  'updatedAt': (_google_protobuf_Timestamp__Output | null);
  'lastRegisteredAt': (_google_protobuf_Timestamp__Output | null);
  'connected': (boolean);
  'agentVersion': (string);
  'lastSeenAt': (_google_protobuf_Timestamp__Output | null);
  'appliedRevision': (number);
  'lag': (number);
  'state': (_tunctl_v1_NodeState__Output);
  'applyError': (string);
  'leaseExpiresAt': (_google_protobuf_Timestamp__Output | null);
  'addressesLeased': (number);
  'addressCapacity': (number);
  'addressUsageReportedAt': (_google_protobuf_Timestamp__Output | null);
}
