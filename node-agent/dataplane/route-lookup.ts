// Longest-prefix match from an inner destination to a peer, and underlay address to peer,
// over open-addressing hash tables in typed arrays: lookups never allocate, and the
// compact form is plain typed arrays that cross to worker threads by structured clone.
import { formatCidr, formatIpv4, prefixMask, type Ipv4Cidr } from '../../common/cidr.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { PEER_STRIDE } from './peer-counters.js';

export interface PeerRoute {
  readonly nodeName: string;
  readonly subnet: Ipv4Cidr;
  readonly underlayIp: number;
}

/** Compact, structured-clone friendly form of a table (what the main thread posts to workers). */
export interface RouteTableData {
  readonly names: readonly string[];
  readonly bases: Uint32Array;
  readonly prefixLens: Uint8Array;
  readonly underlays: Uint32Array;
  /** Each peer's slot in the per-peer counters (peer-counters.ts); absent: slot = index. */
  readonly slots?: Uint32Array;
}

const HASH_MULTIPLIER = 0x9e3779b1;

function tableBits(entries: number): number {
  let bits = 3;
  while (1 << bits < entries * 2) bits++;
  return bits;
}

function prefixHash(base: number, prefixLen: number, shift: number): number {
  return Math.imul((base ^ Math.imul(prefixLen + 1, 0x27d4eb2d)) | 0, HASH_MULTIPLIER) >>> shift;
}

function addressHash(ip: number, shift: number): number {
  return Math.imul(ip | 0, HASH_MULTIPLIER) >>> shift;
}

export class RouteLookup {
  private readonly names: readonly string[];
  private readonly bases: Uint32Array;
  private readonly prefixLens: Uint8Array;
  private readonly underlays: Uint32Array;
  private readonly slots: Uint32Array;
  /** Where each peer's block starts in a per-peer counters array: slot * PEER_STRIDE. */
  private readonly counterOffsets: Uint32Array;
  /** Distinct prefix lengths, longest first, and their masks. */
  private readonly groupLens: Uint8Array;
  private readonly groupMasks: Uint32Array;
  /** Slot holds peer index + 1; 0 is empty. */
  private readonly prefixSlots: Int32Array;
  private readonly prefixShift: number;
  private readonly prefixMaskBits: number;
  private readonly underlaySlots: Int32Array;
  private readonly underlayShift: number;
  private readonly underlayMaskBits: number;

  private constructor(data: RouteTableData) {
    const n = data.names.length;
    if (data.bases.length !== n || data.prefixLens.length !== n || data.underlays.length !== n || (data.slots && data.slots.length !== n)) {
      throw new InvalidArgumentError('route table data is inconsistent: names, bases, prefixLens, underlays and slots must have the same length');
    }
    this.names = data.names;
    this.bases = data.bases;
    this.prefixLens = data.prefixLens;
    this.underlays = data.underlays;
    this.slots = data.slots ?? Uint32Array.from({ length: n }, (_, i) => i);
    this.counterOffsets = this.slots.map((slot) => slot * PEER_STRIDE);

    const lens = [...new Set(data.prefixLens)].sort((a, b) => b - a);
    this.groupLens = Uint8Array.from(lens);
    this.groupMasks = Uint32Array.from(lens, (len) => prefixMask(len));

    const bits = tableBits(n);
    this.prefixShift = 32 - bits;
    this.prefixMaskBits = (1 << bits) - 1;
    this.prefixSlots = new Int32Array(1 << bits);
    this.underlayShift = 32 - bits;
    this.underlayMaskBits = (1 << bits) - 1;
    this.underlaySlots = new Int32Array(1 << bits);

    for (let i = 0; i < n; i++) {
      const base = this.bases[i]!;
      const len = this.prefixLens[i]!;
      if (len > 32) throw new InvalidArgumentError(`peer ${this.names[i]}: prefix length ${len} is out of range (0-32)`);
      if (((base & prefixMask(len)) >>> 0) !== base) {
        throw new InvalidArgumentError(`peer ${this.names[i]}: subnet ${formatIpv4(base)}/${len} has host bits set`);
      }
      const existing = this.findPrefix(base, len);
      if (existing >= 0) {
        throw new InvalidArgumentError(
          `peers ${this.names[existing]} and ${this.names[i]} both claim subnet ${formatCidr({ base, prefixLen: len })}; each subnet must belong to one node`,
        );
      }
      let h = prefixHash(base, len, this.prefixShift);
      while (this.prefixSlots[h] !== 0) h = (h + 1) & this.prefixMaskBits;
      this.prefixSlots[h] = i + 1;
      // Several peers may share an underlay address; the receive side checks ownership by subnet.
      if (this.peerIndexByUnderlay(this.underlays[i]!) < 0) {
        let u = addressHash(this.underlays[i]!, this.underlayShift);
        while (this.underlaySlots[u] !== 0) u = (u + 1) & this.underlayMaskBits;
        this.underlaySlots[u] = i + 1;
      }
    }
  }

  /**
   * Builds a table from peer routes, with each peer's counter slot (default: its index);
   * throws InvalidArgumentError on bad or duplicate subnets.
   */
  static build(peers: readonly PeerRoute[], slots?: Uint32Array): RouteLookup {
    const n = peers.length;
    const bases = new Uint32Array(n);
    const prefixLens = new Uint8Array(n);
    const underlays = new Uint32Array(n);
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = peers[i]!;
      const { base, prefixLen } = p.subnet;
      if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) {
        throw new InvalidArgumentError(`peer ${p.nodeName}: prefix length ${prefixLen} is out of range (0-32)`);
      }
      if (!Number.isInteger(base) || base < 0 || base > 0xffffffff) {
        throw new InvalidArgumentError(`peer ${p.nodeName}: subnet base ${base} is not an unsigned 32-bit address`);
      }
      if (!Number.isInteger(p.underlayIp) || p.underlayIp < 0 || p.underlayIp > 0xffffffff) {
        throw new InvalidArgumentError(`peer ${p.nodeName}: underlay address ${p.underlayIp} is not an unsigned 32-bit address`);
      }
      names.push(p.nodeName);
      bases[i] = base;
      prefixLens[i] = prefixLen;
      underlays[i] = p.underlayIp;
    }
    return new RouteLookup({ names, bases, prefixLens, underlays, ...(slots && { slots }) });
  }

  /** Rebuilds a table from its compact form (in a worker, from a posted message). */
  static fromData(data: RouteTableData): RouteLookup {
    return new RouteLookup(data);
  }

  static empty(): RouteLookup {
    return RouteLookup.build([]);
  }

  toData(): RouteTableData {
    return { names: [...this.names], bases: this.bases.slice(), prefixLens: this.prefixLens.slice(), underlays: this.underlays.slice(), slots: this.slots.slice() };
  }

  get size(): number {
    return this.names.length;
  }

  /** Index of the peer whose subnet is the longest prefix containing `ip`, or -1. */
  lookup(ip: number): number {
    const groups = this.groupLens.length;
    for (let g = 0; g < groups; g++) {
      const len = this.groupLens[g]!;
      const key = (ip & this.groupMasks[g]!) >>> 0;
      let h = prefixHash(key, len, this.prefixShift);
      for (;;) {
        const slot = this.prefixSlots[h]!;
        if (slot === 0) break;
        const p = slot - 1;
        if (this.bases[p] === key && this.prefixLens[p] === len) return p;
        h = (h + 1) & this.prefixMaskBits;
      }
    }
    return -1;
  }

  /** Index of a peer whose underlay address is `ip`, or -1 when no peer sends from there. */
  peerIndexByUnderlay(ip: number): number {
    let h = addressHash(ip, this.underlayShift);
    for (;;) {
      const slot = this.underlaySlots[h]!;
      if (slot === 0) return -1;
      if (this.underlays[slot - 1] === ip) return slot - 1;
      h = (h + 1) & this.underlayMaskBits;
    }
  }

  /** Start of the peer's block in a per-peer counters array. */
  counterOffsetOf(index: number): number {
    return this.counterOffsets[index]!;
  }

  underlayOf(index: number): number {
    return this.underlays[index]!;
  }

  nodeNameOf(index: number): string {
    return this.names[index]!;
  }

  subnetOf(index: number): Ipv4Cidr {
    return { base: this.bases[index]!, prefixLen: this.prefixLens[index]! };
  }

  private findPrefix(base: number, len: number): number {
    let h = prefixHash(base, len, this.prefixShift);
    for (;;) {
      const slot = this.prefixSlots[h]!;
      if (slot === 0) return -1;
      if (this.bases[slot - 1] === base && this.prefixLens[slot - 1] === len) return slot - 1;
      h = (h + 1) & this.prefixMaskBits;
    }
  }
}
