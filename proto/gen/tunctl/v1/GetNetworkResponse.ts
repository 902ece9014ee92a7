// Original file: proto/tunctl/v1/tunctl.proto

import type { Network as _tunctl_v1_Network, Network__Output as _tunctl_v1_Network__Output } from '../../tunctl/v1/Network';
import type { Long } from '@grpc/proto-loader';

export interface GetNetworkResponse {
  'network'?: (_tunctl_v1_Network | null);
  'subnetsTotal'?: (number | string | Long);
  'subnetsUsed'?: (number | string | Long);
  'revision'?: (number | string | Long);
  'caFingerprint'?: (string);
  'clusterId'?: (string);
  'subnetsQuarantined'?: (number | string | Long);
  'subnetsReserved'?: (number | string | Long);
}

export interface GetNetworkResponse__Output {
  'network': (_tunctl_v1_Network__Output | null);
  'subnetsTotal': (number);
  'subnetsUsed': (number);
  'revision': (number);
  'caFingerprint': (string);
  'clusterId': (string);
  'subnetsQuarantined': (number);
  'subnetsReserved': (number);
}
