// The virtio-net header that a TUN device opened with IFF_VNET_HDR puts before every packet
// it hands us and expects before every packet we write (linux/virtio_net.h). With offloads
// on, it is what lets the kernel pass 64 KB TCP/UDP superpackets with their checksum left
// partial, and what tells it how to split the superpackets we write back. Little-endian
// (TUNSETVNETLE is not needed on little-endian hosts: the header is in native order).

/** We ask for the 12-byte form (virtio_net_hdr_mrg_rxbuf), so the IP header that follows is 4-aligned. */
export const VNET_HDR_LEN = 12;

export const VNET_F_NEEDS_CSUM = 1;
export const VNET_F_DATA_VALID = 2;

export const VNET_GSO_NONE = 0;
export const VNET_GSO_TCPV4 = 1;
export const VNET_GSO_UDP = 3;
export const VNET_GSO_TCPV6 = 4;
export const VNET_GSO_UDP_L4 = 5;
export const VNET_GSO_ECN = 0x80;

export function vnetFlags(buf: Uint8Array, at: number): number {
  return buf[at]!;
}

export function vnetGsoType(buf: Uint8Array, at: number): number {
  return buf[at + 1]! & ~VNET_GSO_ECN;
}

export function vnetGsoSize(buf: Uint8Array, at: number): number {
  return buf[at + 4]! | (buf[at + 5]! << 8);
}

export function vnetCsumStart(buf: Uint8Array, at: number): number {
  return buf[at + 6]! | (buf[at + 7]! << 8);
}

export function vnetCsumOffset(buf: Uint8Array, at: number): number {
  return buf[at + 8]! | (buf[at + 9]! << 8);
}

/** Writes a complete header at `at` (num_buffers zero). */
export function writeVnetHeader(
  buf: Uint8Array,
  at: number,
  flags: number,
  gsoType: number,
  hdrLen: number,
  gsoSize: number,
  csumStart: number,
  csumOffset: number,
): void {
  buf[at] = flags;
  buf[at + 1] = gsoType;
  buf[at + 2] = hdrLen & 0xff;
  buf[at + 3] = hdrLen >>> 8;
  buf[at + 4] = gsoSize & 0xff;
  buf[at + 5] = gsoSize >>> 8;
  buf[at + 6] = csumStart & 0xff;
  buf[at + 7] = csumStart >>> 8;
  buf[at + 8] = csumOffset & 0xff;
  buf[at + 9] = csumOffset >>> 8;
  buf[at + 10] = 0;
  buf[at + 11] = 0;
}
