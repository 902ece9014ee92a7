// Original file: proto/tunctl/v1/tunctl.proto


export interface DetachRequest {
  'netns'?: (string);
  'containerId'?: (string);
}

export interface DetachRequest__Output {
  'netns': (string);
  'containerId': (string);
}
