// Original file: proto/tunctl/v1/tunctl.proto


export interface ListRoutesRequest {
  'nodeName'?: (string);
}

export interface ListRoutesRequest__Output {
  'nodeName': (string);
}
