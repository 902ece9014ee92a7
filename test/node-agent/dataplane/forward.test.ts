// Two forwarding sides joined by in-memory TUN devices and UDP, like wireguard-go's
// TestTwoDevicePing: what goes into A's TUN must come out of B's, byte for byte, and
// everything that must not pass is dropped and counted under its reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr, parseIpv4 } from '../../../common/cidr.js';
import { createCounters, snapshotCounters, type DataplaneStats } from '../../../node-agent/dataplane/counters.js';
import {
  CONTROL_GENERATION,
  CONTROL_SLOTS,
  CONTROL_STOP,
  createPacketBatch,
  forwardTunToUdp,
  forwardUdpToTun,
  localSubnetFields,
  READY_AFTER_SLEEP,
  READY_TUN,
  READY_UDP,
  runDuplexLoop,
  tunToUdpSide,
  udpToTunSide,
  type LoopHooks,
  type TunToUdpContext,
  type UdpToTunContext,
} from '../../../node-agent/dataplane/forward.js';
import {
  createPeerCounters,
  PEER_STRIDE,
  P_DROP_BAD_CHECKSUM,
  P_DROP_BAD_HEADER_LENGTH,
  P_DROP_NOT_IPV4,
  P_DROP_SPOOFED_SOURCE,
  P_DROP_TOO_SHORT,
  P_DROP_TRUNCATED,
  P_DROP_WRONG_DESTINATION,
  P_RX_BYTES,
  P_RX_PACKETS,
  P_SEND_ERRORS,
  P_TX_BYTES,
  P_TX_PACKETS,
} from '../../../node-agent/dataplane/peer-counters.js';
import { RouteLookup, type PeerRoute } from '../../../node-agent/dataplane/route-lookup.js';
import { FakeTun, FakeTunHost } from '../../../node-agent/tun/fake-tun.js';
import type { TunDevice } from '../../../node-agent/tun/tun-device.js';
import { MemoryNetwork, type MemoryTransport } from '../../../node-agent/udp/memory-transport.js';
import { ipv4Packet, udpPacket } from '../fixtures/ipv4-packets.js';

const PORT = 8472;
const UNDERLAY_A = parseIpv4('192.168.200.1');
const UNDERLAY_B = parseIpv4('192.168.200.2');
const ROGUE = parseIpv4('192.168.200.9');
const SUBNET_A = parseCidr('10.250.1.0/24');
const SUBNET_B = parseCidr('10.250.2.0/24');
const HOST_A = parseIpv4('10.250.1.2');
const HOST_B = parseIpv4('10.250.2.2');

interface Side {
  tun: FakeTun;
  udp: MemoryTransport;
  counters: Float64Array;
  out: TunToUdpContext;
  in: UdpToTunContext;
  stats(): DataplaneStats;
  /** The counter block of the peer at `index` in the side's table (slot = index here). */
  peer(index: number): Float64Array;
}

function side(net: MemoryNetwork, underlay: number, local: typeof SUBNET_A, peers: PeerRoute[], batchSize = 8): Side {
  const tun = new FakeTunHost().open('tun0', { batchSize });
  const udp = net.bind(underlay, PORT, { batchSize });
  const counters = createCounters();
  const peerCounters = createPeerCounters(8);
  const routes = RouteLookup.build(peers);
  return {
    tun,
    udp,
    counters,
    out: { tun, transport: udp, routes, peerCounters, counters, batch: createPacketBatch(batchSize, 2048) },
    in: { transport: udp, tun, routes, peerCounters, counters, batch: createPacketBatch(batchSize, 2048), ...localSubnetFields(local) },
    stats: () => snapshotCounters(counters),
    peer: (index) => peerCounters.slice(index * PEER_STRIDE, (index + 1) * PEER_STRIDE),
  };
}

function pair(batchSize = 8): { net: MemoryNetwork; a: Side; b: Side } {
  const net = new MemoryNetwork();
  const a = side(net, UNDERLAY_A, SUBNET_A, [{ nodeName: 'b', subnet: SUBNET_B, underlayIp: UNDERLAY_B }], batchSize);
  const b = side(net, UNDERLAY_B, SUBNET_B, [{ nodeName: 'a', subnet: SUBNET_A, underlayIp: UNDERLAY_A }], batchSize);
  return { net, a, b };
}

function echoRequest(src: number, dst: number, seq: number): Buffer {
  const icmp = Buffer.alloc(16, seq);
  icmp[0] = 8;
  return ipv4Packet({ src, dst, protocol: 1, payload: icmp, id: seq });
}

/** Delivers `payload` to B's socket as if sent from `from`, then runs B's receive side once. */
function receiveAtB(net: MemoryNetwork, b: Side, from: number, payload: Uint8Array): void {
  assert.ok(net.deliver(from, UNDERLAY_B, PORT, payload));
  forwardUdpToTun(b.in);
}

function rxDropsOnly(stats: DataplaneStats): Record<string, number> {
  return Object.fromEntries(Object.entries(stats.rxDrops).filter(([, v]) => v !== 0));
}

test('two-device ping: a packet into A comes out of B byte-identical, and the reply comes back', () => {
  const { a, b } = pair();
  const request = echoRequest(HOST_A, HOST_B, 1);
  a.tun.inject(request);
  assert.equal(forwardTunToUdp(a.out), 1);
  assert.equal(forwardUdpToTun(b.in), 1);
  assert.deepEqual(b.tun.takeWritten(), [request]);

  const reply = Buffer.from(echoRequest(HOST_B, HOST_A, 1));
  reply[20] = 0;
  b.tun.inject(reply);
  forwardTunToUdp(b.out);
  forwardUdpToTun(a.in);
  assert.deepEqual(a.tun.takeWritten(), [reply]);

  const sa = a.stats();
  assert.equal(sa.tunRxPackets, 1);
  assert.equal(sa.tunRxBytes, request.length);
  assert.equal(sa.udpTxPackets, 1);
  assert.equal(sa.udpTxBytes, request.length);
  assert.equal(sa.udpRxPackets, 1);
  assert.equal(sa.tunTxPackets, 1);
  assert.equal(sa.tunTxBytes, reply.length);
  const sb = b.stats();
  assert.equal(sb.udpRxPackets, 1);
  assert.equal(sb.udpRxBytes, request.length);
  assert.equal(sb.tunTxPackets, 1);
  assert.deepEqual(rxDropsOnly(sb), {});

  // Per peer: A sent one packet to B and heard one back; B the other way round.
  const ab = a.peer(0);
  assert.deepEqual([ab[P_TX_PACKETS], ab[P_TX_BYTES], ab[P_RX_PACKETS], ab[P_RX_BYTES]], [1, request.length, 1, reply.length]);
  const ba = b.peer(0);
  assert.deepEqual([ba[P_TX_PACKETS], ba[P_TX_BYTES], ba[P_RX_PACKETS], ba[P_RX_BYTES]], [1, reply.length, 1, request.length]);
});

test('more packets than one batch all arrive, in order', () => {
  const { a, b } = pair(8);
  const sent = Array.from({ length: 50 }, (_, i) => udpPacket(HOST_A, HOST_B, 1000 + i, 53, Buffer.alloc(i * 7, i)));
  for (const p of sent) a.tun.inject(p);
  while (a.tun.pending > 0) forwardTunToUdp(a.out);
  while (b.udp.pending > 0) forwardUdpToTun(b.in);
  assert.deepEqual(b.tun.takeWritten(), sent);
  assert.equal(a.stats().udpTxPackets, 50);
  assert.equal(b.stats().tunTxPackets, 50);
});

const valid = (): Buffer => echoRequest(HOST_A, HOST_B, 9);

const rxCases: Array<{ reason: keyof DataplaneStats['rxDrops']; from: number; packet: () => Buffer }> = [
  { reason: 'unknownPeer', from: ROGUE, packet: valid },
  { reason: 'spoofedSource', from: UNDERLAY_A, packet: () => echoRequest(parseIpv4('10.250.9.9'), HOST_B, 2) },
  // The source lies in B's own subnet: not A's, however plausible.
  { reason: 'spoofedSource', from: UNDERLAY_A, packet: () => echoRequest(parseIpv4('10.250.2.77'), HOST_B, 2) },
  { reason: 'wrongDestination', from: UNDERLAY_A, packet: () => echoRequest(HOST_A, parseIpv4('10.250.3.3'), 3) },
  { reason: 'tooShort', from: UNDERLAY_A, packet: () => valid().subarray(0, 19) },
  { reason: 'truncated', from: UNDERLAY_A, packet: () => valid().subarray(0, 30) },
  {
    reason: 'notIpv4',
    from: UNDERLAY_A,
    packet: () => {
      const p = valid();
      p[0] = 0x60;
      return p;
    },
  },
  {
    reason: 'badHeaderLength',
    from: UNDERLAY_A,
    packet: () => {
      const p = valid();
      p[0] = 0x43;
      return p;
    },
  },
  {
    reason: 'badChecksum',
    from: UNDERLAY_A,
    packet: () => {
      const p = valid();
      p[8] = 1;
      return p;
    },
  },
];

/** Each receive drop reason's slot in a peer's counter block. */
const PEER_SLOT: Record<string, number> = {
  tooShort: P_DROP_TOO_SHORT,
  notIpv4: P_DROP_NOT_IPV4,
  badHeaderLength: P_DROP_BAD_HEADER_LENGTH,
  truncated: P_DROP_TRUNCATED,
  badChecksum: P_DROP_BAD_CHECKSUM,
  spoofedSource: P_DROP_SPOOFED_SOURCE,
  wrongDestination: P_DROP_WRONG_DESTINATION,
};

for (const c of rxCases) {
  test(`receive side drops and counts: ${c.reason} (${c.from === ROGUE ? 'unknown sender' : 'from the peer'})`, () => {
    const { net, b } = pair();
    const packet = c.packet();
    receiveAtB(net, b, c.from, packet);
    assert.deepEqual(b.tun.takeWritten(), [], 'nothing reaches the TUN device');
    const s = b.stats();
    assert.deepEqual(rxDropsOnly(s), { [c.reason]: 1 });
    assert.equal(s.udpRxPackets, 1);
    assert.equal(s.tunTxPackets, 0);
    const peer = b.peer(0);
    if (c.from === ROGUE) {
      assert.deepEqual([...peer], new Array(PEER_STRIDE).fill(0), 'an unknown sender is no peer\'s traffic');
    } else {
      const slot = PEER_SLOT[c.reason]!;
      assert.equal(peer[slot], 1, `the peer's ${c.reason} count`);
      assert.equal(peer[P_RX_PACKETS], 1, 'heard from, though dropped');
      assert.equal(peer[P_RX_BYTES], packet.length);
      assert.equal(peer.reduce((sum, v) => sum + v, 0), 2 + packet.length, 'nothing else counted');
    }
  });
}

test('drops in a batch do not disturb the good packets around them', () => {
  const { net, b } = pair();
  const good1 = echoRequest(HOST_A, HOST_B, 1);
  const good2 = echoRequest(HOST_A, parseIpv4('10.250.2.3'), 2);
  net.deliver(UNDERLAY_A, UNDERLAY_B, PORT, good1);
  net.deliver(ROGUE, UNDERLAY_B, PORT, valid());
  net.deliver(UNDERLAY_A, UNDERLAY_B, PORT, echoRequest(parseIpv4('10.250.9.9'), HOST_B, 3));
  net.deliver(UNDERLAY_A, UNDERLAY_B, PORT, good2);
  assert.equal(forwardUdpToTun(b.in), 4);
  assert.deepEqual(b.tun.takeWritten(), [good1, good2]);
  assert.deepEqual(rxDropsOnly(b.stats()), { unknownPeer: 1, spoofedSource: 1 });
  assert.equal(b.stats().tunTxPackets, 2);
});

test('bytes after the IP total length are not written to the TUN device', () => {
  const { net, b } = pair();
  const p = valid();
  receiveAtB(net, b, UNDERLAY_A, Buffer.concat([p, Buffer.alloc(6, 0xee)]));
  assert.deepEqual(b.tun.takeWritten(), [p]);
});

test('send side: no route and non-IPv4 packets are dropped and counted, nothing sent', () => {
  const { a, b } = pair();
  a.tun.inject(echoRequest(HOST_A, parseIpv4('10.250.3.3'), 1));
  const v6 = valid();
  v6[0] = 0x60;
  a.tun.inject(v6);
  a.tun.inject(Buffer.alloc(10, 0x45));
  assert.equal(forwardTunToUdp(a.out), 3);
  const s = a.stats();
  assert.deepEqual(s.txDrops, { noRoute: 1, txInvalid: 2 });
  assert.equal(s.tunRxPackets, 3);
  assert.equal(s.udpTxPackets, 0);
  assert.equal(b.udp.pending, 0);
});

test('a datagram the kernel refuses is counted as a send error and the rest still go', () => {
  const net = new MemoryNetwork();
  const unreachable = parseIpv4('192.168.201.5');
  const a = side(net, UNDERLAY_A, SUBNET_A, [
    { nodeName: 'b', subnet: SUBNET_B, underlayIp: UNDERLAY_B },
    { nodeName: 'c', subnet: parseCidr('10.250.3.0/24'), underlayIp: unreachable },
  ]);
  net.bind(UNDERLAY_B, PORT);
  net.refuseSendsTo(unreachable, 'ENETUNREACH');
  const toB = echoRequest(HOST_A, HOST_B, 1);
  a.tun.inject(echoRequest(HOST_A, parseIpv4('10.250.3.3'), 1));
  a.tun.inject(toB);
  forwardTunToUdp(a.out);
  const s = a.stats();
  assert.equal(s.sendErrors, 1);
  assert.equal(s.udpTxPackets, 1);
  assert.equal(s.udpTxBytes, toB.length, 'bytes count only what went out');
  assert.equal(a.udp.lastSendError, 'ENETUNREACH');
  assert.deepEqual([a.peer(0)[P_TX_PACKETS], a.peer(0)[P_SEND_ERRORS]], [1, 0], 'b: sent');
  assert.deepEqual([a.peer(1)[P_TX_PACKETS], a.peer(1)[P_SEND_ERRORS]], [0, 1], 'c: refused');
});

test('per-peer counts go to each peer\'s slot, wherever the table puts the peer', () => {
  const net = new MemoryNetwork();
  const underlayC = parseIpv4('192.168.200.3');
  const a = side(net, UNDERLAY_A, SUBNET_A, []);
  // Slots 5 and 2, not the table's indexes 0 and 1.
  a.out.routes = RouteLookup.build(
    [
      { nodeName: 'b', subnet: SUBNET_B, underlayIp: UNDERLAY_B },
      { nodeName: 'c', subnet: parseCidr('10.250.3.0/24'), underlayIp: underlayC },
    ],
    Uint32Array.of(5, 2),
  );
  net.bind(UNDERLAY_B, PORT);
  net.bind(underlayC, PORT);
  a.tun.inject(echoRequest(HOST_A, HOST_B, 1));
  a.tun.inject(echoRequest(HOST_A, parseIpv4('10.250.3.3'), 2));
  a.tun.inject(echoRequest(HOST_A, parseIpv4('10.250.3.4'), 3));
  forwardTunToUdp(a.out);
  const block = (slot: number) => a.out.peerCounters.slice(slot * PEER_STRIDE, (slot + 1) * PEER_STRIDE);
  assert.equal(block(5)[P_TX_PACKETS], 1, 'b');
  assert.equal(block(2)[P_TX_PACKETS], 2, 'c');
  assert.equal(block(0)[P_TX_PACKETS], 0);
  assert.equal(block(1)[P_TX_PACKETS], 0);
});

/** Runs A's or B's duplex loop over the fakes, which never block: every wait reports both ready. */
function runLoopOf(out: TunToUdpContext, into: UdpToTunContext, hooks: LoopHooks, ready: () => number = () => READY_TUN | READY_UDP): void {
  runDuplexLoop(tunToUdpSide(out), udpToTunSide(into), ready, out.counters, hooks);
}

/** Runs a side's loop with no table changes until `wait` sets the stop flag; any reported error fails the test. */
function runPlainLoop(s: Side, control: Int32Array, wait: () => number): void {
  runLoopOf(s.out, s.in, { control, generation: 0, takeRoutes: () => undefined, reportError: (err) => assert.fail(String(err)) }, wait);
}

test('loops: a new table is picked up by generation, the stop flag ends the loop', () => {
  const { net, a, b } = pair();
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const newPeer = parseIpv4('192.168.200.3');
  const third = net.bind(newPeer, PORT);
  a.tun.inject(echoRequest(HOST_A, parseIpv4('10.250.3.3'), 1));
  let batches = 0;
  let posted: RouteLookup | undefined;
  // The table outgrew the per-peer counters: bigger ones come with it.
  const bigger = createPeerCounters(16);
  runLoopOf(a.out, a.in, {
    control,
    generation: 0,
    takeRoutes: () => (posted ? { routes: posted, generation: 1, peerCounters: bigger } : undefined),
    reportError: (err) => assert.fail(String(err)),
    afterBatch: () => {
      batches++;
      if (batches === 1) {
        // As the main thread does: post the table, then publish the generation.
        posted = RouteLookup.build([
          { nodeName: 'b', subnet: SUBNET_B, underlayIp: UNDERLAY_B },
          { nodeName: 'c', subnet: parseCidr('10.250.3.0/24'), underlayIp: newPeer },
        ]);
        Atomics.store(control, CONTROL_GENERATION, 1);
        a.tun.inject(echoRequest(HOST_A, parseIpv4('10.250.3.3'), 2));
      } else if (batches === 2) {
        Atomics.store(control, CONTROL_STOP, 1);
      }
    },
  });
  assert.equal(batches, 2);
  assert.equal(a.stats().txDrops.noRoute, 1, 'first packet went out before the table changed');
  assert.equal(third.pending, 1, 'second packet used the new table');
  assert.equal(b.udp.pending, 0);
  assert.equal(a.in.routes, a.out.routes, 'both directions got the new table');
  assert.equal(a.out.peerCounters, bigger, 'the sending side counts into the new per-peer counters');
  assert.equal(a.in.peerCounters, bigger, 'so does the receiving side');
  assert.equal(bigger[1 * PEER_STRIDE + P_TX_PACKETS], 1, 'the packet to c counted in c\'s slot of the new counters');
});

test('loops: a table published while the loop waits for packets applies to the packets that end the wait', () => {
  const { net, a } = pair();
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const third = net.bind(parseIpv4('192.168.200.3'), PORT);
  const table = RouteLookup.build([{ nodeName: 'c', subnet: parseCidr('10.250.3.0/24'), underlayIp: parseIpv4('192.168.200.3') }]);
  let waits = 0;
  // Stands in for poll(): while the loop waits, the main thread publishes a table, then a packet arrives.
  const wait = (): number => {
    waits++;
    if (waits === 1) {
      Atomics.store(control, CONTROL_GENERATION, 1);
      a.tun.inject(echoRequest(HOST_A, parseIpv4('10.250.3.3'), 1));
      return READY_TUN;
    }
    Atomics.store(control, CONTROL_STOP, 1);
    return 0;
  };
  runLoopOf(a.out, a.in, { control, generation: 0, takeRoutes: () => ({ routes: table, generation: 1 }), reportError: (err) => assert.fail(String(err)) }, wait);
  assert.equal(a.stats().txDrops.noRoute, 0);
  assert.equal(third.pending, 1);
});

test('loops: one thread serves both directions, reading a side again without waiting while its batches come back full', () => {
  const { net, a } = pair(2);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  for (let i = 0; i < 5; i++) a.tun.inject(echoRequest(HOST_A, HOST_B, i));
  net.deliver(UNDERLAY_B, UNDERLAY_A, PORT, echoRequest(HOST_B, HOST_A, 9));
  const waits: number[] = [];
  runLoopOf(a.out, a.in, {
    control,
    generation: 0,
    takeRoutes: () => undefined,
    reportError: (err) => assert.fail(String(err)),
    afterBatch: () => {
      if (a.stats().udpTxPackets === 5) Atomics.store(control, CONTROL_STOP, 1);
    },
  }, () => {
    waits.push(a.stats().udpTxPackets);
    return READY_TUN | READY_UDP;
  });
  assert.equal(a.stats().udpTxPackets, 5, 'five packets out in batches of 2, 2 and 1');
  assert.equal(a.stats().tunTxPackets, 1, 'the datagram from B was written in the same loop');
  assert.deepEqual(waits, [5], 'no wait while a side still returned full batches: one wait, after the short third batch');
});

test('loops: woken from an idle wait, the first TUN packet is sent before anything else is read; what followed is read in batches', () => {
  const { a } = pair(8);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const events: string[] = [];
  const read = a.tun.read.bind(a.tun);
  a.tun.read = (bufs, sizes, max) => {
    const n = read(bufs, sizes, max);
    events.push(`read ${max}: ${n}`);
    return n;
  };
  const send = a.udp.send.bind(a.udp);
  a.udp.send = (bufs, sizes, addrs, count) => {
    events.push(`send ${count}`);
    const sent = send(bufs, sizes, addrs, count);
    // Three more packets arrive while the first one is being sent.
    if (count === 1) for (let i = 2; i <= 4; i++) a.tun.inject(echoRequest(HOST_A, HOST_B, i));
    return sent;
  };
  let waits = 0;
  const wait = (): number => {
    waits++;
    if (waits === 1) {
      // The loop sleeps, then a lone packet wakes it.
      a.tun.inject(echoRequest(HOST_A, HOST_B, 1));
      return READY_TUN | READY_AFTER_SLEEP;
    }
    // More was queued: the wait returns at once.
    if (waits === 2) return READY_TUN;
    Atomics.store(control, CONTROL_STOP, 1);
    return 0;
  };
  // The loop's first round reads whatever is queued (a full batch's worth) before any wait.
  runPlainLoop(a, control, wait);
  assert.deepEqual(events, ['read 8: 0', 'read 1: 1', 'send 1', 'read 8: 3', 'send 3']);
  assert.equal(waits, 3, 'a lone packet read alone goes back to waiting, no read that fails first');
  assert.equal(a.stats().udpTxPackets, 4);
});

test('loops: a side with nothing in the round before reads one packet first (a reply), a side ready twice in a row reads a batch', () => {
  const { net, a } = pair(8);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const events: string[] = [];
  const read = a.tun.read.bind(a.tun);
  a.tun.read = (bufs, sizes, max) => {
    const n = read(bufs, sizes, max);
    events.push(`tun read ${max}: ${n}`);
    return n;
  };
  const recv = a.udp.recv.bind(a.udp);
  a.udp.recv = (bufs, sizes, addrs, max) => {
    const n = recv(bufs, sizes, addrs, max);
    events.push(`udp recv ${max}: ${n}`);
    return n;
  };
  const write = a.tun.write.bind(a.tun);
  a.tun.write = (bufs, sizes, count) => {
    const n = write(bufs, sizes, count);
    // The request reached its container, whose reply (and a second packet) come back at once.
    a.tun.inject(echoRequest(HOST_A, HOST_B, 2));
    a.tun.inject(echoRequest(HOST_A, HOST_B, 3));
    return n;
  };
  let waits = 0;
  const wait = (): number => {
    waits++;
    if (waits === 1) {
      // A request from B wakes the sleeping loop.
      net.deliver(UNDERLAY_B, UNDERLAY_A, PORT, echoRequest(HOST_B, HOST_A, 1));
      return READY_UDP | READY_AFTER_SLEEP;
    }
    // The reply was queued while the request was written: found at the first look, no sleep.
    if (waits === 2 || waits === 3) return READY_TUN;
    Atomics.store(control, CONTROL_STOP, 1);
    return 0;
  };
  runPlainLoop(a, control, wait);
  assert.deepEqual(events, ['tun read 8: 0', 'udp recv 8: 0', 'udp recv 1: 1', 'tun read 1: 1', 'tun read 8: 1']);
  assert.equal(a.stats().udpTxPackets, 2);
  assert.equal(a.stats().tunTxPackets, 1);
});

test('loops: a direction that keeps returning full batches does not starve the other', () => {
  const { net, a } = pair(2);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  for (let i = 0; i < 100; i++) a.tun.inject(echoRequest(HOST_A, HOST_B, i));
  let batches = 0;
  let sentWhenDelivered = -1;
  runLoopOf(
    a.out,
    a.in,
    {
      control,
      generation: 0,
      takeRoutes: () => undefined,
      reportError: (err) => assert.fail(String(err)),
      afterBatch: () => {
        batches++;
        // Arrives once the first round found the socket empty.
        if (batches === 1) net.deliver(UNDERLAY_B, UNDERLAY_A, PORT, echoRequest(HOST_B, HOST_A, 200));
        if (sentWhenDelivered < 0 && a.stats().tunTxPackets === 1) sentWhenDelivered = a.stats().udpTxPackets;
        if (batches === 10) Atomics.store(control, CONTROL_STOP, 1);
      },
    },
    // After a wait only the TUN side is reported ready, as poll() would while the UDP queue looked empty.
    () => READY_TUN,
  );
  assert.ok(sentWhenDelivered >= 0, 'the datagram from B was written while the TUN side still had full batches');
  assert.ok(sentWhenDelivered <= 4, `it went in the next round (after ${sentWhenDelivered} packets out), not after the TUN queue drained`);
});

test('loops: a transient error is counted and reported, a closed device ends the loop with its error', () => {
  const { net, b } = pair();
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  let failures = 1;
  const flaky: TunDevice = {
    name: 'flaky',
    fd: -1,
    batchSize: 8,
    lastWriteError: '',
    read: () => 0,
    write: (bufs, sizes, count) => {
      if (failures-- > 0) throw Object.assign(new Error('I/O error'), { code: 'EIO' });
      return b.tun.write(bufs, sizes, count);
    },
    close: () => undefined,
  };
  const ctx: UdpToTunContext = { ...b.in, tun: flaky };
  const reported: unknown[] = [];
  net.deliver(UNDERLAY_A, UNDERLAY_B, PORT, valid());
  let batches = 0;
  runLoopOf({ ...b.out, tun: flaky }, ctx, {
    control,
    generation: 0,
    takeRoutes: () => undefined,
    reportError: (err) => reported.push(err),
    afterBatch: () => {
      batches++;
      if (batches === 1) net.deliver(UNDERLAY_A, UNDERLAY_B, PORT, valid());
      if (batches === 2) Atomics.store(control, CONTROL_STOP, 1);
    },
  });
  assert.equal(reported.length, 1);
  assert.equal(b.stats().recvErrors, 1);
  assert.equal(b.tun.takeWritten().length, 1, 'the loop went on after the error');

  Atomics.store(control, CONTROL_STOP, 0);
  b.tun.close();
  net.deliver(UNDERLAY_A, UNDERLAY_B, PORT, valid());
  assert.throws(
    () => runLoopOf(b.out, b.in, { control, generation: 0, takeRoutes: () => undefined, reportError: () => undefined }),
    (err: unknown) => (err as { code?: string }).code === 'EBADF',
  );
});
