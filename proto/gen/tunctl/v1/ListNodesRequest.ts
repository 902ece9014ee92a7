// Original file: proto/tunctl/v1/tunctl.proto


export interface ListNodesRequest {
}

export interface ListNodesRequest__Output {
}
