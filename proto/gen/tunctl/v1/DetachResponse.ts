// Original file: proto/tunctl/v1/tunctl.proto

import type { Container as _tunctl_v1_Container, Container__Output as _tunctl_v1_Container__Output } from '../../tunctl/v1/Container';

export interface DetachResponse {
  'container'?: (_tunctl_v1_Container | null);
}

export interface DetachResponse__Output {
  'container': (_tunctl_v1_Container__Output | null);
}
