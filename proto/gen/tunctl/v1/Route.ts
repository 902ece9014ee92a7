// Original file: proto/tunctl/v1/tunctl.proto


export interface Route {
  'subnet'?: (string);
  'underlayIp'?: (string);
  'nodeName'?: (string);
}

export interface Route__Output {
  'subnet': (string);
  'underlayIp': (string);
  'nodeName': (string);
}
