// Original file: proto/tunctl/v1/tunctl.proto


export interface ListApiKeysRequest {
}

export interface ListApiKeysRequest__Output {
}
