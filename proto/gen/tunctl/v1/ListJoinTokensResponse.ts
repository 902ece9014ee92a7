// Original file: proto/tunctl/v1/tunctl.proto

import type { JoinToken as _tunctl_v1_JoinToken, JoinToken__Output as _tunctl_v1_JoinToken__Output } from '../../tunctl/v1/JoinToken';

export interface ListJoinTokensResponse {
  'joinTokens'?: (_tunctl_v1_JoinToken)[];
}

export interface ListJoinTokensResponse__Output {
  'joinTokens': (_tunctl_v1_JoinToken__Output)[];
}
