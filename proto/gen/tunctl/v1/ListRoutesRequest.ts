// Original file: proto/tunctl/v1/tunctl.proto


export interface ListRoutesRequest {
}

export interface ListRoutesRequest__Output {
}
