// Original file: proto/tunctl/v1/tunctl.proto


export interface RemoveNodeRequest {
  'name'?: (string);
}

export interface RemoveNodeRequest__Output {
  'name': (string);
}
