import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4 } from '../../../common/cidr.js';
import {
  PACKET_BAD_CHECKSUM,
  PACKET_BAD_HEADER_LENGTH,
  PACKET_NOT_IPV4,
  PACKET_OK,
  PACKET_TOO_SHORT,
  PACKET_TRUNCATED,
  PACKET_VERDICT_NAMES,
  internetChecksum,
  ipv4Destination,
  ipv4Source,
  validateIpv4,
  validateIpv4Minimal,
} from '../../../node-agent/dataplane/packet.js';
import { ipv4Packet } from '../fixtures/ipv4-packets.js';
import { prng, randomInt, randomUint32 } from '../../prng.js';

const SRC = parseIpv4('10.250.2.2');
const DST = parseIpv4('10.250.1.2');

function sample(payloadLen = 12): Buffer {
  return ipv4Packet({ src: SRC, dst: DST, protocol: 1, payload: Buffer.alloc(payloadLen, 7) });
}

/** Deliberately plain reference: each rule in the order the spec lists them, via Buffer reads. */
function referenceVerdict(packet: Buffer): string {
  if (packet.length < 20) return 'tooShort';
  if (packet.readUInt8(0) >> 4 !== 4) return 'notIpv4';
  const headerLen = (packet.readUInt8(0) & 0x0f) * 4;
  if (headerLen < 20 || headerLen > packet.length) return 'badHeaderLength';
  const total = packet.readUInt16BE(2);
  if (total > packet.length || total < headerLen) return 'truncated';
  let sum = 0;
  for (let i = 0; i < headerLen; i += 2) sum += packet.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum === 0xffff ? 'ok' : 'badChecksum';
}

test('a well-formed packet is ok, with and without header options', () => {
  const p = sample();
  assert.equal(validateIpv4(p, 0, p.length), PACKET_OK);
  const withOptions = ipv4Packet({ src: SRC, dst: DST, payload: Buffer.alloc(3), options: Buffer.from([1, 1, 1, 0, 1, 1, 1, 0]) });
  assert.equal(validateIpv4(withOptions, 0, withOptions.length), PACKET_OK);
});

test('each malformation gets its own reason', () => {
  const p = sample();
  assert.equal(validateIpv4(p, 0, 19), PACKET_TOO_SHORT);
  assert.equal(validateIpv4(Buffer.alloc(0), 0, 0), PACKET_TOO_SHORT);

  const v6 = Buffer.from(p);
  v6[0] = 0x60;
  assert.equal(validateIpv4(v6, 0, v6.length), PACKET_NOT_IPV4);

  const smallIhl = Buffer.from(p);
  smallIhl[0] = 0x44;
  assert.equal(validateIpv4(smallIhl, 0, smallIhl.length), PACKET_BAD_HEADER_LENGTH);
  const bigIhl = sample(0);
  bigIhl[0] = 0x46; // 24-byte header in a 20-byte datagram
  assert.equal(validateIpv4(bigIhl, 0, bigIhl.length), PACKET_BAD_HEADER_LENGTH);

  assert.equal(validateIpv4(p, 0, p.length - 1), PACKET_TRUNCATED, 'datagram shorter than total length');
  const tinyTotal = Buffer.from(p);
  tinyTotal.writeUInt16BE(19, 2);
  assert.equal(validateIpv4(tinyTotal, 0, tinyTotal.length), PACKET_TRUNCATED, 'total length below the header length');

  const flipped = Buffer.from(p);
  flipped[8]! ^= 1; // TTL changed without fixing the checksum
  assert.equal(validateIpv4(flipped, 0, flipped.length), PACKET_BAD_CHECKSUM);
});

test('trailing bytes after the total length are allowed', () => {
  const p = Buffer.concat([sample(), Buffer.alloc(5, 0xee)]);
  assert.equal(validateIpv4(p, 0, p.length), PACKET_OK);
});

test('offsets address a packet inside a larger buffer without copying', () => {
  const p = sample();
  const big = Buffer.alloc(p.length + 100, 0xff);
  p.copy(big, 37);
  assert.equal(validateIpv4(big, 37, p.length), PACKET_OK);
  assert.equal(ipv4Source(big, 37), SRC);
  assert.equal(ipv4Destination(big, 37), DST);
  assert.equal(validateIpv4(big, 36, p.length), PACKET_NOT_IPV4);
});

test('minimal validation checks only size and version', () => {
  const p = sample();
  p[10]! ^= 0xff; // checksum wrong: still fine for the local kernel's own packets
  assert.equal(validateIpv4Minimal(p, 0, p.length), PACKET_OK);
  assert.equal(validateIpv4Minimal(p, 0, 19), PACKET_TOO_SHORT);
  p[0] = 0x60;
  assert.equal(validateIpv4Minimal(p, 0, p.length), PACKET_NOT_IPV4);
});

test('address readers return unsigned values for high addresses', () => {
  const p = ipv4Packet({ src: parseIpv4('255.1.2.3'), dst: parseIpv4('200.0.0.1'), payload: Buffer.alloc(0) });
  assert.equal(ipv4Source(p, 0), parseIpv4('255.1.2.3'));
  assert.equal(ipv4Destination(p, 0), parseIpv4('200.0.0.1'));
});

test('internetChecksum matches RFC 1071 example and odd lengths', () => {
  // RFC 1071 section 3 example: words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d.
  assert.equal(internetChecksum(Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0, 8), 0x220d);
  assert.equal(internetChecksum(Buffer.from([0xff]), 0, 1), 0x00ff);
});

test('randomized: validateIpv4 agrees with the reference on 20,000 mutated packets', () => {
  const rand = prng(0x1badcafe);
  const counts = new Map<string, number>();
  for (let n = 0; n < 20_000; n++) {
    const optionWords = randomInt(rand, 11);
    let packet = ipv4Packet({
      src: randomUint32(rand),
      dst: randomUint32(rand),
      protocol: randomInt(rand, 256),
      payload: Buffer.alloc(randomInt(rand, 80), randomInt(rand, 256)),
      options: Buffer.alloc(optionWords * 4, 1),
      ttl: randomInt(rand, 256),
      id: randomInt(rand, 65536),
    });
    switch (randomInt(rand, 8)) {
      case 0: break;
      case 1: packet = packet.subarray(0, randomInt(rand, packet.length + 1)); break;
      case 2: packet[0] = (randomInt(rand, 16) << 4) | (packet[0]! & 15); break;
      case 3: packet[0] = (packet[0]! & 0xf0) | randomInt(rand, 16); break;
      case 4: packet.writeUInt16BE(randomInt(rand, 65536), 2); break;
      case 5: { const i = randomInt(rand, packet.length); packet[i] = randomInt(rand, 256); break; }
      case 6: packet = Buffer.concat([packet, Buffer.alloc(randomInt(rand, 10), 9)]); break;
      default: for (let i = 0; i < packet.length; i++) packet[i] = randomInt(rand, 256);
    }
    const lead = randomInt(rand, 8);
    const region = Buffer.alloc(lead + packet.length + 8, 0xa5);
    packet.copy(region, lead);
    const expected = referenceVerdict(Buffer.from(packet));
    const actual = PACKET_VERDICT_NAMES[validateIpv4(region, lead, packet.length)];
    assert.equal(actual, expected, `case ${n}: ${packet.toString('hex')}`);
    if (packet.length >= 20) {
      assert.equal(ipv4Source(region, lead), packet.readUInt32BE(12));
      assert.equal(ipv4Destination(region, lead), packet.readUInt32BE(16));
    }
    counts.set(expected, (counts.get(expected) ?? 0) + 1);
  }
  // The generator must exercise every verdict, or agreement would prove little.
  for (const name of PACKET_VERDICT_NAMES) assert.ok((counts.get(name) ?? 0) > 100, `verdict ${name} seen ${counts.get(name) ?? 0} times`);
});
