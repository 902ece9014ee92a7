// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface ReportAddressUsageResponse {
  'recordedAt'?: (_google_protobuf_Timestamp | null);
}

export interface ReportAddressUsageResponse__Output {
  'recordedAt': (_google_protobuf_Timestamp__Output | null);
}
