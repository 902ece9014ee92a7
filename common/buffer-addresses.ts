// Native addresses of the buffers a loop hands to the kernel, one slot per batch entry.
// koffi.address() allocates a BigInt, so a loop that reuses its buffers looks each one up
// once. Each direction keeps its own cache: one shared by reads and writes would be
// evicted on every call when the two alternate (a ping and its reply), allocating twice
// per packet.
import koffi from 'koffi';

export class BufferAddresses {
  private readonly bufs: (Uint8Array | undefined)[];
  private readonly addrs: Float64Array;

  constructor(slots: number) {
    this.bufs = new Array<Uint8Array | undefined>(slots).fill(undefined);
    this.addrs = new Float64Array(slots);
  }

  /** The address of `buf`, which the caller uses as entry `slot` of its batch. */
  of(slot: number, buf: Uint8Array): number {
    if (slot >= this.addrs.length) return Number(koffi.address(buf));
    if (this.bufs[slot] !== buf) {
      this.bufs[slot] = buf;
      this.addrs[slot] = Number(koffi.address(buf));
    }
    return this.addrs[slot]!;
  }
}
