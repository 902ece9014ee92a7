// Original file: proto/tunctl/v1/tunctl.proto

import type { ApiKey as _tunctl_v1_ApiKey, ApiKey__Output as _tunctl_v1_ApiKey__Output } from '../../tunctl/v1/ApiKey';

export interface ListApiKeysResponse {
  'apiKeys'?: (_tunctl_v1_ApiKey)[];
}

export interface ListApiKeysResponse__Output {
  'apiKeys': (_tunctl_v1_ApiKey__Output)[];
}
