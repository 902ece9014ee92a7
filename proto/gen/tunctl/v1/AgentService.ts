// Original file: proto/tunctl/v1/tunctl.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { JoinRequest as _tunctl_v1_JoinRequest, JoinRequest__Output as _tunctl_v1_JoinRequest__Output } from '../../tunctl/v1/JoinRequest';
import type { JoinResponse as _tunctl_v1_JoinResponse, JoinResponse__Output as _tunctl_v1_JoinResponse__Output } from '../../tunctl/v1/JoinResponse';
import type { RegisterRequest as _tunctl_v1_RegisterRequest, RegisterRequest__Output as _tunctl_v1_RegisterRequest__Output } from '../../tunctl/v1/RegisterRequest';
import type { RegisterResponse as _tunctl_v1_RegisterResponse, RegisterResponse__Output as _tunctl_v1_RegisterResponse__Output } from '../../tunctl/v1/RegisterResponse';
import type { RenewCertificateRequest as _tunctl_v1_RenewCertificateRequest, RenewCertificateRequest__Output as _tunctl_v1_RenewCertificateRequest__Output } from '../../tunctl/v1/RenewCertificateRequest';
import type { ReportAddressUsageRequest as _tunctl_v1_ReportAddressUsageRequest, ReportAddressUsageRequest__Output as _tunctl_v1_ReportAddressUsageRequest__Output } from '../../tunctl/v1/ReportAddressUsageRequest';
import type { ReportAddressUsageResponse as _tunctl_v1_ReportAddressUsageResponse, ReportAddressUsageResponse__Output as _tunctl_v1_ReportAddressUsageResponse__Output } from '../../tunctl/v1/ReportAddressUsageResponse';
import type { WatchRequest as _tunctl_v1_WatchRequest, WatchRequest__Output as _tunctl_v1_WatchRequest__Output } from '../../tunctl/v1/WatchRequest';
import type { WatchResponse as _tunctl_v1_WatchResponse, WatchResponse__Output as _tunctl_v1_WatchResponse__Output } from '../../tunctl/v1/WatchResponse';

export interface AgentServiceClient extends grpc.Client {
  Join(argument: _tunctl_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _tunctl_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _tunctl_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _tunctl_v1_JoinRequest, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _tunctl_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _tunctl_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _tunctl_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _tunctl_v1_JoinRequest, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  Register(argument: _tunctl_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _tunctl_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _tunctl_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _tunctl_v1_RegisterRequest, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _tunctl_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _tunctl_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _tunctl_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _tunctl_v1_RegisterRequest, callback: grpc.requestCallback<_tunctl_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  RenewCertificate(argument: _tunctl_v1_RenewCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  RenewCertificate(argument: _tunctl_v1_RenewCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  RenewCertificate(argument: _tunctl_v1_RenewCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  RenewCertificate(argument: _tunctl_v1_RenewCertificateRequest, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _tunctl_v1_RenewCertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _tunctl_v1_RenewCertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _tunctl_v1_RenewCertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  renewCertificate(argument: _tunctl_v1_RenewCertificateRequest, callback: grpc.requestCallback<_tunctl_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
  ReportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  ReportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  ReportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  ReportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  reportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  reportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  reportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  reportAddressUsage(argument: _tunctl_v1_ReportAddressUsageRequest, callback: grpc.requestCallback<_tunctl_v1_ReportAddressUsageResponse__Output>): grpc.ClientUnaryCall;
  
  Watch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_tunctl_v1_WatchRequest, _tunctl_v1_WatchResponse__Output>;
  Watch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_tunctl_v1_WatchRequest, _tunctl_v1_WatchResponse__Output>;
  watch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_tunctl_v1_WatchRequest, _tunctl_v1_WatchResponse__Output>;
  watch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_tunctl_v1_WatchRequest, _tunctl_v1_WatchResponse__Output>;
  
}

export interface AgentServiceHandlers extends grpc.UntypedServiceImplementation {
  Join: grpc.handleUnaryCall<_tunctl_v1_JoinRequest__Output, _tunctl_v1_JoinResponse>;
  
  Register: grpc.handleUnaryCall<_tunctl_v1_RegisterRequest__Output, _tunctl_v1_RegisterResponse>;
  
  RenewCertificate: grpc.handleUnaryCall<_tunctl_v1_RenewCertificateRequest__Output, _tunctl_v1_JoinResponse>;
  
  ReportAddressUsage: grpc.handleUnaryCall<_tunctl_v1_ReportAddressUsageRequest__Output, _tunctl_v1_ReportAddressUsageResponse>;
  
  Watch: grpc.handleBidiStreamingCall<_tunctl_v1_WatchRequest__Output, _tunctl_v1_WatchResponse>;
  
}

export interface AgentServiceDefinition extends grpc.ServiceDefinition {
  Join: MethodDefinition<_tunctl_v1_JoinRequest, _tunctl_v1_JoinResponse, _tunctl_v1_JoinRequest__Output, _tunctl_v1_JoinResponse__Output>
  Register: MethodDefinition<_tunctl_v1_RegisterRequest, _tunctl_v1_RegisterResponse, _tunctl_v1_RegisterRequest__Output, _tunctl_v1_RegisterResponse__Output>
  RenewCertificate: MethodDefinition<_tunctl_v1_RenewCertificateRequest, _tunctl_v1_JoinResponse, _tunctl_v1_RenewCertificateRequest__Output, _tunctl_v1_JoinResponse__Output>
  ReportAddressUsage: MethodDefinition<_tunctl_v1_ReportAddressUsageRequest, _tunctl_v1_ReportAddressUsageResponse, _tunctl_v1_ReportAddressUsageRequest__Output, _tunctl_v1_ReportAddressUsageResponse__Output>
  Watch: MethodDefinition<_tunctl_v1_WatchRequest, _tunctl_v1_WatchResponse, _tunctl_v1_WatchRequest__Output, _tunctl_v1_WatchResponse__Output>
}
