import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCidr, parseCidr, prefixMask, type Ipv4Cidr } from '../../../common/cidr.js';
import { diffRoutes } from '../../../node-agent/routes/route-diff.js';
import { prng } from '../../prng.js';

const c = (text: string): Ipv4Cidr => parseCidr(text);
const texts = (cidrs: readonly Ipv4Cidr[]): string[] => cidrs.map(formatCidr);

test('empty installed: everything desired is added', () => {
  const d = diffRoutes([c('10.244.2.0/24'), c('10.244.1.0/24')], []);
  assert.deepEqual(texts(d.add), ['10.244.1.0/24', '10.244.2.0/24']);
  assert.deepEqual(d.remove, []);
});

test('empty desired: everything installed is removed', () => {
  const d = diffRoutes([], [c('10.244.1.0/24'), c('10.244.3.0/24')]);
  assert.deepEqual(d.add, []);
  assert.deepEqual(texts(d.remove), ['10.244.1.0/24', '10.244.3.0/24']);
});

test('in sync: nothing to do, whatever the order', () => {
  const d = diffRoutes([c('10.244.1.0/24'), c('10.244.2.0/24')], [c('10.244.2.0/24'), c('10.244.1.0/24')]);
  assert.deepEqual(d, { add: [], remove: [] });
});

test('same base, different prefix lengths are different routes', () => {
  const d = diffRoutes([c('10.244.0.0/16')], [c('10.244.0.0/24')]);
  assert.deepEqual(texts(d.add), ['10.244.0.0/16']);
  assert.deepEqual(texts(d.remove), ['10.244.0.0/24']);
});

test('duplicates collapse and host bits are canonicalised', () => {
  const d = diffRoutes([c('10.0.1.0/24'), c('10.0.1.0/24'), { base: parseCidr('10.0.2.0/24').base + 7, prefixLen: 24 }], [c('10.0.2.0/24')]);
  assert.deepEqual(texts(d.add), ['10.0.1.0/24']);
  assert.deepEqual(d.remove, []);
});

test('output is sorted by address then prefix length, including the top of the range', () => {
  const d = diffRoutes([c('255.255.255.255/32'), c('0.0.0.0/0'), c('128.0.0.0/1'), c('128.0.0.0/2'), c('10.0.0.0/8')], []);
  assert.deepEqual(texts(d.add), ['0.0.0.0/0', '10.0.0.0/8', '128.0.0.0/1', '128.0.0.0/2', '255.255.255.255/32']);
});

test('does not mutate its inputs', () => {
  const desired = [c('10.0.2.0/24'), c('10.0.1.0/24')];
  const installed = [c('10.0.3.0/24')];
  diffRoutes(desired, installed);
  assert.deepEqual(texts(desired), ['10.0.2.0/24', '10.0.1.0/24']);
  assert.deepEqual(texts(installed), ['10.0.3.0/24']);
});

// Slow obvious reference: canonical strings, linear membership, then sort by numeric order.
function referenceDiff(desired: Ipv4Cidr[], installed: Ipv4Cidr[]): { add: string[]; remove: string[] } {
  const canon = (x: Ipv4Cidr): Ipv4Cidr => ({ base: (x.base & prefixMask(x.prefixLen)) >>> 0, prefixLen: x.prefixLen });
  const uniq = (xs: Ipv4Cidr[]): Ipv4Cidr[] => {
    const out: Ipv4Cidr[] = [];
    for (const x of xs.map(canon)) if (!out.some((y) => y.base === x.base && y.prefixLen === x.prefixLen)) out.push(x);
    return out;
  };
  const minus = (a: Ipv4Cidr[], b: Ipv4Cidr[]): Ipv4Cidr[] =>
    a.filter((x) => !b.some((y) => y.base === x.base && y.prefixLen === x.prefixLen));
  const order = (xs: Ipv4Cidr[]): string[] =>
    xs.sort((x, y) => (x.base !== y.base ? (x.base < y.base ? -1 : 1) : x.prefixLen - y.prefixLen)).map(formatCidr);
  const want = uniq(desired);
  const have = uniq(installed);
  return { add: order(minus(want, have)), remove: order(minus(have, want)) };
}

test('matches the slow reference on 5000 random cases', () => {
  const rand = prng(0x7c0ffee);
  const int = (n: number): number => Math.floor(rand() * n);
  // A small universe so desired and installed overlap often; some raw bases carry host bits.
  const randomCidr = (): Ipv4Cidr => {
    const prefixLen = [0, 8, 16, 23, 24, 24, 24, 25, 32][int(9)]!;
    const base = rand() < 0.9 ? ((10 << 24) | (int(4) << 16) | (int(6) << 8)) >>> 0 : (int(2 ** 32) >>> 0);
    return { base: rand() < 0.8 ? (base & prefixMask(prefixLen)) >>> 0 : base, prefixLen };
  };
  for (let i = 0; i < 5000; i++) {
    const desired = Array.from({ length: int(25) }, randomCidr);
    const installed = Array.from({ length: int(25) }, randomCidr);
    const got = diffRoutes(desired, installed);
    const want = referenceDiff(desired, installed);
    assert.deepEqual({ add: texts(got.add), remove: texts(got.remove) }, want, `case ${i}`);
    // Applying the diff to the installed set yields exactly the desired set.
    const after = new Set(referenceDiff(installed, []).add);
    for (const r of texts(got.remove)) after.delete(r);
    for (const a of texts(got.add)) after.add(a);
    assert.deepEqual([...after].sort(), [...referenceDiff(desired, []).add].sort(), `case ${i} round trip`);
  }
});
