// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

export interface Node {
  'name'?: (string);
  'underlayIp'?: (string);
  'subnet'?: (string);
  'createdAt'?: (_google_protobuf_Timestamp | null);
  'updatedAt'?: (_google_protobuf_Timestamp | null);
  'lastRegisteredAt'?: (_google_protobuf_Timestamp | null);
  'connected'?: (boolean);
  'agentVersion'?: (string);
}

export interface Node__Output {
  'name': (string);
  'underlayIp': (string);
  'subnet': (string);
  'createdAt': (_google_protobuf_Timestamp__Output | null);
  'updatedAt': (_google_protobuf_Timestamp__Output | null);
  'lastRegisteredAt': (_google_protobuf_Timestamp__Output | null);
  'connected': (boolean);
  'agentVersion': (string);
}
