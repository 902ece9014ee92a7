// Original file: proto/tunctl/v1/tunctl.proto


export interface ReleaseQuarantinedSubnetRequest {
  'subnet'?: (string);
}

export interface ReleaseQuarantinedSubnetRequest__Output {
  'subnet': (string);
}
