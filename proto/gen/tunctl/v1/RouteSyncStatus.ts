// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

export interface RouteSyncStatus {
  'desired'?: (number);
  'rounds'?: (number | string | Long);
  'failures'?: (number | string | Long);
  'added'?: (number | string | Long);
  'removed'?: (number | string | Long);
  'lastRoundAt'?: (_google_protobuf_Timestamp | null);
  'lastError'?: (string);
}

export interface RouteSyncStatus__Output {
  'desired': (number);
  'rounds': (number);
  'failures': (number);
  'added': (number);
  'removed': (number);
  'lastRoundAt': (_google_protobuf_Timestamp__Output | null);
  'lastError': (string);
}
