// Original file: proto/tunctl/v1/tunctl.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchRequest {
  'nodeName'?: (string);
  'knownRevision'?: (number | string | Long);
}

export interface WatchRequest__Output {
  'nodeName': (string);
  'knownRevision': (number);
}
