// Original file: proto/tunctl/v1/tunctl.proto


export interface ListContainersRequest {
}

export interface ListContainersRequest__Output {
}
