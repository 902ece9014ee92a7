// Original file: proto/tunctl/v1/tunctl.proto


export interface JoinRequest {
  'joinToken'?: (string);
  'publicKey'?: (Buffer | Uint8Array | string);
  'proof'?: (Buffer | Uint8Array | string);
  'nodeName'?: (string);
}

export interface JoinRequest__Output {
  'joinToken': (string);
  'publicKey': (Buffer);
  'proof': (Buffer);
  'nodeName': (string);
}
