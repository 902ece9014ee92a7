// Original file: proto/tunctl/v1/tunctl.proto


export interface ReportAddressUsageRequest {
  'leased'?: (number);
  'capacity'?: (number);
}

export interface ReportAddressUsageRequest__Output {
  'leased': (number);
  'capacity': (number);
}
