// Original file: proto/tunctl/v1/tunctl.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchStart {
  'nodeName'?: (string);
  'knownRevision'?: (number | string | Long);
  'clusterId'?: (string);
  'acceptPacked'?: (boolean);
}

export interface WatchStart__Output {
  'nodeName': (string);
  'knownRevision': (number);
  'clusterId': (string);
  'acceptPacked': (boolean);
}
