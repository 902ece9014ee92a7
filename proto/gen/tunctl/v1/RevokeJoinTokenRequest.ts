// Original file: proto/tunctl/v1/tunctl.proto


export interface RevokeJoinTokenRequest {
  'id'?: (string);
}

export interface RevokeJoinTokenRequest__Output {
  'id': (string);
}
