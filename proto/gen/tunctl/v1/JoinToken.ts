// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface JoinToken {
  'id'?: (string);
  'nodeName'?: (string);
  'createdAt'?: (_google_protobuf_Timestamp | null);
  'expiresAt'?: (_google_protobuf_Timestamp | null);
  'usedAt'?: (_google_protobuf_Timestamp | null);
  'createdBy'?: (string);
  'token'?: (string);
}

export interface JoinToken__Output {
  'id': (string);
  'nodeName': (string);
  'createdAt': (_google_protobuf_Timestamp__Output | null);
  'expiresAt': (_google_protobuf_Timestamp__Output | null);
  'usedAt': (_google_protobuf_Timestamp__Output | null);
  'createdBy': (string);
  'token': (string);
}
