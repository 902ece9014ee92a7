// The superpacket data path: TUN reads of up to 64 KB (virtio-net header first) are cut into
// MTU-sized segments and sent as UDP GSO messages; UDP GRO receives are checked segment by
// segment, with the same checks as the per-packet path, and coalesced into superpackets for
// the TUN device. These are the two sides of a worker's loop (runDuplexLoop in forward.ts),
// with the same counters and route handling as the per-packet sides; only the batch
// handling differs. Counters count datagrams on the UDP side and packets as the TUN device
// sees them (a superpacket is one) on the TUN side.
import { wordBuffer, type WordBuffer } from './checksum.js';
import { COALESCE_BAD_CHECKSUM, COALESCE_NO_ROOM, Coalescer } from './coalesce.js';
import {
  C_DROP_BAD_CHECKSUM,
  C_DROP_NO_ROUTE,
  C_DROP_SPOOFED_SOURCE,
  C_DROP_TX_INVALID,
  C_DROP_UNKNOWN_PEER,
  C_DROP_WRONG_DESTINATION,
  C_RECV_ERRORS,
  C_SEND_ERRORS,
  C_TUN_READ_ERRORS,
  C_TUN_RX_BYTES,
  C_TUN_RX_PACKETS,
  C_TUN_TX_BYTES,
  C_TUN_TX_PACKETS,
  C_TUN_WRITE_ERRORS,
  C_UDP_RX_BYTES,
  C_UDP_RX_PACKETS,
  C_UDP_TX_BYTES,
  C_UDP_TX_PACKETS,
} from './counters.js';
import { VERDICT_SLOT, type LoopSide } from './forward.js';
import { GatherList, MAX_PIECES_PER_MESSAGE } from './gather.js';
import { PACKET_OK, ipv4Destination, ipv4Source, validateIpv4, validateIpv4Minimal } from './packet.js';
import {
  PEER_VERDICT_SLOT,
  P_DROP_BAD_CHECKSUM,
  P_DROP_SPOOFED_SOURCE,
  P_DROP_WRONG_DESTINATION,
  P_RX_BYTES,
  P_RX_PACKETS,
  P_SEND_ERRORS,
  P_TX_BYTES,
  P_TX_PACKETS,
} from './peer-counters.js';
import type { RouteLookup } from './route-lookup.js';
import { SPLIT_NO_ROOM, SPLIT_OK, splitForWire, type SplitCursor } from './segment.js';
import { VNET_HDR_LEN } from './vnet-header.js';

/** A TUN read buffer: the largest IPv4 packet plus its virtio-net header. */
export const OFFLOAD_READ_BUFFER = 65536 + VNET_HDR_LEN;
/** A GRO receive buffer: the largest UDP payload the kernel coalesces. */
export const OFFLOAD_RECV_BUFFER = 65536;

/** What the offload loops need from the TUN device and the socket (LinuxTun and LinuxUdpTransport). */
export interface OffloadTun {
  read(bufs: readonly Uint8Array[], sizes: Int32Array, maxPackets: number): number;
  writeGather(list: GatherList): number;
}

export interface OffloadTransport {
  recvSegments(bufs: readonly Uint8Array[], sizes: Int32Array, srcAddrs: Uint32Array, segSizes: Int32Array, max: number): number;
  sendGather(list: GatherList): number;
}

/** Buffers and the output list of one offload loop, reused for every batch. */
export interface OffloadBatch {
  readonly capacity: number;
  readonly bufs: Buffer[];
  readonly words: WordBuffer[];
  readonly sizes: Int32Array;
  readonly addrs: Uint32Array;
  readonly segSizes: Int32Array;
  readonly out: GatherList;
}

export function createOffloadBatch(capacity: number, bufferSize: number): OffloadBatch {
  const bufs: Buffer[] = [];
  for (let i = 0; i < capacity; i++) bufs.push(Buffer.alloc(bufferSize));
  // Room for a batch of full-sized superpackets (64 segments: 2 pieces and a header each);
  // one of tiny segments goes out in several lists.
  const maxPieces = capacity * MAX_PIECES_PER_MESSAGE;
  return {
    capacity,
    bufs,
    words: bufs.map((b) => wordBuffer(b)),
    sizes: new Int32Array(capacity),
    addrs: new Uint32Array(capacity),
    segSizes: new Int32Array(capacity),
    out: new GatherList(bufs, maxPieces * 64, maxPieces, maxPieces),
  };
}

export interface OffloadTunToUdpContext {
  readonly tun: OffloadTun;
  readonly transport: OffloadTransport;
  routes: RouteLookup;
  peerCounters: Float64Array;
  readonly counters: Float64Array;
  readonly batch: OffloadBatch;
  /** The socket sends UDP GSO: group segments; otherwise one datagram per message. */
  readonly gso: boolean;
}

export interface OffloadUdpToTunContext {
  readonly transport: OffloadTransport;
  readonly tun: OffloadTun;
  routes: RouteLookup;
  peerCounters: Float64Array;
  readonly localBase: number;
  readonly localMask: number;
  readonly counters: Float64Array;
  readonly batch: OffloadBatch;
  readonly coalescer: Coalescer;
}

export function createCoalescer(batch: OffloadBatch, udp: boolean): Coalescer {
  return new Coalescer(batch.out, batch.words, { udp });
}

/**
 * Sends what `out` holds and counts it, per peer too (found by each message's destination:
 * where peers share an underlay address, the first of them counts it); returns with `out` empty.
 */
function sendOut(ctx: OffloadTunToUdpContext): void {
  const out = ctx.batch.out;
  if (out.messageCount === 0) return;
  const c = ctx.counters;
  const pc = ctx.peerCounters;
  const routes = ctx.routes;
  ctx.transport.sendGather(out);
  let packets = 0;
  let bytes = 0;
  let refused = 0;
  for (let m = 0; m < out.messageCount; m++) {
    const segments = out.messageSegments[m]!;
    const o = routes.counterOffsetOf(routes.peerIndexByUnderlay(out.messageAddr[m]!));
    if (out.messageResult[m]! < 0) {
      refused += segments;
      pc[o + P_SEND_ERRORS] += segments;
      continue;
    }
    packets += segments;
    bytes += out.messageBytes[m]!;
    pc[o + P_TX_PACKETS] += segments;
    pc[o + P_TX_BYTES] += out.messageBytes[m]!;
  }
  c[C_UDP_TX_PACKETS] += packets;
  c[C_UDP_TX_BYTES] += bytes;
  c[C_SEND_ERRORS] += refused;
  out.reset();
}

/** The forwarding half of the TUN -> UDP offload loop, for `n` reads in ctx.batch. */
export function sendTunSuperpackets(ctx: OffloadTunToUdpContext, n: number): number {
  if (n === 0) return 0;
  const { bufs, words, sizes, out } = ctx.batch;
  // Empty even if an earlier batch ended in an exception between filling and sending.
  out.reset();
  const routes = ctx.routes;
  const c = ctx.counters;
  const opts = ctx.gso ? GSO_ON : GSO_OFF;
  let rxBytes = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes[i]!;
    const buf = bufs[i]!;
    if (size >= VNET_HDR_LEN) rxBytes += size - VNET_HDR_LEN;
    if (size < VNET_HDR_LEN || validateIpv4Minimal(buf, VNET_HDR_LEN, size - VNET_HDR_LEN) !== PACKET_OK) {
      c[C_DROP_TX_INVALID]++;
      continue;
    }
    const peer = routes.lookup(ipv4Destination(buf, VNET_HDR_LEN));
    if (peer < 0) {
      c[C_DROP_NO_ROUTE]++;
      continue;
    }
    const addr = routes.underlayOf(peer);
    cursor.segment = 0;
    let r = splitForWire(out, i, words[i]!, size, addr, opts, cursor);
    // A full list goes out and the packet carries on where it stopped; an empty list always
    // takes a segment, so this ends.
    while (r === SPLIT_NO_ROOM && out.messageCount > 0) {
      sendOut(ctx);
      r = splitForWire(out, i, words[i]!, size, addr, opts, cursor);
    }
    if (r !== SPLIT_OK) c[C_DROP_TX_INVALID]++;
  }
  c[C_TUN_RX_PACKETS] += n;
  c[C_TUN_RX_BYTES] += rxBytes;
  sendOut(ctx);
  return n;
}

const GSO_ON = { gso: true } as const;
/** Reused by every split (a loop runs in one thread). */
const cursor: SplitCursor = { segment: 0 };
const GSO_OFF = { gso: false } as const;

/** Writes what `out` holds to the TUN device and counts it; returns with `out` empty. */
function writeOut(ctx: OffloadUdpToTunContext): void {
  ctx.coalescer.flush();
  const out = ctx.batch.out;
  const c = ctx.counters;
  // A group's first packet found bad only when the group is flushed: its peer is no longer
  // known here, so it counts in the totals only.
  c[C_DROP_BAD_CHECKSUM] += ctx.coalescer.droppedFirst;
  ctx.coalescer.droppedFirst = 0;
  if (out.messageCount === 0) {
    out.reset();
    return;
  }
  ctx.tun.writeGather(out);
  let packets = 0;
  let bytes = 0;
  let refused = 0;
  for (let m = 0; m < out.messageCount; m++) {
    if (out.messageResult[m]! < 0) {
      refused++;
      continue;
    }
    packets++;
    bytes += out.messageBytes[m]! - VNET_HDR_LEN;
  }
  c[C_TUN_TX_PACKETS] += packets;
  c[C_TUN_TX_BYTES] += bytes;
  c[C_TUN_WRITE_ERRORS] += refused;
  out.reset();
}

/**
 * The checking and writing half of the UDP -> TUN offload loop, for `n` receives in
 * ctx.batch: every segment of every coalesced datagram passes the per-packet path's checks
 * (known peer, well-formed IPv4, inner source in the peer's subnet, destination in ours).
 */
export function deliverUdpSegments(ctx: OffloadUdpToTunContext, n: number): number {
  if (n === 0) return 0;
  const { bufs, sizes, addrs, segSizes } = ctx.batch;
  // Empty even if an earlier batch ended in an exception between filling and writing.
  ctx.coalescer.reset();
  ctx.batch.out.reset();
  const routes = ctx.routes;
  const c = ctx.counters;
  const pc = ctx.peerCounters;
  const localBase = ctx.localBase;
  const localMask = ctx.localMask;
  const coalescer = ctx.coalescer;
  let datagrams = 0;
  let rxBytes = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes[i]!;
    const buf = bufs[i]!;
    const sender = addrs[i]!;
    const step = segSizes[i]! > 0 ? segSizes[i]! : size;
    const segments = size === 0 ? 1 : Math.ceil(size / step);
    datagrams += segments;
    rxBytes += size;
    const peer = routes.peerIndexByUnderlay(sender);
    if (peer < 0) {
      c[C_DROP_UNKNOWN_PEER] += segments;
      continue;
    }
    // Counted for the peer whatever happens next: it was heard from.
    const o = routes.counterOffsetOf(peer);
    pc[o + P_RX_PACKETS] += segments;
    pc[o + P_RX_BYTES] += size;
    for (let off = 0; off < size || (size === 0 && off === 0); off += step) {
      const segLen = Math.min(step, size - off);
      const verdict = validateIpv4(buf, off, segLen);
      if (verdict !== PACKET_OK) {
        c[VERDICT_SLOT[verdict]!]++;
        pc[o + PEER_VERDICT_SLOT[verdict]!]++;
        if (size === 0) break;
        continue;
      }
      const owner = routes.lookup(ipv4Source(buf, off));
      if (owner < 0 || routes.underlayOf(owner) !== sender) {
        c[C_DROP_SPOOFED_SOURCE]++;
        pc[o + P_DROP_SPOOFED_SOURCE]++;
        continue;
      }
      if (((ipv4Destination(buf, off) & localMask) >>> 0) !== localBase) {
        c[C_DROP_WRONG_DESTINATION]++;
        pc[o + P_DROP_WRONG_DESTINATION]++;
        continue;
      }
      // Trailing bytes after the IP total length are not part of the packet.
      const ipLen = (buf[off + 2]! << 8) | buf[off + 3]!;
      let r = coalescer.add(i, off, ipLen);
      if (r === COALESCE_NO_ROOM) {
        writeOut(ctx);
        r = coalescer.add(i, off, ipLen);
      }
      if (r === COALESCE_BAD_CHECKSUM) {
        c[C_DROP_BAD_CHECKSUM]++;
        pc[o + P_DROP_BAD_CHECKSUM]++;
      }
    }
  }
  c[C_UDP_RX_PACKETS] += datagrams;
  c[C_UDP_RX_BYTES] += rxBytes;
  writeOut(ctx);
  return n;
}

/** The superpacket TUN -> UDP side of a loop. */
export function offloadTunToUdpSide(ctx: OffloadTunToUdpContext): LoopSide {
  const { bufs, sizes, capacity } = ctx.batch;
  return {
    receive: (max) => ctx.tun.read(bufs, sizes, max),
    forward: (n) => void sendTunSuperpackets(ctx, n),
    capacity,
    errorSlot: C_TUN_READ_ERRORS,
    routed: ctx,
  };
}

/** The superpacket UDP -> TUN side of a loop. */
export function offloadUdpToTunSide(ctx: OffloadUdpToTunContext): LoopSide {
  const { bufs, sizes, addrs, segSizes, capacity } = ctx.batch;
  return {
    receive: (max) => ctx.transport.recvSegments(bufs, sizes, addrs, segSizes, max),
    forward: (n) => void deliverUdpSegments(ctx, n),
    capacity,
    errorSlot: C_RECV_ERRORS,
    routed: ctx,
  };
}
