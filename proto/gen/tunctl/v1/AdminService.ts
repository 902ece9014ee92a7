// Original file: proto/tunctl/v1/tunctl.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddNodeRequest as _tunctl_v1_AddNodeRequest, AddNodeRequest__Output as _tunctl_v1_AddNodeRequest__Output } from '../../tunctl/v1/AddNodeRequest';
import type { AddNodeResponse as _tunctl_v1_AddNodeResponse, AddNodeResponse__Output as _tunctl_v1_AddNodeResponse__Output } from '../../tunctl/v1/AddNodeResponse';
import type { GetNetworkRequest as _tunctl_v1_GetNetworkRequest, GetNetworkRequest__Output as _tunctl_v1_GetNetworkRequest__Output } from '../../tunctl/v1/GetNetworkRequest';
import type { GetNetworkResponse as _tunctl_v1_GetNetworkResponse, GetNetworkResponse__Output as _tunctl_v1_GetNetworkResponse__Output } from '../../tunctl/v1/GetNetworkResponse';
import type { GetNodeRequest as _tunctl_v1_GetNodeRequest, GetNodeRequest__Output as _tunctl_v1_GetNodeRequest__Output } from '../../tunctl/v1/GetNodeRequest';
import type { GetNodeResponse as _tunctl_v1_GetNodeResponse, GetNodeResponse__Output as _tunctl_v1_GetNodeResponse__Output } from '../../tunctl/v1/GetNodeResponse';
import type { ListNodesRequest as _tunctl_v1_ListNodesRequest, ListNodesRequest__Output as _tunctl_v1_ListNodesRequest__Output } from '../../tunctl/v1/ListNodesRequest';
import type { ListNodesResponse as _tunctl_v1_ListNodesResponse, ListNodesResponse__Output as _tunctl_v1_ListNodesResponse__Output } from '../../tunctl/v1/ListNodesResponse';
import type { ListRoutesRequest as _tunctl_v1_ListRoutesRequest, ListRoutesRequest__Output as _tunctl_v1_ListRoutesRequest__Output } from '../../tunctl/v1/ListRoutesRequest';
import type { ListRoutesResponse as _tunctl_v1_ListRoutesResponse, ListRoutesResponse__Output as _tunctl_v1_ListRoutesResponse__Output } from '../../tunctl/v1/ListRoutesResponse';
import type { RemoveNodeRequest as _tunctl_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _tunctl_v1_RemoveNodeRequest__Output } from '../../tunctl/v1/RemoveNodeRequest';
import type { RemoveNodeResponse as _tunctl_v1_RemoveNodeResponse, RemoveNodeResponse__Output as _tunctl_v1_RemoveNodeResponse__Output } from '../../tunctl/v1/RemoveNodeResponse';

export interface AdminServiceClient extends grpc.Client {
  AddNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _tunctl_v1_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _tunctl_v1_AddNodeRequest, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  
  GetNetwork(argument: _tunctl_v1_GetNetworkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  GetNetwork(argument: _tunctl_v1_GetNetworkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  GetNetwork(argument: _tunctl_v1_GetNetworkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  GetNetwork(argument: _tunctl_v1_GetNetworkRequest, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  getNetwork(argument: _tunctl_v1_GetNetworkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  getNetwork(argument: _tunctl_v1_GetNetworkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  getNetwork(argument: _tunctl_v1_GetNetworkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  getNetwork(argument: _tunctl_v1_GetNetworkRequest, callback: grpc.requestCallback<_tunctl_v1_GetNetworkResponse__Output>): grpc.ClientUnaryCall;
  
  GetNode(argument: _tunctl_v1_GetNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  GetNode(argument: _tunctl_v1_GetNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  GetNode(argument: _tunctl_v1_GetNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  GetNode(argument: _tunctl_v1_GetNodeRequest, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _tunctl_v1_GetNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _tunctl_v1_GetNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _tunctl_v1_GetNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  getNode(argument: _tunctl_v1_GetNodeRequest, callback: grpc.requestCallback<_tunctl_v1_GetNodeResponse__Output>): grpc.ClientUnaryCall;
  
  ListNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _tunctl_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _tunctl_v1_ListNodesRequest, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  AddNode: grpc.handleUnaryCall<_tunctl_v1_AddNodeRequest__Output, _tunctl_v1_AddNodeResponse>;
  
  GetNetwork: grpc.handleUnaryCall<_tunctl_v1_GetNetworkRequest__Output, _tunctl_v1_GetNetworkResponse>;
  
  GetNode: grpc.handleUnaryCall<_tunctl_v1_GetNodeRequest__Output, _tunctl_v1_GetNodeResponse>;
  
  ListNodes: grpc.handleUnaryCall<_tunctl_v1_ListNodesRequest__Output, _tunctl_v1_ListNodesResponse>;
  
  ListRoutes: grpc.handleUnaryCall<_tunctl_v1_ListRoutesRequest__Output, _tunctl_v1_ListRoutesResponse>;
  
  RemoveNode: grpc.handleUnaryCall<_tunctl_v1_RemoveNodeRequest__Output, _tunctl_v1_RemoveNodeResponse>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  AddNode: MethodDefinition<_tunctl_v1_AddNodeRequest, _tunctl_v1_AddNodeResponse, _tunctl_v1_AddNodeRequest__Output, _tunctl_v1_AddNodeResponse__Output>
  GetNetwork: MethodDefinition<_tunctl_v1_GetNetworkRequest, _tunctl_v1_GetNetworkResponse, _tunctl_v1_GetNetworkRequest__Output, _tunctl_v1_GetNetworkResponse__Output>
  GetNode: MethodDefinition<_tunctl_v1_GetNodeRequest, _tunctl_v1_GetNodeResponse, _tunctl_v1_GetNodeRequest__Output, _tunctl_v1_GetNodeResponse__Output>
  ListNodes: MethodDefinition<_tunctl_v1_ListNodesRequest, _tunctl_v1_ListNodesResponse, _tunctl_v1_ListNodesRequest__Output, _tunctl_v1_ListNodesResponse__Output>
  ListRoutes: MethodDefinition<_tunctl_v1_ListRoutesRequest, _tunctl_v1_ListRoutesResponse, _tunctl_v1_ListRoutesRequest__Output, _tunctl_v1_ListRoutesResponse__Output>
  RemoveNode: MethodDefinition<_tunctl_v1_RemoveNodeRequest, _tunctl_v1_RemoveNodeResponse, _tunctl_v1_RemoveNodeRequest__Output, _tunctl_v1_RemoveNodeResponse__Output>
}
