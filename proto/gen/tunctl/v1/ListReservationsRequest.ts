// Original file: proto/tunctl/v1/tunctl.proto


export interface ListReservationsRequest {
}

export interface ListReservationsRequest__Output {
}
