// Original file: proto/tunctl/v1/tunctl.proto

import type { AuditEvent as _tunctl_v1_AuditEvent, AuditEvent__Output as _tunctl_v1_AuditEvent__Output } from '../../tunctl/v1/AuditEvent';

export interface ListAuditEventsResponse {
  'events'?: (_tunctl_v1_AuditEvent)[];
}

export interface ListAuditEventsResponse__Output {
  'events': (_tunctl_v1_AuditEvent__Output)[];
}
