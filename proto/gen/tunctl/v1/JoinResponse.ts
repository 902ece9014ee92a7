// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface JoinResponse {
  'nodeName'?: (string);
  'certificatePem'?: (string);
  'caCertificatePem'?: (string);
  'expiresAt'?: (_google_protobuf_Timestamp | null);
}

export interface JoinResponse__Output {
  'nodeName': (string);
  'certificatePem': (string);
  'caCertificatePem': (string);
  'expiresAt': (_google_protobuf_Timestamp__Output | null);
}
