// Original file: proto/tunctl/v1/tunctl.proto

import type { Route as _tunctl_v1_Route, Route__Output as _tunctl_v1_Route__Output } from '../../tunctl/v1/Route';

// Original file: proto/tunctl/v1/tunctl.proto

export const _tunctl_v1_RouteChange_Op = {
  OP_UNSPECIFIED: 'OP_UNSPECIFIED',
  OP_ADD: 'OP_ADD',
  OP_REMOVE: 'OP_REMOVE',
} as const;

export type _tunctl_v1_RouteChange_Op =
  | 'OP_UNSPECIFIED'
  | 0
  | 'OP_ADD'
  | 1
  | 'OP_REMOVE'
  | 2

export type _tunctl_v1_RouteChange_Op__Output = typeof _tunctl_v1_RouteChange_Op[keyof typeof _tunctl_v1_RouteChange_Op]

export interface RouteChange {
  'op'?: (_tunctl_v1_RouteChange_Op);
  'route'?: (_tunctl_v1_Route | null);
}

export interface RouteChange__Output {
  'op': (_tunctl_v1_RouteChange_Op__Output);
  'route': (_tunctl_v1_Route__Output | null);
}
