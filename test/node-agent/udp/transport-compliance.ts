// One suite for every Transport: MemoryTransport in process, LinuxUdpTransport in a child
// process inside a throwaway namespace (two loopback addresses stand for two hosts).
import assert from 'node:assert/strict';
import type { Transport } from '../../../node-agent/udp/transport.js';
import type { ComplianceCase } from '../tun/tun-compliance.js';

export interface TransportHarness {
  /** Binds a transport at ip:port (port 0: any), peerPort defaulting to the bound port. */
  open(ip: number, port: number): Promise<Transport>;
  /** Two distinct local addresses that can reach each other. */
  readonly addrA: number;
  readonly addrB: number;
  dispose(): Promise<void>;
}

const BATCH = 64;

function space(n: number, size = 65536): { bufs: Buffer[]; sizes: Int32Array; addrs: Uint32Array } {
  return { bufs: Array.from({ length: n }, () => Buffer.alloc(size)), sizes: new Int32Array(n), addrs: new Uint32Array(n) };
}

/** Two transports on the same port at A and B, as two nodes would be. */
async function twoNodes(h: TransportHarness): Promise<{ a: Transport; b: Transport }> {
  const a = await h.open(h.addrA, 0);
  const b = await h.open(h.addrB, a.localPort);
  return { a, b };
}

function sendAll(from: Transport, to: number, payloads: readonly Buffer[]): number {
  const { bufs, sizes, addrs } = space(payloads.length, 0);
  payloads.forEach((p, i) => {
    bufs[i] = p;
    sizes[i] = p.length;
    addrs[i] = to;
  });
  return from.send(bufs, sizes, addrs, payloads.length);
}

/** Receives until `count` datagrams arrived or 20 calls came back empty. */
function recvAll(t: Transport, count: number, max = BATCH): Array<{ payload: Buffer; src: number }> {
  const { bufs, sizes, addrs } = space(BATCH);
  const got: Array<{ payload: Buffer; src: number }> = [];
  for (let empty = 0; got.length < count && empty < 20; ) {
    const n = t.recv(bufs, sizes, addrs, max);
    assert.ok(n <= max, `recv returned ${n} > max ${max}`);
    if (n === 0) empty++;
    for (let i = 0; i < n; i++) got.push({ payload: Buffer.from(bufs[i]!.subarray(0, sizes[i]!)), src: addrs[i]! });
  }
  return got;
}

export const transportComplianceCases: ReadonlyArray<ComplianceCase<TransportHarness>> = [
  {
    name: 'a batch sent from A arrives at B in order, with sizes and A as source',
    async run(h) {
      const { a, b } = await twoNodes(h);
      assert.equal(a.localIp, h.addrA);
      assert.ok(a.localPort > 0);
      assert.equal(b.peerPort, a.localPort);
      const payloads = Array.from({ length: 10 }, (_, i) => Buffer.alloc(1 + i * 97, i + 1));
      assert.equal(sendAll(a, h.addrB, payloads), 10);
      const got = recvAll(b, 10);
      assert.deepEqual(got.map((g) => g.payload), payloads);
      assert.ok(got.every((g) => g.src === h.addrA));
      a.close();
      b.close();
    },
  },
  {
    // A lone datagram takes its own way through LinuxUdpTransport (sendto, not sendmmsg).
    name: 'a lone datagram arrives, and an oversized one is refused with EMSGSIZE, alone or in a batch',
    async run(h) {
      const { a, b } = await twoNodes(h);
      const lone = Buffer.alloc(84, 7);
      assert.equal(sendAll(a, h.addrB, [lone]), 1);
      assert.deepEqual(recvAll(b, 1), [{ payload: lone, src: h.addrA }]);
      for (const payloads of [[Buffer.alloc(65_508)], [Buffer.alloc(10, 1), Buffer.alloc(65_508), Buffer.alloc(20, 2)]]) {
        const sizes = Int32Array.from(payloads, (p) => p.length);
        const sent = a.send(payloads, sizes, new Uint32Array(payloads.length).fill(h.addrB), payloads.length);
        assert.equal(sent, payloads.length - 1);
        assert.deepEqual([...sizes], payloads.map((p) => (p.length > 65_507 ? -1 : p.length)));
        assert.equal(a.lastSendError, 'EMSGSIZE');
        assert.deepEqual(recvAll(b, payloads.length - 1).map((g) => g.payload.length), payloads.filter((p) => p.length <= 65_507).map((p) => p.length));
      }
      // The largest payload IPv4 carries still goes, alone.
      assert.equal(sendAll(a, h.addrB, [Buffer.alloc(65_507, 3)]), 1);
      assert.deepEqual(recvAll(b, 1).map((g) => g.payload.length), [65_507]);
      a.close();
      b.close();
    },
  },
  {
    name: 'recv returns 0 when nothing is waiting',
    async run(h) {
      const { a, b } = await twoNodes(h);
      const { bufs, sizes, addrs } = space(4);
      assert.equal(b.recv(bufs, sizes, addrs, 4), 0);
      a.close();
      b.close();
    },
  },
  {
    name: 'recv never returns more than max and keeps the rest',
    async run(h) {
      const { a, b } = await twoNodes(h);
      const payloads = Array.from({ length: 5 }, (_, i) => Buffer.from(`d${i}`));
      sendAll(a, h.addrB, payloads);
      const first = recvAll(b, 2, 2);
      assert.equal(first.length, 2);
      const rest = recvAll(b, 3, 2);
      assert.deepEqual([...first, ...rest].map((g) => String(g.payload)), payloads.map(String));
      a.close();
      b.close();
    },
  },
  {
    name: 'send skips entries of size 0 and splits more than one batch',
    async run(h) {
      const { a, b } = await twoNodes(h);
      const n = a.batchSize * 2 + 3;
      const { bufs, sizes, addrs } = space(n, 16);
      for (let i = 0; i < n; i++) {
        bufs[i]!.writeUInt32BE(i, 0);
        sizes[i] = i % 5 === 0 ? 0 : 4;
        addrs[i] = h.addrB;
      }
      const expected = [...Array(n).keys()].filter((i) => i % 5 !== 0);
      assert.equal(a.send(bufs, sizes, addrs, n), expected.length);
      const got = recvAll(b, expected.length);
      assert.deepEqual(got.map((g) => g.payload.readUInt32BE(0)), expected);
      a.close();
      b.close();
    },
  },
  {
    name: 'a 9000-byte datagram arrives intact',
    async run(h) {
      const { a, b } = await twoNodes(h);
      const big = Buffer.alloc(9000);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
      assert.equal(sendAll(a, h.addrB, [big]), 1);
      const got = recvAll(b, 1);
      assert.equal(got.length, 1);
      assert.ok(got[0]!.payload.equals(big));
      a.close();
      b.close();
    },
  },
  {
    name: 'send refuses a size larger than its buffer instead of reading past it',
    async run(h) {
      const { a, b } = await twoNodes(h);
      assert.throws(() => a.send([Buffer.alloc(20)], Int32Array.from([21]), Uint32Array.from([h.addrB]), 1), RangeError);
      assert.equal(recvAll(b, 1).length, 0, 'nothing was sent');
      a.close();
      b.close();
    },
  },
  {
    name: 'binding a taken address and port fails with a message naming the port',
    async run(h) {
      const a = await h.open(h.addrA, 0);
      await assert.rejects(h.open(h.addrA, a.localPort), (err: unknown) => {
        assert.equal((err as { code?: string }).code, 'EADDRINUSE');
        assert.match((err as Error).message, new RegExp(`UDP port ${a.localPort} .* already in use`));
        return true;
      });
      a.close();
    },
  },
  {
    name: 'close frees the port, is idempotent, and later I/O fails',
    async run(h) {
      const a = await h.open(h.addrA, 0);
      const port = a.localPort;
      a.close();
      a.close();
      const { bufs, sizes, addrs } = space(1);
      assert.throws(() => a.recv(bufs, sizes, addrs, 1), /closed/);
      assert.throws(() => a.send(bufs, sizes, addrs, 1), /closed/);
      const again = await h.open(h.addrA, port);
      assert.equal(again.localPort, port);
      again.close();
    },
  },
];
