// Original file: proto/tunctl/v1/tunctl.proto


export interface RegisterRequest {
  'nodeName'?: (string);
  'underlayIp'?: (string);
  'underlayMtu'?: (number);
  'agentVersion'?: (string);
}

export interface RegisterRequest__Output {
  'nodeName': (string);
  'underlayIp': (string);
  'underlayMtu': (number);
  'agentVersion': (string);
}
