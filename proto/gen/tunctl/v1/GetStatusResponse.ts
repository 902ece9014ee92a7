// Original file: proto/tunctl/v1/tunctl.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';
import type { ControllerConnection as _tunctl_v1_ControllerConnection, ControllerConnection__Output as _tunctl_v1_ControllerConnection__Output } from '../../tunctl/v1/ControllerConnection';
import type { DataPathStatus as _tunctl_v1_DataPathStatus, DataPathStatus__Output as _tunctl_v1_DataPathStatus__Output } from '../../tunctl/v1/DataPathStatus';
import type { RouteSyncStatus as _tunctl_v1_RouteSyncStatus, RouteSyncStatus__Output as _tunctl_v1_RouteSyncStatus__Output } from '../../tunctl/v1/RouteSyncStatus';
import type { Traffic as _tunctl_v1_Traffic, Traffic__Output as _tunctl_v1_Traffic__Output } from '../../tunctl/v1/Traffic';
import type { PeerStatus as _tunctl_v1_PeerStatus, PeerStatus__Output as _tunctl_v1_PeerStatus__Output } from '../../tunctl/v1/PeerStatus';
import type { Long } from '@grpc/proto-loader';

export interface GetStatusResponse {
  'nodeName'?: (string);
  'agentVersion'?: (string);
  'startedAt'?: (_google_protobuf_Timestamp | null);
  'subnet'?: (string);
  'network'?: (string);
  'underlayIp'?: (string);
  'udpPort'?: (number);
  'underlayMtu'?: (number);
  'tunName'?: (string);
  'tunMtu'?: (number);
  'controller'?: (_tunctl_v1_ControllerConnection | null);
  'revision'?: (number | string | Long);
  'clusterId'?: (string);
  'dataPath'?: (_tunctl_v1_DataPathStatus | null);
  'routes'?: (_tunctl_v1_RouteSyncStatus | null);
  'totals'?: (_tunctl_v1_Traffic | null);
  'peers'?: (_tunctl_v1_PeerStatus)[];
  'containersLeased'?: (number);
  'containersCapacity'?: (number);
}

export interface GetStatusResponse__Output {
  'nodeName': (string);
  'agentVersion': (string);
  'startedAt': (_google_protobuf_Timestamp__Output | null);
  'subnet': (string);
  'network': (string);
  'underlayIp': (string);
  'udpPort': (number);
  'underlayMtu': (number);
  'tunName': (string);
  'tunMtu': (number);
  'controller': (_tunctl_v1_ControllerConnection__Output | null);
  'revision': (number);
  'clusterId': (string);
  'dataPath': (_tunctl_v1_DataPathStatus__Output | null);
  'routes': (_tunctl_v1_RouteSyncStatus__Output | null);
  'totals': (_tunctl_v1_Traffic__Output | null);
  'peers': (_tunctl_v1_PeerStatus__Output)[];
  'containersLeased': (number);
  'containersCapacity': (number);
}
