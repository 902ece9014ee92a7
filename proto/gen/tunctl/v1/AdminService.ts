// Original file: proto/tunctl/v1/tunctl.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddNodeRequest as _tunctl_v1_AddNodeRequest, AddNodeRequest__Output as _tunctl_v1_AddNodeRequest__Output } from '../../tunctl/v1/AddNodeRequest';
import type { AddNodeResponse as _tunctl_v1_AddNodeResponse, AddNodeResponse__Output as _tunctl_v1_AddNodeResponse__Output } from '../../tunctl/v1/AddNodeResponse';
import type { CreateApiKeyRequest as _tunctl_v1_CreateApiKeyRequest, CreateApiKeyRequest__Output as _tunctl_v1_CreateApiKeyRequest__Output } from '../../tunctl/v1/CreateApiKeyRequest';
import type { CreateApiKeyResponse as _tunctl_v1_CreateApiKeyResponse, CreateApiKeyResponse__Output as _tunctl_v1_CreateApiKeyResponse__Output } from '../../tunctl/v1/CreateApiKeyResponse';
import type { CreateJoinTokenRequest as _tunctl_v1_CreateJoinTokenRequest, CreateJoinTokenRequest__Output as _tunctl_v1_CreateJoinTokenRequest__Output } from '../../tunctl/v1/CreateJoinTokenRequest';
import type { CreateJoinTokenResponse as _tunctl_v1_CreateJoinTokenResponse, CreateJoinTokenResponse__Output as _tunctl_v1_CreateJoinTokenResponse__Output } from '../../tunctl/v1/CreateJoinTokenResponse';
import type { DeleteReservationRequest as _tunctl_v1_DeleteReservationRequest, DeleteReservationRequest__Output as _tunctl_v1_DeleteReservationRequest__Output } from '../../tunctl/v1/DeleteReservationRequest';
import type { DeleteReservationResponse as _tunctl_v1_DeleteReservationResponse, DeleteReservationResponse__Output as _tunctl_v1_DeleteReservationResponse__Output } from '../../tunctl/v1/DeleteReservationResponse';
import type { GetNetworkRequest as _tunctl_v1_GetNetworkRequest, GetNetworkRequest__Output as _tunctl_v1_GetNetworkRequest__Output } from '../../tunctl/v1/GetNetworkRequest';
import type { GetNetworkResponse as _tunctl_v1_GetNetworkResponse, GetNetworkResponse__Output as _tunctl_v1_GetNetworkResponse__Output } from '../../tunctl/v1/GetNetworkResponse';
import type { GetNodeRequest as _tunctl_v1_GetNodeRequest, GetNodeRequest__Output as _tunctl_v1_GetNodeRequest__Output } from '../../tunctl/v1/GetNodeRequest';
import type { GetNodeResponse as _tunctl_v1_GetNodeResponse, GetNodeResponse__Output as _tunctl_v1_GetNodeResponse__Output } from '../../tunctl/v1/GetNodeResponse';
import type { ListApiKeysRequest as _tunctl_v1_ListApiKeysRequest, ListApiKeysRequest__Output as _tunctl_v1_ListApiKeysRequest__Output } from '../../tunctl/v1/ListApiKeysRequest';
import type { ListApiKeysResponse as _tunctl_v1_ListApiKeysResponse, ListApiKeysResponse__Output as _tunctl_v1_ListApiKeysResponse__Output } from '../../tunctl/v1/ListApiKeysResponse';
import type { ListAuditEventsRequest as _tunctl_v1_ListAuditEventsRequest, ListAuditEventsRequest__Output as _tunctl_v1_ListAuditEventsRequest__Output } from '../../tunctl/v1/ListAuditEventsRequest';
import type { ListAuditEventsResponse as _tunctl_v1_ListAuditEventsResponse, ListAuditEventsResponse__Output as _tunctl_v1_ListAuditEventsResponse__Output } from '../../tunctl/v1/ListAuditEventsResponse';
import type { ListJoinTokensRequest as _tunctl_v1_ListJoinTokensRequest, ListJoinTokensRequest__Output as _tunctl_v1_ListJoinTokensRequest__Output } from '../../tunctl/v1/ListJoinTokensRequest';
import type { ListJoinTokensResponse as _tunctl_v1_ListJoinTokensResponse, ListJoinTokensResponse__Output as _tunctl_v1_ListJoinTokensResponse__Output } from '../../tunctl/v1/ListJoinTokensResponse';
import type { ListNodesRequest as _tunctl_v1_ListNodesRequest, ListNodesRequest__Output as _tunctl_v1_ListNodesRequest__Output } from '../../tunctl/v1/ListNodesRequest';
import type { ListNodesResponse as _tunctl_v1_ListNodesResponse, ListNodesResponse__Output as _tunctl_v1_ListNodesResponse__Output } from '../../tunctl/v1/ListNodesResponse';
import type { ListQuarantinedSubnetsRequest as _tunctl_v1_ListQuarantinedSubnetsRequest, ListQuarantinedSubnetsRequest__Output as _tunctl_v1_ListQuarantinedSubnetsRequest__Output } from '../../tunctl/v1/ListQuarantinedSubnetsRequest';
import type { ListQuarantinedSubnetsResponse as _tunctl_v1_ListQuarantinedSubnetsResponse, ListQuarantinedSubnetsResponse__Output as _tunctl_v1_ListQuarantinedSubnetsResponse__Output } from '../../tunctl/v1/ListQuarantinedSubnetsResponse';
import type { ListReservationsRequest as _tunctl_v1_ListReservationsRequest, ListReservationsRequest__Output as _tunctl_v1_ListReservationsRequest__Output } from '../../tunctl/v1/ListReservationsRequest';
import type { ListReservationsResponse as _tunctl_v1_ListReservationsResponse, ListReservationsResponse__Output as _tunctl_v1_ListReservationsResponse__Output } from '../../tunctl/v1/ListReservationsResponse';
import type { ListRoutesRequest as _tunctl_v1_ListRoutesRequest, ListRoutesRequest__Output as _tunctl_v1_ListRoutesRequest__Output } from '../../tunctl/v1/ListRoutesRequest';
import type { ListRoutesResponse as _tunctl_v1_ListRoutesResponse, ListRoutesResponse__Output as _tunctl_v1_ListRoutesResponse__Output } from '../../tunctl/v1/ListRoutesResponse';
import type { ReleaseQuarantinedSubnetRequest as _tunctl_v1_ReleaseQuarantinedSubnetRequest, ReleaseQuarantinedSubnetRequest__Output as _tunctl_v1_ReleaseQuarantinedSubnetRequest__Output } from '../../tunctl/v1/ReleaseQuarantinedSubnetRequest';
import type { ReleaseQuarantinedSubnetResponse as _tunctl_v1_ReleaseQuarantinedSubnetResponse, ReleaseQuarantinedSubnetResponse__Output as _tunctl_v1_ReleaseQuarantinedSubnetResponse__Output } from '../../tunctl/v1/ReleaseQuarantinedSubnetResponse';
import type { RemoveNodeRequest as _tunctl_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _tunctl_v1_RemoveNodeRequest__Output } from '../../tunctl/v1/RemoveNodeRequest';
import type { RemoveNodeResponse as _tunctl_v1_RemoveNodeResponse, RemoveNodeResponse__Output as _tunctl_v1_RemoveNodeResponse__Output } from '../../tunctl/v1/RemoveNodeResponse';
import type { ReserveSubnetRequest as _tunctl_v1_ReserveSubnetRequest, ReserveSubnetRequest__Output as _tunctl_v1_ReserveSubnetRequest__Output } from '../../tunctl/v1/ReserveSubnetRequest';
import type { ReserveSubnetResponse as _tunctl_v1_ReserveSubnetResponse, ReserveSubnetResponse__Output as _tunctl_v1_ReserveSubnetResponse__Output } from '../../tunctl/v1/ReserveSubnetResponse';
import type { RevokeApiKeyRequest as _tunctl_v1_RevokeApiKeyRequest, RevokeApiKeyRequest__Output as _tunctl_v1_RevokeApiKeyRequest__Output } from '../../tunctl/v1/RevokeApiKeyRequest';
import type { RevokeApiKeyResponse as _tunctl_v1_RevokeApiKeyResponse, RevokeApiKeyResponse__Output as _tunctl_v1_RevokeApiKeyResponse__Output } from '../../tunctl/v1/RevokeApiKeyResponse';
import type { RevokeJoinTokenRequest as _tunctl_v1_RevokeJoinTokenRequest, RevokeJoinTokenRequest__Output as _tunctl_v1_RevokeJoinTokenRequest__Output } from '../../tunctl/v1/RevokeJoinTokenRequest';
import type { RevokeJoinTokenResponse as _tunctl_v1_RevokeJoinTokenResponse, RevokeJoinTokenResponse__Output as _tunctl_v1_RevokeJoinTokenResponse__Output } from '../../tunctl/v1/RevokeJoinTokenResponse';

export interface AdminServiceClient extends grpc.Client {
  AddNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _tunctl_v1_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  AddNode(argument: _tunctl_v1_AddNodeRequest, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  addNode(argument: _tunctl_v1_AddNodeRequest, callback: grpc.requestCallback<_tunctl_v1_AddNodeResponse__Output>): grpc.ClientUnaryCall;
  
  CreateApiKey(argument: _tunctl_v1_CreateApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  CreateApiKey(argument: _tunctl_v1_CreateApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  CreateApiKey(argument: _tunctl_v1_CreateApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  CreateApiKey(argument: _tunctl_v1_CreateApiKeyRequest, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  createApiKey(argument: _tunctl_v1_CreateApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  createApiKey(argument: _tunctl_v1_CreateApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  createApiKey(argument: _tunctl_v1_CreateApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  createApiKey(argument: _tunctl_v1_CreateApiKeyRequest, callback: grpc.requestCallback<_tunctl_v1_CreateApiKeyResponse__Output>): grpc.ClientUnaryCall;
  
  CreateJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _tunctl_v1_CreateJoinTokenRequest, callback: grpc.requestCallback<_tunctl_v1_CreateJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteReservation(argument: _tunctl_v1_DeleteReservationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  DeleteReservation(argument: _tunctl_v1_DeleteReservationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  DeleteReservation(argument: _tunctl_v1_DeleteReservationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  DeleteReservation(argument: _tunctl_v1_DeleteReservationRequest, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  deleteReservation(argument: _tunctl_v1_DeleteReservationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  deleteReservation(argument: _tunctl_v1_DeleteReservationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  deleteReservation(argument: _tunctl_v1_DeleteReservationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  deleteReservation(argument: _tunctl_v1_DeleteReservationRequest, callback: grpc.requestCallback<_tunctl_v1_DeleteReservationResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  ListApiKeys(argument: _tunctl_v1_ListApiKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  ListApiKeys(argument: _tunctl_v1_ListApiKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  ListApiKeys(argument: _tunctl_v1_ListApiKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  ListApiKeys(argument: _tunctl_v1_ListApiKeysRequest, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _tunctl_v1_ListApiKeysRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _tunctl_v1_ListApiKeysRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _tunctl_v1_ListApiKeysRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  listApiKeys(argument: _tunctl_v1_ListApiKeysRequest, callback: grpc.requestCallback<_tunctl_v1_ListApiKeysResponse__Output>): grpc.ClientUnaryCall;
  
  ListAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  ListAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  ListAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  ListAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  listAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  listAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  listAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  listAuditEvents(argument: _tunctl_v1_ListAuditEventsRequest, callback: grpc.requestCallback<_tunctl_v1_ListAuditEventsResponse__Output>): grpc.ClientUnaryCall;
  
  ListJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  ListJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  ListJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  ListJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  listJoinTokens(argument: _tunctl_v1_ListJoinTokensRequest, callback: grpc.requestCallback<_tunctl_v1_ListJoinTokensResponse__Output>): grpc.ClientUnaryCall;
  
  ListNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _tunctl_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _tunctl_v1_ListNodesRequest, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _tunctl_v1_ListNodesRequest, callback: grpc.requestCallback<_tunctl_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  
  ListQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  ListQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  ListQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  ListQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  listQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  listQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  listQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  listQuarantinedSubnets(argument: _tunctl_v1_ListQuarantinedSubnetsRequest, callback: grpc.requestCallback<_tunctl_v1_ListQuarantinedSubnetsResponse__Output>): grpc.ClientUnaryCall;
  
  ListReservations(argument: _tunctl_v1_ListReservationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  ListReservations(argument: _tunctl_v1_ListReservationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  ListReservations(argument: _tunctl_v1_ListReservationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  ListReservations(argument: _tunctl_v1_ListReservationsRequest, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  listReservations(argument: _tunctl_v1_ListReservationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  listReservations(argument: _tunctl_v1_ListReservationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  listReservations(argument: _tunctl_v1_ListReservationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  listReservations(argument: _tunctl_v1_ListReservationsRequest, callback: grpc.requestCallback<_tunctl_v1_ListReservationsResponse__Output>): grpc.ClientUnaryCall;
  
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  ListRoutes(argument: _tunctl_v1_ListRoutesRequest, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  listRoutes(argument: _tunctl_v1_ListRoutesRequest, callback: grpc.requestCallback<_tunctl_v1_ListRoutesResponse__Output>): grpc.ClientUnaryCall;
  
  ReleaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  ReleaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  ReleaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  ReleaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  releaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  releaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  releaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  releaseQuarantinedSubnet(argument: _tunctl_v1_ReleaseQuarantinedSubnetRequest, callback: grpc.requestCallback<_tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  RemoveNode(argument: _tunctl_v1_RemoveNodeRequest, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  removeNode(argument: _tunctl_v1_RemoveNodeRequest, callback: grpc.requestCallback<_tunctl_v1_RemoveNodeResponse__Output>): grpc.ClientUnaryCall;
  
  ReserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  ReserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  ReserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  ReserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  reserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  reserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  reserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  reserveSubnet(argument: _tunctl_v1_ReserveSubnetRequest, callback: grpc.requestCallback<_tunctl_v1_ReserveSubnetResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  RevokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  RevokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  RevokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  revokeApiKey(argument: _tunctl_v1_RevokeApiKeyRequest, callback: grpc.requestCallback<_tunctl_v1_RevokeApiKeyResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeJoinToken(argument: _tunctl_v1_RevokeJoinTokenRequest, callback: grpc.requestCallback<_tunctl_v1_RevokeJoinTokenResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminServiceHandlers extends grpc.UntypedServiceImplementation {
  AddNode: grpc.handleUnaryCall<_tunctl_v1_AddNodeRequest__Output, _tunctl_v1_AddNodeResponse>;
  
  CreateApiKey: grpc.handleUnaryCall<_tunctl_v1_CreateApiKeyRequest__Output, _tunctl_v1_CreateApiKeyResponse>;
  
  CreateJoinToken: grpc.handleUnaryCall<_tunctl_v1_CreateJoinTokenRequest__Output, _tunctl_v1_CreateJoinTokenResponse>;
  
  DeleteReservation: grpc.handleUnaryCall<_tunctl_v1_DeleteReservationRequest__Output, _tunctl_v1_DeleteReservationResponse>;
  
  GetNetwork: grpc.handleUnaryCall<_tunctl_v1_GetNetworkRequest__Output, _tunctl_v1_GetNetworkResponse>;
  
  GetNode: grpc.handleUnaryCall<_tunctl_v1_GetNodeRequest__Output, _tunctl_v1_GetNodeResponse>;
  
  ListApiKeys: grpc.handleUnaryCall<_tunctl_v1_ListApiKeysRequest__Output, _tunctl_v1_ListApiKeysResponse>;
  
  ListAuditEvents: grpc.handleUnaryCall<_tunctl_v1_ListAuditEventsRequest__Output, _tunctl_v1_ListAuditEventsResponse>;
  
  ListJoinTokens: grpc.handleUnaryCall<_tunctl_v1_ListJoinTokensRequest__Output, _tunctl_v1_ListJoinTokensResponse>;
  
  ListNodes: grpc.handleUnaryCall<_tunctl_v1_ListNodesRequest__Output, _tunctl_v1_ListNodesResponse>;
  
  ListQuarantinedSubnets: grpc.handleUnaryCall<_tunctl_v1_ListQuarantinedSubnetsRequest__Output, _tunctl_v1_ListQuarantinedSubnetsResponse>;
  
  ListReservations: grpc.handleUnaryCall<_tunctl_v1_ListReservationsRequest__Output, _tunctl_v1_ListReservationsResponse>;
  
  ListRoutes: grpc.handleUnaryCall<_tunctl_v1_ListRoutesRequest__Output, _tunctl_v1_ListRoutesResponse>;
  
  ReleaseQuarantinedSubnet: grpc.handleUnaryCall<_tunctl_v1_ReleaseQuarantinedSubnetRequest__Output, _tunctl_v1_ReleaseQuarantinedSubnetResponse>;
  
  RemoveNode: grpc.handleUnaryCall<_tunctl_v1_RemoveNodeRequest__Output, _tunctl_v1_RemoveNodeResponse>;
  
  ReserveSubnet: grpc.handleUnaryCall<_tunctl_v1_ReserveSubnetRequest__Output, _tunctl_v1_ReserveSubnetResponse>;
  
  RevokeApiKey: grpc.handleUnaryCall<_tunctl_v1_RevokeApiKeyRequest__Output, _tunctl_v1_RevokeApiKeyResponse>;
  
  RevokeJoinToken: grpc.handleUnaryCall<_tunctl_v1_RevokeJoinTokenRequest__Output, _tunctl_v1_RevokeJoinTokenResponse>;
  
}

export interface AdminServiceDefinition extends grpc.ServiceDefinition {
  AddNode: MethodDefinition<_tunctl_v1_AddNodeRequest, _tunctl_v1_AddNodeResponse, _tunctl_v1_AddNodeRequest__Output, _tunctl_v1_AddNodeResponse__Output>
  CreateApiKey: MethodDefinition<_tunctl_v1_CreateApiKeyRequest, _tunctl_v1_CreateApiKeyResponse, _tunctl_v1_CreateApiKeyRequest__Output, _tunctl_v1_CreateApiKeyResponse__Output>
  CreateJoinToken: MethodDefinition<_tunctl_v1_CreateJoinTokenRequest, _tunctl_v1_CreateJoinTokenResponse, _tunctl_v1_CreateJoinTokenRequest__Output, _tunctl_v1_CreateJoinTokenResponse__Output>
  DeleteReservation: MethodDefinition<_tunctl_v1_DeleteReservationRequest, _tunctl_v1_DeleteReservationResponse, _tunctl_v1_DeleteReservationRequest__Output, _tunctl_v1_DeleteReservationResponse__Output>
  GetNetwork: MethodDefinition<_tunctl_v1_GetNetworkRequest, _tunctl_v1_GetNetworkResponse, _tunctl_v1_GetNetworkRequest__Output, _tunctl_v1_GetNetworkResponse__Output>
  GetNode: MethodDefinition<_tunctl_v1_GetNodeRequest, _tunctl_v1_GetNodeResponse, _tunctl_v1_GetNodeRequest__Output, _tunctl_v1_GetNodeResponse__Output>
  ListApiKeys: MethodDefinition<_tunctl_v1_ListApiKeysRequest, _tunctl_v1_ListApiKeysResponse, _tunctl_v1_ListApiKeysRequest__Output, _tunctl_v1_ListApiKeysResponse__Output>
  ListAuditEvents: MethodDefinition<_tunctl_v1_ListAuditEventsRequest, _tunctl_v1_ListAuditEventsResponse, _tunctl_v1_ListAuditEventsRequest__Output, _tunctl_v1_ListAuditEventsResponse__Output>
  ListJoinTokens: MethodDefinition<_tunctl_v1_ListJoinTokensRequest, _tunctl_v1_ListJoinTokensResponse, _tunctl_v1_ListJoinTokensRequest__Output, _tunctl_v1_ListJoinTokensResponse__Output>
  ListNodes: MethodDefinition<_tunctl_v1_ListNodesRequest, _tunctl_v1_ListNodesResponse, _tunctl_v1_ListNodesRequest__Output, _tunctl_v1_ListNodesResponse__Output>
  ListQuarantinedSubnets: MethodDefinition<_tunctl_v1_ListQuarantinedSubnetsRequest, _tunctl_v1_ListQuarantinedSubnetsResponse, _tunctl_v1_ListQuarantinedSubnetsRequest__Output, _tunctl_v1_ListQuarantinedSubnetsResponse__Output>
  ListReservations: MethodDefinition<_tunctl_v1_ListReservationsRequest, _tunctl_v1_ListReservationsResponse, _tunctl_v1_ListReservationsRequest__Output, _tunctl_v1_ListReservationsResponse__Output>
  ListRoutes: MethodDefinition<_tunctl_v1_ListRoutesRequest, _tunctl_v1_ListRoutesResponse, _tunctl_v1_ListRoutesRequest__Output, _tunctl_v1_ListRoutesResponse__Output>
  ReleaseQuarantinedSubnet: MethodDefinition<_tunctl_v1_ReleaseQuarantinedSubnetRequest, _tunctl_v1_ReleaseQuarantinedSubnetResponse, _tunctl_v1_ReleaseQuarantinedSubnetRequest__Output, _tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>
  RemoveNode: MethodDefinition<_tunctl_v1_RemoveNodeRequest, _tunctl_v1_RemoveNodeResponse, _tunctl_v1_RemoveNodeRequest__Output, _tunctl_v1_RemoveNodeResponse__Output>
  ReserveSubnet: MethodDefinition<_tunctl_v1_ReserveSubnetRequest, _tunctl_v1_ReserveSubnetResponse, _tunctl_v1_ReserveSubnetRequest__Output, _tunctl_v1_ReserveSubnetResponse__Output>
  RevokeApiKey: MethodDefinition<_tunctl_v1_RevokeApiKeyRequest, _tunctl_v1_RevokeApiKeyResponse, _tunctl_v1_RevokeApiKeyRequest__Output, _tunctl_v1_RevokeApiKeyResponse__Output>
  RevokeJoinToken: MethodDefinition<_tunctl_v1_RevokeJoinTokenRequest, _tunctl_v1_RevokeJoinTokenResponse, _tunctl_v1_RevokeJoinTokenRequest__Output, _tunctl_v1_RevokeJoinTokenResponse__Output>
}
