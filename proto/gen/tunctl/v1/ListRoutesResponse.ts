// Original file: proto/tunctl/v1/tunctl.proto

import type { Route as _tunctl_v1_Route, Route__Output as _tunctl_v1_Route__Output } from '../../tunctl/v1/Route';
import type { Long } from '@grpc/proto-loader';

export interface ListRoutesResponse {
  'routes'?: (_tunctl_v1_Route)[];
  'revision'?: (number | string | Long);
}

export interface ListRoutesResponse__Output {
  'routes': (_tunctl_v1_Route__Output)[];
  'revision': (number);
}
