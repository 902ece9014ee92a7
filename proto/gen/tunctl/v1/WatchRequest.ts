// Original file: proto/tunctl/v1/tunctl.proto

import type { WatchStart as _tunctl_v1_WatchStart, WatchStart__Output as _tunctl_v1_WatchStart__Output } from '../../tunctl/v1/WatchStart';
import type { WatchAck as _tunctl_v1_WatchAck, WatchAck__Output as _tunctl_v1_WatchAck__Output } from '../../tunctl/v1/WatchAck';

export interface WatchRequest {
  'start'?: (_tunctl_v1_WatchStart | null);
  'ack'?: (_tunctl_v1_WatchAck | null);
  'request'?: "start"|"ack";
}

export interface WatchRequest__Output {
  'start'?: (_tunctl_v1_WatchStart__Output | null);
  'ack'?: (_tunctl_v1_WatchAck__Output | null);
  'request'?: "start"|"ack";
}
