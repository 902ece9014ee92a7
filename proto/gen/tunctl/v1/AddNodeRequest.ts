// Original file: proto/tunctl/v1/tunctl.proto


export interface AddNodeRequest {
  'name'?: (string);
  'underlayIp'?: (string);
  'subnet'?: (string);
  'joinTokenTtlSeconds'?: (number);
}

export interface AddNodeRequest__Output {
  'name': (string);
  'underlayIp': (string);
  'subnet': (string);
  'joinTokenTtlSeconds': (number);
}
