// Data path counters in a SharedArrayBuffer per worker. Each array has exactly one writer
// (its worker), so the hot path adds without atomics; readers sum the workers' arrays and
// may see a value a batch old, which is fine for statistics. Float64 counts exactly to 2^53.

// TUN -> UDP slots.
export const C_TUN_RX_PACKETS = 0;
export const C_TUN_RX_BYTES = 1;
export const C_UDP_TX_PACKETS = 2;
export const C_UDP_TX_BYTES = 3;
export const C_SEND_ERRORS = 4;
export const C_TUN_READ_ERRORS = 5;
export const C_DROP_NO_ROUTE = 6;
export const C_DROP_TX_INVALID = 7;
// UDP -> TUN slots.
export const C_UDP_RX_PACKETS = 8;
export const C_UDP_RX_BYTES = 9;
export const C_TUN_TX_PACKETS = 10;
export const C_TUN_TX_BYTES = 11;
export const C_RECV_ERRORS = 12;
export const C_TUN_WRITE_ERRORS = 13;
export const C_DROP_UNKNOWN_PEER = 14;
export const C_DROP_TOO_SHORT = 15;
export const C_DROP_NOT_IPV4 = 16;
export const C_DROP_BAD_HEADER_LENGTH = 17;
export const C_DROP_TRUNCATED = 18;
export const C_DROP_BAD_CHECKSUM = 19;
export const C_DROP_SPOOFED_SOURCE = 20;
export const C_DROP_WRONG_DESTINATION = 21;
export const COUNTER_SLOTS = 22;

export interface RxDrops {
  unknownPeer: number;
  tooShort: number;
  notIpv4: number;
  badHeaderLength: number;
  truncated: number;
  badChecksum: number;
  /** Inner source address outside the sending peer's subnet. */
  spoofedSource: number;
  /** Inner destination outside our own subnet. */
  wrongDestination: number;
}

export interface TxDrops {
  /** Destination in no peer's subnet. */
  noRoute: number;
  /** Not an IPv4 packet, or shorter than an IPv4 header. */
  txInvalid: number;
}

export interface DataplaneStats {
  tunRxPackets: number;
  tunRxBytes: number;
  udpTxPackets: number;
  udpTxBytes: number;
  udpRxPackets: number;
  udpRxBytes: number;
  tunTxPackets: number;
  tunTxBytes: number;
  sendErrors: number;
  recvErrors: number;
  tunReadErrors: number;
  tunWriteErrors: number;
  rxDrops: RxDrops;
  txDrops: TxDrops;
}

export function createCounters(): Float64Array {
  return new Float64Array(new SharedArrayBuffer(COUNTER_SLOTS * Float64Array.BYTES_PER_ELEMENT));
}

/** Wraps a counters buffer received in workerData. */
export function countersFrom(buffer: SharedArrayBuffer): Float64Array {
  return new Float64Array(buffer, 0, COUNTER_SLOTS);
}

export function snapshotCounters(c: Float64Array): DataplaneStats {
  return {
    tunRxPackets: c[C_TUN_RX_PACKETS]!,
    tunRxBytes: c[C_TUN_RX_BYTES]!,
    udpTxPackets: c[C_UDP_TX_PACKETS]!,
    udpTxBytes: c[C_UDP_TX_BYTES]!,
    udpRxPackets: c[C_UDP_RX_PACKETS]!,
    udpRxBytes: c[C_UDP_RX_BYTES]!,
    tunTxPackets: c[C_TUN_TX_PACKETS]!,
    tunTxBytes: c[C_TUN_TX_BYTES]!,
    sendErrors: c[C_SEND_ERRORS]!,
    recvErrors: c[C_RECV_ERRORS]!,
    tunReadErrors: c[C_TUN_READ_ERRORS]!,
    tunWriteErrors: c[C_TUN_WRITE_ERRORS]!,
    rxDrops: {
      unknownPeer: c[C_DROP_UNKNOWN_PEER]!,
      tooShort: c[C_DROP_TOO_SHORT]!,
      notIpv4: c[C_DROP_NOT_IPV4]!,
      badHeaderLength: c[C_DROP_BAD_HEADER_LENGTH]!,
      truncated: c[C_DROP_TRUNCATED]!,
      badChecksum: c[C_DROP_BAD_CHECKSUM]!,
      spoofedSource: c[C_DROP_SPOOFED_SOURCE]!,
      wrongDestination: c[C_DROP_WRONG_DESTINATION]!,
    },
    txDrops: {
      noRoute: c[C_DROP_NO_ROUTE]!,
      txInvalid: c[C_DROP_TX_INVALID]!,
    },
  };
}
