// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface Reservation {
  'nodeName'?: (string);
  'subnet'?: (string);
  'createdAt'?: (_google_protobuf_Timestamp | null);
  'createdBy'?: (string);
}

export interface Reservation__Output {
  'nodeName': (string);
  'subnet': (string);
  'createdAt': (_google_protobuf_Timestamp__Output | null);
  'createdBy': (string);
}
