import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContainsIp, parseCidr, parseIpv4, prefixMask } from '../../../common/cidr.js';
import { InvalidArgumentError } from '../../../common/errors.js';
import { RouteLookup, type PeerRoute } from '../../../node-agent/dataplane/route-lookup.js';
import { prng, randomInt, randomUint32 } from '../../prng.js';

const peer = (nodeName: string, cidr: string, underlay: string): PeerRoute => ({
  nodeName,
  subnet: parseCidr(cidr),
  underlayIp: parseIpv4(underlay),
});

/** Deliberately slow reference: scan every peer, keep the longest matching prefix. */
function referenceLookup(peers: readonly PeerRoute[], ip: number): number {
  let best = -1;
  for (let i = 0; i < peers.length; i++) {
    if (cidrContainsIp(peers[i]!.subnet, ip) && (best < 0 || peers[i]!.subnet.prefixLen > peers[best]!.subnet.prefixLen)) best = i;
  }
  return best;
}

function referenceByUnderlay(peers: readonly PeerRoute[], ip: number): number[] {
  return peers.flatMap((p, i) => (p.underlayIp === ip ? [i] : []));
}

test('lookup finds the peer owning the destination, -1 outside every subnet', () => {
  const peers = [peer('a', '10.244.1.0/24', '192.168.0.1'), peer('b', '10.244.2.0/24', '192.168.0.2')];
  const t = RouteLookup.build(peers);
  assert.equal(t.lookup(parseIpv4('10.244.1.77')), 0);
  assert.equal(t.lookup(parseIpv4('10.244.2.0')), 1);
  assert.equal(t.lookup(parseIpv4('10.244.2.255')), 1);
  assert.equal(t.lookup(parseIpv4('10.244.3.1')), -1);
  assert.equal(t.underlayOf(1), parseIpv4('192.168.0.2'));
  assert.equal(t.nodeNameOf(0), 'a');
  assert.deepEqual(t.subnetOf(1), parseCidr('10.244.2.0/24'));
});

test('the longest prefix wins, including /32 and /0', () => {
  const peers = [
    peer('default', '0.0.0.0/0', '192.168.0.9'),
    peer('wide', '10.0.0.0/8', '192.168.0.1'),
    peer('narrow', '10.1.0.0/16', '192.168.0.2'),
    peer('host', '10.1.2.3/32', '192.168.0.3'),
  ];
  const t = RouteLookup.build(peers);
  assert.equal(t.lookup(parseIpv4('10.1.2.3')), 3);
  assert.equal(t.lookup(parseIpv4('10.1.2.4')), 2);
  assert.equal(t.lookup(parseIpv4('10.2.0.1')), 1);
  assert.equal(t.lookup(parseIpv4('8.8.8.8')), 0);
  assert.equal(t.lookup(parseIpv4('255.255.255.255')), 0);
});

test('peerIndexByUnderlay maps sender addresses, -1 for strangers', () => {
  const t = RouteLookup.build([peer('a', '10.244.1.0/24', '192.168.0.1'), peer('b', '10.244.2.0/24', '203.0.113.250')]);
  assert.equal(t.peerIndexByUnderlay(parseIpv4('192.168.0.1')), 0);
  assert.equal(t.peerIndexByUnderlay(parseIpv4('203.0.113.250')), 1);
  assert.equal(t.peerIndexByUnderlay(parseIpv4('192.168.0.3')), -1);
  assert.equal(t.peerIndexByUnderlay(0), -1);
});

test('an empty table matches nothing', () => {
  const t = RouteLookup.empty();
  assert.equal(t.size, 0);
  assert.equal(t.lookup(parseIpv4('10.0.0.1')), -1);
  assert.equal(t.peerIndexByUnderlay(parseIpv4('10.0.0.1')), -1);
});

test('two peers claiming one subnet, or a subnet with host bits, are refused', () => {
  assert.throws(
    () => RouteLookup.build([peer('a', '10.244.1.0/24', '192.168.0.1'), peer('b', '10.244.1.0/24', '192.168.0.2')]),
    (err: unknown) => err instanceof InvalidArgumentError && /a and b both claim subnet 10\.244\.1\.0\/24/.test(err.message),
  );
  assert.throws(
    () => RouteLookup.build([{ nodeName: 'x', subnet: { base: parseIpv4('10.244.1.1'), prefixLen: 24 }, underlayIp: 1 }]),
    /host bits/,
  );
  assert.throws(() => RouteLookup.build([{ nodeName: 'x', subnet: { base: 0, prefixLen: 33 }, underlayIp: 1 }]), /out of range/);
  assert.throws(() => RouteLookup.build([{ nodeName: 'x', subnet: { base: 0, prefixLen: 0 }, underlayIp: -1 }]), /underlay/);
});

test('the compact form survives structured cloning (the trip to a worker)', () => {
  const peers = [peer('a', '10.244.1.0/24', '192.168.0.1'), peer('b', '10.244.0.0/16', '192.168.0.2')];
  const data = structuredClone(RouteLookup.build(peers).toData());
  assert.ok(data.bases instanceof Uint32Array && data.underlays instanceof Uint32Array && data.prefixLens instanceof Uint8Array);
  const t = RouteLookup.fromData(data);
  assert.equal(t.lookup(parseIpv4('10.244.1.9')), 0);
  assert.equal(t.lookup(parseIpv4('10.244.9.9')), 1);
  assert.equal(t.peerIndexByUnderlay(parseIpv4('192.168.0.2')), 1);
  assert.equal(t.nodeNameOf(1), 'b');
});

test('randomized: lookup and peerIndexByUnderlay agree with slow references on 200 tables x 500 addresses', () => {
  const rand = prng(20240607);
  for (let round = 0; round < 200; round++) {
    const peers: PeerRoute[] = [];
    const seen = new Set<string>();
    const wanted = 1 + randomInt(rand, 60);
    // Cluster addresses under a few /8s so prefixes nest and overlap often.
    const tops = [10, 172, 192].slice(0, 1 + randomInt(rand, 3));
    while (peers.length < wanted) {
      const prefixLen = randomInt(rand, 33);
      const raw = ((tops[randomInt(rand, tops.length)]! << 24) | (randomUint32(rand) & 0x00ffffff)) >>> 0;
      const base = (raw & prefixMask(prefixLen)) >>> 0;
      const key = `${base}/${prefixLen}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Few underlay addresses, so several peers share one sometimes.
      peers.push({ nodeName: `n${peers.length}`, subnet: { base, prefixLen }, underlayIp: (0xc0a80000 | randomInt(rand, 40)) >>> 0 });
    }
    const table = round % 2 === 0 ? RouteLookup.build(peers) : RouteLookup.fromData(structuredClone(RouteLookup.build(peers).toData()));
    for (let k = 0; k < 500; k++) {
      // Half the probes land inside some peer's subnet, the rest anywhere.
      let ip = randomUint32(rand);
      if (k % 2 === 0) {
        const p = peers[randomInt(rand, peers.length)]!;
        ip = (p.subnet.base | (randomUint32(rand) & ~prefixMask(p.subnet.prefixLen))) >>> 0;
      }
      const expected = referenceLookup(peers, ip);
      const actual = table.lookup(ip);
      // Equal prefix lengths cannot both match (subnets are distinct), so the answer is unique.
      assert.equal(actual, expected, `round ${round} ip ${ip}`);
      const underlay = k % 3 === 0 ? peers[randomInt(rand, peers.length)]!.underlayIp : (0xc0a80000 | randomInt(rand, 60)) >>> 0;
      const owners = referenceByUnderlay(peers, underlay);
      const found = table.peerIndexByUnderlay(underlay);
      if (owners.length === 0) assert.equal(found, -1);
      else assert.ok(owners.includes(found), `round ${round} underlay ${underlay}: ${found} not in ${owners.join(',')}`);
    }
  }
});
