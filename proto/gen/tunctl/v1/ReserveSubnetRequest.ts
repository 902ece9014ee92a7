// Original file: proto/tunctl/v1/tunctl.proto


export interface ReserveSubnetRequest {
  'nodeName'?: (string);
  'subnet'?: (string);
}

export interface ReserveSubnetRequest__Output {
  'nodeName': (string);
  'subnet': (string);
}
