// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

// Original file: proto/tunctl/v1/tunctl.proto

export const _tunctl_v1_Container_State = {
  STATE_UNSPECIFIED: 'STATE_UNSPECIFIED',
  STATE_ATTACHED: 'STATE_ATTACHED',
  STATE_GONE: 'STATE_GONE',
  STATE_OUTSIDE_SUBNET: 'STATE_OUTSIDE_SUBNET',
} as const;

export type _tunctl_v1_Container_State =
  | 'STATE_UNSPECIFIED'
  | 0
  | 'STATE_ATTACHED'
  | 1
  | 'STATE_GONE'
  | 2
  | 'STATE_OUTSIDE_SUBNET'
  | 3

export type _tunctl_v1_Container_State__Output = typeof _tunctl_v1_Container_State[keyof typeof _tunctl_v1_Container_State]

export interface Container {
  'netns'?: (string);
  'ifname'?: (string);
  'address'?: (string);
  'gateway'?: (string);
  'hostInterface'?: (string);
  'mtu'?: (number);
  'containerId'?: (string);
  'attachedAt'?: (_google_protobuf_Timestamp | null);
  'state'?: (_tunctl_v1_Container_State);
}

export interface Container__Output {
  'netns': (string);
  'ifname': (string);
  'address': (string);
  'gateway': (string);
  'hostInterface': (string);
  'mtu': (number);
  'containerId': (string);
  'attachedAt': (_google_protobuf_Timestamp__Output | null);
  'state': (_tunctl_v1_Container_State__Output);
}
