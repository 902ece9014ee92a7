// Original file: proto/tunctl/v1/tunctl.proto


export interface ListQuarantinedSubnetsRequest {
}

export interface ListQuarantinedSubnetsRequest__Output {
}
