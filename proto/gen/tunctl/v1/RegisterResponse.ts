// Original file: proto/tunctl/v1/tunctl.proto

import type { Node as _tunctl_v1_Node, Node__Output as _tunctl_v1_Node__Output } from '../../tunctl/v1/Node';
import type { Network as _tunctl_v1_Network, Network__Output as _tunctl_v1_Network__Output } from '../../tunctl/v1/Network';

export interface RegisterResponse {
  'node'?: (_tunctl_v1_Node | null);
  'network'?: (_tunctl_v1_Network | null);
  'tunMtu'?: (number);
  'heartbeatIntervalMs'?: (number);
  'clusterId'?: (string);
}

export interface RegisterResponse__Output {
  'node': (_tunctl_v1_Node__Output | null);
  'network': (_tunctl_v1_Network__Output | null);
  'tunMtu': (number);
  'heartbeatIntervalMs': (number);
  'clusterId': (string);
}
