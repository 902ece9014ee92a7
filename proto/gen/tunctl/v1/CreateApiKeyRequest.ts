// Original file: proto/tunctl/v1/tunctl.proto

import type { ApiKeyScope as _tunctl_v1_ApiKeyScope, ApiKeyScope__Output as _tunctl_v1_ApiKeyScope__Output } from '../../tunctl/v1/ApiKeyScope';

export interface CreateApiKeyRequest {
  'scope'?: (_tunctl_v1_ApiKeyScope);
  'ttlSeconds'?: (number);
  'description'?: (string);
}

export interface CreateApiKeyRequest__Output {
  'scope': (_tunctl_v1_ApiKeyScope__Output);
  'ttlSeconds': (number);
  'description': (string);
}
