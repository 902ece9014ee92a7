// Original file: proto/tunctl/v1/tunctl.proto

import type { Traffic as _tunctl_v1_Traffic, Traffic__Output as _tunctl_v1_Traffic__Output } from '../../tunctl/v1/Traffic';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface PeerStatus {
  'nodeName'?: (string);
  'underlayIp'?: (string);
  'subnet'?: (string);
  'traffic'?: (_tunctl_v1_Traffic | null);
  'lastRxAt'?: (_google_protobuf_Timestamp | null);
  'lastTxAt'?: (_google_protobuf_Timestamp | null);
}

export interface PeerStatus__Output {
  'nodeName': (string);
  'underlayIp': (string);
  'subnet': (string);
  'traffic': (_tunctl_v1_Traffic__Output | null);
  'lastRxAt': (_google_protobuf_Timestamp__Output | null);
  'lastTxAt': (_google_protobuf_Timestamp__Output | null);
}
