// Original file: proto/tunctl/v1/tunctl.proto

import type { ApiKeyScope as _tunctl_v1_ApiKeyScope, ApiKeyScope__Output as _tunctl_v1_ApiKeyScope__Output } from '../../tunctl/v1/ApiKeyScope';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface ApiKey {
  'id'?: (string);
  'scope'?: (_tunctl_v1_ApiKeyScope);
  'description'?: (string);
  'createdAt'?: (_google_protobuf_Timestamp | null);
  'expiresAt'?: (_google_protobuf_Timestamp | null);
  'revokedAt'?: (_google_protobuf_Timestamp | null);
  'createdBy'?: (string);
  'key'?: (string);
}

export interface ApiKey__Output {
  'id': (string);
  'scope': (_tunctl_v1_ApiKeyScope__Output);
  'description': (string);
  'createdAt': (_google_protobuf_Timestamp__Output | null);
  'expiresAt': (_google_protobuf_Timestamp__Output | null);
  'revokedAt': (_google_protobuf_Timestamp__Output | null);
  'createdBy': (string);
  'key': (string);
}
