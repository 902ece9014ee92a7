// Original file: proto/tunctl/v1/tunctl.proto

import type { Route as _tunctl_v1_Route, Route__Output as _tunctl_v1_Route__Output } from '../../tunctl/v1/Route';
import type { RouteChange as _tunctl_v1_RouteChange, RouteChange__Output as _tunctl_v1_RouteChange__Output } from '../../tunctl/v1/RouteChange';
import type { RegisterResponse as _tunctl_v1_RegisterResponse, RegisterResponse__Output as _tunctl_v1_RegisterResponse__Output } from '../../tunctl/v1/RegisterResponse';
import type { Long } from '@grpc/proto-loader';

// Original file: proto/tunctl/v1/tunctl.proto

export const _tunctl_v1_WatchResponse_Kind = {
  KIND_UNSPECIFIED: 'KIND_UNSPECIFIED',
  KIND_SNAPSHOT: 'KIND_SNAPSHOT',
  KIND_DELTA: 'KIND_DELTA',
  KIND_HEARTBEAT: 'KIND_HEARTBEAT',
  KIND_REGISTERED: 'KIND_REGISTERED',
} as const;

export type _tunctl_v1_WatchResponse_Kind =
  | 'KIND_UNSPECIFIED'
  | 0
  | 'KIND_SNAPSHOT'
  | 1
  | 'KIND_DELTA'
  | 2
  | 'KIND_HEARTBEAT'
  | 3
  | 'KIND_REGISTERED'
  | 4

export type _tunctl_v1_WatchResponse_Kind__Output = typeof _tunctl_v1_WatchResponse_Kind[keyof typeof _tunctl_v1_WatchResponse_Kind]

export interface WatchResponse {
  'kind'?: (_tunctl_v1_WatchResponse_Kind);
  'revision'?: (number | string | Long);
  'baseRevision'?: (number | string | Long);
  'routes'?: (_tunctl_v1_Route)[];
  'changes'?: (_tunctl_v1_RouteChange)[];
  'clusterId'?: (string);
  'packed'?: (Buffer | Uint8Array | string);
  'registration'?: (_tunctl_v1_RegisterResponse | null);
  'tableDigest'?: (string);
}

export interface WatchResponse__Output {
  'kind': (_tunctl_v1_WatchResponse_Kind__Output);
  'revision': (number);
  'baseRevision': (number);
  'routes': (_tunctl_v1_Route__Output)[];
  'changes': (_tunctl_v1_RouteChange__Output)[];
  'clusterId': (string);
  'packed': (Buffer);
  'registration': (_tunctl_v1_RegisterResponse__Output | null);
  'tableDigest': (string);
}
