// Original file: proto/tunctl/v1/tunctl.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AttachRequest as _tunctl_v1_AttachRequest, AttachRequest__Output as _tunctl_v1_AttachRequest__Output } from '../../tunctl/v1/AttachRequest';
import type { AttachResponse as _tunctl_v1_AttachResponse, AttachResponse__Output as _tunctl_v1_AttachResponse__Output } from '../../tunctl/v1/AttachResponse';
import type { DetachRequest as _tunctl_v1_DetachRequest, DetachRequest__Output as _tunctl_v1_DetachRequest__Output } from '../../tunctl/v1/DetachRequest';
import type { DetachResponse as _tunctl_v1_DetachResponse, DetachResponse__Output as _tunctl_v1_DetachResponse__Output } from '../../tunctl/v1/DetachResponse';
import type { GetStatusRequest as _tunctl_v1_GetStatusRequest, GetStatusRequest__Output as _tunctl_v1_GetStatusRequest__Output } from '../../tunctl/v1/GetStatusRequest';
import type { GetStatusResponse as _tunctl_v1_GetStatusResponse, GetStatusResponse__Output as _tunctl_v1_GetStatusResponse__Output } from '../../tunctl/v1/GetStatusResponse';
import type { ListContainersRequest as _tunctl_v1_ListContainersRequest, ListContainersRequest__Output as _tunctl_v1_ListContainersRequest__Output } from '../../tunctl/v1/ListContainersRequest';
import type { ListContainersResponse as _tunctl_v1_ListContainersResponse, ListContainersResponse__Output as _tunctl_v1_ListContainersResponse__Output } from '../../tunctl/v1/ListContainersResponse';

export interface AgentLocalServiceClient extends grpc.Client {
  Attach(argument: _tunctl_v1_AttachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  Attach(argument: _tunctl_v1_AttachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  Attach(argument: _tunctl_v1_AttachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  Attach(argument: _tunctl_v1_AttachRequest, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  attach(argument: _tunctl_v1_AttachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  attach(argument: _tunctl_v1_AttachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  attach(argument: _tunctl_v1_AttachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  attach(argument: _tunctl_v1_AttachRequest, callback: grpc.requestCallback<_tunctl_v1_AttachResponse__Output>): grpc.ClientUnaryCall;
  
  Detach(argument: _tunctl_v1_DetachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  Detach(argument: _tunctl_v1_DetachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  Detach(argument: _tunctl_v1_DetachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  Detach(argument: _tunctl_v1_DetachRequest, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  detach(argument: _tunctl_v1_DetachRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  detach(argument: _tunctl_v1_DetachRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  detach(argument: _tunctl_v1_DetachRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  detach(argument: _tunctl_v1_DetachRequest, callback: grpc.requestCallback<_tunctl_v1_DetachResponse__Output>): grpc.ClientUnaryCall;
  
  GetStatus(argument: _tunctl_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _tunctl_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _tunctl_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _tunctl_v1_GetStatusRequest, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _tunctl_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _tunctl_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _tunctl_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _tunctl_v1_GetStatusRequest, callback: grpc.requestCallback<_tunctl_v1_GetStatusResponse__Output>): grpc.ClientUnaryCall;
  
  ListContainers(argument: _tunctl_v1_ListContainersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  ListContainers(argument: _tunctl_v1_ListContainersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  ListContainers(argument: _tunctl_v1_ListContainersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  ListContainers(argument: _tunctl_v1_ListContainersRequest, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  listContainers(argument: _tunctl_v1_ListContainersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  listContainers(argument: _tunctl_v1_ListContainersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  listContainers(argument: _tunctl_v1_ListContainersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  listContainers(argument: _tunctl_v1_ListContainersRequest, callback: grpc.requestCallback<_tunctl_v1_ListContainersResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AgentLocalServiceHandlers extends grpc.UntypedServiceImplementation {
  Attach: grpc.handleUnaryCall<_tunctl_v1_AttachRequest__Output, _tunctl_v1_AttachResponse>;
  
  Detach: grpc.handleUnaryCall<_tunctl_v1_DetachRequest__Output, _tunctl_v1_DetachResponse>;
  
  GetStatus: grpc.handleUnaryCall<_tunctl_v1_GetStatusRequest__Output, _tunctl_v1_GetStatusResponse>;
  
  ListContainers: grpc.handleUnaryCall<_tunctl_v1_ListContainersRequest__Output, _tunctl_v1_ListContainersResponse>;
  
}

export interface AgentLocalServiceDefinition extends grpc.ServiceDefinition {
  Attach: MethodDefinition<_tunctl_v1_AttachRequest, _tunctl_v1_AttachResponse, _tunctl_v1_AttachRequest__Output, _tunctl_v1_AttachResponse__Output>
  Detach: MethodDefinition<_tunctl_v1_DetachRequest, _tunctl_v1_DetachResponse, _tunctl_v1_DetachRequest__Output, _tunctl_v1_DetachResponse__Output>
  GetStatus: MethodDefinition<_tunctl_v1_GetStatusRequest, _tunctl_v1_GetStatusResponse, _tunctl_v1_GetStatusRequest__Output, _tunctl_v1_GetStatusResponse__Output>
  ListContainers: MethodDefinition<_tunctl_v1_ListContainersRequest, _tunctl_v1_ListContainersResponse, _tunctl_v1_ListContainersRequest__Output, _tunctl_v1_ListContainersResponse__Output>
}
