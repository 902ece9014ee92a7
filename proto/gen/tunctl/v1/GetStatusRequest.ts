// Original file: proto/tunctl/v1/tunctl.proto


export interface GetStatusRequest {
}

export interface GetStatusRequest__Output {
}
