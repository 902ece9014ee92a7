// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface QuarantinedSubnet {
  'subnet'?: (string);
  'previousNode'?: (string);
  'releasedAt'?: (_google_protobuf_Timestamp | null);
  'availableAt'?: (_google_protobuf_Timestamp | null);
}

export interface QuarantinedSubnet__Output {
  'subnet': (string);
  'previousNode': (string);
  'releasedAt': (_google_protobuf_Timestamp__Output | null);
  'availableAt': (_google_protobuf_Timestamp__Output | null);
}
