// The superpacket loops' batch handlers with fake TUN devices and sockets: what sender A's
// TUN device hands over (a 64 KB superpacket) goes out as GSO messages; fed to receiver B as
// GRO receives (or single datagrams), it comes out of B's TUN device as a superpacket that
// the kernel, cutting it again, turns into exactly the segments A sent. Every drop is counted
// under its reason, and a bad segment in a GRO batch costs only itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr, parseIpv4 } from '../../../common/cidr.js';
import { wordBuffer } from '../../../node-agent/dataplane/checksum.js';
import {
  C_DROP_BAD_CHECKSUM,
  C_DROP_NO_ROUTE,
  C_DROP_NOT_IPV4,
  C_DROP_SPOOFED_SOURCE,
  C_DROP_TOO_SHORT,
  C_DROP_TRUNCATED,
  C_DROP_TX_INVALID,
  C_DROP_UNKNOWN_PEER,
  C_DROP_WRONG_DESTINATION,
  C_SEND_ERRORS,
  C_TUN_RX_BYTES,
  C_TUN_RX_PACKETS,
  C_TUN_TX_BYTES,
  C_TUN_TX_PACKETS,
  C_TUN_WRITE_ERRORS,
  C_UDP_RX_BYTES,
  C_UDP_RX_PACKETS,
  C_UDP_TX_BYTES,
  C_UDP_TX_PACKETS,
  COUNTER_SLOTS,
  createCounters,
} from '../../../node-agent/dataplane/counters.js';
import {
  OFFLOAD_READ_BUFFER,
  OFFLOAD_RECV_BUFFER,
  createCoalescer,
  createOffloadBatch,
  deliverUdpSegments,
  sendTunSuperpackets,
  type OffloadBatch,
  type OffloadTransport,
  type OffloadTun,
  type OffloadTunToUdpContext,
  type OffloadUdpToTunContext,
} from '../../../node-agent/dataplane/forward-offload.js';
import { localSubnetFields } from '../../../node-agent/dataplane/forward.js';
import { GatherList } from '../../../node-agent/dataplane/gather.js';
import { RouteLookup } from '../../../node-agent/dataplane/route-lookup.js';
import {
  createPeerCounters,
  PEER_STRIDE,
  P_DROP_SPOOFED_SOURCE,
  P_DROP_WRONG_DESTINATION,
  P_RX_BYTES,
  P_RX_PACKETS,
  P_SEND_ERRORS,
  P_TX_BYTES,
  P_TX_PACKETS,
} from '../../../node-agent/dataplane/peer-counters.js';
import {
  TCP_ACK,
  TCP_PSH,
  datagramsOf,
  parsePacket,
  randomBytes,
  referenceSegments,
  tcpPacket,
  tcpSuperpacket,
  timestampOption,
  udpSuperpacket,
  withVnet,
  type TcpFields,
  type WireMessage,
} from '../fixtures/superpackets.js';
import { prng } from '../../prng.js';

const UNDERLAY_A = parseIpv4('192.168.200.1');
const UNDERLAY_B = parseIpv4('192.168.200.2');
const UNDERLAY_C = parseIpv4('192.168.200.3');
const ROGUE = parseIpv4('192.168.200.9');
const SUBNET_A = parseCidr('10.250.1.0/24');
const SUBNET_B = parseCidr('10.250.2.0/24');
const SUBNET_C = parseCidr('10.250.3.0/24');
const HOST_A = parseIpv4('10.250.1.2');
const HOST_B = parseIpv4('10.250.2.2');
const VNET = 12;

// ----------------------------------------------------------------------------- fakes

/** A socket that records what sendGather was given; sends to `refused` addresses fail. */
class FakeTransport implements OffloadTransport {
  readonly sent: WireMessage[] = [];
  gatherCalls = 0;
  readonly refused = new Set<number>();

  recvSegments(): number {
    return 0;
  }

  sendGather(list: GatherList): number {
    this.gatherCalls++;
    for (let m = 0; m < list.messageCount; m++) {
      const addr = list.messageAddr[m]!;
      if (this.refused.has(addr)) {
        list.messageResult[m] = -1;
        continue;
      }
      list.messageResult[m] = list.messageBytes[m]!;
      this.sent.push({ data: list.messageData(m), segments: list.messageSegments[m]!, segmentSize: list.messageSegmentSize[m]!, addr });
    }
    return list.messageCount;
  }
}

/** A TUN device that records each writev (virtio-net header first); can refuse the n-th write. */
class FakeTun implements OffloadTun {
  readonly written: Buffer[] = [];
  gatherCalls = 0;
  refuse = new Set<number>();
  private writes = 0;

  read(): number {
    return 0;
  }

  writeGather(list: GatherList): number {
    this.gatherCalls++;
    for (let m = 0; m < list.messageCount; m++) {
      if (this.refuse.has(this.writes++)) {
        list.messageResult[m] = -1;
        continue;
      }
      list.messageResult[m] = list.messageBytes[m]!;
      this.written.push(list.messageData(m));
    }
    return list.messageCount;
  }
}

function sender(capacity = 4, gso = true): OffloadTunToUdpContext & { transport: FakeTransport } {
  return {
    tun: new FakeTun(),
    transport: new FakeTransport(),
    routes: RouteLookup.build([
      { nodeName: 'b', subnet: SUBNET_B, underlayIp: UNDERLAY_B },
      { nodeName: 'c', subnet: SUBNET_C, underlayIp: UNDERLAY_C },
    ]),
    peerCounters: createPeerCounters(2),
    counters: createCounters(),
    batch: createOffloadBatch(capacity, OFFLOAD_READ_BUFFER),
    gso,
  };
}

function receiver(capacity = 64, udp = true, batch?: OffloadBatch): OffloadUdpToTunContext & { tun: FakeTun } {
  const b = batch ?? createOffloadBatch(capacity, OFFLOAD_RECV_BUFFER);
  return {
    transport: new FakeTransport(),
    tun: new FakeTun(),
    routes: RouteLookup.build([
      { nodeName: 'a', subnet: SUBNET_A, underlayIp: UNDERLAY_A },
      { nodeName: 'c', subnet: SUBNET_C, underlayIp: UNDERLAY_C },
    ]),
    ...localSubnetFields(SUBNET_B),
    peerCounters: createPeerCounters(2),
    counters: createCounters(),
    batch: b,
    coalescer: createCoalescer(b, udp),
  };
}

/** Puts TUN reads into the sender's batch and runs its handler once. */
function send(ctx: OffloadTunToUdpContext, reads: Uint8Array[]): void {
  reads.forEach((r, i) => {
    ctx.batch.bufs[i]!.set(r);
    ctx.batch.sizes[i] = r.length;
  });
  assert.equal(sendTunSuperpackets(ctx, reads.length), reads.length);
}

interface Receive {
  data: Uint8Array;
  from: number;
  /** GRO segment size; 0 for a single datagram. */
  segSize: number;
}

/** Puts receives into the receiver's batch and runs its handler once. */
function deliver(ctx: OffloadUdpToTunContext, receives: Receive[]): void {
  assert.ok(receives.length <= ctx.batch.capacity);
  receives.forEach((r, i) => {
    ctx.batch.bufs[i]!.set(r.data);
    ctx.batch.sizes[i] = r.data.length;
    ctx.batch.addrs[i] = r.from;
    ctx.batch.segSizes[i] = r.segSize;
  });
  assert.equal(deliverUdpSegments(ctx, receives.length), receives.length);
}

/** Sent messages as the receiving kernel's GRO would hand them over: one receive per message. */
const asGro = (sent: WireMessage[], from = UNDERLAY_A): Receive[] => sent.map((m) => ({ data: m.data, from, segSize: m.segmentSize }));

/** Sent messages as single datagrams: one receive per segment. */
const asSingles = (sent: WireMessage[], from = UNDERLAY_A): Receive[] =>
  sent.flatMap(datagramsOf).map((d) => ({ data: d, from, segSize: 0 }));

/** A GRO receive of the given datagrams (all but the last of one size). */
function groOf(datagrams: Buffer[], from = UNDERLAY_A): Receive {
  const size = datagrams[0]!.length;
  for (const d of datagrams.slice(0, -1)) assert.equal(d.length, size);
  return { data: Buffer.concat(datagrams), from, segSize: datagrams.length > 1 ? size : 0 };
}

/** Non-zero counters by slot, for exact comparisons. */
function nonZero(c: Float64Array): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < COUNTER_SLOTS; i++) if (c[i] !== 0) out[i] = c[i]!;
  return out;
}

function tcpFields(payload: Buffer, over: Partial<TcpFields> = {}): TcpFields {
  return { src: HOST_A, dst: HOST_B, id: 0x100, srcPort: 33000, dstPort: 5201, seq: 1000, ack: 5, flags: TCP_ACK | TCP_PSH, window: 700, payload, ...over };
}

/** Segments of one TCP flow A -> B, every one `mss` bytes of payload. */
function flow(n: number, mss: number, seed = 1, over: Partial<TcpFields> = {}): Buffer[] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, k) =>
    tcpPacket(tcpFields(randomBytes(rand, mss), { id: 0x100 + k, seq: 1000 + k * mss, flags: TCP_ACK, ...over })),
  );
}

// ----------------------------------------------------------------------------- round trips

const roundTrips: Array<{ name: string; superpacket: () => Uint8Array; segments: number; messages: number }> = [
  {
    name: 'TCP mss 1448, 65000 bytes',
    superpacket: () => tcpSuperpacket(tcpFields(randomBytes(prng(1), 65000)), 1448),
    segments: 45,
    // 1488-byte datagrams: 44 fit in 65,507 bytes.
    messages: 2,
  },
  {
    name: 'TCP with timestamps, odd mss 1001',
    superpacket: () => tcpSuperpacket(tcpFields(randomBytes(prng(2), 30000), { tcpOptions: timestampOption(9, 8) }), 1001),
    segments: 30,
    messages: 1,
  },
  {
    name: 'UDP size 1400, 65000 bytes',
    superpacket: () => udpSuperpacket({ src: HOST_A, dst: HOST_B, id: 7, srcPort: 4000, dstPort: 4001, payload: randomBytes(prng(3), 65000) }, 1400),
    segments: 47,
    messages: 2,
  },
];

for (const c of roundTrips) {
  for (const shape of ['GRO receives', 'single datagrams'] as const) {
    test(`round trip, ${c.name}, as ${shape}: B's TUN gets one superpacket that cuts into A's segments`, () => {
      const sp = c.superpacket();
      const original = Buffer.from(sp);
      const a = sender();
      send(a, [sp]);
      const wire = a.transport.sent.flatMap(datagramsOf);
      assert.equal(a.transport.sent.length, c.messages, 'GSO messages');
      assert.ok(a.transport.sent.every((m) => m.addr === UNDERLAY_B));
      assert.equal(wire.length, c.segments);
      assert.deepEqual(wire, referenceSegments(original), 'the segments are the kernel GSO reference');
      const wireBytes = wire.reduce((n, d) => n + d.length, 0);
      assert.deepEqual(nonZero(a.counters), {
        [C_TUN_RX_PACKETS]: 1,
        [C_TUN_RX_BYTES]: sp.length - VNET,
        [C_UDP_TX_PACKETS]: c.segments,
        [C_UDP_TX_BYTES]: wireBytes,
      });

      const b = receiver();
      deliver(b, shape === 'GRO receives' ? asGro(a.transport.sent) : asSingles(a.transport.sent));
      assert.equal(b.tun.written.length, 1, 'one superpacket');
      assert.deepEqual(referenceSegments(b.tun.written[0]!), wire, 'cut again: the segments A sent');
      assert.deepEqual(parsePacket(b.tun.written[0]!.subarray(VNET)).payload, parsePacket(original.subarray(VNET)).payload);
      assert.deepEqual(nonZero(b.counters), {
        [C_UDP_RX_PACKETS]: c.segments,
        [C_UDP_RX_BYTES]: wireBytes,
        [C_TUN_TX_PACKETS]: 1,
        [C_TUN_TX_BYTES]: b.tun.written[0]!.length - VNET,
      });
    });
  }
}

test('round trip without GSO on the sending socket: one datagram per message, same result', () => {
  const sp = tcpSuperpacket(tcpFields(randomBytes(prng(4), 20000)), 1000);
  const original = Buffer.from(sp);
  const a = sender(4, false);
  send(a, [sp]);
  assert.equal(a.transport.sent.length, 20);
  assert.ok(a.transport.sent.every((m) => m.segments === 1 && m.segmentSize === 0));
  const b = receiver();
  deliver(b, asGro(a.transport.sent));
  assert.equal(b.tun.written.length, 1);
  assert.deepEqual(referenceSegments(b.tun.written[0]!), referenceSegments(original));
});

test('round trip of a batch: two flows, a UDP superpacket and a plain packet with a partial checksum', () => {
  const tcp1 = tcpSuperpacket(tcpFields(randomBytes(prng(5), 12000)), 1200);
  const tcp2 = tcpSuperpacket(tcpFields(randomBytes(prng(6), 7000), { srcPort: 33001, seq: 0xfffffff0 }), 1300);
  const udp = udpSuperpacket({ src: HOST_A, dst: HOST_B, srcPort: 4000, dstPort: 4001, payload: randomBytes(prng(7), 5000) }, 1000);
  const plain = withVnet(tcpPacket(tcpFields(randomBytes(prng(8), 333), { srcPort: 33002 }), 'partial'), {
    flags: 1,
    gsoType: 0,
    hdrLen: 0,
    gsoSize: 0,
    csumStart: 20,
    csumOffset: 16,
  });
  const reads = [tcp1, tcp2, udp, plain];
  const expected = reads.map((r) => referenceSegments(r));
  const a = sender(4);
  send(a, reads);
  assert.deepEqual(a.transport.sent.flatMap(datagramsOf), expected.flat());
  assert.equal(a.counters[C_TUN_RX_PACKETS], 4);
  assert.equal(a.counters[C_UDP_TX_PACKETS], 10 + 6 + 5 + 1);

  const b = receiver();
  deliver(b, asGro(a.transport.sent));
  assert.equal(b.tun.written.length, 4, 'one packet per flow');
  b.tun.written.forEach((w, i) => assert.deepEqual(referenceSegments(w), expected[i], `flow ${i}`));
  assert.equal(b.counters[C_TUN_TX_PACKETS], 4);
  assert.equal(b.counters[C_UDP_RX_PACKETS], 22);
});

test('UDP coalescing off at the receiver: UDP segments are written one by one', () => {
  const a = sender();
  send(a, [udpSuperpacket({ src: HOST_A, dst: HOST_B, srcPort: 4000, dstPort: 4001, payload: randomBytes(prng(9), 5000) }, 1000)]);
  const b = receiver(64, false);
  deliver(b, asGro(a.transport.sent));
  assert.deepEqual(
    b.tun.written,
    a.transport.sent.flatMap(datagramsOf).map((d) => Buffer.concat([Buffer.alloc(VNET), d])),
  );
  assert.equal(b.counters[C_TUN_TX_PACKETS], 5);
});

// ----------------------------------------------------------------------------- receive-side checks

test('anti-spoof: a segment in a GRO batch whose inner source is outside the sender\'s subnet is dropped, the others delivered', () => {
  const segs = flow(6, 1000);
  for (const src of [parseIpv4('10.250.9.9'), parseIpv4('10.250.2.77'), parseIpv4('10.250.3.5')]) {
    // Same size as the others, valid checksums: only the source is wrong for sender A.
    const spoofed = tcpPacket(tcpFields(Buffer.alloc(1000, 0xee), { src, id: 0x103, seq: 4000, flags: TCP_ACK }));
    const b = receiver();
    deliver(b, [groOf([segs[0]!, segs[1]!, segs[2]!, spoofed, segs[4]!, segs[5]!])]);
    assert.equal(b.counters[C_DROP_SPOOFED_SOURCE], 1, `source ${src}`);
    assert.equal(b.counters[C_UDP_RX_PACKETS], 6);
    assert.deepEqual(
      b.tun.written.map((w) => referenceSegments(w)),
      [segs.slice(0, 3), segs.slice(4)],
      'the others, around the hole',
    );
    assert.equal(b.counters[C_TUN_TX_PACKETS], 2);
    // Peer a (slot 0) was heard from six times, one of them spoofed.
    assert.equal(b.peerCounters[P_RX_PACKETS], 6);
    assert.equal(b.peerCounters[P_DROP_SPOOFED_SOURCE], 1);
  }
});

test('a segment for a destination outside this node\'s subnet is dropped, the others delivered', () => {
  const segs = flow(4, 800);
  const elsewhere = tcpPacket(tcpFields(Buffer.alloc(800, 1), { dst: parseIpv4('10.250.3.3'), id: 0x102, seq: 2600, flags: TCP_ACK }));
  const b = receiver();
  deliver(b, [groOf([segs[0]!, segs[1]!, elsewhere, segs[3]!])]);
  assert.equal(b.counters[C_DROP_WRONG_DESTINATION], 1);
  assert.equal(b.peerCounters[P_DROP_WRONG_DESTINATION], 1, 'counted for peer a');
  assert.deepEqual(
    b.tun.written.map((w) => referenceSegments(w)),
    [segs.slice(0, 2), [segs[3]!]],
  );
});

test('an unknown sender: all its segments dropped and counted, other senders\' receives still delivered', () => {
  const segs = flow(6, 1000);
  const b = receiver();
  deliver(b, [groOf(segs, ROGUE), groOf(segs.slice(0, 3))]);
  assert.equal(b.counters[C_DROP_UNKNOWN_PEER], 6);
  assert.equal(b.counters[C_UDP_RX_PACKETS], 9);
  assert.equal(b.peerCounters[P_RX_PACKETS], 3, 'peer a: only its own segments');
  assert.equal(b.peerCounters[P_RX_BYTES], 3 * segs[0]!.length);
  assert.equal(b.peerCounters[PEER_STRIDE + P_RX_PACKETS], 0, 'peer c: nothing');
  assert.deepEqual(
    b.tun.written.map((w) => referenceSegments(w)),
    [segs.slice(0, 3)],
  );
});

test('a GRO batch with one malformed segment drops only that one, counted under its reason', () => {
  const segs = flow(6, 1000);
  const cases: Array<[string, number, (s: Buffer) => Buffer]> = [
    [
      'bad IP header checksum',
      C_DROP_BAD_CHECKSUM,
      (s) => {
        const c = Buffer.from(s);
        c[8] = 1; // TTL, checksum not fixed
        return c;
      },
    ],
    [
      'not IPv4',
      C_DROP_NOT_IPV4,
      (s) => {
        const c = Buffer.from(s);
        c[0] = 0x65;
        return c;
      },
    ],
    [
      'total length beyond the segment',
      C_DROP_TRUNCATED,
      (s) => {
        const c = Buffer.from(s);
        c.writeUInt16BE(c.length + 1, 2);
        c.writeUInt16BE(0, 10);
        let sum = 0;
        for (let i = 0; i < 20; i += 2) sum += c.readUInt16BE(i);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        c.writeUInt16BE(~sum & 0xffff, 10);
        return c;
      },
    ],
    [
      'bad TCP checksum',
      C_DROP_BAD_CHECKSUM,
      (s) => {
        const c = Buffer.from(s);
        c[c.length - 1]! ^= 0xff;
        return c;
      },
    ],
  ];
  for (const [name, slot, mangle] of cases) {
    for (const at of [0, 2, 5]) {
      const b = receiver();
      const received = segs.map((s, k) => (k === at ? mangle(s) : s));
      deliver(b, [groOf(received)]);
      assert.deepEqual(nonZero(b.counters)[slot], 1, `${name} at ${at}: counted`);
      const written = b.tun.written.map((w) => referenceSegments(w));
      const expected = [segs.slice(0, at), segs.slice(at + 1)].filter((g) => g.length > 0);
      assert.deepEqual(written, expected, `${name} at ${at}: the others written`);
      assert.equal(b.counters[C_UDP_RX_PACKETS], 6);
      assert.equal(b.counters[C_TUN_TX_PACKETS], expected.length);
    }
  }
});

test('a short trailing piece of a GRO receive (too short for an IP header) is dropped and counted', () => {
  const segs = flow(3, 1000);
  const b = receiver();
  deliver(b, [{ data: Buffer.concat([...segs, Buffer.alloc(10, 0x45)]), from: UNDERLAY_A, segSize: segs[0]!.length }]);
  assert.equal(b.counters[C_DROP_TOO_SHORT], 1);
  assert.equal(b.counters[C_UDP_RX_PACKETS], 4);
  assert.deepEqual(
    b.tun.written.map((w) => referenceSegments(w)),
    [segs],
  );
});

test('an empty receive counts as one datagram too short', () => {
  const b = receiver();
  deliver(b, [{ data: new Uint8Array(0), from: UNDERLAY_A, segSize: 0 }]);
  assert.equal(b.counters[C_DROP_TOO_SHORT], 1);
  assert.equal(b.counters[C_UDP_RX_PACKETS], 1);
  assert.equal(b.tun.written.length, 0);
});

test('padding after a segment\'s IP total length is not written', () => {
  const segs = flow(3, 1000);
  const padded = segs.map((s) => Buffer.concat([s, Buffer.alloc(3, 0xee)]));
  const b = receiver();
  deliver(b, [groOf(padded)]);
  assert.deepEqual(
    b.tun.written.map((w) => referenceSegments(w)),
    [segs],
  );
});

test('the receive side writes out mid-batch when its output list is full, and loses nothing', () => {
  // A list of 20 pieces: interleaved flows write every segment alone (2 pieces each).
  const capacity = 4;
  const bufs = Array.from({ length: capacity }, () => Buffer.alloc(OFFLOAD_RECV_BUFFER));
  const batch: OffloadBatch = {
    capacity,
    bufs,
    words: bufs.map((x) => wordBuffer(x)),
    sizes: new Int32Array(capacity),
    addrs: new Uint32Array(capacity),
    segSizes: new Int32Array(capacity),
    out: new GatherList(bufs, 4096, 20, 20),
  };
  const a1 = flow(15, 500, 1, { srcPort: 1 });
  const a2 = flow(15, 500, 2, { srcPort: 2 });
  const interleaved = a1.flatMap((s, k) => [s, a2[k]!]);
  const b = receiver(capacity, true, batch);
  deliver(b, [groOf(interleaved.slice(0, 15)), groOf(interleaved.slice(15))]);
  assert.ok(b.tun.gatherCalls >= 3, `${b.tun.gatherCalls} writes`);
  assert.deepEqual(
    b.tun.written,
    interleaved.map((s) => Buffer.concat([Buffer.alloc(VNET), s])),
  );
  assert.equal(b.counters[C_TUN_TX_PACKETS], 30);
});

test('a write the TUN device refuses is counted as a write error, the rest counted as sent', () => {
  const a1 = flow(3, 500, 1, { srcPort: 1 });
  const a2 = flow(3, 500, 2, { srcPort: 2 });
  const b = receiver();
  b.tun.refuse.add(0);
  deliver(b, [groOf(a1), groOf(a2)]);
  assert.equal(b.counters[C_TUN_WRITE_ERRORS], 1);
  assert.equal(b.counters[C_TUN_TX_PACKETS], 1);
  assert.equal(b.counters[C_TUN_TX_BYTES], 20 + 20 + 1500);
  assert.deepEqual(referenceSegments(b.tun.written[0]!), a2);
});

// ----------------------------------------------------------------------------- send-side checks

test('send side: no route, not IPv4, UFO and short reads are dropped and counted; the rest go', () => {
  const good = tcpSuperpacket(tcpFields(randomBytes(prng(10), 3000)), 1000);
  const noRoute = tcpSuperpacket(tcpFields(randomBytes(prng(11), 3000), { dst: parseIpv4('10.250.7.7') }), 1000);
  const v6 = Buffer.from(good);
  v6[VNET] = 0x60;
  const ufo = udpSuperpacket({ src: HOST_A, dst: HOST_B, srcPort: 1, dstPort: 2, payload: Buffer.alloc(3000) }, 1000);
  ufo[1] = 3;
  const short = new Uint8Array(VNET + 10);
  const a = sender(8);
  send(a, [noRoute, v6, ufo, short, good]);
  assert.deepEqual(nonZero(a.counters), {
    [C_TUN_RX_PACKETS]: 5,
    [C_TUN_RX_BYTES]: noRoute.length + v6.length + ufo.length + short.length + good.length - 5 * VNET,
    [C_DROP_NO_ROUTE]: 1,
    [C_DROP_TX_INVALID]: 3,
    [C_UDP_TX_PACKETS]: 3,
    [C_UDP_TX_BYTES]: 3 * 1040,
  });
  assert.equal(a.transport.sent.length, 1);
});

test('send side: segments to a peer the socket refuses count as send errors, the others as sent', () => {
  const toB = tcpSuperpacket(tcpFields(randomBytes(prng(12), 3000)), 1000);
  const toC = tcpSuperpacket(tcpFields(randomBytes(prng(13), 4000), { dst: parseIpv4('10.250.3.3') }), 1000);
  const a = sender(4);
  a.transport.refused.add(UNDERLAY_C);
  send(a, [toC, toB]);
  assert.equal(a.counters[C_SEND_ERRORS], 4);
  assert.equal(a.counters[C_UDP_TX_PACKETS], 3);
  assert.equal(a.counters[C_UDP_TX_BYTES], 3 * 1040);
  assert.ok(a.transport.sent.every((m) => m.addr === UNDERLAY_B));
  // Per peer: b (slot 0) got three segments, c (slot 1) refused four.
  assert.deepEqual([a.peerCounters[P_TX_PACKETS], a.peerCounters[P_TX_BYTES], a.peerCounters[P_SEND_ERRORS]], [3, 3 * 1040, 0]);
  assert.deepEqual([a.peerCounters[PEER_STRIDE + P_TX_PACKETS], a.peerCounters[PEER_STRIDE + P_SEND_ERRORS]], [0, 4]);
});

test('send side: a full output list is sent mid-batch and the superpacket that did not fit goes in the next send', () => {
  // Capacity 2: 260 pieces. Each superpacket of 93 segments needs 186.
  const reads = [1, 2].map((seed) => tcpSuperpacket(tcpFields(randomBytes(prng(seed), 65000), { srcPort: 40000 + seed }), 700));
  const expected = reads.map((r) => referenceSegments(r));
  const a = sender(2);
  send(a, reads);
  assert.equal(a.transport.gatherCalls, 2);
  assert.deepEqual(a.transport.sent.flatMap(datagramsOf), expected.flat());
  assert.equal(a.counters[C_UDP_TX_PACKETS], 186);
  assert.equal(a.counters[C_DROP_TX_INVALID], 0);
});

test(
  'send side: a superpacket of small segments (mss 48, 65000 bytes) goes out with the default batch of 16',
  () => {
    const sp = tcpSuperpacket(tcpFields(randomBytes(prng(14), 65000)), 48);
    const expected = referenceSegments(sp);
    const a = sender(16);
    send(a, [sp]);
    assert.equal(a.counters[C_DROP_TX_INVALID], 0, 'not dropped');
    assert.equal(a.counters[C_UDP_TX_PACKETS], expected.length);
    assert.deepEqual(a.transport.sent.flatMap(datagramsOf), expected);
  },
);
