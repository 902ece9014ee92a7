// splitForWire: a TUN read (virtio-net header, then a TCP or UDP superpacket of up to 64 KB)
// becomes wire messages of MTU-sized segments. Every segment is checked on its own as a
// receiver would (IP header checksum, lengths, ids, sequence numbers, flags, TCP/UDP
// checksum by the slow reference), and against the kernel-like reference segmenter byte
// for byte; the grouping into UDP GSO messages is checked against the send limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4 } from '../../../common/cidr.js';
import { wordBuffer } from '../../../node-agent/dataplane/checksum.js';
import { GatherList } from '../../../node-agent/dataplane/gather.js';
import {
  MAX_GSO_BYTES,
  MAX_GSO_SEGMENTS,
  SPLIT_INVALID,
  SPLIT_NO_ROOM,
  SPLIT_OK,
  splitForWire,
  type SplitOptions,
} from '../../../node-agent/dataplane/segment.js';
import {
  IP_OPTIONS,
  PROTO_TCP,
  PROTO_UDP,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  datagramsOf,
  ipHeaderOk,
  l4ChecksumOk,
  messagesOf,
  parsePacket,
  randomBytes,
  referenceSegments,
  refChecksumOf,
  refPseudoSum,
  refWordSum,
  tcpPacket,
  tcpSuperpacket,
  timestampOption,
  udpPacketOf,
  udpSuperpacket,
  withVnet,
  type TcpFields,
  type UdpFields,
  type WireMessage,
} from '../fixtures/superpackets.js';
import { prng } from '../../prng.js';

const SRC = parseIpv4('10.250.1.2');
const DST = parseIpv4('10.250.2.2');
const UNDERLAY = parseIpv4('192.168.200.2');
const GSO: SplitOptions = { gso: true };
const NO_GSO: SplitOptions = { gso: false };
const VNET = 12;
/** The send limits, written out here so a change to the exported constants cannot move what is checked. */
const GSO_BYTES_LIMIT = 65535 - 20 - 8;
const GSO_SEGMENTS_LIMIT = 64;

/** A list big enough for any superpacket of 8-byte segments. */
function bigList(buffers: Uint8Array[]): GatherList {
  return new GatherList(buffers, 1 << 20, 20000, 20000);
}

interface Split {
  result: number;
  list: GatherList;
  messages: WireMessage[];
  datagrams: Buffer[];
}

function split(superpacket: Uint8Array, opts: SplitOptions, list = bigList([superpacket])): Split {
  const result = splitForWire(list, 0, wordBuffer(superpacket), superpacket.length, UNDERLAY, opts);
  const messages = messagesOf(list);
  return { result, list, messages, datagrams: messages.flatMap(datagramsOf) };
}

/** The message grouping rules: addresses, sizes, limits, greedy filling; or one datagram per message without GSO. */
function checkGrouping(s: Split, opts: SplitOptions, hdrLen: number, mss: number): void {
  const segmentSize = hdrLen + mss;
  s.messages.forEach((m, i) => {
    const where = `message ${i} of ${s.messages.length}`;
    assert.equal(m.addr, UNDERLAY, where);
    const datagrams = datagramsOf(m);
    assert.equal(datagrams.length, m.segments, `${where}: segment count`);
    if (!opts.gso) {
      assert.equal(m.segments, 1, `${where}: one segment per message without GSO`);
      assert.equal(m.segmentSize, 0, where);
      return;
    }
    assert.ok(m.segments <= GSO_SEGMENTS_LIMIT, `${where}: ${m.segments} segments`);
    assert.ok(m.data.length <= GSO_BYTES_LIMIT, `${where}: ${m.data.length} bytes`);
    if (m.segments > 1) {
      assert.equal(m.segmentSize, segmentSize, `${where}: segment size`);
      for (const d of datagrams.slice(0, -1)) assert.equal(d.length, segmentSize, `${where}: all but the last segment are full`);
      assert.ok(datagrams.at(-1)!.length <= segmentSize, where);
    } else {
      assert.equal(m.segmentSize, 0, `${where}: a single datagram has no segment size`);
    }
    if (i < s.messages.length - 1) {
      // Filled greedily: one more segment would break a limit.
      assert.ok(m.segments + 1 > GSO_SEGMENTS_LIMIT || (m.segments + 1) * segmentSize > GSO_BYTES_LIMIT, `${where}: only ${m.segments} segments`);
    }
  });
}

interface TcpCase {
  name: string;
  mss: number;
  payload: number;
  tcpOptions?: Uint8Array;
  ipOptions?: Uint8Array;
  flags?: number;
  seq?: number;
  id?: number;
  gsoTypeBits?: number;
}

function tcpFields(c: TcpCase, payload: Buffer): TcpFields {
  return {
    src: SRC,
    dst: DST,
    id: c.id ?? 0x1000,
    ipOptions: c.ipOptions,
    srcPort: 40000,
    dstPort: 5201,
    seq: c.seq ?? 0x10203040,
    ack: 0x0a0b0c0d,
    flags: c.flags ?? (TCP_ACK | TCP_PSH),
    window: 1234,
    tcpOptions: c.tcpOptions,
    payload,
  };
}

function checkTcpSplit(c: TcpCase, opts: SplitOptions): void {
  const rand = prng(c.mss * 7919 + c.payload);
  const payload = randomBytes(rand, c.payload);
  const fields = tcpFields(c, payload);
  const sp = tcpSuperpacket(fields, c.mss);
  if (c.gsoTypeBits !== undefined) sp[1] = sp[1]! | c.gsoTypeBits;
  const original = Buffer.from(sp);
  const s = split(sp, opts);
  assert.equal(s.result, SPLIT_OK);
  const ihl = 20 + (c.ipOptions?.length ?? 0);
  const doff = 20 + (c.tcpOptions?.length ?? 0);
  const expected = c.payload === 0 ? 1 : Math.ceil(c.payload / c.mss);
  assert.equal(s.datagrams.length, expected, 'segment count');
  checkGrouping(s, opts, ihl + doff, c.mss);
  const flags = fields.flags!;
  s.datagrams.forEach((d, k) => {
    const where = `segment ${k} of ${expected}`;
    const p = parsePacket(d);
    const last = k === expected - 1;
    const segLen = last ? c.payload - k * c.mss : c.mss;
    assert.equal(d.length, ihl + doff + segLen, `${where}: datagram length`);
    assert.equal(p.total, d.length, `${where}: IP total length`);
    assert.ok(ipHeaderOk(d), `${where}: IP header checksum`);
    assert.equal(p.id, ((c.id ?? 0x1000) + k) & 0xffff, `${where}: IP id`);
    assert.equal(p.protocol, PROTO_TCP);
    assert.deepEqual([p.src, p.dst, p.srcPort, p.dstPort, p.ack, p.window], [SRC, DST, 40000, 5201, 0x0a0b0c0d, 1234], where);
    assert.deepEqual(p.ipOptions, Buffer.from(c.ipOptions ?? []), `${where}: IP options`);
    assert.deepEqual(p.tcpOptions, Buffer.from(c.tcpOptions ?? []), `${where}: TCP options`);
    assert.equal(p.seq, (fields.seq + k * c.mss) % 2 ** 32, `${where}: sequence number`);
    assert.equal(p.flags & (TCP_FIN | TCP_PSH), last ? flags & (TCP_FIN | TCP_PSH) : 0, `${where}: FIN/PSH only on the last`);
    assert.equal(p.flags & TCP_CWR, k === 0 ? flags & TCP_CWR : 0, `${where}: CWR only on the first`);
    assert.equal(p.flags & ~(TCP_FIN | TCP_PSH | TCP_CWR), flags & ~(TCP_FIN | TCP_PSH | TCP_CWR), `${where}: other flags kept`);
    assert.ok(l4ChecksumOk(d), `${where}: TCP checksum`);
    assert.deepEqual(p.payload, payload.subarray(k * c.mss, k * c.mss + segLen), `${where}: payload`);
  });
  assert.deepEqual(Buffer.concat(s.datagrams.map((d) => parsePacket(d).payload)), payload, 'payloads concatenated');
  assert.deepEqual(s.datagrams, referenceSegments(original), 'byte for byte what the kernel GSO would make');
}

const TS = timestampOption(0x11223344, 0x55667788);
const tcpCases: TcpCase[] = [
  { name: 'mss 1448, exactly 10 segments', mss: 1448, payload: 14480 },
  { name: 'mss 1448, 10 segments and 1 byte', mss: 1448, payload: 14481 },
  { name: 'mss 1448, short last segment', mss: 1448, payload: 14480 + 700 },
  { name: 'mss 1448, 1 byte', mss: 1448, payload: 1 },
  { name: 'mss 1448, 65000 bytes', mss: 1448, payload: 65000 },
  { name: 'odd mss 1001, 65000 bytes', mss: 1001, payload: 65000 },
  { name: 'odd mss 1001, 5 segments and 3 bytes', mss: 1001, payload: 5008 },
  { name: 'tiny mss 8, 65000 bytes', mss: 8, payload: 65000 },
  { name: 'tiny mss 8, 17 bytes', mss: 8, payload: 17 },
  { name: 'mss 1 (every byte its own segment)', mss: 1, payload: 300 },
  { name: 'payload no larger than one mss', mss: 1448, payload: 1448 },
  { name: 'mss 1436 with timestamps, 65000 bytes', mss: 1436, payload: 65000, tcpOptions: TS },
  { name: 'mss 1001 with timestamps, short last', mss: 1001, payload: 20033, tcpOptions: TS },
  { name: 'IP options, mss 1440', mss: 1440, payload: 30000, ipOptions: IP_OPTIONS },
  { name: 'IP options and timestamps, odd mss 999', mss: 999, payload: 64000, ipOptions: IP_OPTIONS, tcpOptions: TS },
  { name: 'FIN, PSH, CWR and ECE set on the superpacket', mss: 1000, payload: 4500, flags: TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR | TCP_ECE },
  { name: 'CWR on a single segment stays', mss: 1000, payload: 900, flags: TCP_ACK | TCP_CWR },
  { name: 'sequence number and IP id wrap around', mss: 1000, payload: 10000, seq: 0xfffff000, id: 0xfffd },
  { name: 'gso type with the ECN bit', mss: 1200, payload: 6000, gsoTypeBits: 0x80 },
  { name: 'mss larger than the payload limit of a GSO message', mss: 65000, payload: 65000 },
];

for (const c of tcpCases) {
  test(`TCP superpacket, ${c.name}: GSO messages of valid segments`, () => checkTcpSplit(c, GSO));
}
for (const c of tcpCases.filter((_, i) => i % 3 === 0)) {
  test(`TCP superpacket, ${c.name}: without GSO, one message per segment`, () => checkTcpSplit(c, NO_GSO));
}

test('GSO grouping at the limits: 64 segments of tiny mss per message, 62 of mss 1000 (65507 bytes at most)', () => {
  assert.equal(MAX_GSO_BYTES, GSO_BYTES_LIMIT);
  assert.equal(MAX_GSO_SEGMENTS, GSO_SEGMENTS_LIMIT);
  const tiny = split(tcpSuperpacket(tcpFields({ name: '', mss: 8, payload: 0 }, Buffer.alloc(65000, 1)), 8), GSO);
  assert.equal(tiny.messages[0]!.segments, MAX_GSO_SEGMENTS);
  assert.equal(tiny.messages.length, Math.ceil(8125 / 64));
  assert.equal(tiny.messages.at(-1)!.segments, 8125 - 64 * 126);
  const k = split(tcpSuperpacket(tcpFields({ name: '', mss: 1000, payload: 0 }, Buffer.alloc(65000, 2)), 1000), GSO);
  // 1040-byte datagrams: 62 of them are 64,480 bytes; 63 would be 65,520 > 65,507.
  assert.deepEqual(
    k.messages.map((m) => m.segments),
    [62, 3],
  );
  assert.equal(k.messages[0]!.data.length, 62 * 1040);
  // 13102-byte datagrams: 4 make 52,408 bytes, 5 would make 65,510 > 65,507.
  const edge = split(tcpSuperpacket(tcpFields({ name: '', mss: 13062, payload: 0 }, Buffer.alloc(65000, 3)), 13062), GSO);
  assert.deepEqual(
    edge.messages.map((m) => m.segments),
    [4, 1],
  );
  // 1236-byte datagrams (mss 1196): 53 of them would be 65,508 bytes, one over.
  const over = split(tcpSuperpacket(tcpFields({ name: '', mss: 1196, payload: 0 }, Buffer.alloc(65000, 5)), 1196), GSO);
  assert.deepEqual(
    over.messages.map((m) => m.segments),
    [52, 3],
  );
  // 7 datagrams of 9358 bytes (mss 9318) make 65,506 bytes: one message, one byte under the limit.
  const exact = split(tcpSuperpacket(tcpFields({ name: '', mss: 9318, payload: 0 }, Buffer.alloc(9318 * 7, 4)), 9318), GSO);
  assert.deepEqual(
    exact.messages.map((m) => m.data.length),
    [65506],
  );
});

test('segments are built without copying the payload: header pieces in the arena, payload pieces in the read buffer', () => {
  const sp = tcpSuperpacket(tcpFields({ name: '', mss: 1000, payload: 0 }, Buffer.alloc(2500, 3)), 1000);
  const s = split(sp, GSO);
  const l = s.list;
  assert.equal(l.pieceCount, 6);
  for (let k = 0; k < 3; k++) {
    assert.equal(l.pieceBuffer[2 * k], l.arenaIndex, `segment ${k} header in the arena`);
    assert.equal(l.pieceLength[2 * k], 40);
    assert.equal(l.pieceBuffer[2 * k + 1], 0, `segment ${k} payload in the read buffer`);
    assert.equal(l.pieceOffset[2 * k + 1], VNET + 40 + 1000 * k);
  }
  assert.equal(l.arenaUsed, 3 * 40);
});

test('a GSO superpacket with no payload is one segment of headers alone', () => {
  const sp = tcpSuperpacket(tcpFields({ name: '', mss: 1000, payload: 0 }, Buffer.alloc(0)), 1000);
  const s = split(sp, GSO);
  assert.equal(s.result, SPLIT_OK);
  assert.equal(s.datagrams.length, 1);
  assert.equal(s.list.pieceCount, 1);
  assert.ok(ipHeaderOk(s.datagrams[0]!));
  assert.ok(l4ChecksumOk(s.datagrams[0]!));
  assert.equal(s.datagrams[0]!.length, 40);
});

// ----------------------------------------------------------------------------- UDP

interface UdpCase {
  name: string;
  size: number;
  payload: number;
  ipOptions?: Uint8Array;
}

function udpFields(c: UdpCase, payload: Buffer): UdpFields {
  return { src: SRC, dst: DST, id: 0x7ff0, ipOptions: c.ipOptions, srcPort: 4789, dstPort: 53, payload };
}

function checkUdpSplit(c: UdpCase, opts: SplitOptions, payload = randomBytes(prng(c.size * 31 + c.payload), c.payload)): Buffer[] {
  const sp = udpSuperpacket(udpFields(c, payload), c.size);
  const original = Buffer.from(sp);
  const s = split(sp, opts);
  assert.equal(s.result, SPLIT_OK);
  const ihl = 20 + (c.ipOptions?.length ?? 0);
  const expected = c.payload === 0 ? 1 : Math.ceil(c.payload / c.size);
  assert.equal(s.datagrams.length, expected);
  checkGrouping(s, opts, ihl + 8, c.size);
  s.datagrams.forEach((d, k) => {
    const where = `segment ${k} of ${expected}`;
    const p = parsePacket(d);
    const segLen = Math.min(c.size, c.payload - k * c.size);
    assert.equal(p.total, d.length, where);
    assert.equal(d.length, ihl + 8 + segLen, where);
    assert.ok(ipHeaderOk(d), `${where}: IP header checksum`);
    assert.equal(p.id, (0x7ff0 + k) & 0xffff, where);
    assert.equal(p.protocol, PROTO_UDP);
    assert.equal(p.udpLength, 8 + segLen, `${where}: UDP length`);
    assert.deepEqual([p.srcPort, p.dstPort], [4789, 53]);
    assert.notEqual(p.check, 0, `${where}: a computed UDP checksum is never sent as 0`);
    assert.ok(l4ChecksumOk(d), `${where}: UDP checksum`);
    assert.deepEqual(p.payload, payload.subarray(k * c.size, k * c.size + segLen), `${where}: payload`);
  });
  assert.deepEqual(Buffer.concat(s.datagrams.map((d) => parsePacket(d).payload)), payload);
  assert.deepEqual(s.datagrams, referenceSegments(original), 'byte for byte what the kernel GSO would make');
  return s.datagrams;
}

const udpCases: UdpCase[] = [
  { name: 'size 1400, exactly 8 segments', size: 1400, payload: 11200 },
  { name: 'size 1400, 8 segments and 1 byte', size: 1400, payload: 11201 },
  { name: 'size 1400, 65000 bytes', size: 1400, payload: 65000 },
  { name: 'odd size 1001, short last', size: 1001, payload: 30001 },
  { name: 'tiny size 8', size: 8, payload: 4099 },
  { name: '1 byte', size: 1400, payload: 1 },
  { name: 'IP options, odd size 777', size: 777, payload: 9000, ipOptions: IP_OPTIONS },
];

for (const c of udpCases) {
  test(`UDP superpacket, ${c.name}: GSO messages of valid datagrams`, () => void checkUdpSplit(c, GSO));
  test(`UDP superpacket, ${c.name}: without GSO`, () => void checkUdpSplit(c, NO_GSO));
}

test('UDP: a segment whose checksum comes to 0 is sent with 0xffff', () => {
  const size = 1000;
  const payload = randomBytes(prng(77), 3 * size + 10);
  // Make segment 1's one's-complement sum 0xffff: its first payload word absorbs the difference.
  const seg = udpPacketOf({ ...udpFields({ name: '', size, payload: 0 }, payload.subarray(size, 2 * size)), id: 0x7ff1 }, 'zero');
  seg.writeUInt16BE(0, 28);
  const sum = refPseudoSum(SRC, DST, PROTO_UDP, 8 + size) + refWordSum(seg, 20);
  payload.writeUInt16BE(refChecksumOf(sum), size);
  const datagrams = checkUdpSplit({ name: '', size, payload: payload.length }, GSO, payload);
  assert.equal(parsePacket(datagrams[1]!).check, 0xffff);
});

// ----------------------------------------------------------------------------- single packets

test('a packet without GSO and NEEDS_CSUM has its TCP checksum completed in place', () => {
  const rand = prng(5);
  for (const len of [0, 1, 2, 513, 1400]) {
    const fields = tcpFields({ name: '', mss: 0, payload: 0, tcpOptions: TS }, randomBytes(rand, len));
    const partial = tcpPacket(fields, 'partial');
    const sp = withVnet(partial, { flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 20, csumOffset: 16 });
    const s = split(sp, GSO);
    assert.equal(s.result, SPLIT_OK);
    assert.equal(s.messages.length, 1);
    assert.equal(s.list.pieceCount, 1);
    assert.equal(s.list.pieceOffset[0], VNET, 'the packet is sent from the read buffer');
    assert.deepEqual(s.datagrams, [tcpPacket(fields)], `payload ${len}: the full checksum`);
    assert.deepEqual(Buffer.from(sp.subarray(VNET)), tcpPacket(fields), 'completed in the read buffer itself');
  }
});

test('a packet without GSO and NEEDS_CSUM has its UDP checksum completed, 0 sent as 0xffff', () => {
  const payload = randomBytes(prng(6), 301);
  const fields = udpFields({ name: '', size: 0, payload: 0 }, payload);
  const sp = withVnet(udpPacketOf(fields, 'partial'), { flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 20, csumOffset: 6 });
  assert.deepEqual(split(sp, GSO).datagrams, [udpPacketOf(fields)]);

  const zeroSum = Buffer.from(payload);
  zeroSum.writeUInt16BE(0, 0);
  const probe = udpPacketOf({ ...fields, payload: zeroSum }, 'zero');
  zeroSum.writeUInt16BE(refChecksumOf(refPseudoSum(SRC, DST, PROTO_UDP, probe.length - 20) + refWordSum(probe, 20)), 0);
  const zeroFields = { ...fields, payload: zeroSum };
  const sp0 = withVnet(udpPacketOf(zeroFields, 'partial'), { flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 20, csumOffset: 6 });
  const [d] = split(sp0, GSO).datagrams;
  assert.equal(parsePacket(d!).check, 0xffff);
  assert.ok(l4ChecksumOk(d!));
  assert.deepEqual(d, udpPacketOf(zeroFields));
});

test('a packet without GSO or NEEDS_CSUM is sent unchanged, whatever its protocol', () => {
  const p = tcpPacket(tcpFields({ name: '', mss: 0, payload: 0 }, Buffer.alloc(100, 9)));
  p.writeUInt16BE(0xbeef, 36); // a wrong checksum is not ours to fix
  const sp = withVnet(p, { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 });
  assert.deepEqual(split(sp, GSO).datagrams, [p]);
  const icmp = Buffer.alloc(28, 0x33);
  icmp[0] = 0x45;
  icmp[9] = 1;
  assert.deepEqual(split(withVnet(icmp, { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 }), NO_GSO).datagrams, [icmp]);
});

// ----------------------------------------------------------------------------- refusals

function goodTcp(): Uint8Array {
  return tcpSuperpacket(tcpFields({ name: '', mss: 1000, payload: 0 }, Buffer.alloc(3000, 5)), 1000);
}

const invalidCases: Array<{ name: string; packet: () => Uint8Array; size?: (p: Uint8Array) => number }> = [
  {
    name: 'IPv6 with GSO TCPV6',
    packet: () => {
      const p = goodTcp();
      p[VNET] = 0x60;
      p[1] = 4;
      return p;
    },
  },
  {
    name: 'IPv6 version nibble with GSO TCPV4',
    packet: () => {
      const p = goodTcp();
      p[VNET] = 0x65;
      return p;
    },
  },
  {
    name: 'GSO TCPV4 on a UDP packet',
    packet: () => {
      const p = udpSuperpacket(udpFields({ name: '', size: 1000, payload: 0 }, Buffer.alloc(3000)), 1000);
      p[1] = 1;
      return p;
    },
  },
  {
    name: 'GSO UDP_L4 on a TCP packet',
    packet: () => {
      const p = goodTcp();
      p[1] = 5;
      return p;
    },
  },
  {
    name: 'UFO (GSO type 3)',
    packet: () => {
      const p = udpSuperpacket(udpFields({ name: '', size: 1000, payload: 0 }, Buffer.alloc(3000)), 1000);
      p[1] = 3;
      return p;
    },
  },
  {
    name: 'GSO TCPV6 on an IPv4 TCP packet',
    packet: () => {
      const p = goodTcp();
      p[1] = 4;
      return p;
    },
  },
  {
    name: 'mss 0',
    packet: () => {
      const p = goodTcp();
      p[4] = 0;
      p[5] = 0;
      return p;
    },
  },
  { name: 'shorter than an IP header', packet: goodTcp, size: () => VNET + 19 },
  { name: 'shorter than the virtio-net header', packet: goodTcp, size: () => 5 },
  { name: 'TCP header truncated', packet: goodTcp, size: () => VNET + 20 + 19 },
  {
    name: 'TCP header with options beyond the end',
    packet: () => {
      const p = goodTcp();
      p[VNET + 32] = 0xf0;
      return p;
    },
    size: () => VNET + 50,
  },
  {
    name: 'TCP data offset below 20',
    packet: () => {
      const p = goodTcp();
      p[VNET + 32] = 0x40;
      return p;
    },
  },
  {
    name: 'IP header length below 20',
    packet: () => {
      const p = goodTcp();
      p[VNET] = 0x44;
      return p;
    },
  },
  {
    name: 'IP header length below 20 (UDP)',
    packet: () => {
      const p = udpSuperpacket(udpFields({ name: '', size: 1000, payload: 0 }, Buffer.alloc(3000)), 1000);
      p[VNET] = 0x44;
      return p;
    },
  },
  {
    name: 'UDP header truncated',
    packet: () => udpSuperpacket(udpFields({ name: '', size: 1000, payload: 0 }, Buffer.alloc(3000)), 1000),
    size: () => VNET + 20 + 7,
  },
  {
    name: 'IP options beyond the end (UDP)',
    packet: () => {
      const p = udpSuperpacket(udpFields({ name: '', size: 1000, payload: 0 }, Buffer.alloc(3000)), 1000);
      p[VNET] = 0x4f;
      return p;
    },
    size: () => VNET + 60,
  },
  {
    name: 'NEEDS_CSUM with the checksum field beyond the end',
    packet: () => withVnet(Buffer.alloc(40, 0x45), { flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 30, csumOffset: 16 }),
  },
  {
    name: 'NEEDS_CSUM with csum_start beyond the end',
    packet: () => withVnet(Buffer.alloc(40, 0x45), { flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 400, csumOffset: 0 }),
  },
];

for (const c of invalidCases) {
  test(`refused as invalid, nothing appended: ${c.name}`, () => {
    const first = goodTcp();
    const p = c.packet();
    const list = bigList([first, p]);
    assert.equal(splitForWire(list, 0, wordBuffer(first), first.length, UNDERLAY, GSO), SPLIT_OK);
    const before = [list.messageCount, list.pieceCount, list.arenaUsed];
    const dataBefore = messagesOf(list).map((m) => m.data);
    const size = c.size ? c.size(p) : p.length;
    assert.equal(splitForWire(list, 1, wordBuffer(p), size, UNDERLAY, GSO), SPLIT_INVALID);
    assert.equal(splitForWire(list, 1, wordBuffer(p), size, UNDERLAY, NO_GSO), SPLIT_INVALID);
    assert.deepEqual([list.messageCount, list.pieceCount, list.arenaUsed], before);
    assert.deepEqual(
      messagesOf(list).map((m) => m.data),
      dataBefore,
    );
  });
}

test('a full list: the superpacket goes out in parts, SPLIT_NO_ROOM says how far it got, and the rest follows once the list is emptied', () => {
  const rand = prng(9);
  // 20 segments of 1000: 40 pieces, 800 arena bytes, 1 message with GSO (20 without).
  const sp = tcpSuperpacket(tcpFields({ name: '', mss: 1000, payload: 0 }, randomBytes(rand, 20000)), 1000);
  const small = tcpSuperpacket(tcpFields({ name: '', mss: 1000, payload: 0 }, randomBytes(rand, 1000)), 1000);
  const expected = referenceSegments(sp);
  const limits: Array<{ name: string; list: () => GatherList; opts: SplitOptions; first: number }> = [
    // After the small packet (2 pieces): 39 pieces left, 19 segments.
    { name: 'pieces', list: () => new GatherList([sp, small], 4096, 41, 100), opts: GSO, first: 19 },
    // After the small packet (40 bytes of headers): 799 bytes left, 19 headers of 40.
    { name: 'arena', list: () => new GatherList([sp, small], 839, 200, 100), opts: GSO, first: 19 },
    { name: 'messages (without GSO)', list: () => new GatherList([sp, small], 4096, 200, 20), opts: NO_GSO, first: 19 },
    { name: 'messages (with GSO)', list: () => new GatherList([sp, small], 4096, 200, 1), opts: GSO, first: 0 },
  ];
  for (const l of limits) {
    const list = l.list();
    // One small packet first: now the big one no longer fits whole.
    assert.equal(splitForWire(list, 1, wordBuffer(small), small.length, UNDERLAY, l.opts), SPLIT_OK, l.name);
    const cursor = { segment: 0 };
    assert.equal(splitForWire(list, 0, wordBuffer(sp), sp.length, UNDERLAY, l.opts, cursor), SPLIT_NO_ROOM, l.name);
    assert.equal(cursor.segment, l.first, `${l.name}: segments appended before the list filled`);
    const sent = messagesOf(list).flatMap(datagramsOf).slice(1);
    list.reset();
    assert.equal(splitForWire(list, 0, wordBuffer(sp), sp.length, UNDERLAY, l.opts, cursor), SPLIT_OK, `${l.name}: the rest fits an empty list`);
    assert.equal(cursor.segment, 20);
    assert.deepEqual([...sent, ...messagesOf(list).flatMap(datagramsOf)], expected, `${l.name}: every segment once, in order, as the reference cuts them`);
  }
});

test('a single packet into a list with no message or piece left: SPLIT_NO_ROOM', () => {
  const p = withVnet(Buffer.alloc(40, 0x45), { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 });
  const list = new GatherList([p], 64, 1, 1);
  assert.equal(splitForWire(list, 0, wordBuffer(p), p.length, UNDERLAY, GSO), SPLIT_OK);
  assert.equal(splitForWire(list, 0, wordBuffer(p), p.length, UNDERLAY, GSO), SPLIT_NO_ROOM);
  assert.equal(list.messageCount, 1);
  assert.equal(list.pieceCount, 1);
});

test('randomized: 300 TCP and UDP superpackets of random sizes split exactly as the reference segmenter does', () => {
  const rand = prng(0xabcdef);
  for (let n = 0; n < 300; n++) {
    const tcp = rand() < 0.6;
    const len = Math.floor(rand() * (rand() < 0.5 ? 4000 : 65000));
    // Small segment sizes too, but no more than 9,000 segments: the list holds 20,000 pieces.
    const mss = Math.max(1 + Math.floor(rand() * (rand() < 0.2 ? 64 : 1500)), Math.ceil(len / 9000));
    const payload = randomBytes(rand, len);
    const sp = tcp
      ? tcpSuperpacket(tcpFields({ name: '', mss, payload: len, tcpOptions: rand() < 0.5 ? TS : undefined, seq: Math.floor(rand() * 2 ** 32) }, payload), mss)
      : udpSuperpacket(udpFields({ name: '', size: mss, payload: len }, payload), mss);
    const original = Buffer.from(sp);
    const opts = rand() < 0.7 ? GSO : NO_GSO;
    const s = split(sp, opts);
    assert.equal(s.result, SPLIT_OK, `case ${n}`);
    assert.deepEqual(s.datagrams, referenceSegments(original), `case ${n}: ${tcp ? 'TCP' : 'UDP'} mss ${mss} payload ${len}`);
    const hdrLen = tcp ? 20 + parsePacket(original.subarray(VNET)).l4Len : 28;
    checkGrouping(s, opts, hdrLen, mss);
  }
});
