import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';
import type { AddNodeRequest as _tunctl_v1_AddNodeRequest, AddNodeRequest__Output as _tunctl_v1_AddNodeRequest__Output } from './tunctl/v1/AddNodeRequest';
import type { AddNodeResponse as _tunctl_v1_AddNodeResponse, AddNodeResponse__Output as _tunctl_v1_AddNodeResponse__Output } from './tunctl/v1/AddNodeResponse';
import type { AdminServiceClient as _tunctl_v1_AdminServiceClient, AdminServiceDefinition as _tunctl_v1_AdminServiceDefinition } from './tunctl/v1/AdminService';
import type { AgentServiceClient as _tunctl_v1_AgentServiceClient, AgentServiceDefinition as _tunctl_v1_AgentServiceDefinition } from './tunctl/v1/AgentService';
import type { GetNetworkRequest as _tunctl_v1_GetNetworkRequest, GetNetworkRequest__Output as _tunctl_v1_GetNetworkRequest__Output } from './tunctl/v1/GetNetworkRequest';
import type { GetNetworkResponse as _tunctl_v1_GetNetworkResponse, GetNetworkResponse__Output as _tunctl_v1_GetNetworkResponse__Output } from './tunctl/v1/GetNetworkResponse';
import type { GetNodeRequest as _tunctl_v1_GetNodeRequest, GetNodeRequest__Output as _tunctl_v1_GetNodeRequest__Output } from './tunctl/v1/GetNodeRequest';
import type { GetNodeResponse as _tunctl_v1_GetNodeResponse, GetNodeResponse__Output as _tunctl_v1_GetNodeResponse__Output } from './tunctl/v1/GetNodeResponse';
import type { ListNodesRequest as _tunctl_v1_ListNodesRequest, ListNodesRequest__Output as _tunctl_v1_ListNodesRequest__Output } from './tunctl/v1/ListNodesRequest';
import type { ListNodesResponse as _tunctl_v1_ListNodesResponse, ListNodesResponse__Output as _tunctl_v1_ListNodesResponse__Output } from './tunctl/v1/ListNodesResponse';
import type { ListRoutesRequest as _tunctl_v1_ListRoutesRequest, ListRoutesRequest__Output as _tunctl_v1_ListRoutesRequest__Output } from './tunctl/v1/ListRoutesRequest';
import type { ListRoutesResponse as _tunctl_v1_ListRoutesResponse, ListRoutesResponse__Output as _tunctl_v1_ListRoutesResponse__Output } from './tunctl/v1/ListRoutesResponse';
import type { Network as _tunctl_v1_Network, Network__Output as _tunctl_v1_Network__Output } from './tunctl/v1/Network';
import type { Node as _tunctl_v1_Node, Node__Output as _tunctl_v1_Node__Output } from './tunctl/v1/Node';
import type { RegisterRequest as _tunctl_v1_RegisterRequest, RegisterRequest__Output as _tunctl_v1_RegisterRequest__Output } from './tunctl/v1/RegisterRequest';
import type { RegisterResponse as _tunctl_v1_RegisterResponse, RegisterResponse__Output as _tunctl_v1_RegisterResponse__Output } from './tunctl/v1/RegisterResponse';
import type { RemoveNodeRequest as _tunctl_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _tunctl_v1_RemoveNodeRequest__Output } from './tunctl/v1/RemoveNodeRequest';
import type { RemoveNodeResponse as _tunctl_v1_RemoveNodeResponse, RemoveNodeResponse__Output as _tunctl_v1_RemoveNodeResponse__Output } from './tunctl/v1/RemoveNodeResponse';
import type { Route as _tunctl_v1_Route, Route__Output as _tunctl_v1_Route__Output } from './tunctl/v1/Route';
import type { RouteChange as _tunctl_v1_RouteChange, RouteChange__Output as _tunctl_v1_RouteChange__Output } from './tunctl/v1/RouteChange';
import type { WatchRequest as _tunctl_v1_WatchRequest, WatchRequest__Output as _tunctl_v1_WatchRequest__Output } from './tunctl/v1/WatchRequest';
import type { WatchResponse as _tunctl_v1_WatchResponse, WatchResponse__Output as _tunctl_v1_WatchResponse__Output } from './tunctl/v1/WatchResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  tunctl: {
    v1: {
      AddNodeRequest: MessageTypeDefinition<_tunctl_v1_AddNodeRequest, _tunctl_v1_AddNodeRequest__Output>
      AddNodeResponse: MessageTypeDefinition<_tunctl_v1_AddNodeResponse, _tunctl_v1_AddNodeResponse__Output>
      AdminService: SubtypeConstructor<typeof grpc.Client, _tunctl_v1_AdminServiceClient> & { service: _tunctl_v1_AdminServiceDefinition }
      AgentService: SubtypeConstructor<typeof grpc.Client, _tunctl_v1_AgentServiceClient> & { service: _tunctl_v1_AgentServiceDefinition }
      GetNetworkRequest: MessageTypeDefinition<_tunctl_v1_GetNetworkRequest, _tunctl_v1_GetNetworkRequest__Output>
      GetNetworkResponse: MessageTypeDefinition<_tunctl_v1_GetNetworkResponse, _tunctl_v1_GetNetworkResponse__Output>
      GetNodeRequest: MessageTypeDefinition<_tunctl_v1_GetNodeRequest, _tunctl_v1_GetNodeRequest__Output>
      GetNodeResponse: MessageTypeDefinition<_tunctl_v1_GetNodeResponse, _tunctl_v1_GetNodeResponse__Output>
      ListNodesRequest: MessageTypeDefinition<_tunctl_v1_ListNodesRequest, _tunctl_v1_ListNodesRequest__Output>
      ListNodesResponse: MessageTypeDefinition<_tunctl_v1_ListNodesResponse, _tunctl_v1_ListNodesResponse__Output>
      ListRoutesRequest: MessageTypeDefinition<_tunctl_v1_ListRoutesRequest, _tunctl_v1_ListRoutesRequest__Output>
      ListRoutesResponse: MessageTypeDefinition<_tunctl_v1_ListRoutesResponse, _tunctl_v1_ListRoutesResponse__Output>
      Network: MessageTypeDefinition<_tunctl_v1_Network, _tunctl_v1_Network__Output>
      Node: MessageTypeDefinition<_tunctl_v1_Node, _tunctl_v1_Node__Output>
      RegisterRequest: MessageTypeDefinition<_tunctl_v1_RegisterRequest, _tunctl_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_tunctl_v1_RegisterResponse, _tunctl_v1_RegisterResponse__Output>
      RemoveNodeRequest: MessageTypeDefinition<_tunctl_v1_RemoveNodeRequest, _tunctl_v1_RemoveNodeRequest__Output>
      RemoveNodeResponse: MessageTypeDefinition<_tunctl_v1_RemoveNodeResponse, _tunctl_v1_RemoveNodeResponse__Output>
      Route: MessageTypeDefinition<_tunctl_v1_Route, _tunctl_v1_Route__Output>
      RouteChange: MessageTypeDefinition<_tunctl_v1_RouteChange, _tunctl_v1_RouteChange__Output>
      WatchRequest: MessageTypeDefinition<_tunctl_v1_WatchRequest, _tunctl_v1_WatchRequest__Output>
      WatchResponse: MessageTypeDefinition<_tunctl_v1_WatchResponse, _tunctl_v1_WatchResponse__Output>
    }
  }
}

