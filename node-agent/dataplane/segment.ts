// Turns what an offloading TUN device hands us (a virtio-net header, then an IPv4 packet of
// up to 64 KB) into wire messages: a TCP or UDP superpacket is cut into MTU-sized segments,
// each a complete IPv4 packet with its own headers and checksums, so the receiver can use
// every datagram alone and never relies on IP fragmentation. Segments go out as pieces of
// a GatherList: the headers are built in its arena, the payload stays where the TUN read
// put it (the kernel gathers both at sendmsg). A message holds as many equal-sized segments
// as one UDP GSO send can carry; the last segment of a superpacket may be shorter.
import { checksumField, pseudoHeaderSum, sum16, type WordBuffer } from './checksum.js';
import type { GatherList } from './gather.js';
import {
  VNET_F_NEEDS_CSUM,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_UDP_L4,
  VNET_HDR_LEN,
  vnetCsumOffset,
  vnetCsumStart,
  vnetFlags,
  vnetGsoSize,
  vnetGsoType,
} from './vnet-header.js';

export const SPLIT_OK = 0;
/** Malformed or of a kind we do not carry (IPv6, UFO): drop and count. */
export const SPLIT_INVALID = 1;
/** The list is full: send it and call again with the same packet and cursor, which says how far it got. */
export const SPLIT_NO_ROOM = 2;

/** Where a superpacket's splitting stands: the next segment to append. Reused across calls. */
export interface SplitCursor {
  segment: number;
}

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/** Largest UDP payload of one GSO send: an IPv4 datagram's 65535 bytes less its IP and UDP headers. */
export const MAX_GSO_BYTES = 65535 - 20 - 8;
/** Segments per GSO send; the kernel's UDP_MAX_SEGMENTS has been at least 64 since UDP GSO exists. */
export const MAX_GSO_SEGMENTS = 64;

export interface SplitOptions {
  /** Group segments into UDP GSO messages; false sends each segment as its own message. */
  readonly gso: boolean;
}

function read16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

function write16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
}

function read32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function write32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Recomputes the IPv4 header checksum of the header at `at`. */
export function setIpv4HeaderChecksum(b: Uint8Array, at: number, headerLen: number): void {
  b[at + 10] = 0;
  b[at + 11] = 0;
  let sum = 0;
  for (let i = at; i < at + headerLen; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  write16(b, at + 10, ~sum & 0xffff);
}

/**
 * Appends the packet in src.bytes[0, size) (virtio-net header first) to `out` as messages to
 * `addr`, from segment cursor.segment on, as many whole messages as fit. Returns SPLIT_OK
 * (all appended), SPLIT_INVALID (nothing appended) or SPLIT_NO_ROOM (the cursor says how
 * far it got: flush `out` and call again). A superpacket of tiny segments (a peer's MSS can
 * be 48 bytes) may take several lists; an empty list always takes at least one segment.
 */
export function splitForWire(
  out: GatherList,
  bufIndex: number,
  src: WordBuffer,
  size: number,
  addr: number,
  opts: SplitOptions,
  cursor: SplitCursor = { segment: 0 },
): number {
  const b = src.bytes;
  const ip = VNET_HDR_LEN;
  if (size < ip + 20) return SPLIT_INVALID;
  const gsoType = vnetGsoType(b, 0);
  if (gsoType === VNET_GSO_NONE) return appendSingle(out, bufIndex, src, size, addr);
  if (b[ip]! >>> 4 !== 4) return SPLIT_INVALID;
  const ihl = (b[ip]! & 15) << 2;
  const proto = b[ip + 9]!;
  const l4 = ip + ihl;
  let l4Len: number;
  if (gsoType === VNET_GSO_TCPV4 && proto === PROTO_TCP) {
    if (l4 + 20 > size) return SPLIT_INVALID;
    l4Len = (b[l4 + 12]! >>> 4) << 2;
    if (l4Len < 20) return SPLIT_INVALID;
  } else if (gsoType === VNET_GSO_UDP_L4 && proto === PROTO_UDP) {
    l4Len = 8;
  } else {
    return SPLIT_INVALID;
  }
  const payload = l4 + l4Len;
  const mss = vnetGsoSize(b, 0);
  if (ihl < 20 || payload > size || mss === 0) return SPLIT_INVALID;
  const payloadLen = size - payload;
  const segments = payloadLen === 0 ? 1 : Math.ceil(payloadLen / mss);
  const hdrLen = ihl + l4Len;
  const perMessage = opts.gso ? Math.max(1, Math.min(MAX_GSO_SEGMENTS, Math.floor(MAX_GSO_BYTES / (hdrLen + mss)))) : 1;
  let seg = cursor.segment;
  // Each segment takes a header in the arena and two pieces (its header and its payload).
  const fit = Math.min(
    segments - seg,
    Math.floor((out.maxPieces - out.pieceCount) / 2),
    Math.floor((out.arena.length - out.arenaUsed) / hdrLen),
    (out.maxMessages - out.messageCount) * perMessage,
  );
  if (fit <= 0) return SPLIT_NO_ROOM;
  const end = seg + fit;

  const arena = out.arena;
  const srcAddr = read32(b, ip + 12);
  const dstAddr = read32(b, ip + 16);
  const firstId = read16(b, ip + 4);
  const tcp = proto === PROTO_TCP;
  const firstSeq = tcp ? read32(b, l4 + 4) : 0;
  const flags = tcp ? b[l4 + 13]! : 0;
  // The template: the superpacket's headers, copied once per call; it becomes the first
  // segment's header, and every later segment's header starts as a copy of it.
  const template = out.takeArena(hdrLen);
  for (let i = 0; i < hdrLen; i++) arena[template + i] = b[ip + i]!;
  const arenaWords = out.arenaWords;

  while (seg < end) {
    const inMessage = Math.min(perMessage, end - seg);
    out.beginMessage(addr);
    for (let k = 0; k < inMessage; k++, seg++) {
      const offset = seg * mss;
      const segLen = Math.min(mss, payloadLen - offset);
      const h = seg === end - fit ? template : out.takeArena(hdrLen);
      if (h !== template) arena.copyWithin(h, template, template + hdrLen);
      write16(arena, h + 2, hdrLen + segLen);
      write16(arena, h + 4, (firstId + seg) & 0xffff);
      setIpv4HeaderChecksum(arena, h, ihl);
      const t = h + ihl;
      let sum: number;
      if (tcp) {
        write32(arena, t + 4, (firstSeq + offset) >>> 0);
        let f = flags;
        if (seg !== segments - 1) f &= ~(TCP_FIN | TCP_PSH);
        if (seg !== 0) f &= ~TCP_CWR;
        arena[t + 13] = f;
        arena[t + 16] = 0;
        arena[t + 17] = 0;
        sum = pseudoHeaderSum(srcAddr, dstAddr, PROTO_TCP, l4Len + segLen);
      } else {
        write16(arena, t + 4, 8 + segLen);
        arena[t + 6] = 0;
        arena[t + 7] = 0;
        sum = pseudoHeaderSum(srcAddr, dstAddr, PROTO_UDP, 8 + segLen);
      }
      sum += sum16(arenaWords, t, t + l4Len) + sum16(src, payload + offset, payload + offset + segLen);
      let check = checksumField(sum);
      if (!tcp && check === 0) check = 0xffff;
      write16(arena, t + (tcp ? 16 : 6), check);
      out.addPiece(out.arenaIndex, h, hdrLen);
      if (segLen > 0) out.addPiece(bufIndex, payload + offset, segLen);
    }
    out.endMessage(inMessage, hdrLen + mss);
  }
  cursor.segment = seg;
  return seg === segments ? SPLIT_OK : SPLIT_NO_ROOM;
}

/** A packet the kernel did not make a superpacket of: finish its checksum if left partial, send as is. */
function appendSingle(out: GatherList, bufIndex: number, src: WordBuffer, size: number, addr: number): number {
  const b = src.bytes;
  if (!out.hasRoom(1, 0)) return SPLIT_NO_ROOM;
  if ((vnetFlags(b, 0) & VNET_F_NEEDS_CSUM) !== 0) {
    const start = VNET_HDR_LEN + vnetCsumStart(b, 0);
    const field = start + vnetCsumOffset(b, 0);
    if (field + 2 > size || start >= size) return SPLIT_INVALID;
    // The field holds the pseudo-header sum; the checksum covers it and everything from csum_start.
    let check = checksumField(sum16(src, start, size));
    if (check === 0 && b[VNET_HDR_LEN + 9] === PROTO_UDP) check = 0xffff;
    write16(b, field, check);
  }
  out.beginMessage(addr);
  out.addPiece(bufIndex, VNET_HDR_LEN, size - VNET_HDR_LEN);
  out.endMessage(1, 0);
  return SPLIT_OK;
}
