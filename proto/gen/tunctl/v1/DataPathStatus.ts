// Original file: proto/tunctl/v1/tunctl.proto


export interface DataPathStatus {
  'mode'?: (string);
  'workers'?: (number);
  'tso'?: (boolean);
  'uso'?: (boolean);
  'gso'?: (boolean);
  'gro'?: (boolean);
  'reason'?: (string);
}

export interface DataPathStatus__Output {
  'mode': (string);
  'workers': (number);
  'tso': (boolean);
  'uso': (boolean);
  'gso': (boolean);
  'gro': (boolean);
  'reason': (string);
}
