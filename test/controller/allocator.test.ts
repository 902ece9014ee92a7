import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrSize, formatCidr, parseCidr, prefixMask, type Ipv4Cidr } from '../../common/cidr.js';
import { InvalidArgumentError } from '../../common/errors.js';
import { lowestFreeSubnet, poolSize, subnetFitsPool, validateRequestedSubnet, type Allocation } from '../../controller/allocator.js';
import { validateNetworkConfig } from '../../controller/network-config.js';
import type { NetworkConfig } from '../../controller/store/store.js';
import { prng } from '../prng.js';

function config(network: string, subnetLen: number, min?: string, max?: string): NetworkConfig {
  return validateNetworkConfig({
    network: parseCidr(network),
    subnetLen,
    ...(min !== undefined ? { subnetMin: parseCidr(min) } : {}),
    ...(max !== undefined ? { subnetMax: parseCidr(max) } : {}),
    udpPort: 7000,
  });
}

function show(a: Allocation): string {
  return a === 'exhausted' ? a : formatCidr(a);
}

/** Subnets i..j (inclusive) of a config, as CIDRs. */
function range(cfg: NetworkConfig, from: number, to: number): Ipv4Cidr[] {
  const step = 2 ** (32 - cfg.subnetLen);
  const out: Ipv4Cidr[] = [];
  for (let i = from; i <= to; i++) out.push({ base: cfg.network.base + i * step, prefixLen: cfg.subnetLen });
  return out;
}

// Deliberately slow and obvious: try every subnet from min to max, check it against every taken block.
function referenceLowestFree(cfg: NetworkConfig, taken: readonly Ipv4Cidr[]): Allocation {
  const step = 2 ** (32 - cfg.subnetLen);
  for (let base = cfg.subnetMin.base; base <= cfg.subnetMax.base; base += step) {
    const last = base + step - 1;
    const clash = taken.some((t) => t.base <= last && base <= t.base + cidrSize(t) - 1);
    if (!clash) return { base, prefixLen: cfg.subnetLen };
  }
  return 'exhausted';
}

function referenceValid(cfg: NetworkConfig, s: Ipv4Cidr): boolean {
  return (
    s.prefixLen === cfg.subnetLen &&
    ((s.base & prefixMask(s.prefixLen)) >>> 0) === s.base &&
    s.base >= cfg.subnetMin.base &&
    s.base <= cfg.subnetMax.base
  );
}

test('an empty pool hands out subnetMin', () => {
  assert.equal(show(lowestFreeSubnet(config('10.244.0.0/16', 24), [])), '10.244.0.0/24');
  assert.equal(show(lowestFreeSubnet(config('10.244.0.0/16', 24, '10.244.10.0/24'), [])), '10.244.10.0/24');
});

test('the lowest free subnet fills the first gap', () => {
  const cfg = config('10.244.0.0/16', 24);
  const taken = ['10.244.0.0/24', '10.244.1.0/24', '10.244.3.0/24'].map((c) => parseCidr(c));
  assert.equal(show(lowestFreeSubnet(cfg, taken)), '10.244.2.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, [...taken].reverse())), '10.244.2.0/24', 'unsorted input is sorted');
  assert.equal(show(lowestFreeSubnet(cfg, taken.slice(0, 2))), '10.244.2.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, taken.slice(2))), '10.244.0.0/24');
});

test('taken blocks outside subnetMin..subnetMax do not matter, blocks inside do', () => {
  const cfg = config('10.244.0.0/16', 24, '10.244.5.0/24', '10.244.7.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, range(cfg, 0, 4))), '10.244.5.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, range(cfg, 0, 5))), '10.244.6.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, range(cfg, 5, 7))), 'exhausted', 'the rest of the network is not used');
  assert.equal(show(lowestFreeSubnet(cfg, [...range(cfg, 5, 6), ...range(cfg, 8, 255)])), '10.244.7.0/24');
});

test('a full pool is exhausted', () => {
  const cfg = config('10.244.0.0/16', 24);
  assert.equal(show(lowestFreeSubnet(cfg, range(cfg, 0, 255))), 'exhausted');
  assert.equal(show(lowestFreeSubnet(cfg, range(cfg, 0, 254))), '10.244.255.0/24');
  // The top of the address space must not wrap around to 0.0.0.0.
  const top = config('255.255.255.0/24', 30);
  assert.equal(show(lowestFreeSubnet(top, range(top, 0, 62))), '255.255.255.252/30');
  assert.equal(show(lowestFreeSubnet(top, range(top, 0, 63))), 'exhausted');
});

test('taken blocks of another length cover the subnets they overlap', () => {
  const cfg = config('10.0.0.0/16', 24);
  assert.equal(show(lowestFreeSubnet(cfg, [parseCidr('10.0.0.0/22')])), '10.0.4.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, [parseCidr('10.0.0.128/25')])), '10.0.1.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, [parseCidr('10.0.0.0/32')])), '10.0.1.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, [parseCidr('10.0.0.255/32')])), '10.0.1.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, [parseCidr('10.0.0.0/16')])), 'exhausted');
});

test('with sorted: true the taken list is streamed and reading stops at the first gap', () => {
  const cfg = config('10.0.0.0/8', 30); // 4M subnets
  assert.equal(poolSize(cfg), 4194304);
  let pulled = 0;
  function* taken(): Generator<Ipv4Cidr> {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield { base: cfg.network.base + i * 4, prefixLen: 30 };
    }
    // A gap at index 1000, then a long tail the allocator has no reason to read.
    for (let i = 1001; i < 4194304; i++) {
      pulled++;
      yield { base: cfg.network.base + i * 4, prefixLen: 30 };
    }
  }
  assert.equal(show(lowestFreeSubnet(cfg, taken(), { sorted: true })), '10.0.15.160/30');
  assert.ok(pulled <= 1001, `read ${pulled} taken entries, expected at most 1001`);
});

test('a list promised sorted but read out of order is refused rather than trusted', () => {
  const cfg = config('10.244.0.0/16', 24, '10.244.1.0/24');
  const taken = ['10.244.1.0/24', '10.244.0.0/24'].map((c) => parseCidr(c));
  assert.throws(() => lowestFreeSubnet(cfg, taken, { sorted: true }), /not sorted/);
});

test('poolSize counts subnetMin..subnetMax', () => {
  assert.equal(poolSize(config('10.244.0.0/16', 24)), 256);
  assert.equal(poolSize(config('10.0.0.0/8', 24)), 65536);
  assert.equal(poolSize(config('10.244.0.0/16', 24, '10.244.5.0/24', '10.244.7.0/24')), 3);
  assert.equal(poolSize(config('10.244.0.0/16', 24, '10.244.5.0/24', '10.244.5.0/24')), 1);
  assert.equal(poolSize(config('0.0.0.0/0', 30)), 2 ** 30);
});

test('validateRequestedSubnet accepts a subnet in range and explains each refusal', () => {
  const cfg = config('10.244.0.0/16', 24, '10.244.1.0/24', '10.244.200.0/24');
  const ok = parseCidr('10.244.3.0/24');
  assert.deepEqual(validateRequestedSubnet(cfg, ok), ok);
  const refuse = (cidr: Ipv4Cidr, message: RegExp): void => {
    assert.throws(() => validateRequestedSubnet(cfg, cidr), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
      assert.match(err.message, message);
      return true;
    });
  };
  refuse(parseCidr('10.244.3.0/25'), /10\.244\.3\.0\/25 has prefix length \/25, but network 10\.244\.0\.0\/16 hands out \/24 subnets \(e\.g\. 10\.244\.3\.0\/24\)/);
  refuse(parseCidr('10.244.0.0/20'), /hands out \/24 subnets/);
  refuse(parseCidr('10.1.0.0/24'), /10\.1\.0\.0\/24 is outside the network 10\.244\.0\.0\/16/);
  refuse(parseCidr('10.244.0.0/24'), /outside the allocatable range 10\.244\.1\.0\/24 - 10\.244\.200\.0\/24/);
  refuse(parseCidr('10.244.201.0/24'), /--subnet-min\/--subnet-max/);
  refuse({ base: parseCidr('10.244.3.0/24').base + 1, prefixLen: 24 }, /host bits set; did you mean 10\.244\.3\.0\/24/);
  refuse({ base: 0, prefixLen: 33 }, /prefix length 33 is invalid \(expected \/24\)/);
  refuse({ base: -1, prefixLen: 24 }, /not an IPv4 address/);
});

test('randomized: lowestFreeSubnet agrees with the slow reference (4000 cases)', () => {
  const rand = prng(0x5eed1234);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  for (let round = 0; round < 4000; round++) {
    const netLen = int(16, 28);
    const subnetLen = int(netLen + 1, Math.min(30, netLen + 7));
    const netBase = (Math.floor(rand() * 2 ** 32) & prefixMask(netLen)) >>> 0;
    const count = 2 ** (subnetLen - netLen);
    const step = 2 ** (32 - subnetLen);
    const lo = rand() < 0.5 ? 0 : int(0, count - 1);
    const hi = rand() < 0.5 ? count - 1 : int(lo, count - 1);
    const cfg = validateNetworkConfig({
      network: { base: netBase, prefixLen: netLen },
      subnetLen,
      subnetMin: { base: netBase + lo * step, prefixLen: subnetLen },
      subnetMax: { base: netBase + hi * step, prefixLen: subnetLen },
      udpPort: 7000,
    });
    const density = rand();
    const taken: Ipv4Cidr[] = [];
    for (let i = 0; i < count; i++) if (rand() < density) taken.push({ base: netBase + i * step, prefixLen: subnetLen });
    // Now and then a block of another length (a reservation or a legacy entry) on top.
    if (rand() < 0.2) {
      const len = int(netLen, 32);
      const base = (netBase + Math.floor(rand() * 2 ** (32 - netLen))) & prefixMask(len);
      taken.push({ base: base >>> 0, prefixLen: len });
    }
    const sameLenOnly = taken.every((t) => t.prefixLen === subnetLen);
    const shuffled = [...taken].sort(() => rand() - 0.5);
    const expected = show(referenceLowestFree(cfg, taken));
    const context = `round ${round}: ${formatCidr(cfg.network)} /${subnetLen} ${formatCidr(cfg.subnetMin)}..${formatCidr(cfg.subnetMax)} taken=${taken.length}`;
    assert.equal(show(lowestFreeSubnet(cfg, shuffled)), expected, context);
    const sorted = [...taken].sort((a, b) => a.base - b.base);
    assert.equal(show(lowestFreeSubnet(cfg, sorted, { sorted: true })), expected, context);
    if (sameLenOnly && expected !== 'exhausted') {
      assert.equal(poolSize(cfg), hi - lo + 1, context);
    }
  }
});

test('randomized: validateRequestedSubnet and subnetFitsPool agree with the obvious predicate (4000 cases)', () => {
  const rand = prng(0xa11c0c);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const cfg = config('10.244.0.0/16', 24, '10.244.16.0/24', '10.244.199.0/24');
  let accepted = 0;
  for (let round = 0; round < 4000; round++) {
    const prefixLen = rand() < 0.7 ? 24 : int(0, 32);
    // Bases near the network (inside and just around it), sometimes unaligned.
    let base = (cfg.network.base - 65536 + int(0, 3 * 65536)) >>> 0;
    if (rand() < 0.9) base = (base & prefixMask(prefixLen)) >>> 0;
    const subnet = { base, prefixLen };
    const valid = referenceValid(cfg, subnet);
    let threw: unknown = null;
    try {
      validateRequestedSubnet(cfg, subnet);
    } catch (err) {
      threw = err;
    }
    assert.equal(threw === null, valid, `${base}/${prefixLen}: reference says ${valid}, got ${String(threw)}`);
    assert.equal(subnetFitsPool(cfg, subnet), valid, `subnetFitsPool(${base}/${prefixLen}) disagrees with the reference`);
    if (threw !== null) assert.ok(threw instanceof InvalidArgumentError);
    else accepted++;
  }
  assert.ok(accepted > 100, `only ${accepted} random subnets were valid; the generator is not exercising the accept path`);
});

test('the allocator skips a subnet that is both assigned and reserved (listed twice) and every other taken set alike', () => {
  const cfg = config('10.244.0.0/16', 24);
  // What the store streams: nodes, reservations and quarantine merged in address order, the reserved-and-used one twice.
  const taken = [...range(cfg, 0, 0), ...range(cfg, 0, 0), ...range(cfg, 1, 1), ...range(cfg, 3, 3)];
  assert.equal(show(lowestFreeSubnet(cfg, taken, { sorted: true })), '10.244.2.0/24');
  assert.equal(show(lowestFreeSubnet(cfg, [...range(cfg, 0, 2), ...range(cfg, 2, 2)], { sorted: true })), '10.244.3.0/24');
});
