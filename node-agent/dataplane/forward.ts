// One batch of forwarding in each direction, over the TunDevice and Transport interfaces,
// shared by the worker loops and the in-memory tests. Nothing here allocates per packet:
// buffers, sizes and addresses are preallocated, and drops are marked by zeroing a size.
import { prefixMask, type Ipv4Cidr } from '../../common/cidr.js';
import type { TunDevice } from '../tun/tun-device.js';
import type { Transport } from '../udp/transport.js';
import {
  C_DROP_BAD_CHECKSUM,
  C_DROP_BAD_HEADER_LENGTH,
  C_DROP_NO_ROUTE,
  C_DROP_NOT_IPV4,
  C_DROP_SPOOFED_SOURCE,
  C_DROP_TOO_SHORT,
  C_DROP_TRUNCATED,
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
import {
  PACKET_BAD_CHECKSUM,
  PACKET_BAD_HEADER_LENGTH,
  PACKET_NOT_IPV4,
  PACKET_OK,
  PACKET_TOO_SHORT,
  PACKET_TRUNCATED,
  ipv4Destination,
  ipv4Source,
  validateIpv4,
  validateIpv4Minimal,
} from './packet.js';
import {
  PEER_VERDICT_SLOT,
  P_DROP_SPOOFED_SOURCE,
  P_DROP_WRONG_DESTINATION,
  P_RX_BYTES,
  P_RX_PACKETS,
  P_SEND_ERRORS,
  P_TX_BYTES,
  P_TX_PACKETS,
} from './peer-counters.js';
import type { RouteLookup } from './route-lookup.js';

export const DEFAULT_BATCH_SIZE = 64;
/** Room for the largest IPv4 datagram, so neither TUN reads nor UDP receives ever truncate. */
export const DEFAULT_PACKET_BUFFER = 65536;

/** Caller-owned buffers for one batch, reused for every batch of one loop. */
export interface PacketBatch {
  readonly capacity: number;
  readonly bufs: Buffer[];
  readonly sizes: Int32Array;
  /** Underlay addresses: destinations on the way out, sources on the way in. */
  readonly addrs: Uint32Array;
  /** On the way out: each packet's peer counter block (RouteLookup.counterOffsetOf). */
  readonly peers: Int32Array;
}

export function createPacketBatch(capacity = DEFAULT_BATCH_SIZE, bufferSize = DEFAULT_PACKET_BUFFER): PacketBatch {
  const bufs: Buffer[] = [];
  // Each buffer owns its memory (no pool slices), so native addresses stay put for its lifetime.
  for (let i = 0; i < capacity; i++) bufs.push(Buffer.alloc(bufferSize));
  return { capacity, bufs, sizes: new Int32Array(capacity), addrs: new Uint32Array(capacity), peers: new Int32Array(capacity) };
}

export interface TunToUdpContext {
  readonly tun: TunDevice;
  readonly transport: Transport;
  /** Replaced by the loop when a new table arrives, with the per-peer counters that go with it. */
  routes: RouteLookup;
  peerCounters: Float64Array;
  readonly counters: Float64Array;
  readonly batch: PacketBatch;
}

export interface UdpToTunContext {
  readonly transport: Transport;
  readonly tun: TunDevice;
  routes: RouteLookup;
  peerCounters: Float64Array;
  /** Our own node's subnet: the only destinations we accept from peers. */
  readonly localBase: number;
  readonly localMask: number;
  readonly counters: Float64Array;
  readonly batch: PacketBatch;
}

export function localSubnetFields(subnet: Ipv4Cidr): { localBase: number; localMask: number } {
  return { localBase: subnet.base, localMask: prefixMask(subnet.prefixLen) };
}

/** Reads one batch from the TUN device and sends each routable IPv4 packet to its peer; returns packets read. */
export function forwardTunToUdp(ctx: TunToUdpContext): number {
  return sendTunBatch(ctx, ctx.tun.read(ctx.batch.bufs, ctx.batch.sizes, ctx.batch.capacity));
}

/** The forwarding half of forwardTunToUdp, for `n` packets already read into ctx.batch. */
export function sendTunBatch(ctx: TunToUdpContext, n: number): number {
  if (n === 0) return 0;
  const { bufs, sizes, addrs, peers } = ctx.batch;
  const routes = ctx.routes;
  const c = ctx.counters;
  let rxBytes = 0;
  let accepted = 0;
  let noRoute = 0;
  let invalid = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes[i]!;
    const buf = bufs[i]!;
    rxBytes += size;
    if (validateIpv4Minimal(buf, 0, size) !== PACKET_OK) {
      invalid++;
      sizes[i] = 0;
      continue;
    }
    const peer = routes.lookup(ipv4Destination(buf, 0));
    if (peer < 0) {
      noRoute++;
      sizes[i] = 0;
      continue;
    }
    addrs[i] = routes.underlayOf(peer);
    peers[i] = routes.counterOffsetOf(peer);
    accepted++;
  }
  c[C_TUN_RX_PACKETS] += n;
  c[C_TUN_RX_BYTES] += rxBytes;
  c[C_DROP_TX_INVALID] += invalid;
  c[C_DROP_NO_ROUTE] += noRoute;
  if (accepted === 0) return n;
  const sent = ctx.transport.send(bufs, sizes, addrs, n);
  const pc = ctx.peerCounters;
  let txBytes = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes[i]!;
    if (size > 0) {
      txBytes += size;
      const o = peers[i]!;
      pc[o + P_TX_PACKETS]++;
      pc[o + P_TX_BYTES] += size;
    } else if (size < 0) {
      // Refused by the kernel (send() marks it -1); dropped packets were zeroed above.
      pc[peers[i]! + P_SEND_ERRORS]++;
    }
  }
  c[C_UDP_TX_PACKETS] += sent;
  c[C_UDP_TX_BYTES] += txBytes;
  c[C_SEND_ERRORS] += accepted - sent;
  return n;
}

/** Counter slot for each validateIpv4 verdict other than ok. */
export const VERDICT_SLOT: readonly number[] = (() => {
  const slots: number[] = [];
  slots[PACKET_TOO_SHORT] = C_DROP_TOO_SHORT;
  slots[PACKET_NOT_IPV4] = C_DROP_NOT_IPV4;
  slots[PACKET_BAD_HEADER_LENGTH] = C_DROP_BAD_HEADER_LENGTH;
  slots[PACKET_TRUNCATED] = C_DROP_TRUNCATED;
  slots[PACKET_BAD_CHECKSUM] = C_DROP_BAD_CHECKSUM;
  return slots;
})();

/**
 * Receives one batch from the underlay and writes to the TUN device each packet that comes
 * from a known peer, is a well-formed IPv4 datagram, has an inner source inside that
 * peer's subnet and a destination inside ours; every other one is counted by reason.
 */
export function forwardUdpToTun(ctx: UdpToTunContext): number {
  return deliverUdpBatch(ctx, ctx.transport.recv(ctx.batch.bufs, ctx.batch.sizes, ctx.batch.addrs, ctx.batch.capacity));
}

/** The checking and writing half of forwardUdpToTun, for `n` datagrams already received into ctx.batch. */
export function deliverUdpBatch(ctx: UdpToTunContext, n: number): number {
  if (n === 0) return 0;
  const { bufs, sizes, addrs } = ctx.batch;
  const routes = ctx.routes;
  const c = ctx.counters;
  const pc = ctx.peerCounters;
  const localBase = ctx.localBase;
  const localMask = ctx.localMask;
  let rxBytes = 0;
  let accepted = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes[i]!;
    const buf = bufs[i]!;
    const sender = addrs[i]!;
    rxBytes += size;
    const peer = routes.peerIndexByUnderlay(sender);
    if (peer < 0) {
      c[C_DROP_UNKNOWN_PEER]++;
      sizes[i] = 0;
      continue;
    }
    // Counted for the peer whatever happens next: it was heard from.
    const o = routes.counterOffsetOf(peer);
    pc[o + P_RX_PACKETS]++;
    pc[o + P_RX_BYTES] += size;
    const verdict = validateIpv4(buf, 0, size);
    if (verdict !== PACKET_OK) {
      c[VERDICT_SLOT[verdict]!]++;
      pc[o + PEER_VERDICT_SLOT[verdict]!]++;
      sizes[i] = 0;
      continue;
    }
    // The subnet owning the inner source must be the one behind the sending address.
    const owner = routes.lookup(ipv4Source(buf, 0));
    if (owner < 0 || routes.underlayOf(owner) !== sender) {
      c[C_DROP_SPOOFED_SOURCE]++;
      pc[o + P_DROP_SPOOFED_SOURCE]++;
      sizes[i] = 0;
      continue;
    }
    if (((ipv4Destination(buf, 0) & localMask) >>> 0) !== localBase) {
      c[C_DROP_WRONG_DESTINATION]++;
      pc[o + P_DROP_WRONG_DESTINATION]++;
      sizes[i] = 0;
      continue;
    }
    // Trailing bytes after the IP total length are not part of the packet.
    sizes[i] = (buf[2]! << 8) | buf[3]!;
    accepted++;
  }
  c[C_UDP_RX_PACKETS] += n;
  c[C_UDP_RX_BYTES] += rxBytes;
  if (accepted === 0) return n;
  const written = ctx.tun.write(bufs, sizes, n);
  let txBytes = 0;
  for (let i = 0; i < n; i++) {
    const size = sizes[i]!;
    if (size > 0) txBytes += size;
  }
  c[C_TUN_TX_PACKETS] += written;
  c[C_TUN_TX_BYTES] += txBytes;
  c[C_TUN_WRITE_ERRORS] += accepted - written;
  return n;
}

// Control words shared between the main thread and a loop (Int32Array over a SharedArrayBuffer).
export const CONTROL_STOP = 0;
export const CONTROL_GENERATION = 1;
/** Never written: a loop waits on it to back off after an error without spinning. */
export const CONTROL_IDLE = 2;
export const CONTROL_SLOTS = 4;

const FATAL_CODES = new Set(['EBADF', 'EBADFD', 'ENODEV', 'ENXIO', 'ENOTSOCK', 'EFAULT']);
const ERROR_BACKOFF_MS = 10;

/** True when an error means the descriptor is gone, so the loop cannot go on. */
export function isFatalIoError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FATAL_CODES.has(code);
}

export interface LoopHooks {
  /** CONTROL_* words: the main thread sets STOP and bumps GENERATION after posting a table. */
  readonly control: Int32Array;
  /** Generation of the table the loop starts with. */
  readonly generation: number;
  /**
   * Takes the newest posted table, if one is waiting, with the generation it was posted as,
   * and the per-peer counters to use from now on when they changed (the table outgrew them).
   */
  takeRoutes(): { routes: RouteLookup; generation: number; peerCounters?: Float64Array } | undefined;
  /** A non-fatal error that was counted; the loop backs off briefly and goes on. */
  reportError(err: unknown): void;
  /** Called after every batch with the number of packets it handled (for rate-limited reporting). */
  afterBatch?(packets: number): void;
}

/** One direction of a worker's loop: reading what is queued, without waiting, and forwarding it. */
export interface LoopSide {
  /** Reads up to `max` (at most `capacity`) packets that are already queued; returns how many (0: none). */
  receive(max: number): number;
  /** Forwards the `n` packets receive() read. */
  forward(n: number): void;
  /** A batch this full means more may be queued: read again before waiting. */
  readonly capacity: number;
  /** Counter slot for a non-fatal error while receiving or forwarding. */
  readonly errorSlot: number;
  /** The context whose table (and per-peer counters) the loop replaces when a new one arrives. */
  readonly routed: { routes: RouteLookup; peerCounters: Float64Array };
}

/** Readiness bits waitReady() returns. */
export const READY_TUN = 1;
export const READY_UDP = 2;
/**
 * Nothing was ready when the wait began, so it slept: what woke the loop is likely a lone
 * packet. Under load a wait finds input at once and leaves this bit clear.
 */
export const READY_AFTER_SLEEP = 4;

/**
 * Forwards both directions in one thread until the stop flag is set, as socat does: a lone
 * packet and its reply are handled by the thread that is already awake, and a worker needs
 * one wake-up per burst, not one per direction. `waitReady()` blocks until the TUN device
 * or the socket has input or its timeout passes (READY_* bits, READY_AFTER_SLEEP when it
 * had to sleep; 0 on timeout). Throws only when a descriptor is gone.
 */
export function runDuplexLoop(tunSide: LoopSide, udpSide: LoopSide, waitReady: () => number, counters: Float64Array, hooks: LoopHooks): void {
  const control = hooks.control;
  let generation = hooks.generation;
  let ready = READY_TUN | READY_UDP;
  const step = (side: LoopSide, max: number): number => {
    let n = 0;
    try {
      n = side.receive(max);
      // Checked after packets arrived, so a batch never uses a table older than the last
      // generation published before it came in; one atomic load per batch.
      const current = Atomics.load(control, CONTROL_GENERATION);
      if (current !== generation) {
        const next = hooks.takeRoutes();
        if (next !== undefined) {
          tunSide.routed.routes = next.routes;
          udpSide.routed.routes = next.routes;
          if (next.peerCounters) {
            tunSide.routed.peerCounters = next.peerCounters;
            udpSide.routed.peerCounters = next.peerCounters;
          }
          generation = next.generation;
        }
      }
      if (n > 0) side.forward(n);
    } catch (err) {
      if (isFatalIoError(err)) throw err;
      counters[side.errorSlot]++;
      hooks.reportError(err);
      Atomics.wait(control, CONTROL_IDLE, 0, ERROR_BACKOFF_MS);
    }
    return n;
  };
  // Sides whose input was ready in the round before this one.
  let previous = ready;
  let slept = false;
  while (Atomics.load(control, CONTROL_STOP) === 0) {
    // A side reads one packet, sends it, and goes back to waiting when its input is fresh:
    // the wait slept (the loop was idle), or the side had nothing in the round before (a
    // reply to what the other side just forwarded). Such a packet is likely alone (a ping,
    // a request, its answer) and should wait neither for a read that finds the queue empty
    // (a TUN device tells it only that way) nor for a batch to be set up. If more was
    // queued, the next wait returns at once with the side ready again, and the rest is read
    // in batches.
    const fresh = slept ? ready : ready & ~previous;
    let packets = 0;
    let full = false;
    if ((ready & READY_TUN) !== 0) {
      const n = step(tunSide, (fresh & READY_TUN) !== 0 ? 1 : tunSide.capacity);
      packets += n;
      full = n >= tunSide.capacity;
    }
    if ((ready & READY_UDP) !== 0) {
      const n = step(udpSide, (fresh & READY_UDP) !== 0 ? 1 : udpSide.capacity);
      packets += n;
      full ||= n >= udpSide.capacity;
    }
    previous = ready;
    // A full batch means more may be queued: go round again without waiting, trying both
    // sides, so a busy direction never starves the other. Both came back short: wait.
    if (full) {
      ready = READY_TUN | READY_UDP;
      slept = false;
    } else {
      const woke = waitReady();
      ready = woke & (READY_TUN | READY_UDP);
      slept = (woke & READY_AFTER_SLEEP) !== 0;
    }
    hooks.afterBatch?.(packets);
  }
}

/** The per-packet TUN -> UDP side of a loop. */
export function tunToUdpSide(ctx: TunToUdpContext): LoopSide {
  const { bufs, sizes, capacity } = ctx.batch;
  return {
    receive: (max) => ctx.tun.read(bufs, sizes, max),
    forward: (n) => void sendTunBatch(ctx, n),
    capacity,
    errorSlot: C_TUN_READ_ERRORS,
    routed: ctx,
  };
}

/** The per-packet UDP -> TUN side of a loop. */
export function udpToTunSide(ctx: UdpToTunContext): LoopSide {
  const { bufs, sizes, addrs, capacity } = ctx.batch;
  return {
    receive: (max) => ctx.transport.recv(bufs, sizes, addrs, max),
    forward: (n) => void deliverUdpBatch(ctx, n),
    capacity,
    errorSlot: C_RECV_ERRORS,
    routed: ctx,
  };
}
