// Original file: proto/tunctl/v1/tunctl.proto

import type { Long } from '@grpc/proto-loader';

export interface Traffic {
  'txPackets'?: (number | string | Long);
  'txBytes'?: (number | string | Long);
  'rxPackets'?: (number | string | Long);
  'rxBytes'?: (number | string | Long);
  'drops'?: ({[key: string]: number | string | Long});
}

export interface Traffic__Output {
  'txPackets': (number);
  'txBytes': (number);
  'rxPackets': (number);
  'rxBytes': (number);
  'drops': ({[key: string]: number});
}
