// A tiny seeded PRNG (mulberry32) for the randomized tests: the same seed gives the same
// cases on every run, so a failure reproduces exactly.

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, maxExclusive). */
export function randomInt(rand: () => number, maxExclusive: number): number {
  return Math.floor(rand() * maxExclusive);
}

/** Any unsigned 32-bit integer (an IPv4 address). */
export function randomUint32(rand: () => number): number {
  return Math.floor(rand() * 0x100000000) >>> 0;
}
