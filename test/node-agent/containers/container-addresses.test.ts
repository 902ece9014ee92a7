// The container address plan: gateway .1, containers .2 to the one before the broadcast,
// the lowest free address first (checked against a slow obvious reference on random
// subnets), and what an operator's --ip may and may not be.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrLast, formatCidr, parseCidr, parseIpv4, prefixMask, type Ipv4Cidr } from '../../../common/cidr.js';
import { AlreadyExistsError, InvalidArgumentError, PoolExhaustedError } from '../../../common/errors.js';
import { checkRequestedAddress, containerCapacity, containerRange, gatewayOf, pickFreeAddress } from '../../../node-agent/containers/container-addresses.js';
import { prng, randomInt, randomUint32 } from '../../prng.js';

const ip = parseIpv4;
const subnet24 = parseCidr('10.244.3.0/24');
const nobody = (): string | undefined => undefined;

/** Deliberately slow reference: walk every address of the block, skip the reserved ones and the taken ones. */
function referencePick(subnet: Ipv4Cidr, taken: ReadonlySet<number>): number | 'exhausted' {
  const network = subnet.base;
  const gateway = subnet.base + 1;
  const broadcast = cidrLast(subnet);
  for (let a = network; a <= broadcast; a++) {
    if (a === network || a === gateway || a === broadcast) continue;
    if (!taken.has(a)) return a;
  }
  return 'exhausted';
}

function pickOrExhausted(subnet: Ipv4Cidr, taken: ReadonlySet<number>): number | 'exhausted' {
  try {
    return pickFreeAddress(subnet, taken);
  } catch (err) {
    if (err instanceof PoolExhaustedError) return 'exhausted';
    throw err;
  }
}

test('a /24 has its gateway at .1, containers from .2 to .254, room for 253', () => {
  assert.equal(gatewayOf(subnet24), ip('10.244.3.1'));
  assert.deepEqual(containerRange(subnet24), { first: ip('10.244.3.2'), last: ip('10.244.3.254') });
  assert.equal(containerCapacity(subnet24), 253);
});

test('a /30 has room for exactly one container, its third address', () => {
  const s = parseCidr('10.244.3.4/30');
  assert.equal(gatewayOf(s), ip('10.244.3.5'));
  assert.deepEqual(containerRange(s), { first: ip('10.244.3.6'), last: ip('10.244.3.6') });
  assert.equal(containerCapacity(s), 1);
});

test('a /31 and a /32 have no room for containers', () => {
  assert.equal(containerCapacity(parseCidr('10.244.3.4/31')), 0);
  assert.equal(containerCapacity(parseCidr('10.244.3.4/32')), 0);
});

test('the capacity of the highest /30 does not wrap around 255.255.255.255', () => {
  const s = parseCidr('255.255.255.252/30');
  assert.equal(containerCapacity(s), 1);
  assert.equal(pickFreeAddress(s, new Set()), ip('255.255.255.254'));
});

test('pickFreeAddress gives the lowest address of the range when nothing is taken', () => {
  assert.equal(pickFreeAddress(subnet24, new Set()), ip('10.244.3.2'));
});

test('pickFreeAddress skips taken addresses and fills the first hole', () => {
  const taken = new Set([ip('10.244.3.2'), ip('10.244.3.3'), ip('10.244.3.5')]);
  assert.equal(pickFreeAddress(subnet24, taken), ip('10.244.3.4'));
});

test('pickFreeAddress ignores taken addresses outside the range', () => {
  // The network address, the gateway, the broadcast and another subnet's addresses are never handed out anyway.
  const taken = new Set([ip('10.244.3.0'), ip('10.244.3.1'), ip('10.244.3.255'), ip('10.244.4.2'), ip('10.244.2.2')]);
  assert.equal(pickFreeAddress(subnet24, taken), ip('10.244.3.2'));
});

test('pickFreeAddress gives the last address of the range when only it is free', () => {
  const taken = new Set<number>();
  for (let a = ip('10.244.3.2'); a < ip('10.244.3.254'); a++) taken.add(a);
  assert.equal(pickFreeAddress(subnet24, taken), ip('10.244.3.254'));
});

test('a full subnet throws PoolExhaustedError naming the subnet and how many addresses are leased', () => {
  const taken = new Set<number>();
  for (let a = ip('10.244.3.2'); a <= ip('10.244.3.254'); a++) taken.add(a);
  assert.throws(
    () => pickFreeAddress(subnet24, taken),
    (err: unknown) => err instanceof PoolExhaustedError && /no free address in 10\.244\.3\.0\/24: all 253 container addresses are leased/.test(err.message),
  );
});

test('a full /30 throws PoolExhaustedError after its one address', () => {
  const s = parseCidr('10.244.3.4/30');
  assert.throws(
    () => pickFreeAddress(s, new Set([ip('10.244.3.6')])),
    (err: unknown) => err instanceof PoolExhaustedError && /10\.244\.3\.4\/30: all 1 container addresses/.test(err.message),
  );
});

test('a /31 or /32 throws PoolExhaustedError saying the subnet needs at least a /30', () => {
  for (const text of ['10.244.3.4/31', '10.244.3.4/32']) {
    assert.throws(
      () => pickFreeAddress(parseCidr(text), new Set()),
      (err: unknown) => err instanceof PoolExhaustedError && err.message.includes(text) && /needs at least a \/30/.test(err.message),
      text,
    );
  }
});

test('pickFreeAddress agrees with a slow reference on random subnets and taken sets', () => {
  const rand = prng(0xc0a7);
  let exhausted = 0;
  for (let i = 0; i < 400; i++) {
    const prefixLen = 24 + randomInt(rand, 7);
    const subnet = { base: (randomUint32(rand) & prefixMask(prefixLen)) >>> 0, prefixLen };
    const size = 2 ** (32 - prefixLen);
    // Densities from empty to full, so both the first hole and exhaustion come up often.
    const density = [0, 0.3, 0.9, 1][randomInt(rand, 4)]!;
    const taken = new Set<number>();
    for (let a = subnet.base; a < subnet.base + size; a++) if (rand() < density) taken.add(a);
    // Some addresses outside the subnet, which must not matter.
    for (let k = randomInt(rand, 4); k > 0; k--) taken.add(randomUint32(rand));
    const expected = referencePick(subnet, taken);
    if (expected === 'exhausted') exhausted++;
    assert.equal(pickOrExhausted(subnet, taken), expected, `${formatCidr(subnet)} with ${taken.size} taken (case ${i})`);
  }
  assert.ok(exhausted > 20 && exhausted < 380, `both outcomes came up (${exhausted} exhausted of 400)`);
});

test('checkRequestedAddress returns a free address of the range as a number', () => {
  assert.equal(checkRequestedAddress('10.244.3.2', subnet24, nobody), ip('10.244.3.2'));
  assert.equal(checkRequestedAddress('10.244.3.254', subnet24, nobody), ip('10.244.3.254'));
});

test('checkRequestedAddress refuses an address outside the subnet, naming it and the range', () => {
  assert.throws(
    () => checkRequestedAddress('10.244.4.7', subnet24, nobody),
    (err: unknown) =>
      err instanceof InvalidArgumentError && err.message.includes('10.244.4.7') && /not in this node's subnet 10\.244\.3\.0\/24/.test(err.message) && err.message.includes('10.244.3.2 to 10.244.3.254'),
  );
});

test('checkRequestedAddress refuses the network address', () => {
  assert.throws(
    () => checkRequestedAddress('10.244.3.0', subnet24, nobody),
    (err: unknown) => err instanceof InvalidArgumentError && /^10\.244\.3\.0 is the network address/.test(err.message),
  );
});

test('checkRequestedAddress refuses the gateway', () => {
  assert.throws(
    () => checkRequestedAddress('10.244.3.1', subnet24, nobody),
    (err: unknown) => err instanceof InvalidArgumentError && /^10\.244\.3\.1 is the containers' gateway/.test(err.message),
  );
});

test('checkRequestedAddress refuses the broadcast address', () => {
  assert.throws(
    () => checkRequestedAddress('10.244.3.255', subnet24, nobody),
    (err: unknown) => err instanceof InvalidArgumentError && /^10\.244\.3\.255 is the broadcast address/.test(err.message),
  );
});

test('checkRequestedAddress refuses a leased address with AlreadyExistsError naming the holder', () => {
  const holderOf = (a: number): string | undefined => (a === ip('10.244.3.9') ? 'namespace web' : undefined);
  assert.throws(
    () => checkRequestedAddress('10.244.3.9', subnet24, holderOf),
    (err: unknown) => err instanceof AlreadyExistsError && /10\.244\.3\.9 is already leased to namespace web/.test(err.message),
  );
  assert.equal(checkRequestedAddress('10.244.3.10', subnet24, holderOf), ip('10.244.3.10'));
});

test('checkRequestedAddress refuses a malformed address with InvalidArgumentError', () => {
  for (const text of ['10.244.3', '10.244.3.300', '10.244.3.02', 'web', '']) {
    assert.throws(
      () => checkRequestedAddress(text, subnet24, nobody),
      (err: unknown) => err instanceof InvalidArgumentError && /--ip .* is not a valid IPv4 address/.test(err.message),
      JSON.stringify(text),
    );
  }
});
