// Original file: proto/tunctl/v1/tunctl.proto

import type { JoinToken as _tunctl_v1_JoinToken, JoinToken__Output as _tunctl_v1_JoinToken__Output } from '../../tunctl/v1/JoinToken';

export interface RevokeJoinTokenResponse {
  'joinToken'?: (_tunctl_v1_JoinToken | null);
}

export interface RevokeJoinTokenResponse__Output {
  'joinToken': (_tunctl_v1_JoinToken__Output | null);
}
