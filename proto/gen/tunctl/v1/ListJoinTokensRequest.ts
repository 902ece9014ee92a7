// Original file: proto/tunctl/v1/tunctl.proto


export interface ListJoinTokensRequest {
  'nodeName'?: (string);
}

export interface ListJoinTokensRequest__Output {
  'nodeName': (string);
}
