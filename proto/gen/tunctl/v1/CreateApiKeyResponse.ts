// Original file: proto/tunctl/v1/tunctl.proto

import type { ApiKey as _tunctl_v1_ApiKey, ApiKey__Output as _tunctl_v1_ApiKey__Output } from '../../tunctl/v1/ApiKey';

export interface CreateApiKeyResponse {
  'apiKey'?: (_tunctl_v1_ApiKey | null);
}

export interface CreateApiKeyResponse__Output {
  'apiKey': (_tunctl_v1_ApiKey__Output | null);
}
