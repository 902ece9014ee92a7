// Original file: proto/tunctl/v1/tunctl.proto

import type { Node as _tunctl_v1_Node, Node__Output as _tunctl_v1_Node__Output } from '../../tunctl/v1/Node';
import type { JoinToken as _tunctl_v1_JoinToken, JoinToken__Output as _tunctl_v1_JoinToken__Output } from '../../tunctl/v1/JoinToken';
import type { Long } from '@grpc/proto-loader';

export interface AddNodeResponse {
  'node'?: (_tunctl_v1_Node | null);
  'revision'?: (number | string | Long);
  'joinToken'?: (_tunctl_v1_JoinToken | null);
}

export interface AddNodeResponse__Output {
  'node': (_tunctl_v1_Node__Output | null);
  'revision': (number);
  'joinToken': (_tunctl_v1_JoinToken__Output | null);
}
