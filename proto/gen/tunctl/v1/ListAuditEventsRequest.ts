// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface ListAuditEventsRequest {
  'since'?: (_google_protobuf_Timestamp | null);
  'limit'?: (number);
}

export interface ListAuditEventsRequest__Output {
  'since': (_google_protobuf_Timestamp__Output | null);
  'limit': (number);
}
