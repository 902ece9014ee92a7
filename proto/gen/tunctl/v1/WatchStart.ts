// Original file: proto/tunctl/v1/tunctl.proto

import type { RegisterRequest as _tunctl_v1_RegisterRequest, RegisterRequest__Output as _tunctl_v1_RegisterRequest__Output } from '../../tunctl/v1/RegisterRequest';
import type { Long } from '@grpc/proto-loader';

export interface WatchStart {
  'nodeName'?: (string);
  'knownRevision'?: (number | string | Long);
  'clusterId'?: (string);
  'acceptPacked'?: (boolean);
  'register'?: (_tunctl_v1_RegisterRequest | null);
}

export interface WatchStart__Output {
  'nodeName': (string);
  'knownRevision': (number);
  'clusterId': (string);
  'acceptPacked': (boolean);
  'register': (_tunctl_v1_RegisterRequest__Output | null);
}
