// Original file: proto/tunctl/v1/tunctl.proto

import type { QuarantinedSubnet as _tunctl_v1_QuarantinedSubnet, QuarantinedSubnet__Output as _tunctl_v1_QuarantinedSubnet__Output } from '../../tunctl/v1/QuarantinedSubnet';

export interface ReleaseQuarantinedSubnetResponse {
  'subnet'?: (_tunctl_v1_QuarantinedSubnet | null);
}

export interface ReleaseQuarantinedSubnetResponse__Output {
  'subnet': (_tunctl_v1_QuarantinedSubnet__Output | null);
}
