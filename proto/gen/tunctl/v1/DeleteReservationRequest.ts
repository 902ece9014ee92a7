// Original file: proto/tunctl/v1/tunctl.proto


export interface DeleteReservationRequest {
  'nodeName'?: (string);
}

export interface DeleteReservationRequest__Output {
  'nodeName': (string);
}
