// Original file: proto/tunctl/v1/tunctl.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchAck {
  'appliedRevision'?: (number | string | Long);
  'failedRevision'?: (number | string | Long);
  'error'?: (string);
}

export interface WatchAck__Output {
  'appliedRevision': (number);
  'failedRevision': (number);
  'error': (string);
}
