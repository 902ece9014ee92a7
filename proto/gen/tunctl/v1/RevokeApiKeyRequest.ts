// Original file: proto/tunctl/v1/tunctl.proto


export interface RevokeApiKeyRequest {
  'id'?: (string);
}

export interface RevokeApiKeyRequest__Output {
  'id': (string);
}
