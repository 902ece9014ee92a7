// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

export interface AuditEvent {
  'id'?: (number | string | Long);
  'at'?: (_google_protobuf_Timestamp | null);
  'actor'?: (string);
  'action'?: (string);
  'target'?: (string);
  'outcome'?: (string);
  'detail'?: (string);
  'peer'?: (string);
}

export interface AuditEvent__Output {
  'id': (number);
  'at': (_google_protobuf_Timestamp__Output | null);
  'actor': (string);
  'action': (string);
  'target': (string);
  'outcome': (string);
  'detail': (string);
  'peer': (string);
}
