// Original file: proto/tunctl/v1/tunctl.proto


export interface Network {
  'cidr'?: (string);
  'subnetLen'?: (number);
  'subnetMin'?: (string);
  'subnetMax'?: (string);
  'udpPort'?: (number);
  'encapOverhead'?: (number);
}

export interface Network__Output {
  'cidr': (string);
  'subnetLen': (number);
  'subnetMin': (string);
  'subnetMax': (string);
  'udpPort': (number);
  'encapOverhead': (number);
}
