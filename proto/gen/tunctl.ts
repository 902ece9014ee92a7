import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp';
import type { AddNodeRequest as _tunctl_v1_AddNodeRequest, AddNodeRequest__Output as _tunctl_v1_AddNodeRequest__Output } from './tunctl/v1/AddNodeRequest';
import type { AddNodeResponse as _tunctl_v1_AddNodeResponse, AddNodeResponse__Output as _tunctl_v1_AddNodeResponse__Output } from './tunctl/v1/AddNodeResponse';
import type { AdminServiceClient as _tunctl_v1_AdminServiceClient, AdminServiceDefinition as _tunctl_v1_AdminServiceDefinition } from './tunctl/v1/AdminService';
import type { AgentLocalServiceClient as _tunctl_v1_AgentLocalServiceClient, AgentLocalServiceDefinition as _tunctl_v1_AgentLocalServiceDefinition } from './tunctl/v1/AgentLocalService';
import type { AgentServiceClient as _tunctl_v1_AgentServiceClient, AgentServiceDefinition as _tunctl_v1_AgentServiceDefinition } from './tunctl/v1/AgentService';
import type { ApiKey as _tunctl_v1_ApiKey, ApiKey__Output as _tunctl_v1_ApiKey__Output } from './tunctl/v1/ApiKey';
import type { AttachRequest as _tunctl_v1_AttachRequest, AttachRequest__Output as _tunctl_v1_AttachRequest__Output } from './tunctl/v1/AttachRequest';
import type { AttachResponse as _tunctl_v1_AttachResponse, AttachResponse__Output as _tunctl_v1_AttachResponse__Output } from './tunctl/v1/AttachResponse';
import type { AuditEvent as _tunctl_v1_AuditEvent, AuditEvent__Output as _tunctl_v1_AuditEvent__Output } from './tunctl/v1/AuditEvent';
import type { Container as _tunctl_v1_Container, Container__Output as _tunctl_v1_Container__Output } from './tunctl/v1/Container';
import type { ControllerConnection as _tunctl_v1_ControllerConnection, ControllerConnection__Output as _tunctl_v1_ControllerConnection__Output } from './tunctl/v1/ControllerConnection';
import type { CreateApiKeyRequest as _tunctl_v1_CreateApiKeyRequest, CreateApiKeyRequest__Output as _tunctl_v1_CreateApiKeyRequest__Output } from './tunctl/v1/CreateApiKeyRequest';
import type { CreateApiKeyResponse as _tunctl_v1_CreateApiKeyResponse, CreateApiKeyResponse__Output as _tunctl_v1_CreateApiKeyResponse__Output } from './tunctl/v1/CreateApiKeyResponse';
import type { CreateJoinTokenRequest as _tunctl_v1_CreateJoinTokenRequest, CreateJoinTokenRequest__Output as _tunctl_v1_CreateJoinTokenRequest__Output } from './tunctl/v1/CreateJoinTokenRequest';
import type { CreateJoinTokenResponse as _tunctl_v1_CreateJoinTokenResponse, CreateJoinTokenResponse__Output as _tunctl_v1_CreateJoinTokenResponse__Output } from './tunctl/v1/CreateJoinTokenResponse';
import type { DataPathStatus as _tunctl_v1_DataPathStatus, DataPathStatus__Output as _tunctl_v1_DataPathStatus__Output } from './tunctl/v1/DataPathStatus';
import type { DeleteReservationRequest as _tunctl_v1_DeleteReservationRequest, DeleteReservationRequest__Output as _tunctl_v1_DeleteReservationRequest__Output } from './tunctl/v1/DeleteReservationRequest';
import type { DeleteReservationResponse as _tunctl_v1_DeleteReservationResponse, DeleteReservationResponse__Output as _tunctl_v1_DeleteReservationResponse__Output } from './tunctl/v1/DeleteReservationResponse';
import type { DetachRequest as _tunctl_v1_DetachRequest, DetachRequest__Output as _tunctl_v1_DetachRequest__Output } from './tunctl/v1/DetachRequest';
import type { DetachResponse as _tunctl_v1_DetachResponse, DetachResponse__Output as _tunctl_v1_DetachResponse__Output } from './tunctl/v1/DetachResponse';
import type { GetNetworkRequest as _tunctl_v1_GetNetworkRequest, GetNetworkRequest__Output as _tunctl_v1_GetNetworkRequest__Output } from './tunctl/v1/GetNetworkRequest';
import type { GetNetworkResponse as _tunctl_v1_GetNetworkResponse, GetNetworkResponse__Output as _tunctl_v1_GetNetworkResponse__Output } from './tunctl/v1/GetNetworkResponse';
import type { GetNodeRequest as _tunctl_v1_GetNodeRequest, GetNodeRequest__Output as _tunctl_v1_GetNodeRequest__Output } from './tunctl/v1/GetNodeRequest';
import type { GetNodeResponse as _tunctl_v1_GetNodeResponse, GetNodeResponse__Output as _tunctl_v1_GetNodeResponse__Output } from './tunctl/v1/GetNodeResponse';
import type { GetStatusRequest as _tunctl_v1_GetStatusRequest, GetStatusRequest__Output as _tunctl_v1_GetStatusRequest__Output } from './tunctl/v1/GetStatusRequest';
import type { GetStatusResponse as _tunctl_v1_GetStatusResponse, GetStatusResponse__Output as _tunctl_v1_GetStatusResponse__Output } from './tunctl/v1/GetStatusResponse';
import type { JoinRequest as _tunctl_v1_JoinRequest, JoinRequest__Output as _tunctl_v1_JoinRequest__Output } from './tunctl/v1/JoinRequest';
import type { JoinResponse as _tunctl_v1_JoinResponse, JoinResponse__Output as _tunctl_v1_JoinResponse__Output } from './tunctl/v1/JoinResponse';
import type { JoinToken as _tunctl_v1_JoinToken, JoinToken__Output as _tunctl_v1_JoinToken__Output } from './tunctl/v1/JoinToken';
import type { ListApiKeysRequest as _tunctl_v1_ListApiKeysRequest, ListApiKeysRequest__Output as _tunctl_v1_ListApiKeysRequest__Output } from './tunctl/v1/ListApiKeysRequest';
import type { ListApiKeysResponse as _tunctl_v1_ListApiKeysResponse, ListApiKeysResponse__Output as _tunctl_v1_ListApiKeysResponse__Output } from './tunctl/v1/ListApiKeysResponse';
import type { ListAuditEventsRequest as _tunctl_v1_ListAuditEventsRequest, ListAuditEventsRequest__Output as _tunctl_v1_ListAuditEventsRequest__Output } from './tunctl/v1/ListAuditEventsRequest';
import type { ListAuditEventsResponse as _tunctl_v1_ListAuditEventsResponse, ListAuditEventsResponse__Output as _tunctl_v1_ListAuditEventsResponse__Output } from './tunctl/v1/ListAuditEventsResponse';
import type { ListContainersRequest as _tunctl_v1_ListContainersRequest, ListContainersRequest__Output as _tunctl_v1_ListContainersRequest__Output } from './tunctl/v1/ListContainersRequest';
import type { ListContainersResponse as _tunctl_v1_ListContainersResponse, ListContainersResponse__Output as _tunctl_v1_ListContainersResponse__Output } from './tunctl/v1/ListContainersResponse';
import type { ListJoinTokensRequest as _tunctl_v1_ListJoinTokensRequest, ListJoinTokensRequest__Output as _tunctl_v1_ListJoinTokensRequest__Output } from './tunctl/v1/ListJoinTokensRequest';
import type { ListJoinTokensResponse as _tunctl_v1_ListJoinTokensResponse, ListJoinTokensResponse__Output as _tunctl_v1_ListJoinTokensResponse__Output } from './tunctl/v1/ListJoinTokensResponse';
import type { ListNodesRequest as _tunctl_v1_ListNodesRequest, ListNodesRequest__Output as _tunctl_v1_ListNodesRequest__Output } from './tunctl/v1/ListNodesRequest';
import type { ListNodesResponse as _tunctl_v1_ListNodesResponse, ListNodesResponse__Output as _tunctl_v1_ListNodesResponse__Output } from './tunctl/v1/ListNodesResponse';
import type { ListQuarantinedSubnetsRequest as _tunctl_v1_ListQuarantinedSubnetsRequest, ListQuarantinedSubnetsRequest__Output as _tunctl_v1_ListQuarantinedSubnetsRequest__Output } from './tunctl/v1/ListQuarantinedSubnetsRequest';
import type { ListQuarantinedSubnetsResponse as _tunctl_v1_ListQuarantinedSubnetsResponse, ListQuarantinedSubnetsResponse__Output as _tunctl_v1_ListQuarantinedSubnetsResponse__Output } from './tunctl/v1/ListQuarantinedSubnetsResponse';
import type { ListReservationsRequest as _tunctl_v1_ListReservationsRequest, ListReservationsRequest__Output as _tunctl_v1_ListReservationsRequest__Output } from './tunctl/v1/ListReservationsRequest';
import type { ListReservationsResponse as _tunctl_v1_ListReservationsResponse, ListReservationsResponse__Output as _tunctl_v1_ListReservationsResponse__Output } from './tunctl/v1/ListReservationsResponse';
import type { ListRoutesRequest as _tunctl_v1_ListRoutesRequest, ListRoutesRequest__Output as _tunctl_v1_ListRoutesRequest__Output } from './tunctl/v1/ListRoutesRequest';
import type { ListRoutesResponse as _tunctl_v1_ListRoutesResponse, ListRoutesResponse__Output as _tunctl_v1_ListRoutesResponse__Output } from './tunctl/v1/ListRoutesResponse';
import type { Network as _tunctl_v1_Network, Network__Output as _tunctl_v1_Network__Output } from './tunctl/v1/Network';
import type { Node as _tunctl_v1_Node, Node__Output as _tunctl_v1_Node__Output } from './tunctl/v1/Node';
import type { PeerStatus as _tunctl_v1_PeerStatus, PeerStatus__Output as _tunctl_v1_PeerStatus__Output } from './tunctl/v1/PeerStatus';
import type { QuarantinedSubnet as _tunctl_v1_QuarantinedSubnet, QuarantinedSubnet__Output as _tunctl_v1_QuarantinedSubnet__Output } from './tunctl/v1/QuarantinedSubnet';
import type { RegisterRequest as _tunctl_v1_RegisterRequest, RegisterRequest__Output as _tunctl_v1_RegisterRequest__Output } from './tunctl/v1/RegisterRequest';
import type { RegisterResponse as _tunctl_v1_RegisterResponse, RegisterResponse__Output as _tunctl_v1_RegisterResponse__Output } from './tunctl/v1/RegisterResponse';
import type { ReleaseQuarantinedSubnetRequest as _tunctl_v1_ReleaseQuarantinedSubnetRequest, ReleaseQuarantinedSubnetRequest__Output as _tunctl_v1_ReleaseQuarantinedSubnetRequest__Output } from './tunctl/v1/ReleaseQuarantinedSubnetRequest';
import type { ReleaseQuarantinedSubnetResponse as _tunctl_v1_ReleaseQuarantinedSubnetResponse, ReleaseQuarantinedSubnetResponse__Output as _tunctl_v1_ReleaseQuarantinedSubnetResponse__Output } from './tunctl/v1/ReleaseQuarantinedSubnetResponse';
import type { RemoveNodeRequest as _tunctl_v1_RemoveNodeRequest, RemoveNodeRequest__Output as _tunctl_v1_RemoveNodeRequest__Output } from './tunctl/v1/RemoveNodeRequest';
import type { RemoveNodeResponse as _tunctl_v1_RemoveNodeResponse, RemoveNodeResponse__Output as _tunctl_v1_RemoveNodeResponse__Output } from './tunctl/v1/RemoveNodeResponse';
import type { RenewCertificateRequest as _tunctl_v1_RenewCertificateRequest, RenewCertificateRequest__Output as _tunctl_v1_RenewCertificateRequest__Output } from './tunctl/v1/RenewCertificateRequest';
import type { ReportAddressUsageRequest as _tunctl_v1_ReportAddressUsageRequest, ReportAddressUsageRequest__Output as _tunctl_v1_ReportAddressUsageRequest__Output } from './tunctl/v1/ReportAddressUsageRequest';
import type { ReportAddressUsageResponse as _tunctl_v1_ReportAddressUsageResponse, ReportAddressUsageResponse__Output as _tunctl_v1_ReportAddressUsageResponse__Output } from './tunctl/v1/ReportAddressUsageResponse';
import type { Reservation as _tunctl_v1_Reservation, Reservation__Output as _tunctl_v1_Reservation__Output } from './tunctl/v1/Reservation';
import type { ReserveSubnetRequest as _tunctl_v1_ReserveSubnetRequest, ReserveSubnetRequest__Output as _tunctl_v1_ReserveSubnetRequest__Output } from './tunctl/v1/ReserveSubnetRequest';
import type { ReserveSubnetResponse as _tunctl_v1_ReserveSubnetResponse, ReserveSubnetResponse__Output as _tunctl_v1_ReserveSubnetResponse__Output } from './tunctl/v1/ReserveSubnetResponse';
import type { RevokeApiKeyRequest as _tunctl_v1_RevokeApiKeyRequest, RevokeApiKeyRequest__Output as _tunctl_v1_RevokeApiKeyRequest__Output } from './tunctl/v1/RevokeApiKeyRequest';
import type { RevokeApiKeyResponse as _tunctl_v1_RevokeApiKeyResponse, RevokeApiKeyResponse__Output as _tunctl_v1_RevokeApiKeyResponse__Output } from './tunctl/v1/RevokeApiKeyResponse';
import type { RevokeJoinTokenRequest as _tunctl_v1_RevokeJoinTokenRequest, RevokeJoinTokenRequest__Output as _tunctl_v1_RevokeJoinTokenRequest__Output } from './tunctl/v1/RevokeJoinTokenRequest';
import type { RevokeJoinTokenResponse as _tunctl_v1_RevokeJoinTokenResponse, RevokeJoinTokenResponse__Output as _tunctl_v1_RevokeJoinTokenResponse__Output } from './tunctl/v1/RevokeJoinTokenResponse';
import type { Route as _tunctl_v1_Route, Route__Output as _tunctl_v1_Route__Output } from './tunctl/v1/Route';
import type { RouteChange as _tunctl_v1_RouteChange, RouteChange__Output as _tunctl_v1_RouteChange__Output } from './tunctl/v1/RouteChange';
import type { RouteSyncStatus as _tunctl_v1_RouteSyncStatus, RouteSyncStatus__Output as _tunctl_v1_RouteSyncStatus__Output } from './tunctl/v1/RouteSyncStatus';
import type { Traffic as _tunctl_v1_Traffic, Traffic__Output as _tunctl_v1_Traffic__Output } from './tunctl/v1/Traffic';
import type { WatchAck as _tunctl_v1_WatchAck, WatchAck__Output as _tunctl_v1_WatchAck__Output } from './tunctl/v1/WatchAck';
import type { WatchRequest as _tunctl_v1_WatchRequest, WatchRequest__Output as _tunctl_v1_WatchRequest__Output } from './tunctl/v1/WatchRequest';
import type { WatchResponse as _tunctl_v1_WatchResponse, WatchResponse__Output as _tunctl_v1_WatchResponse__Output } from './tunctl/v1/WatchResponse';
import type { WatchStart as _tunctl_v1_WatchStart, WatchStart__Output as _tunctl_v1_WatchStart__Output } from './tunctl/v1/WatchStart';

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
      AgentLocalService: SubtypeConstructor<typeof grpc.Client, _tunctl_v1_AgentLocalServiceClient> & { service: _tunctl_v1_AgentLocalServiceDefinition }
      AgentService: SubtypeConstructor<typeof grpc.Client, _tunctl_v1_AgentServiceClient> & { service: _tunctl_v1_AgentServiceDefinition }
      ApiKey: MessageTypeDefinition<_tunctl_v1_ApiKey, _tunctl_v1_ApiKey__Output>
      ApiKeyScope: EnumTypeDefinition
      AttachRequest: MessageTypeDefinition<_tunctl_v1_AttachRequest, _tunctl_v1_AttachRequest__Output>
      AttachResponse: MessageTypeDefinition<_tunctl_v1_AttachResponse, _tunctl_v1_AttachResponse__Output>
      AuditEvent: MessageTypeDefinition<_tunctl_v1_AuditEvent, _tunctl_v1_AuditEvent__Output>
      Container: MessageTypeDefinition<_tunctl_v1_Container, _tunctl_v1_Container__Output>
      ControllerConnection: MessageTypeDefinition<_tunctl_v1_ControllerConnection, _tunctl_v1_ControllerConnection__Output>
      CreateApiKeyRequest: MessageTypeDefinition<_tunctl_v1_CreateApiKeyRequest, _tunctl_v1_CreateApiKeyRequest__Output>
      CreateApiKeyResponse: MessageTypeDefinition<_tunctl_v1_CreateApiKeyResponse, _tunctl_v1_CreateApiKeyResponse__Output>
      CreateJoinTokenRequest: MessageTypeDefinition<_tunctl_v1_CreateJoinTokenRequest, _tunctl_v1_CreateJoinTokenRequest__Output>
      CreateJoinTokenResponse: MessageTypeDefinition<_tunctl_v1_CreateJoinTokenResponse, _tunctl_v1_CreateJoinTokenResponse__Output>
      DataPathStatus: MessageTypeDefinition<_tunctl_v1_DataPathStatus, _tunctl_v1_DataPathStatus__Output>
      DeleteReservationRequest: MessageTypeDefinition<_tunctl_v1_DeleteReservationRequest, _tunctl_v1_DeleteReservationRequest__Output>
      DeleteReservationResponse: MessageTypeDefinition<_tunctl_v1_DeleteReservationResponse, _tunctl_v1_DeleteReservationResponse__Output>
      DetachRequest: MessageTypeDefinition<_tunctl_v1_DetachRequest, _tunctl_v1_DetachRequest__Output>
      DetachResponse: MessageTypeDefinition<_tunctl_v1_DetachResponse, _tunctl_v1_DetachResponse__Output>
      GetNetworkRequest: MessageTypeDefinition<_tunctl_v1_GetNetworkRequest, _tunctl_v1_GetNetworkRequest__Output>
      GetNetworkResponse: MessageTypeDefinition<_tunctl_v1_GetNetworkResponse, _tunctl_v1_GetNetworkResponse__Output>
      GetNodeRequest: MessageTypeDefinition<_tunctl_v1_GetNodeRequest, _tunctl_v1_GetNodeRequest__Output>
      GetNodeResponse: MessageTypeDefinition<_tunctl_v1_GetNodeResponse, _tunctl_v1_GetNodeResponse__Output>
      GetStatusRequest: MessageTypeDefinition<_tunctl_v1_GetStatusRequest, _tunctl_v1_GetStatusRequest__Output>
      GetStatusResponse: MessageTypeDefinition<_tunctl_v1_GetStatusResponse, _tunctl_v1_GetStatusResponse__Output>
      JoinRequest: MessageTypeDefinition<_tunctl_v1_JoinRequest, _tunctl_v1_JoinRequest__Output>
      JoinResponse: MessageTypeDefinition<_tunctl_v1_JoinResponse, _tunctl_v1_JoinResponse__Output>
      JoinToken: MessageTypeDefinition<_tunctl_v1_JoinToken, _tunctl_v1_JoinToken__Output>
      ListApiKeysRequest: MessageTypeDefinition<_tunctl_v1_ListApiKeysRequest, _tunctl_v1_ListApiKeysRequest__Output>
      ListApiKeysResponse: MessageTypeDefinition<_tunctl_v1_ListApiKeysResponse, _tunctl_v1_ListApiKeysResponse__Output>
      ListAuditEventsRequest: MessageTypeDefinition<_tunctl_v1_ListAuditEventsRequest, _tunctl_v1_ListAuditEventsRequest__Output>
      ListAuditEventsResponse: MessageTypeDefinition<_tunctl_v1_ListAuditEventsResponse, _tunctl_v1_ListAuditEventsResponse__Output>
      ListContainersRequest: MessageTypeDefinition<_tunctl_v1_ListContainersRequest, _tunctl_v1_ListContainersRequest__Output>
      ListContainersResponse: MessageTypeDefinition<_tunctl_v1_ListContainersResponse, _tunctl_v1_ListContainersResponse__Output>
      ListJoinTokensRequest: MessageTypeDefinition<_tunctl_v1_ListJoinTokensRequest, _tunctl_v1_ListJoinTokensRequest__Output>
      ListJoinTokensResponse: MessageTypeDefinition<_tunctl_v1_ListJoinTokensResponse, _tunctl_v1_ListJoinTokensResponse__Output>
      ListNodesRequest: MessageTypeDefinition<_tunctl_v1_ListNodesRequest, _tunctl_v1_ListNodesRequest__Output>
      ListNodesResponse: MessageTypeDefinition<_tunctl_v1_ListNodesResponse, _tunctl_v1_ListNodesResponse__Output>
      ListQuarantinedSubnetsRequest: MessageTypeDefinition<_tunctl_v1_ListQuarantinedSubnetsRequest, _tunctl_v1_ListQuarantinedSubnetsRequest__Output>
      ListQuarantinedSubnetsResponse: MessageTypeDefinition<_tunctl_v1_ListQuarantinedSubnetsResponse, _tunctl_v1_ListQuarantinedSubnetsResponse__Output>
      ListReservationsRequest: MessageTypeDefinition<_tunctl_v1_ListReservationsRequest, _tunctl_v1_ListReservationsRequest__Output>
      ListReservationsResponse: MessageTypeDefinition<_tunctl_v1_ListReservationsResponse, _tunctl_v1_ListReservationsResponse__Output>
      ListRoutesRequest: MessageTypeDefinition<_tunctl_v1_ListRoutesRequest, _tunctl_v1_ListRoutesRequest__Output>
      ListRoutesResponse: MessageTypeDefinition<_tunctl_v1_ListRoutesResponse, _tunctl_v1_ListRoutesResponse__Output>
      Network: MessageTypeDefinition<_tunctl_v1_Network, _tunctl_v1_Network__Output>
      Node: MessageTypeDefinition<_tunctl_v1_Node, _tunctl_v1_Node__Output>
      NodeState: EnumTypeDefinition
      PeerStatus: MessageTypeDefinition<_tunctl_v1_PeerStatus, _tunctl_v1_PeerStatus__Output>
      QuarantinedSubnet: MessageTypeDefinition<_tunctl_v1_QuarantinedSubnet, _tunctl_v1_QuarantinedSubnet__Output>
      RegisterRequest: MessageTypeDefinition<_tunctl_v1_RegisterRequest, _tunctl_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_tunctl_v1_RegisterResponse, _tunctl_v1_RegisterResponse__Output>
      ReleaseQuarantinedSubnetRequest: MessageTypeDefinition<_tunctl_v1_ReleaseQuarantinedSubnetRequest, _tunctl_v1_ReleaseQuarantinedSubnetRequest__Output>
      ReleaseQuarantinedSubnetResponse: MessageTypeDefinition<_tunctl_v1_ReleaseQuarantinedSubnetResponse, _tunctl_v1_ReleaseQuarantinedSubnetResponse__Output>
      RemoveNodeRequest: MessageTypeDefinition<_tunctl_v1_RemoveNodeRequest, _tunctl_v1_RemoveNodeRequest__Output>
      RemoveNodeResponse: MessageTypeDefinition<_tunctl_v1_RemoveNodeResponse, _tunctl_v1_RemoveNodeResponse__Output>
      RenewCertificateRequest: MessageTypeDefinition<_tunctl_v1_RenewCertificateRequest, _tunctl_v1_RenewCertificateRequest__Output>
      ReportAddressUsageRequest: MessageTypeDefinition<_tunctl_v1_ReportAddressUsageRequest, _tunctl_v1_ReportAddressUsageRequest__Output>
      ReportAddressUsageResponse: MessageTypeDefinition<_tunctl_v1_ReportAddressUsageResponse, _tunctl_v1_ReportAddressUsageResponse__Output>
      Reservation: MessageTypeDefinition<_tunctl_v1_Reservation, _tunctl_v1_Reservation__Output>
      ReserveSubnetRequest: MessageTypeDefinition<_tunctl_v1_ReserveSubnetRequest, _tunctl_v1_ReserveSubnetRequest__Output>
      ReserveSubnetResponse: MessageTypeDefinition<_tunctl_v1_ReserveSubnetResponse, _tunctl_v1_ReserveSubnetResponse__Output>
      RevokeApiKeyRequest: MessageTypeDefinition<_tunctl_v1_RevokeApiKeyRequest, _tunctl_v1_RevokeApiKeyRequest__Output>
      RevokeApiKeyResponse: MessageTypeDefinition<_tunctl_v1_RevokeApiKeyResponse, _tunctl_v1_RevokeApiKeyResponse__Output>
      RevokeJoinTokenRequest: MessageTypeDefinition<_tunctl_v1_RevokeJoinTokenRequest, _tunctl_v1_RevokeJoinTokenRequest__Output>
      RevokeJoinTokenResponse: MessageTypeDefinition<_tunctl_v1_RevokeJoinTokenResponse, _tunctl_v1_RevokeJoinTokenResponse__Output>
      Route: MessageTypeDefinition<_tunctl_v1_Route, _tunctl_v1_Route__Output>
      RouteChange: MessageTypeDefinition<_tunctl_v1_RouteChange, _tunctl_v1_RouteChange__Output>
      RouteSyncStatus: MessageTypeDefinition<_tunctl_v1_RouteSyncStatus, _tunctl_v1_RouteSyncStatus__Output>
      Traffic: MessageTypeDefinition<_tunctl_v1_Traffic, _tunctl_v1_Traffic__Output>
      WatchAck: MessageTypeDefinition<_tunctl_v1_WatchAck, _tunctl_v1_WatchAck__Output>
      WatchRequest: MessageTypeDefinition<_tunctl_v1_WatchRequest, _tunctl_v1_WatchRequest__Output>
      WatchResponse: MessageTypeDefinition<_tunctl_v1_WatchResponse, _tunctl_v1_WatchResponse__Output>
      WatchStart: MessageTypeDefinition<_tunctl_v1_WatchStart, _tunctl_v1_WatchStart__Output>
    }
  }
}

