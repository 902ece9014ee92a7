// Per-peer counters: what `tunctl status` shows for each peer. Every peer in the route table
// has a slot that stays its own while it stays in the table; each worker counts into its
// own SharedArrayBuffer (one writer, no atomics), a block of PEER_STRIDE slots per peer. The
// main thread assigns the slots, sums the workers' blocks and notes when a peer's counts
// last moved. When more peers arrive than the buffers hold, new, larger buffers go to the
// workers with the next table; the old ones stay in the sums (a worker may have counted
// into them until it took that table).
import type { TrafficStatus } from '../status/agent-status.js';
import { PACKET_BAD_CHECKSUM, PACKET_BAD_HEADER_LENGTH, PACKET_NOT_IPV4, PACKET_TOO_SHORT, PACKET_TRUNCATED } from './packet.js';

export const P_TX_PACKETS = 0;
export const P_TX_BYTES = 1;
export const P_RX_PACKETS = 2;
export const P_RX_BYTES = 3;
export const P_SEND_ERRORS = 4;
export const P_DROP_TOO_SHORT = 5;
export const P_DROP_NOT_IPV4 = 6;
export const P_DROP_BAD_HEADER_LENGTH = 7;
export const P_DROP_TRUNCATED = 8;
export const P_DROP_BAD_CHECKSUM = 9;
export const P_DROP_SPOOFED_SOURCE = 10;
export const P_DROP_WRONG_DESTINATION = 11;
/** Slots per peer block: a 128-byte cache line, room to grow. */
export const PEER_STRIDE = 16;

/** Block slot for each validateIpv4 verdict other than ok. */
export const PEER_VERDICT_SLOT: readonly number[] = (() => {
  const slots: number[] = [];
  slots[PACKET_TOO_SHORT] = P_DROP_TOO_SHORT;
  slots[PACKET_NOT_IPV4] = P_DROP_NOT_IPV4;
  slots[PACKET_BAD_HEADER_LENGTH] = P_DROP_BAD_HEADER_LENGTH;
  slots[PACKET_TRUNCATED] = P_DROP_TRUNCATED;
  slots[PACKET_BAD_CHECKSUM] = P_DROP_BAD_CHECKSUM;
  return slots;
})();

/** Block slot for each per-peer drop reason, as the API names them. */
const PEER_DROP_SLOTS = {
  send_error: P_SEND_ERRORS,
  too_short: P_DROP_TOO_SHORT,
  not_ipv4: P_DROP_NOT_IPV4,
  bad_header_length: P_DROP_BAD_HEADER_LENGTH,
  truncated: P_DROP_TRUNCATED,
  bad_checksum: P_DROP_BAD_CHECKSUM,
  spoofed_source: P_DROP_SPOOFED_SOURCE,
  wrong_destination: P_DROP_WRONG_DESTINATION,
} as const;
export type PeerDropReason = keyof typeof PEER_DROP_SLOTS;

/** A worker's block array for `capacity` peers. */
export function createPeerCounters(capacity: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(capacity * PEER_STRIDE * Float64Array.BYTES_PER_ELEMENT));
}

export interface PeerTraffic {
  readonly nodeName: string;
  /** Drops: the per-peer reasons (PeerDropReason) that counted something. */
  readonly traffic: TrafficStatus;
  /** Unix ms when a datagram from the peer was last counted (to within a sample); 0: never. */
  readonly lastRxAt: number;
  /** Unix ms when a datagram to the peer was last counted; 0: never. */
  readonly lastTxAt: number;
}

interface SlotState {
  readonly slot: number;
  /** The slot's sums when this peer took it (a reused slot holds its last owner's counts). */
  readonly baseline: Float64Array;
  lastRxPackets: number;
  lastTxPackets: number;
  lastRxAt: number;
  lastTxAt: number;
}

const INITIAL_CAPACITY = 64;

export class PeerCounterBook {
  private capacity: number;
  /** Per worker: its current buffer, last, after the ones it has used before. */
  private readonly buffers: Float64Array[][];
  private readonly bySlot = new Map<string, SlotState>();
  private readonly free: number[] = [];
  private nextSlot = 0;
  private total = new Float64Array(0);

  constructor(workers: number, initialCapacity = INITIAL_CAPACITY) {
    this.capacity = Math.max(1, initialCapacity);
    this.buffers = Array.from({ length: workers }, () => [createPeerCounters(this.capacity)]);
  }

  /** The buffer worker `w` counts into now. */
  current(w: number): Float64Array {
    const list = this.buffers[w]!;
    return list[list.length - 1]!;
  }

  /**
   * Gives every name a slot, keeping the slots of names it had and freeing the rest; returns
   * them in the order given, and whether the buffers grew (then every worker must get its
   * new current() buffer with this table).
   */
  assign(names: readonly string[]): { slots: Uint32Array; grown: boolean } {
    const wanted = new Set(names);
    for (const [name, state] of this.bySlot) {
      if (!wanted.has(name)) {
        this.bySlot.delete(name);
        this.free.push(state.slot);
      }
    }
    const fresh = names.filter((n) => !this.bySlot.has(n)).length;
    let grown = false;
    const needed = this.nextSlot + Math.max(0, fresh - this.free.length);
    if (needed > this.capacity) {
      while (this.capacity < needed) this.capacity *= 2;
      for (const list of this.buffers) list.push(createPeerCounters(this.capacity));
      grown = true;
    }
    const now = this.sums();
    const slots = new Uint32Array(names.length);
    names.forEach((name, i) => {
      let state = this.bySlot.get(name);
      if (!state) {
        const slot = this.free.pop() ?? this.nextSlot++;
        state = { slot, baseline: blockOf(now, slot), lastRxPackets: 0, lastTxPackets: 0, lastRxAt: 0, lastTxAt: 0 };
        this.bySlot.set(name, state);
      }
      slots[i] = state.slot;
    });
    return { slots, grown };
  }

  /** Notes which peers' counts moved since the last sample: their "last seen" becomes `now`. */
  sample(now = Date.now()): void {
    this.sampleSums(now);
  }

  /** sample(), returning the sums it looked at. */
  private sampleSums(now: number): Float64Array {
    const sums = this.sums();
    for (const state of this.bySlot.values()) {
      const base = state.slot * PEER_STRIDE;
      const rx = sums[base + P_RX_PACKETS]! - state.baseline[P_RX_PACKETS]!;
      const tx = sums[base + P_TX_PACKETS]! - state.baseline[P_TX_PACKETS]!;
      if (rx !== state.lastRxPackets) {
        state.lastRxPackets = rx;
        state.lastRxAt = now;
      }
      if (tx !== state.lastTxPackets) {
        state.lastTxPackets = tx;
        state.lastTxAt = now;
      }
    }
    return sums;
  }

  /** Samples, then reads every peer's counts since it took its slot. */
  read(now = Date.now()): PeerTraffic[] {
    const sums = this.sampleSums(now);
    const out: PeerTraffic[] = [];
    for (const [nodeName, state] of this.bySlot) {
      const base = state.slot * PEER_STRIDE;
      const count = (slot: number) => sums[base + slot]! - state.baseline[slot]!;
      const drops: Partial<Record<PeerDropReason, number>> = {};
      for (const [reason, slot] of Object.entries(PEER_DROP_SLOTS)) {
        const n = count(slot);
        if (n > 0) drops[reason as PeerDropReason] = n;
      }
      out.push({
        nodeName,
        traffic: { txPackets: count(P_TX_PACKETS), txBytes: count(P_TX_BYTES), rxPackets: count(P_RX_PACKETS), rxBytes: count(P_RX_BYTES), drops },
        lastRxAt: state.lastRxAt,
        lastTxAt: state.lastTxAt,
      });
    }
    return out;
  }

  /**
   * Every slot summed over every worker and every buffer it has used, into one array reused
   * from call to call (a second's sample of thousands of peers makes no garbage).
   */
  private sums(): Float64Array {
    if (this.total.length !== this.capacity * PEER_STRIDE) this.total = new Float64Array(this.capacity * PEER_STRIDE);
    const total = this.total;
    const used = this.nextSlot * PEER_STRIDE;
    total.fill(0, 0, used);
    for (const list of this.buffers) {
      for (const buf of list) {
        const n = Math.min(buf.length, used);
        for (let i = 0; i < n; i++) total[i]! += buf[i]!;
      }
    }
    return total;
  }
}

function blockOf(sums: Float64Array, slot: number): Float64Array {
  return sums.slice(slot * PEER_STRIDE, (slot + 1) * PEER_STRIDE);
}
