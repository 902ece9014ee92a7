// The Internet checksum (RFC 1071) over buffer ranges, fast enough for the superpacket path
// (64 KB in ~9 µs here). The bulk of a range is summed as little-endian 32-bit words through
// a Uint32Array view: one load per 4 bytes, accumulated in a double, which cannot overflow
// below 2^53. A one's-complement sum taken in the other byte order is the byte swap of the
// big-endian one (RFC 1071, 2.(B)), so one swap at the end fixes the order; the same property
// handles a range that starts at an odd address.

/** A buffer with a 32-bit view over the same memory, built once per buffer, not per packet. */
export interface WordBuffer {
  readonly bytes: Uint8Array;
  /** Words of the underlying ArrayBuffer from its start; null when the buffer is not 4-aligned in it. */
  readonly words: Uint32Array | null;
  /** bytes.byteOffset, to turn a byte index into an index of `words`. */
  readonly base: number;
}

export function wordBuffer(bytes: Uint8Array): WordBuffer {
  const base = bytes.byteOffset;
  if (base % 4 !== 0) return { bytes, words: null, base };
  return { bytes, words: new Uint32Array(bytes.buffer, 0, (base + bytes.length) >>> 2), base };
}

/** Folds a non-negative sum (< 2^53) of 16-bit words to 16 bits with end-around carry. */
export function fold16(sum: number): number {
  let s = sum;
  // Division, not shifts: shifts would cut a sum above 2^32 to 32 bits.
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/** Below this many bytes the plain loop is as fast as setting up the word loop. */
const WORD_LOOP_MIN = 32;

/** Big-endian 16-bit word sum of [i, end) plus `initial`, for i at an even address; unfolded. */
function sumFromEven(buf: WordBuffer, i: number, end: number, initial: number): number {
  const bytes = buf.bytes;
  let s = initial;
  const words = buf.words;
  if (words !== null && end - i >= WORD_LOOP_MIN) {
    if (((buf.base + i) & 3) === 2) {
      s += (bytes[i]! << 8) | bytes[i + 1]!;
      i += 2;
    }
    const first = (buf.base + i) >>> 2;
    const last = first + ((end - i) >>> 2);
    // Two accumulators: the additions of neighbouring words do not wait on each other
    // (7.3 GB/s here against 4.9 with one).
    let le0 = 0;
    let le1 = 0;
    let w = first;
    for (; w + 2 <= last; w += 2) {
      le0 += words[w]!;
      le1 += words[w + 1]!;
    }
    if (w < last) le0 += words[w]!;
    s += swap16(fold16(le0 + le1));
    i += (last - first) * 4;
  }
  for (; i + 1 < end; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) s += bytes[i]! << 8;
  return s;
}

/**
 * One's-complement sum (folded to 16 bits, not inverted) of bytes [start, end) read as
 * big-endian 16-bit words beginning at `start`; an odd last byte is padded with zero.
 */
export function sum16(buf: WordBuffer, start: number, end: number): number {
  if (end <= start) return 0;
  if (((buf.base + start) & 1) === 0) return fold16(sumFromEven(buf, start, end, 0));
  // Pretend a zero byte precedes the range: pairs then sit on even addresses, and the
  // sum of the shifted pairing is the byte swap of the one we want.
  return swap16(fold16(sumFromEven(buf, start + 1, end, buf.bytes[start]!)));
}

/** Sum of the IPv4 pseudo-header of a TCP or UDP segment of `length` bytes (header included). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** The value of a checksum field for the given partial sums: the complement of their fold. */
export function checksumField(sum: number): number {
  return ~fold16(sum) & 0xffff;
}
