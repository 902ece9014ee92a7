// Pure: what to add and remove so the installed routes become the desired ones.
import { prefixMask, type Ipv4Cidr } from '../../common/cidr.js';

export interface RouteDiff {
  add: Ipv4Cidr[];
  remove: Ipv4Cidr[];
}

/** Canonical block: host bits cleared, so two spellings of one block compare equal. */
function canonical(cidr: Ipv4Cidr): Ipv4Cidr {
  return { base: (cidr.base & prefixMask(cidr.prefixLen)) >>> 0, prefixLen: cidr.prefixLen };
}

function key(cidr: Ipv4Cidr): number {
  // base * 64 + len is unique for len 0-32 and stays below 2^38, exact as a JS number.
  return cidr.base * 64 + cidr.prefixLen;
}

/** Sorted by address, then prefix length, without duplicates. */
function canonicalSet(cidrs: readonly Ipv4Cidr[]): Map<number, Ipv4Cidr> {
  const out = new Map<number, Ipv4Cidr>();
  for (const c of cidrs) {
    const k = canonical(c);
    out.set(key(k), k);
  }
  return out;
}

function sorted(cidrs: Iterable<Ipv4Cidr>): Ipv4Cidr[] {
  return [...cidrs].sort((a, b) => key(a) - key(b));
}

/**
 * Set difference on canonical blocks: `add` = desired − installed, `remove` = installed − desired,
 * each sorted by address then prefix length and free of duplicates.
 */
export function diffRoutes(desired: readonly Ipv4Cidr[], installed: readonly Ipv4Cidr[]): RouteDiff {
  const want = canonicalSet(desired);
  const have = canonicalSet(installed);
  const add: Ipv4Cidr[] = [];
  const remove: Ipv4Cidr[] = [];
  for (const [k, c] of want) if (!have.has(k)) add.push(c);
  for (const [k, c] of have) if (!want.has(k)) remove.push(c);
  return { add: sorted(add), remove: sorted(remove) };
}
