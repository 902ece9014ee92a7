// Original file: proto/tunctl/v1/tunctl.proto


export interface RenewCertificateRequest {
  'publicKey'?: (Buffer | Uint8Array | string);
  'proof'?: (Buffer | Uint8Array | string);
}

export interface RenewCertificateRequest__Output {
  'publicKey': (Buffer);
  'proof': (Buffer);
}
