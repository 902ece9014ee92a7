// Original file: proto/tunctl/v1/tunctl.proto

import type { Node as _tunctl_v1_Node, Node__Output as _tunctl_v1_Node__Output } from '../../tunctl/v1/Node';

export interface GetNodeResponse {
  'node'?: (_tunctl_v1_Node | null);
}

export interface GetNodeResponse__Output {
  'node': (_tunctl_v1_Node__Output | null);
}
