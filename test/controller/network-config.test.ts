import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, parseCidr, parseIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import { InvalidArgumentError } from '../../common/errors.js';
import {
  defaultSubnetBounds,
  describeNetworkConfig,
  hasDefaultBounds,
  networkConfigFlags,
  networkChangeRefusal,
  networkConfigsEqual,
  validateNetworkConfig,
  type PlanAssignment,
  validateUnderlayIp,
} from '../../controller/network-config.js';
import type { NetworkConfigInput } from '../../controller/store/store.js';

function input(network: string, subnetLen: number, extra: { min?: string; max?: string; udpPort?: number } = {}): NetworkConfigInput {
  return {
    network: parseCidr(network),
    subnetLen,
    ...(extra.min !== undefined ? { subnetMin: parseCidr(extra.min) } : {}),
    ...(extra.max !== undefined ? { subnetMax: parseCidr(extra.max) } : {}),
    udpPort: extra.udpPort ?? 7000,
  };
}

function refuses(value: NetworkConfigInput, message: RegExp): void {
  assert.throws(() => validateNetworkConfig(value), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

test('omitted bounds default to the first and last subnet of the network', () => {
  const cfg = validateNetworkConfig(input('10.244.0.0/16', 24));
  assert.equal(formatCidr(cfg.subnetMin), '10.244.0.0/24');
  assert.equal(formatCidr(cfg.subnetMax), '10.244.255.0/24');
  assert.equal(cfg.udpPort, 7000);
  assert.ok(hasDefaultBounds(cfg));
  const top = validateNetworkConfig(input('255.255.255.0/24', 30));
  assert.equal(formatCidr(top.subnetMax), '255.255.255.252/30');
  const bounds = defaultSubnetBounds(parseCidr('10.0.0.0/8'), 30);
  assert.equal(formatCidr(bounds.subnetMax), '10.255.255.252/30');
});

test('explicit bounds are kept and an input without bounds equals one with the default bounds', () => {
  const bounded = validateNetworkConfig(input('10.244.0.0/16', 24, { min: '10.244.10.0/24', max: '10.244.20.0/24' }));
  assert.equal(formatCidr(bounded.subnetMin), '10.244.10.0/24');
  assert.equal(formatCidr(bounded.subnetMax), '10.244.20.0/24');
  assert.ok(!hasDefaultBounds(bounded));
  const implicit = validateNetworkConfig(input('10.244.0.0/16', 24));
  const explicit = validateNetworkConfig(input('10.244.0.0/16', 24, { min: '10.244.0.0/24', max: '10.244.255.0/24' }));
  assert.ok(networkConfigsEqual(implicit, explicit));
  assert.ok(!networkConfigsEqual(implicit, bounded));
  assert.ok(!networkConfigsEqual(implicit, validateNetworkConfig(input('10.244.0.0/16', 24, { udpPort: 7001 }))));
  assert.ok(!networkConfigsEqual(implicit, validateNetworkConfig(input('10.244.0.0/16', 25))));
  assert.ok(!networkConfigsEqual(implicit, validateNetworkConfig(input('10.245.0.0/16', 24))));
});

test('the subnet length must be longer than the network prefix and at most /30', () => {
  refuses(input('10.244.0.0/16', 16), /--subnet-len \/16 must be longer than the network's prefix \/16 of 10\.244\.0\.0\/16.*--subnet-len 24/);
  refuses(input('10.244.0.0/16', 8), /must be longer than the network's prefix/);
  refuses(input('10.244.0.0/16', 31), /--subnet-len \/31 is too long: at most \/30/);
  refuses(input('10.244.0.0/16', 32), /at most \/30/);
  refuses(input('10.244.0.0/16', 24.5), /--subnet-len 24\.5 is not a whole number/);
  refuses(input('10.244.0.0/30', 30), /must be longer/);
  assert.equal(validateNetworkConfig(input('10.244.0.0/29', 30)).subnetLen, 30);
  assert.equal(validateNetworkConfig(input('10.244.0.0/16', 17)).subnetLen, 17);
});

test('the UDP port must be 1-65535', () => {
  refuses(input('10.244.0.0/16', 24, { udpPort: 0 }), /--udp-port 0 is invalid \(expected a port number 1-65535\)/);
  refuses(input('10.244.0.0/16', 24, { udpPort: 65536 }), /--udp-port 65536 is invalid/);
  refuses(input('10.244.0.0/16', 24, { udpPort: 80.5 }), /--udp-port 80\.5 is invalid/);
  refuses(input('10.244.0.0/16', 24, { udpPort: -1 }), /--udp-port -1 is invalid/);
  assert.equal(validateNetworkConfig(input('10.244.0.0/16', 24, { udpPort: 1 })).udpPort, 1);
  assert.equal(validateNetworkConfig(input('10.244.0.0/16', 24, { udpPort: 65535 })).udpPort, 65535);
});

test('a network given as numbers must be a proper CIDR', () => {
  const network: Ipv4Cidr = { base: parseIpv4('10.244.1.0'), prefixLen: 16 };
  refuses({ network, subnetLen: 24, udpPort: 7000 }, /--network 10\.244\.1\.0\/16 has host bits set; did you mean 10\.244\.0\.0\/16\?/);
  refuses({ network: { base: 0, prefixLen: 40 }, subnetLen: 24, udpPort: 7000 }, /--network prefix length 40 is invalid/);
  refuses({ network: { base: 2 ** 32, prefixLen: 8 }, subnetLen: 24, udpPort: 7000 }, /--network base address 4294967296 is not an IPv4 address/);
});

test('subnetMin and subnetMax must be subnets of the right length inside the network, min <= max', () => {
  refuses(input('10.244.0.0/16', 24, { min: '10.245.0.0/24' }), /--subnet-min 10\.245\.0\.0\/24 is outside the network 10\.244\.0\.0\/16/);
  refuses(input('10.244.0.0/16', 24, { max: '10.0.0.0/24' }), /--subnet-max 10\.0\.0\.0\/24 is outside the network/);
  refuses(input('10.244.0.0/16', 24, { min: '10.244.1.0/25' }), /--subnet-min 10\.244\.1\.0\/25 must be a \/24 subnet like the others \(e\.g\. 10\.244\.1\.0\/24\)/);
  refuses(input('10.244.0.0/16', 24, { max: '10.244.0.0/20' }), /--subnet-max 10\.244\.0\.0\/20 must be a \/24 subnet/);
  refuses(input('10.244.0.0/16', 24, { min: '10.244.9.0/24', max: '10.244.3.0/24' }), /--subnet-min 10\.244\.9\.0\/24 is above --subnet-max 10\.244\.3\.0\/24/);
  const single = validateNetworkConfig(input('10.244.0.0/16', 24, { min: '10.244.3.0/24', max: '10.244.3.0/24' }));
  assert.equal(formatCidr(single.subnetMin), formatCidr(single.subnetMax));
});

test('describe and flags say what is stored and how to start with it', () => {
  const plain = validateNetworkConfig(input('10.244.0.0/16', 24));
  assert.equal(describeNetworkConfig(plain), 'network 10.244.0.0/16 with /24 subnets (udp port 7000)');
  assert.equal(networkConfigFlags(plain), '--network 10.244.0.0/16 --subnet-len 24 --udp-port 7000');
  const bounded = validateNetworkConfig(input('10.244.0.0/16', 24, { min: '10.244.10.0/24', max: '10.244.20.0/24', udpPort: 8472 }));
  assert.equal(
    describeNetworkConfig(bounded),
    'network 10.244.0.0/16 with /24 subnets from 10.244.10.0/24 to 10.244.20.0/24 (udp port 8472)',
  );
  assert.equal(
    networkConfigFlags(bounded),
    '--network 10.244.0.0/16 --subnet-len 24 --subnet-min 10.244.10.0/24 --subnet-max 10.244.20.0/24 --udp-port 8472',
  );
  // The flags round-trip: parsing them back gives an equal configuration.
  const words = networkConfigFlags(bounded).split(' ');
  const flag = (name: string): string => words[words.indexOf(name) + 1]!;
  const again = validateNetworkConfig({
    network: parseCidr(flag('--network')),
    subnetLen: Number(flag('--subnet-len')),
    subnetMin: parseCidr(flag('--subnet-min')),
    subnetMax: parseCidr(flag('--subnet-max')),
    udpPort: Number(flag('--udp-port')),
  });
  assert.ok(networkConfigsEqual(again, bounded));
});

test('an underlay address must be unicast, not loopback, and outside the overlay network', () => {
  const cfg = validateNetworkConfig(input('10.244.0.0/16', 24));
  assert.equal(validateUnderlayIp(cfg, parseIpv4('192.168.1.2')), parseIpv4('192.168.1.2'));
  assert.equal(validateUnderlayIp(cfg, parseIpv4('10.245.0.1')), parseIpv4('10.245.0.1'));
  const refuse = (ip: number, message: RegExp): void =>
    assert.throws(() => validateUnderlayIp(cfg, ip), (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message));
  refuse(parseIpv4('10.244.3.7'), /underlay address 10\.244\.3\.7 lies inside the overlay network 10\.244\.0\.0\/16/);
  refuse(0, /0\.0\.0\.0 is not a unicast address/);
  refuse(parseIpv4('127.0.0.1'), /127\.0\.0\.1 is a loopback address/);
  refuse(parseIpv4('0.1.2.3'), /not a unicast address/);
  refuse(parseIpv4('255.255.255.255'), /not a unicast address/);
  refuse(parseIpv4('224.0.0.1'), /not a unicast address/);
  refuse(parseIpv4('239.255.255.250'), /not a unicast address/);
  refuse(-5, /not an IPv4 address/);
  refuse(2 ** 32, /not an IPv4 address/);
  refuse(1.5, /not an IPv4 address/);
});

function node(name: string, subnet: string): PlanAssignment {
  return { kind: 'node', name, subnet: parseCidr(subnet) };
}

test('a network change is allowed when every node and reservation still fits the new pool', () => {
  const stored = validateNetworkConfig(input('10.244.0.0/16', 24));
  const held: PlanAssignment[] = [node('a', '10.244.3.0/24'), { kind: 'reservation', name: 'r', subnet: parseCidr('10.244.9.0/24') }];
  // Wider network, same length: everything still fits.
  assert.equal(networkChangeRefusal(stored, validateNetworkConfig(input('10.244.0.0/15', 24)), held, 1), null);
  // Narrower bounds that still include 3 and 9.
  assert.equal(networkChangeRefusal(stored, validateNetworkConfig(input('10.244.0.0/16', 24, { min: '10.244.2.0/24', max: '10.244.9.0/24' })), held, 1), null);
  // The UDP port may change when no node exists (reservations have no agent yet).
  assert.equal(networkChangeRefusal(stored, validateNetworkConfig(input('10.244.0.0/16', 24, { udpPort: 7001 })), held.slice(1), 0), null);
});

test('a network change that would orphan assignments names them (ten, then a count) and says what to do', () => {
  const stored = validateNetworkConfig(input('10.244.0.0/16', 24));
  const held = Array.from({ length: 12 }, (_, i) => node(`n${i}`, `10.244.${i}.0/24`));
  const bounded = validateNetworkConfig(input('10.244.0.0/16', 24, { min: '10.244.2.0/24' }));
  assert.equal(
    networkChangeRefusal(stored, bounded, held, 12),
    '2 subnet(s) already handed out would not fit its pool: node "n0" (10.244.0.0/24), node "n1" (10.244.1.0/24); ' +
      'remove those nodes (`tunctl remove-node NAME`) and reservations (`tunctl unreserve NAME`) first',
  );
  const elsewhere = validateNetworkConfig(input('10.96.0.0/12', 24));
  const message = networkChangeRefusal(stored, elsewhere, held, 12) ?? '';
  assert.match(message, /^12 subnet\(s\) already handed out would not fit its pool: node "n0" \(10\.244\.0\.0\/24\), .*node "n9" \(10\.244\.9\.0\/24\) and 2 more; /);
  assert.doesNotMatch(message, /n10/);
  // Another subnet length orphans every assignment, even inside the same network.
  assert.match(networkChangeRefusal(stored, validateNetworkConfig(input('10.244.0.0/16', 25)), held.slice(0, 1), 1) ?? '', /node "n0" \(10\.244\.0\.0\/24\)/);
});

test('the UDP port may not change while nodes exist; both problems are reported together', () => {
  const stored = validateNetworkConfig(input('10.244.0.0/16', 24));
  const port = validateNetworkConfig(input('10.244.0.0/16', 24, { udpPort: 7001 }));
  assert.equal(
    networkChangeRefusal(stored, port, [node('a', '10.244.0.0/24')], 1),
    'the UDP port would change from 7000 to 7001 while 1 node(s) exist, and their agents would disagree on the port to send to; ' +
      'keep --udp-port 7000, or remove the nodes first',
  );
  const both = networkChangeRefusal(stored, validateNetworkConfig(input('10.96.0.0/12', 24, { udpPort: 7001 })), [node('a', '10.244.0.0/24')], 1) ?? '';
  assert.match(both, /^1 subnet\(s\) .*; and the UDP port would change from 7000 to 7001/);
});
