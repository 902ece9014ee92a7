// Original file: proto/tunctl/v1/tunctl.proto

import type { Node as _tunctl_v1_Node, Node__Output as _tunctl_v1_Node__Output } from '../../tunctl/v1/Node';
import type { Long } from '@grpc/proto-loader';

export interface ListNodesResponse {
  'nodes'?: (_tunctl_v1_Node)[];
  'revision'?: (number | string | Long);
}

export interface ListNodesResponse__Output {
  'nodes': (_tunctl_v1_Node__Output)[];
  'revision': (number);
}
