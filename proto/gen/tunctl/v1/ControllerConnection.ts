// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { Long } from '@grpc/proto-loader';

// Original file: proto/tunctl/v1/tunctl.proto

export const _tunctl_v1_ControllerConnection_State = {
  STATE_UNSPECIFIED: 'STATE_UNSPECIFIED',
  STATE_CONNECTED: 'STATE_CONNECTED',
  STATE_CONNECTING: 'STATE_CONNECTING',
} as const;

export type _tunctl_v1_ControllerConnection_State =
  | 'STATE_UNSPECIFIED'
  | 0
  | 'STATE_CONNECTED'
  | 1
  | 'STATE_CONNECTING'
  | 2

export type _tunctl_v1_ControllerConnection_State__Output = typeof _tunctl_v1_ControllerConnection_State[keyof typeof _tunctl_v1_ControllerConnection_State]

export interface ControllerConnection {
  'target'?: (string);
  'state'?: (_tunctl_v1_ControllerConnection_State);
  'since'?: (_google_protobuf_Timestamp | null);
  'lastError'?: (string);
  'reconnects'?: (number | string | Long);
}

export interface ControllerConnection__Output {
  'target': (string);
  'state': (_tunctl_v1_ControllerConnection_State__Output);
  'since': (_google_protobuf_Timestamp__Output | null);
  'lastError': (string);
  'reconnects': (number);
}
