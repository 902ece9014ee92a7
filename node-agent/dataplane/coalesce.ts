// The receiving side of superpackets: consecutive segments of one TCP flow (or equal-sized
// datagrams of one UDP flow) that arrive from the underlay are written to the TUN device as
// one superpacket with a virtio-net header asking the kernel to split it again if it must,
// so the container's stack gets 64 KB at a time, as it would from kernel GRO. Segments are
// never copied: the first one's headers are patched in place and the others contribute
// their payload as further pieces of one writev. A segment joins only when the kernel would
// have merged it too (same flow and headers, next sequence number, full-sized predecessor);
// anything else is written alone, unchanged, so loss, reordering and odd flows cost
// coalescing, never correctness. A segment that joins has its checksum verified first: the
// kernel recomputes the checksum of what we write, so a damaged segment must not get in.
import { checksumField, fold16, pseudoHeaderSum, sum16, type WordBuffer } from './checksum.js';
import type { GatherList } from './gather.js';
import { setIpv4HeaderChecksum } from './segment.js';
import { VNET_F_NEEDS_CSUM, VNET_GSO_NONE, VNET_GSO_TCPV4, VNET_GSO_UDP_L4, VNET_HDR_LEN, writeVnetHeader } from './vnet-header.js';

export const COALESCE_OK = 0;
/** The segment failed its TCP/UDP checksum and was dropped. */
export const COALESCE_BAD_CHECKSUM = 1;
/** No room left in the output: write it out and add the segment again. */
export const COALESCE_NO_ROOM = 2;

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
/** Superpackets stop at 64 segments, as the kernel's GRO does (MAX_SKB_FRAGS-sized). */
const MAX_SEGMENTS = 64;

export interface CoalesceOptions {
  /** The TUN device accepts UDP superpackets (USO4): coalesce UDP too. */
  readonly udp: boolean;
}

export class Coalescer {
  private readonly out: GatherList;
  private readonly words: readonly WordBuffer[];
  private readonly udp: boolean;
  // The open superpacket (open = segments > 0): its first segment and the flow's running state.
  private segments = 0;
  private proto = 0;
  private firstBuf = 0;
  private firstOff = 0;
  private l4Len = 0;
  private mss = 0;
  private total = 0;
  private nextSeq = 0;
  private lastLen = 0;
  private closed = false;
  private verifiedFirst = false;
  private vnetAt = 0;
  /** A segment after the first carried PSH: the superpacket carries it (the kernel puts it on its last segment). */
  private lastPsh = false;

  /** `words[i]` views out.buffers[i] (the receive buffers). */
  constructor(out: GatherList, words: readonly WordBuffer[], opts: CoalesceOptions) {
    this.out = out;
    this.words = words;
    this.udp = opts.udp;
  }

  /**
   * Adds the IPv4 packet at buffers[bufIndex][off, off + len), already checked as a whole
   * packet from a legitimate peer for this node. Returns a COALESCE_* code.
   */
  add(bufIndex: number, off: number, len: number): number {
    const w = this.words[bufIndex]!;
    const b = w.bytes;
    const out = this.out;
    if (this.segments > 0 && !this.closed && this.joins(b, off, len)) {
      if (!out.hasRoom(1, 0)) {
        this.flush();
        return COALESCE_NO_ROOM;
      }
      if (!this.verifiedFirst) {
        if (!this.checksumOk(this.words[this.firstBuf]!, this.firstOff)) {
          // The first one is damaged: drop it and let this segment start afresh.
          this.abandonFirst();
          return this.add(bufIndex, off, len);
        }
        this.verifiedFirst = true;
      }
      if (!this.checksumOk(w, off)) return COALESCE_BAD_CHECKSUM;
      const hdr = 20 + this.l4Len;
      const payloadLen = len - hdr;
      out.addPiece(bufIndex, off + hdr, payloadLen);
      this.segments++;
      this.total += payloadLen;
      this.lastLen = payloadLen;
      if (this.proto === PROTO_TCP) {
        this.nextSeq = (this.nextSeq + payloadLen) >>> 0;
        if ((b[off + 33]! & TCP_PSH) !== 0) {
          this.lastPsh = true;
          this.closed = true;
        }
      }
      if (payloadLen < this.mss || this.segments >= MAX_SEGMENTS) this.closed = true;
      return COALESCE_OK;
    }
    this.flush();
    if (!out.hasRoom(2, VNET_HDR_LEN)) return COALESCE_NO_ROOM;
    this.start(bufIndex, off, len, b);
    return COALESCE_OK;
  }

  /** Forgets the open superpacket without writing it (the output is being reset). */
  reset(): void {
    this.segments = 0;
  }

  /** Closes the open superpacket, if any, completing its message in the output. */
  flush(): void {
    if (this.segments === 0) return;
    const out = this.out;
    const arena = out.arena;
    if (this.segments === 1) {
      writeVnetHeader(arena, this.vnetAt, 0, VNET_GSO_NONE, 0, 0, 0, 0);
    } else {
      const b = this.words[this.firstBuf]!.bytes;
      const ip = this.firstOff;
      const l4 = ip + 20;
      const l4Total = this.l4Len + this.total;
      b[ip + 2] = (20 + l4Total) >>> 8;
      b[ip + 3] = (20 + l4Total) & 0xff;
      setIpv4HeaderChecksum(b, ip, 20);
      const src = ((b[ip + 12]! << 24) | (b[ip + 13]! << 16) | (b[ip + 14]! << 8) | b[ip + 15]!) >>> 0;
      const dst = ((b[ip + 16]! << 24) | (b[ip + 17]! << 16) | (b[ip + 18]! << 8) | b[ip + 19]!) >>> 0;
      // A partial checksum, as the kernel leaves it for offload: the folded pseudo-header sum, not inverted.
      const partial = fold16(pseudoHeaderSum(src, dst, this.proto, l4Total));
      const field = this.proto === PROTO_TCP ? l4 + 16 : l4 + 6;
      if (this.proto === PROTO_UDP) {
        b[l4 + 4] = l4Total >>> 8;
        b[l4 + 5] = l4Total & 0xff;
      } else if (this.lastPsh) {
        b[l4 + 13] = b[l4 + 13]! | TCP_PSH;
      }
      b[field] = partial >>> 8;
      b[field + 1] = partial & 0xff;
      writeVnetHeader(
        arena,
        this.vnetAt,
        VNET_F_NEEDS_CSUM,
        this.proto === PROTO_TCP ? VNET_GSO_TCPV4 : VNET_GSO_UDP_L4,
        20 + this.l4Len,
        this.mss,
        20,
        this.proto === PROTO_TCP ? 16 : 6,
      );
    }
    out.endMessage(this.segments, this.mss);
    this.segments = 0;
  }

  private start(bufIndex: number, off: number, len: number, b: Uint8Array): void {
    const out = this.out;
    this.vnetAt = out.takeArena(VNET_HDR_LEN);
    out.beginMessage(0);
    out.addPiece(out.arenaIndex, this.vnetAt, VNET_HDR_LEN);
    out.addPiece(bufIndex, off, len);
    this.segments = 1;
    this.firstBuf = bufIndex;
    this.firstOff = off;
    this.verifiedFirst = false;
    this.lastPsh = false;
    // Only plain headers of a flow we may merge open a superpacket; anything else goes alone.
    const proto = b[off + 9]!;
    this.closed = true;
    // Fragments never merge (the kernel's GRO leaves them alone too): MF set or an offset.
    if (b[off]! !== 0x45 || len <= 20 || ((b[off + 6]! & 0x3f) | b[off + 7]!) !== 0) return;
    if (proto === PROTO_TCP) {
      if (len < 40) return;
      const doff = (b[off + 32]! >>> 4) << 2;
      const flags = b[off + 33]!;
      if (doff < 20 || len <= 20 + doff || (flags & ~(TCP_ACK | TCP_PSH)) !== 0 || (flags & TCP_ACK) === 0) return;
      this.l4Len = doff;
      this.nextSeq = (((b[off + 24]! << 24) | (b[off + 25]! << 16) | (b[off + 26]! << 8) | b[off + 27]!) + (len - 20 - doff)) >>> 0;
      this.closed = (flags & TCP_PSH) !== 0;
    } else if (proto === PROTO_UDP && this.udp) {
      if (len <= 28) return;
      this.l4Len = 8;
      this.closed = false;
    } else {
      return;
    }
    this.proto = proto;
    this.mss = len - 20 - this.l4Len;
    this.total = this.mss;
    this.lastLen = this.mss;
  }

  /** True when the packet at b[off, off + len) continues the open superpacket exactly. */
  private joins(b: Uint8Array, off: number, len: number): boolean {
    const f = this.words[this.firstBuf]!.bytes;
    const fo = this.firstOff;
    if (b[off]! !== 0x45 || b[off + 9]! !== this.proto) return false;
    if (this.lastLen !== this.mss) return false;
    const hdr = 20 + this.l4Len;
    const payloadLen = len - hdr;
    if (payloadLen <= 0 || payloadLen > this.mss || 20 + this.l4Len + this.total + payloadLen > 65535) return false;
    // Same TOS, flags/fragment word (DF), TTL, protocol, addresses.
    if (b[off + 1] !== f[fo + 1] || b[off + 6] !== f[fo + 6] || b[off + 7] !== f[fo + 7] || b[off + 8] !== f[fo + 8]) return false;
    for (let i = 12; i < 20; i++) if (b[off + i] !== f[fo + i]) return false;
    const l4 = off + 20;
    const fl4 = fo + 20;
    // Ports.
    if (b[l4] !== f[fl4] || b[l4 + 1] !== f[fl4 + 1] || b[l4 + 2] !== f[fl4 + 2] || b[l4 + 3] !== f[fl4 + 3]) return false;
    if (this.proto === PROTO_UDP) return true;
    if ((b[l4 + 12]! >>> 4) << 2 !== this.l4Len) return false;
    const seq = ((b[l4 + 4]! << 24) | (b[l4 + 5]! << 16) | (b[l4 + 6]! << 8) | b[l4 + 7]!) >>> 0;
    if (seq !== this.nextSeq) return false;
    // Ack, header length, window and options as the first; flags too, except PSH.
    for (let i = 8; i < 12; i++) if (b[l4 + i] !== f[fl4 + i]) return false;
    if ((b[l4 + 13]! & ~TCP_PSH) !== (f[fl4 + 13]! & ~TCP_PSH)) return false;
    if (b[l4 + 14] !== f[fl4 + 14] || b[l4 + 15] !== f[fl4 + 15]) return false;
    for (let i = 20; i < this.l4Len; i++) if (b[l4 + i] !== f[fl4 + i]) return false;
    return true;
  }

  /** TCP/UDP checksum of the packet at `off` (a 20-byte IPv4 header) verifies; UDP 0 means none was sent. */
  private checksumOk(w: WordBuffer, off: number): boolean {
    const b = w.bytes;
    const total = (b[off + 2]! << 8) | b[off + 3]!;
    const l4 = off + 20;
    if (this.proto === PROTO_UDP && b[l4 + 6] === 0 && b[l4 + 7] === 0) return true;
    const src = ((b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!) >>> 0;
    const dst = ((b[off + 16]! << 24) | (b[off + 17]! << 16) | (b[off + 18]! << 8) | b[off + 19]!) >>> 0;
    return checksumField(pseudoHeaderSum(src, dst, this.proto, total - 20) + sum16(w, l4, off + total)) === 0;
  }

  /** Drops the open first segment (its checksum failed) and forgets the superpacket. */
  private abandonFirst(): void {
    this.out.pieceCount = this.out.messageFirstPiece[this.out.messageCount]!;
    this.out.arenaUsed -= VNET_HDR_LEN;
    this.segments = 0;
    this.droppedFirst++;
  }

  /** First segments dropped for a bad checksum (counted by the caller as checksum drops). */
  droppedFirst = 0;
}
