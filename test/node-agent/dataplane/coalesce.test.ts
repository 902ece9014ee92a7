// The Coalescer: segments received from the underlay become superpackets for the TUN device.
// Every written packet is checked as the kernel would take it: a superpacket's virtio-net
// header, IP header and partial checksum, and then cut again by the reference segmenter,
// which must give back exactly the segments that went in; a packet written alone must be
// byte-identical to what arrived, behind an all-zero header. Segments come from splitForWire
// (the sender's side) or from the fixture builders for the odd cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4 } from '../../../common/cidr.js';
import { wordBuffer } from '../../../node-agent/dataplane/checksum.js';
import { COALESCE_BAD_CHECKSUM, COALESCE_NO_ROOM, COALESCE_OK, Coalescer, type CoalesceOptions } from '../../../node-agent/dataplane/coalesce.js';
import { GatherList } from '../../../node-agent/dataplane/gather.js';
import { SPLIT_OK, splitForWire } from '../../../node-agent/dataplane/segment.js';
import {
  IP_OPTIONS,
  PROTO_TCP,
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  datagramsOf,
  ipHeaderOk,
  messagesOf,
  parsePacket,
  randomBytes,
  readVnet,
  referenceSegments,
  refFold,
  refPseudoSum,
  tcpPacket,
  tcpSuperpacket,
  timestampOption,
  udpPacketOf,
  udpSuperpacket,
  type TcpFields,
  type UdpFields,
} from '../fixtures/superpackets.js';
import { ipv4Packet } from '../fixtures/ipv4-packets.js';
import { prng } from '../../prng.js';

const SRC = parseIpv4('10.250.1.2');
const DST = parseIpv4('10.250.2.2');
const VNET = 12;
const UDP_ON: CoalesceOptions = { udp: true };
const UDP_OFF: CoalesceOptions = { udp: false };

// ----------------------------------------------------------------------------- harness

interface Coalesced {
  /** One COALESCE_* code per segment added, in order. */
  results: number[];
  /** Each message written: virtio-net header, then the packet. */
  written: Buffer[];
  coalescer: Coalescer;
}

/**
 * Copies each group of datagrams into a receive buffer of its own (one group: one GRO
 * receive, datagrams back to back) and adds every datagram in order, then flushes.
 */
function coalesce(buffers: Buffer[][], opts: CoalesceOptions = UDP_ON): Coalesced {
  const bufs = buffers.map((group) => {
    const b = new Uint8Array(new ArrayBuffer(group.reduce((n, d) => n + d.length, 0)));
    let off = 0;
    for (const d of group) {
      b.set(d, off);
      off += d.length;
    }
    return b;
  });
  const out = new GatherList(bufs, 1 << 16, 8192, 4096);
  const coalescer = new Coalescer(out, bufs.map(wordBuffer), opts);
  const results: number[] = [];
  buffers.forEach((group, i) => {
    let off = 0;
    for (const d of group) {
      results.push(coalescer.add(i, off, d.length));
      off += d.length;
    }
  });
  coalescer.flush();
  return { results, written: messagesOf(out).map((m) => m.data), coalescer };
}

/** Each datagram in its own receive buffer. */
const alone = (datagrams: Buffer[]): Buffer[][] => datagrams.map((d) => [d]);

/** The packet with its IP id and header checksum zeroed (the only fields a re-cut may number differently). */
function withoutId(packet: Buffer): Buffer {
  const c = Buffer.from(packet);
  c.fill(0, 4, 6);
  c.fill(0, 10, 12);
  return c;
}

/**
 * Checks one written packet against the segments it must stand for. `exactIds`: the
 * segments' IP ids count up from the first, so the kernel's re-cut numbers them the same
 * (not so for UDP datagrams merged across a dropped one).
 */
function checkWritten(written: Buffer, segments: Buffer[], where: string, exactIds = true): void {
  const v = readVnet(written);
  const packet = written.subarray(VNET);
  if (segments.length === 1) {
    assert.deepEqual(written.subarray(0, VNET), Buffer.alloc(VNET), `${where}: a lone packet gets an all-zero header`);
    assert.deepEqual(packet, segments[0], `${where}: a lone packet is written unchanged`);
    return;
  }
  const first = parsePacket(segments[0]!);
  const tcp = first.protocol === PROTO_TCP;
  const payloads = segments.map((s) => parsePacket(s).payload);
  assert.equal(v.flags, 1, `${where}: NEEDS_CSUM`);
  assert.equal(v.gsoType, tcp ? 1 : 5, `${where}: GSO type`);
  assert.equal(v.gsoSize, payloads[0]!.length, `${where}: gso_size is the first segment's payload`);
  assert.equal(v.hdrLen, 20 + first.l4Len, `${where}: hdr_len`);
  assert.equal(v.csumStart, 20, `${where}: csum_start`);
  assert.equal(v.csumOffset, tcp ? 16 : 6, `${where}: csum_offset`);
  assert.equal(v.numBuffers, 0);
  const p = parsePacket(packet);
  assert.equal(p.total, packet.length, `${where}: IP total length`);
  assert.equal(packet.length, 20 + first.l4Len + payloads.reduce((n, x) => n + x.length, 0), `${where}: length`);
  assert.ok(ipHeaderOk(packet), `${where}: IP header checksum`);
  assert.equal(p.check, refFold(refPseudoSum(p.src, p.dst, p.protocol, p.total - 20)), `${where}: partial checksum is the folded pseudo-header sum`);
  if (!tcp) assert.equal(p.udpLength, p.total - 20, `${where}: UDP length`);
  assert.deepEqual(p.payload, Buffer.concat(payloads), `${where}: payload`);
  const again = referenceSegments(written);
  if (exactIds) assert.deepEqual(again, segments, `${where}: cut again by the kernel, the segments that came in`);
  else assert.deepEqual(again.map(withoutId), segments.map(withoutId), `${where}: cut again by the kernel, the segments that came in`);
}

function checkAll(c: Coalesced, groups: Buffer[][], exactIds = true): void {
  assert.equal(
    c.written.length,
    groups.length,
    `written ${c.written.length} packets, expected groups of ${groups.map((g) => g.length).join(', ')}`,
  );
  groups.forEach((g, i) => checkWritten(c.written[i]!, g, `packet ${i}`, exactIds));
}

/** The wire datagrams splitForWire makes of a superpacket. */
function wireSegments(superpacket: Uint8Array): Buffer[] {
  const list = new GatherList([superpacket], 1 << 20, 20000, 20000);
  assert.equal(splitForWire(list, 0, wordBuffer(superpacket), superpacket.length, 1, { gso: true }), SPLIT_OK);
  return messagesOf(list).flatMap(datagramsOf);
}

interface FlowOptions {
  n: number;
  mss: number;
  /** Payload of the last segment; mss unless given. */
  lastLen?: number;
  srcPort?: number;
  seq?: number;
  /** Flags of segment k; ACK unless given. */
  flags?: (k: number) => number;
  tcpOptions?: Uint8Array;
  ipOptions?: Uint8Array;
  seed?: number;
}

/** Consecutive full-sized segments of one TCP flow, ids counting up, checksums right. */
function tcpFlow(o: FlowOptions): Buffer[] {
  const rand = prng(o.seed ?? o.n * 1000 + o.mss);
  const seq0 = o.seq ?? 0x70000000;
  const out: Buffer[] = [];
  let seq = seq0;
  for (let k = 0; k < o.n; k++) {
    const len = k === o.n - 1 && o.lastLen !== undefined ? o.lastLen : o.mss;
    out.push(
      tcpPacket({
        src: SRC,
        dst: DST,
        id: (0x2000 + k) & 0xffff,
        ipOptions: o.ipOptions,
        srcPort: o.srcPort ?? 40001,
        dstPort: 5201,
        seq,
        ack: 0x99,
        flags: o.flags ? o.flags(k) : TCP_ACK,
        window: 500,
        tcpOptions: o.tcpOptions,
        payload: randomBytes(rand, len),
      }),
    );
    seq = (seq + len) % 2 ** 32;
  }
  return out;
}

/** Consecutive datagrams of one UDP flow. */
function udpFlow(n: number, size: number, lastLen = size, srcPort = 4789, seed = 1): Buffer[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, k) =>
    udpPacketOf({ src: SRC, dst: DST, id: 0x3000 + k, srcPort, dstPort: 53, payload: randomBytes(rand, k === n - 1 ? lastLen : size) }),
  );
}

/** The segment with one payload byte flipped: its TCP/UDP checksum no longer verifies. */
function corrupted(segment: Buffer): Buffer {
  const c = Buffer.from(segment);
  c[c.length - 1]! ^= 0x5a;
  return c;
}

// ----------------------------------------------------------------------------- one flow, in order

function tcpFieldsFor(payload: Buffer, tcpOptions?: Uint8Array): TcpFields {
  return { src: SRC, dst: DST, id: 0xfff0, srcPort: 40000, dstPort: 5201, seq: 0xffff8000, ack: 7, flags: TCP_ACK | TCP_PSH, window: 999, tcpOptions, payload };
}

function udpFieldsFor(payload: Buffer): UdpFields {
  return { src: SRC, dst: DST, id: 0x10, srcPort: 4789, dstPort: 53, payload };
}

const inOrderCases: Array<{ name: string; superpacket: () => Uint8Array; segments: number }> = [
  { name: 'TCP mss 1448, 65000 bytes', superpacket: () => tcpSuperpacket(tcpFieldsFor(randomBytes(prng(1), 65000)), 1448), segments: 45 },
  { name: 'TCP odd mss 1001, short last', superpacket: () => tcpSuperpacket(tcpFieldsFor(randomBytes(prng(2), 30000)), 1001), segments: 30 },
  {
    name: 'TCP with timestamps, mss 1436',
    superpacket: () => tcpSuperpacket(tcpFieldsFor(randomBytes(prng(3), 40000), timestampOption(1, 2)), 1436),
    segments: 28,
  },
  { name: 'TCP tiny mss 8', superpacket: () => tcpSuperpacket(tcpFieldsFor(randomBytes(prng(4), 203)), 8), segments: 26 },
  { name: 'TCP payload exactly 20 segments', superpacket: () => tcpSuperpacket(tcpFieldsFor(randomBytes(prng(5), 20000)), 1000), segments: 20 },
  { name: 'UDP size 1400, 65000 bytes', superpacket: () => udpSuperpacket(udpFieldsFor(randomBytes(prng(6), 65000)), 1400), segments: 47 },
  { name: 'UDP odd size 999, short last', superpacket: () => udpSuperpacket(udpFieldsFor(randomBytes(prng(7), 9001)), 999), segments: 10 },
];

for (const c of inOrderCases) {
  for (const layout of ['each in its own buffer', 'one GRO buffer'] as const) {
    test(`in order, ${c.name} (${layout}): one superpacket, cut again into the same segments`, () => {
      const sp = c.superpacket();
      const originalPayload = parsePacket(sp.subarray(VNET)).payload;
      const segs = wireSegments(sp);
      assert.equal(segs.length, c.segments);
      const r = coalesce(layout === 'one GRO buffer' ? [segs] : alone(segs));
      assert.deepEqual(r.results, segs.map(() => COALESCE_OK));
      checkAll(r, [segs]);
      assert.deepEqual(parsePacket(r.written[0]!.subarray(VNET)).payload, originalPayload, 'the original superpacket payload');
      assert.equal(r.coalescer.droppedFirst, 0);
    });
  }
}

test('in order, a superpacket of 65 segments: 64 merged, the last alone (64-segment cap)', () => {
  const segs = wireSegments(tcpSuperpacket(tcpFieldsFor(randomBytes(prng(8), 65000)), 1001));
  assert.equal(segs.length, 65);
  checkAll(coalesce([segs]), [segs.slice(0, 64), segs.slice(64)]);
});

// ----------------------------------------------------------------------------- loss, disorder, damage

test('loss of a segment in the middle: two superpackets around the gap', () => {
  const segs = tcpFlow({ n: 12, mss: 1200, lastLen: 77, flags: (k) => (k === 11 ? TCP_ACK | TCP_PSH : TCP_ACK) });
  const received = [...segs.slice(0, 5), ...segs.slice(6)];
  const r = coalesce([received]);
  assert.deepEqual(r.results, received.map(() => COALESCE_OK));
  checkAll(r, [segs.slice(0, 5), segs.slice(6)]);
});

test('out-of-order segments: nothing merged across the disorder, every byte written once', () => {
  const segs = tcpFlow({ n: 8, mss: 1000 });
  const order = [0, 1, 3, 2, 4, 5, 7, 6];
  const r = coalesce(alone(order.map((k) => segs[k]!)));
  checkAll(r, [[segs[0]!, segs[1]!], [segs[3]!], [segs[2]!], [segs[4]!, segs[5]!], [segs[7]!], [segs[6]!]]);
  assert.deepEqual(
    r.written.flatMap((w) => referenceSegments(w)).sort(Buffer.compare),
    [...segs].sort(Buffer.compare),
    'every segment exactly once',
  );
});

test('a duplicated segment does not join the superpacket it repeats; what follows it joins the copy', () => {
  const segs = tcpFlow({ n: 5, mss: 900 });
  const r = coalesce(alone([segs[0]!, segs[1]!, segs[1]!, segs[2]!, segs[3]!, segs[4]!]));
  checkAll(r, [
    [segs[0]!, segs[1]!],
    [segs[1]!, segs[2]!, segs[3]!, segs[4]!],
  ]);
});

test('a damaged segment in the middle is dropped (COALESCE_BAD_CHECKSUM), the rest are written', () => {
  const segs = tcpFlow({ n: 10, mss: 1300 });
  const received = segs.map((s, k) => (k === 4 ? corrupted(s) : s));
  const r = coalesce([received]);
  assert.deepEqual(
    r.results,
    received.map((_, k) => (k === 4 ? COALESCE_BAD_CHECKSUM : COALESCE_OK)),
  );
  checkAll(r, [segs.slice(0, 4), segs.slice(5)]);
  assert.equal(r.coalescer.droppedFirst, 0);
});

test('a damaged first segment is dropped when the second would join it, and counted in droppedFirst', () => {
  const segs = tcpFlow({ n: 6, mss: 1300 });
  const received = [corrupted(segs[0]!), ...segs.slice(1)];
  const r = coalesce(alone(received));
  assert.deepEqual(r.results, received.map(() => COALESCE_OK));
  assert.equal(r.coalescer.droppedFirst, 1);
  checkAll(r, [segs.slice(1)]);
});

test('a damaged second segment after a good first one: the first goes alone, the rest merge', () => {
  const segs = tcpFlow({ n: 6, mss: 1300 });
  const received = segs.map((s, k) => (k === 1 ? corrupted(s) : s));
  const r = coalesce(alone(received));
  assert.equal(r.results[1], COALESCE_BAD_CHECKSUM);
  assert.equal(r.coalescer.droppedFirst, 0);
  checkAll(r, [[segs[0]!], segs.slice(2)]);
});

test('a damaged segment that would start nothing is written alone, unchanged, for the kernel to drop', () => {
  const segs = tcpFlow({ n: 3, mss: 700 });
  const bad = corrupted(segs[2]!);
  // Out of sequence, so it is not checked here: it goes out as it came.
  const r = coalesce(alone([segs[0]!, segs[1]!, tcpFlow({ n: 1, mss: 50, srcPort: 1 })[0]!, bad]));
  assert.equal(r.written.length, 3);
  checkWritten(r.written[2]!, [bad], 'the damaged lone segment');
});

test('UDP: a damaged datagram in the middle is dropped and the others merge around it; datagrams without a checksum (0) merge', () => {
  const flow = udpFlow(6, 1000, 1000, 4789, 3);
  const received = flow.map((d, k) => (k === 3 ? corrupted(d) : d));
  const r = coalesce([received]);
  assert.deepEqual(
    r.results,
    received.map((_, k) => (k === 3 ? COALESCE_BAD_CHECKSUM : COALESCE_OK)),
  );
  // Datagrams carry no sequence number: the one after the gap still continues the superpacket.
  checkAll(r, [[...flow.slice(0, 3), ...flow.slice(4)]], false);

  const noSum = udpFlow(4, 500, 500, 4789, 4).map((d) => {
    const z = Buffer.from(d);
    z.writeUInt16BE(0, 26);
    return z;
  });
  const z = coalesce([noSum]);
  assert.equal(z.written.length, 1);
  const p = parsePacket(z.written[0]!.subarray(VNET));
  assert.equal(p.total, 20 + 8 + 2000);
  assert.deepEqual(p.payload, Buffer.concat(noSum.map((d) => d.subarray(28))));
});

// ----------------------------------------------------------------------------- flows

test('mixed flows interleaved: each written alone, and each flow\'s bytes arrive in order', () => {
  const a = tcpFlow({ n: 6, mss: 1000, srcPort: 1111, seed: 1 });
  const b = tcpFlow({ n: 6, mss: 1000, srcPort: 2222, seed: 2 });
  const interleaved = a.flatMap((s, k) => [s, b[k]!]);
  const r = coalesce([interleaved]);
  checkAll(
    r,
    interleaved.map((s) => [s]),
  );
});

test('mixed flows in runs: one superpacket per run, per flow', () => {
  const a = tcpFlow({ n: 9, mss: 1000, srcPort: 1111, seed: 1 });
  const b = tcpFlow({ n: 4, mss: 1000, srcPort: 2222, seed: 2 });
  const u = udpFlow(5, 800, 300, 4789, 5);
  const received = [...a.slice(0, 3), ...b, ...u, ...a.slice(3)];
  const r = coalesce([received.slice(0, 7), received.slice(7)]);
  checkAll(r, [a.slice(0, 3), b, u, a.slice(3)]);
});

test('segments that differ from the open superpacket in any header field start a new one', () => {
  const base = tcpFlow({ n: 3, mss: 1000 });
  const next = (mutate: (f: TcpFields) => void): Buffer => {
    const p = parsePacket(base[2]!);
    const f: TcpFields = {
      src: p.src,
      dst: p.dst,
      id: p.id,
      ttl: p.ttl,
      tos: p.tos,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      seq: p.seq,
      ack: p.ack,
      flags: p.flags,
      window: p.window,
      payload: p.payload,
    };
    mutate(f);
    return tcpPacket(f);
  };
  const variants: Array<[string, Buffer]> = [
    ['TTL', next((f) => (f.ttl = 63))],
    ['TOS', next((f) => (f.tos = 4))],
    ['DF cleared', next((f) => (f.fragment = 0))],
    ['source address', next((f) => (f.src = parseIpv4('10.250.1.3')))],
    ['destination address', next((f) => (f.dst = parseIpv4('10.250.2.3')))],
    ['source port', next((f) => (f.srcPort = 40002))],
    ['destination port', next((f) => (f.dstPort = 5202))],
    ['ack number', next((f) => (f.ack = 0x9a))],
    ['window', next((f) => (f.window = 501))],
    ['sequence number', next((f) => (f.seq = f.seq + 1))],
    ['TCP options', next((f) => (f.tcpOptions = timestampOption(1, 1)))],
    ['ECE flag', next((f) => (f.flags = TCP_ACK | TCP_ECE))],
    ['a longer payload', next((f) => (f.payload = Buffer.concat([f.payload, Buffer.from([1])])))],
  ];
  for (const [name, v] of variants) {
    const r = coalesce(alone([base[0]!, base[1]!, v]));
    assert.deepEqual(r.results, [COALESCE_OK, COALESCE_OK, COALESCE_OK], name);
    checkAll(r, [[base[0]!, base[1]!], [v]]);
  }
});

test('after a short segment nothing joins: the superpacket is closed', () => {
  const short = tcpFlow({ n: 2, mss: 1000, lastLen: 400 });
  const afterShort = tcpPacket({ ...parsePacket(short[1]!), seq: (parsePacket(short[1]!).seq + 400) % 2 ** 32, id: 0x2002, payload: Buffer.alloc(1000, 1) });
  const r = coalesce(alone([...short, afterShort]));
  checkAll(r, [short, [afterShort]]);
});

// ----------------------------------------------------------------------------- flags and odd packets

test('SYN, FIN, RST, URG, CWR and pure ACK segments are written alone, unchanged', () => {
  const segs = tcpFlow({ n: 4, mss: 1000 });
  const p3 = parsePacket(segs[3]!);
  const nextSeq = (p3.seq + 1000) % 2 ** 32;
  const special = (flags: number, payload: Buffer, seq = nextSeq): Buffer =>
    tcpPacket({ src: SRC, dst: DST, id: 0x2004, srcPort: 40001, dstPort: 5201, seq, ack: 0x99, flags, window: 500, payload });
  const cases: Array<[string, Buffer]> = [
    ['FIN with data', special(TCP_ACK | TCP_FIN, Buffer.alloc(1000, 1))],
    ['FIN alone', special(TCP_ACK | TCP_FIN, Buffer.alloc(0))],
    ['RST', special(TCP_ACK | TCP_RST, Buffer.alloc(0))],
    ['URG', special(TCP_ACK | TCP_URG, Buffer.alloc(1000, 2))],
    ['CWR', special(TCP_ACK | TCP_CWR, Buffer.alloc(1000, 3))],
    ['SYN', special(TCP_SYN, Buffer.alloc(0), 12345)],
    ['pure ACK', special(TCP_ACK, Buffer.alloc(0))],
    ['no ACK', special(TCP_PSH, Buffer.alloc(1000, 4))],
  ];
  for (const [name, s] of cases) {
    const r = coalesce(alone([...segs, s]));
    assert.equal(r.written.length, 2, name);
    checkAll(r, [segs, [s]]);
    // And as the first of a run: it opens nothing.
    const again = coalesce([[s, ...segs]]);
    checkAll(again, [[s], segs]);
  }
});

test('runs of in-sequence segments that all carry URG, FIN, RST, SYN, ECE or CWR, or lack ACK, are never merged', () => {
  for (const flags of [TCP_ACK | TCP_URG, TCP_ACK | TCP_FIN, TCP_ACK | TCP_RST, TCP_SYN | TCP_ACK, TCP_ACK | TCP_ECE, TCP_ACK | TCP_CWR, 0]) {
    const run = tcpFlow({ n: 4, mss: 1000, flags: () => flags, seed: flags });
    checkAll(
      coalesce([run]),
      run.map((s) => [s]),
    );
  }
});

test('packets with IP options are written alone, unchanged, even in sequence', () => {
  const segs = tcpFlow({ n: 4, mss: 1000, ipOptions: IP_OPTIONS });
  const r = coalesce([segs]);
  checkAll(
    r,
    segs.map((s) => [s]),
  );
  const udp = udpPacketOf({ src: SRC, dst: DST, ipOptions: IP_OPTIONS, srcPort: 1, dstPort: 2, payload: Buffer.alloc(500, 1) });
  checkAll(coalesce([[udp, udp]]), [[udp], [udp]]);
});

/** The first fragment (MF set, offset 0) of a UDP datagram: its UDP header still describes the whole datagram. */
function firstFragment(datagram: Buffer, fragmentPayload: number): Buffer {
  const f = Buffer.from(datagram.subarray(0, 20 + fragmentPayload));
  f.writeUInt16BE(f.length, 2);
  f.writeUInt16BE(0x2000, 6);
  f.writeUInt16BE(0, 10);
  f.writeUInt16BE(0xffff - refFold(Array.from({ length: 10 }, (_, i) => f.readUInt16BE(2 * i)).reduce((x, y) => x + y, 0)), 10);
  return f;
}

test(
  'IP fragments of one UDP flow arriving back to back are written alone, unchanged, never merged or dropped',
  () => {
    // Two 2000-byte datagrams, each cut at 1008 bytes of UDP data; their first fragments arrive together (the rest late).
    const [d1, d2] = udpFlow(2, 2000, 2000, 4789, 9);
    const withSums = [firstFragment(d1!, 1008), firstFragment(d2!, 1008)];
    const noSums = withSums.map((f) => {
      const z = Buffer.from(f);
      z.writeUInt16BE(0, 26);
      return z;
    });
    for (const [name, frags] of [['UDP checksums', withSums], ['no UDP checksums', noSums]] as const) {
      const r = coalesce([[...frags]]);
      assert.deepEqual(r.results, [COALESCE_OK, COALESCE_OK], name);
      assert.equal(r.coalescer.droppedFirst, 0, `${name}: no fragment dropped`);
      assert.equal(r.written.length, 2, `${name}: written alone`);
      checkAll(r, [[frags[0]!], [frags[1]!]]);
    }
  },
);

test('non-TCP/UDP packets and UDP datagrams without payload are written alone', () => {
  const icmp = ipv4Packet({ src: SRC, dst: DST, protocol: 1, payload: Buffer.alloc(100, 8) });
  const empty = udpPacketOf({ src: SRC, dst: DST, srcPort: 1, dstPort: 2, payload: Buffer.alloc(0) });
  checkAll(coalesce([[icmp, icmp, empty, empty]]), [[icmp], [icmp], [empty], [empty]]);
});

test('a PSH ends a superpacket and is carried on it', () => {
  const segs = tcpFlow({ n: 7, mss: 1000, flags: (k) => (k === 2 ? TCP_ACK | TCP_PSH : TCP_ACK) });
  const r = coalesce([segs]);
  checkAll(r, [segs.slice(0, 3), segs.slice(3)]);
  assert.equal(parsePacket(r.written[0]!.subarray(VNET)).flags, TCP_ACK | TCP_PSH, 'the first superpacket says PSH');
  assert.equal(parsePacket(r.written[1]!.subarray(VNET)).flags, TCP_ACK, 'the second does not');
});

test('a PSH on the first segment: it goes alone', () => {
  const segs = tcpFlow({ n: 4, mss: 1000, flags: (k) => (k === 0 ? TCP_ACK | TCP_PSH : TCP_ACK) });
  checkAll(coalesce([segs]), [[segs[0]!], segs.slice(1)]);
});

// ----------------------------------------------------------------------------- caps and options

test('64-segment cap: 70 full segments make superpackets of 64 and 6', () => {
  const segs = tcpFlow({ n: 70, mss: 1000 });
  checkAll(coalesce([segs.slice(0, 40), segs.slice(40)]), [segs.slice(0, 64), segs.slice(64)]);
});

test('65535-byte cap: superpackets reach exactly 65535 bytes and no further', () => {
  // 40 + 5 * 13099 = 65535.
  const segs = tcpFlow({ n: 6, mss: 13099 });
  const r = coalesce(alone(segs));
  checkAll(r, [segs.slice(0, 5), segs.slice(5)]);
  assert.equal(r.written[0]!.length, VNET + 65535);
  // With mss 1460, the 45th segment would make 65,740 bytes.
  const small = tcpFlow({ n: 50, mss: 1460 });
  checkAll(coalesce([small]), [small.slice(0, 44), small.slice(44)]);
});

test('UDP coalescing off: UDP datagrams are written alone, TCP still merges', () => {
  const u = udpFlow(5, 1000);
  const t = tcpFlow({ n: 3, mss: 1000 });
  const r = coalesce([[...u, ...t]], UDP_OFF);
  checkAll(r, [...u.map((d) => [d]), t]);
});

test('UDP: a larger datagram starts a new superpacket, a shorter one ends the open one', () => {
  const a = udpFlow(3, 600, 600, 4789, 1);
  const b = udpFlow(3, 1000, 200, 4789, 2);
  const c = udpFlow(2, 1000, 1000, 4789, 3);
  checkAll(coalesce([[...a, ...b, ...c]]), [a, b, c]);
  // A shorter datagram joins as the last: 1000, 1000, 700 merge; the next 1000 starts anew.
  const d = udpFlow(4, 1000, 1000, 4789, 4);
  const shortThird = udpFlow(3, 1000, 700, 4789, 4);
  const e = coalesce([[...shortThird, d[3]!]]);
  checkAll(e, [shortThird, [d[3]!]]);
});

test('a lone segment gets an all-zero virtio-net header and is written byte for byte', () => {
  const [s] = tcpFlow({ n: 1, mss: 1000 });
  const r = coalesce([[s!]]);
  assert.equal(r.written.length, 1);
  assert.deepEqual(r.written[0], Buffer.concat([Buffer.alloc(VNET), s!]));
});

test('flush with nothing open writes nothing', () => {
  const out = new GatherList([], 64, 4, 4);
  const c = new Coalescer(out, [], UDP_ON);
  c.flush();
  c.flush();
  assert.equal(out.messageCount, 0);
});

// ----------------------------------------------------------------------------- room

test('no room for a joining segment: the open superpacket is closed, COALESCE_NO_ROOM, and it starts afresh once emptied', () => {
  const segs = tcpFlow({ n: 6, mss: 1000 });
  const buf = new Uint8Array(new ArrayBuffer(6000 + 6 * 40));
  let off = 0;
  const offs = segs.map((s) => {
    buf.set(s, off);
    off += s.length;
    return off - s.length;
  });
  // 4 pieces: the header, the first segment and two more payloads.
  const out = new GatherList([buf], 1024, 4, 8);
  const c = new Coalescer(out, [wordBuffer(buf)], UDP_ON);
  assert.deepEqual(
    [0, 1, 2].map((k) => c.add(0, offs[k]!, segs[k]!.length)),
    [COALESCE_OK, COALESCE_OK, COALESCE_OK],
  );
  assert.equal(c.add(0, offs[3]!, segs[3]!.length), COALESCE_NO_ROOM);
  assert.equal(out.messageCount, 1, 'the open superpacket was completed');
  checkWritten(out.messageData(0), segs.slice(0, 3), 'before the reset');
  out.reset();
  for (let k = 3; k < 6; k++) assert.equal(c.add(0, offs[k]!, segs[k]!.length), COALESCE_OK);
  c.flush();
  assert.equal(out.messageCount, 1);
  checkWritten(out.messageData(0), segs.slice(3), 'after the reset');
});

test('no room for a new packet: COALESCE_NO_ROOM and nothing added', () => {
  const segs = [...tcpFlow({ n: 1, mss: 100, srcPort: 1 }), ...tcpFlow({ n: 1, mss: 100, srcPort: 2 })];
  const buf = new Uint8Array(new ArrayBuffer(400));
  buf.set(segs[0]!, 0);
  buf.set(segs[1]!, 200);
  const out = new GatherList([buf], 1024, 64, 1);
  const c = new Coalescer(out, [wordBuffer(buf)], UDP_ON);
  assert.equal(c.add(0, 0, segs[0]!.length), COALESCE_OK);
  assert.equal(c.add(0, 200, segs[1]!.length), COALESCE_NO_ROOM);
  assert.equal(out.messageCount, 1);
  assert.equal(out.pieceCount, 2);
  checkWritten(out.messageData(0), [segs[0]!], 'the first, alone');
});

// ----------------------------------------------------------------------------- randomized

test('randomized: 200 runs of flows with loss, reordering, damage and duplicates keep every written packet exact', () => {
  const rand = prng(0xc0a1e5ce);
  for (let n = 0; n < 200; n++) {
    const mss = 1 + Math.floor(rand() * 1500);
    const count = 1 + Math.floor(rand() * Math.min(80, 60000 / mss));
    const tcp = rand() < 0.7;
    const flow = tcp
      ? tcpFlow({ n: count, mss, lastLen: Math.floor(rand() * mss) + 1, seed: n, tcpOptions: rand() < 0.3 ? timestampOption(n, n) : undefined })
      : udpFlow(count, mss, Math.floor(rand() * mss) + 1, 4789, n);
    const received: Buffer[] = [];
    const damaged = new Set<Buffer>();
    for (const s of flow) {
      const roll = rand();
      if (roll < 0.05) continue; // lost
      if (roll < 0.1) {
        const d = corrupted(s);
        damaged.add(d);
        received.push(d);
        continue;
      }
      if (roll < 0.13 && received.length > 0) {
        received.splice(Math.floor(rand() * received.length), 0, s); // late
        continue;
      }
      received.push(s);
      if (roll > 0.97) received.push(s); // duplicated
    }
    const perBuffer = 1 + Math.floor(rand() * 20);
    const buffers: Buffer[][] = [];
    for (let i = 0; i < received.length; i += perBuffer) buffers.push(received.slice(i, i + perBuffer));
    const r = coalesce(buffers);
    // Cut again, the written packets give back what was received, in order, less damaged
    // segments; a damaged one may appear only written alone (unchecked, for the kernel to drop).
    const out = r.written.flatMap((w) => referenceSegments(w).map((seg) => ({ seg, merged: readVnet(w).flags !== 0 })));
    let next = 0;
    let dropped = 0;
    received.forEach((s, k) => {
      const where = `run ${n} (${tcp ? 'TCP' : 'UDP'} mss ${mss}), received segment ${k}`;
      if (next < out.length && withoutId(out[next]!.seg).equals(withoutId(s))) {
        if (out[next]!.merged) assert.ok(!damaged.has(s), `${where}: a damaged segment was merged`);
        next++;
        return;
      }
      assert.ok(damaged.has(s), `${where}: a good segment is missing`);
      dropped++;
    });
    assert.equal(next, out.length, `run ${n}: more written than received`);
    assert.equal(dropped, r.results.filter((x) => x === COALESCE_BAD_CHECKSUM).length + r.coalescer.droppedFirst, `run ${n}: drops reported`);
    assert.ok(r.results.every((x) => x === COALESCE_OK || x === COALESCE_BAD_CHECKSUM));
    for (const w of r.written) assert.ok(ipHeaderOk(w.subarray(VNET)), `run ${n}: IP header checksum`);
  }
});
