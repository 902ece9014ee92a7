// IPv4 header checks on a region of a caller-owned buffer, by offset and length, so the
// forwarding loops never create a subarray per packet.

export const PACKET_OK = 0;
export const PACKET_TOO_SHORT = 1;
export const PACKET_NOT_IPV4 = 2;
export const PACKET_BAD_HEADER_LENGTH = 3;
export const PACKET_TRUNCATED = 4;
export const PACKET_BAD_CHECKSUM = 5;

/** One of the PACKET_* codes. */
export type PacketVerdict = number;

export const PACKET_VERDICT_NAMES: readonly string[] = ['ok', 'tooShort', 'notIpv4', 'badHeaderLength', 'truncated', 'badChecksum'];

export const IPV4_MIN_HEADER = 20;

/**
 * Full check of an IPv4 datagram in buf[offset, offset+length): minimum size, version,
 * header length, total length against the datagram, header checksum.
 */
export function validateIpv4(buf: Uint8Array, offset: number, length: number): PacketVerdict {
  if (length < IPV4_MIN_HEADER) return PACKET_TOO_SHORT;
  const b0 = buf[offset]!;
  if (b0 >>> 4 !== 4) return PACKET_NOT_IPV4;
  const headerLen = (b0 & 15) << 2;
  if (headerLen < IPV4_MIN_HEADER || headerLen > length) return PACKET_BAD_HEADER_LENGTH;
  const totalLen = (buf[offset + 2]! << 8) | buf[offset + 3]!;
  if (totalLen > length || totalLen < headerLen) return PACKET_TRUNCATED;
  let sum = 0;
  for (let i = offset, end = offset + headerLen; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  // At most 30 words of 16 bits: two folds bring the sum into 16 bits.
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff ? PACKET_OK : PACKET_BAD_CHECKSUM;
}

/** The cheap subset used on packets the local kernel handed us: size and version only. */
export function validateIpv4Minimal(buf: Uint8Array, offset: number, length: number): PacketVerdict {
  if (length < IPV4_MIN_HEADER) return PACKET_TOO_SHORT;
  if (buf[offset]! >>> 4 !== 4) return PACKET_NOT_IPV4;
  return PACKET_OK;
}

/** Source address (header bytes 12-15) as an unsigned 32-bit integer; caller checked the length. */
export function ipv4Source(buf: Uint8Array, offset: number): number {
  return ((buf[offset + 12]! << 24) | (buf[offset + 13]! << 16) | (buf[offset + 14]! << 8) | buf[offset + 15]!) >>> 0;
}

/** Destination address (header bytes 16-19) as an unsigned 32-bit integer; caller checked the length. */
export function ipv4Destination(buf: Uint8Array, offset: number): number {
  return ((buf[offset + 16]! << 24) | (buf[offset + 17]! << 16) | (buf[offset + 18]! << 8) | buf[offset + 19]!) >>> 0;
}

/** Internet checksum of buf[offset, offset+length) (RFC 1071), for building headers. */
export function internetChecksum(buf: Uint8Array, offset: number, length: number): number {
  let sum = 0;
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
