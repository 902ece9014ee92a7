// The route table digest: the same set of routes gives the same value in any order, a route
// removed is a route never added, any difference in a route changes it, and the value is the
// formula tunctl.proto gives (so clients in other languages can compute it).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { RouteTableDigest, type DigestedRoute } from '../../common/route-table-digest.js';
import { prng } from '../prng.js';

const route = (i: number, underlay = 0xc0a80000 + i): DigestedRoute => ({ nodeName: `n${i}`, subnet: { base: (0x0af40000 + i * 256) >>> 0, prefixLen: 24 }, underlayIp: underlay >>> 0 });

test('order does not matter; removing undoes adding', () => {
  const routes = Array.from({ length: 50 }, (_, i) => route(i));
  const random = prng(7);
  const shuffled = [...routes].sort(() => random() - 0.5);
  assert.equal(RouteTableDigest.of(shuffled).value, RouteTableDigest.of(routes).value);
  const digest = RouteTableDigest.of(routes);
  digest.add(route(99));
  digest.remove(route(99));
  assert.equal(digest.value, RouteTableDigest.of(routes).value);
  digest.remove(route(3));
  assert.equal(digest.value, RouteTableDigest.of(routes.filter((r) => r.nodeName !== 'n3')).value);
  assert.equal(new RouteTableDigest().value, '0000000000000000', 'the empty table');
});

test('another name, subnet or underlay address gives another digest', () => {
  const base = RouteTableDigest.of([route(1), route(2)]).value;
  assert.notEqual(RouteTableDigest.of([route(1), { ...route(2), nodeName: 'other' }]).value, base);
  assert.notEqual(RouteTableDigest.of([route(1), { ...route(2), subnet: { base: route(2).subnet.base, prefixLen: 25 } }]).value, base);
  assert.notEqual(RouteTableDigest.of([route(1), route(2, 0xc0a800fe)]).value, base);
  assert.notEqual(RouteTableDigest.of([route(1)]).value, base);
});

test('the value is the documented formula: per route the first 8 bytes of SHA-256, summed per half modulo 2^32', () => {
  const lanes = (r: DigestedRoute) => {
    const h = createHash('sha256').update(`${r.nodeName}\n${r.subnet.base}/${r.subnet.prefixLen}\n${r.underlayIp}`).digest();
    return [h.readUInt32BE(0), h.readUInt32BE(4)];
  };
  const [a, b] = [lanes(route(1)), lanes(route(2))];
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  assert.equal(RouteTableDigest.of([route(1), route(2)]).value, hex(a[0]! + b[0]!) + hex(a[1]! + b[1]!));
});
