// Original file: proto/tunctl/v1/tunctl.proto


export interface GetNodeRequest {
  'name'?: (string);
}

export interface GetNodeRequest__Output {
  'name': (string);
}
