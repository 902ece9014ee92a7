// Original file: proto/tunctl/v1/tunctl.proto


export interface GetNetworkRequest {
}

export interface GetNetworkRequest__Output {
}
