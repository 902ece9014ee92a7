// Original file: proto/tunctl/v1/tunctl.proto


export interface CreateJoinTokenRequest {
  'nodeName'?: (string);
  'ttlSeconds'?: (number);
}

export interface CreateJoinTokenRequest__Output {
  'nodeName': (string);
  'ttlSeconds': (number);
}
