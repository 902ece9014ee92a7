// Original file: proto/tunctl/v1/tunctl.proto

import type { Container as _tunctl_v1_Container, Container__Output as _tunctl_v1_Container__Output } from '../../tunctl/v1/Container';

export interface ListContainersResponse {
  'containers'?: (_tunctl_v1_Container)[];
  'subnet'?: (string);
  'capacity'?: (number);
}

export interface ListContainersResponse__Output {
  'containers': (_tunctl_v1_Container__Output)[];
  'subnet': (string);
  'capacity': (number);
}
