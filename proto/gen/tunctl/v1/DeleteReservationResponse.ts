// Original file: proto/tunctl/v1/tunctl.proto

import type { Reservation as _tunctl_v1_Reservation, Reservation__Output as _tunctl_v1_Reservation__Output } from '../../tunctl/v1/Reservation';

export interface DeleteReservationResponse {
  'reservation'?: (_tunctl_v1_Reservation | null);
}

export interface DeleteReservationResponse__Output {
  'reservation': (_tunctl_v1_Reservation__Output | null);
}
