// Original file: proto/tunctl/v1/tunctl.proto


export interface AttachRequest {
  'netns'?: (string);
  'address'?: (string);
  'ifname'?: (string);
  'containerId'?: (string);
}

export interface AttachRequest__Output {
  'netns': (string);
  'address': (string);
  'ifname': (string);
  'containerId': (string);
}
