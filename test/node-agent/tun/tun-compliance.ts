// One suite for every TunDevice: FakeTun in process, LinuxTun in a child process inside a
// throwaway namespace. Cases are plain functions so either runner can drive them.
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../../common/errors.js';
import { PACKET_OK, validateIpv4 } from '../../../node-agent/dataplane/packet.js';
import type { TunDevice } from '../../../node-agent/tun/tun-device.js';
import { parseUdp, udpPacket } from '../fixtures/ipv4-packets.js';

export interface TunHarness {
  /** Opens a device the way production code does (LinuxTun.open / FakeTunHost.open), configured to carry traffic. */
  open(name: string): Promise<TunDevice>;
  /** Whether an interface of that name exists (for Linux: `ip link show`). */
  exists(name: string): Promise<boolean>;
  /** Makes the host send UDP datagrams with these payloads to `remoteAddr`:`remotePort`, which routes into `dev`. */
  sendIntoDevice(dev: TunDevice, payloads: readonly Buffer[]): Promise<void>;
  /** Payloads the host stack received at `localAddr`:`localPort` from packets written to `dev`, waiting up to `count` of them. */
  delivered(dev: TunDevice, count: number): Promise<Buffer[]>;
  /** Address behind the device (where sendIntoDevice sends). */
  readonly remoteAddr: number;
  readonly remotePort: number;
  /** Host address and port that packets written to the device are delivered to. */
  readonly localAddr: number;
  readonly localPort: number;
  /** Closes everything the harness opened. */
  dispose(): Promise<void>;
}

export interface ComplianceCase<H> {
  readonly name: string;
  run(harness: H): Promise<void>;
}

const BATCH = 16;

function buffers(n: number): { bufs: Buffer[]; sizes: Int32Array } {
  return { bufs: Array.from({ length: n }, () => Buffer.alloc(65536)), sizes: new Int32Array(n) };
}

/** Reads until `count` UDP packets for the harness port arrived or 20 reads came back empty. */
function readUdp(h: TunHarness, dev: TunDevice, count: number, maxPackets = BATCH): Buffer[] {
  const { bufs, sizes } = buffers(BATCH);
  const packets: Buffer[] = [];
  for (let empty = 0; packets.length < count && empty < 20; ) {
    const n = dev.read(bufs, sizes, maxPackets);
    assert.ok(n <= maxPackets, `read returned ${n} > maxPackets ${maxPackets}`);
    if (n === 0) empty++;
    for (let i = 0; i < n; i++) {
      const copy = Buffer.from(bufs[i]!.subarray(0, sizes[i]!));
      const udp = parseUdp(copy);
      // The host may route other traffic (none expected); only ours counts.
      if (udp && udp.dst === h.remoteAddr && udp.dstPort === h.remotePort) packets.push(copy);
    }
  }
  return packets;
}

export const tunComplianceCases: ReadonlyArray<ComplianceCase<TunHarness>> = [
  {
    name: 'open gives the requested name, a fixed batch size, and an interface that exists',
    async run(h) {
      const dev = await h.open('tct0');
      assert.equal(dev.name, 'tct0');
      assert.ok(dev.batchSize >= 1);
      assert.equal(typeof dev.fd, 'number');
      assert.equal(await h.exists('tct0'), true);
      dev.close();
    },
  },
  {
    name: 'a %d template lets the system number the device',
    async run(h) {
      const dev = await h.open('tcx%d');
      assert.match(dev.name, /^tcx\d+$/);
      assert.equal(await h.exists(dev.name), true);
      dev.close();
    },
  },
  {
    name: 'read returns 0 when nothing is waiting',
    async run(h) {
      const dev = await h.open('tct0');
      const { bufs, sizes } = buffers(4);
      assert.equal(dev.read(bufs, sizes, 4), 0);
      dev.close();
    },
  },
  {
    name: 'read returns routed packets as valid IPv4 datagrams, several per call',
    async run(h) {
      const dev = await h.open('tct0');
      const payloads = Array.from({ length: 5 }, (_, i) => Buffer.from(`packet-${i}-${'x'.repeat(i * 100)}`));
      await h.sendIntoDevice(dev, payloads);
      const packets = readUdp(h, dev, 5);
      assert.equal(packets.length, 5);
      for (const p of packets) assert.equal(validateIpv4(p, 0, p.length), PACKET_OK);
      assert.deepEqual(packets.map((p) => parseUdp(p)!.payload), payloads);
      dev.close();
    },
  },
  {
    name: 'read never returns more than maxPackets and keeps the rest for the next call',
    async run(h) {
      const dev = await h.open('tct0');
      const payloads = Array.from({ length: 4 }, (_, i) => Buffer.from(`m${i}`));
      await h.sendIntoDevice(dev, payloads);
      const first = readUdp(h, dev, 2, 2);
      assert.equal(first.length, 2);
      const rest = readUdp(h, dev, 2, 2);
      assert.deepEqual([...first, ...rest].map((p) => parseUdp(p)!.payload), payloads);
      dev.close();
    },
  },
  {
    name: 'write delivers a batch to the host stack and skips entries of size 0',
    async run(h) {
      const dev = await h.open('tct0');
      const mk = (text: string): Buffer => udpPacket(h.remoteAddr, h.localAddr, h.remotePort, h.localPort, Buffer.from(text));
      const bufs = [Buffer.alloc(2048), Buffer.alloc(2048), Buffer.alloc(2048)];
      const packets = [mk('first'), mk('skipped'), mk('third')];
      packets.forEach((p, i) => p.copy(bufs[i]!));
      const sizes = Int32Array.from([packets[0]!.length, 0, packets[2]!.length]);
      assert.equal(dev.write(bufs, sizes, 3), 2);
      const got = await h.delivered(dev, 2);
      assert.deepEqual(got.map(String), ['first', 'third']);
      dev.close();
    },
  },
  {
    name: 'write refuses a size larger than its buffer instead of reading past it',
    async run(h) {
      const dev = await h.open('tct0');
      assert.throws(() => dev.write([Buffer.alloc(20)], Int32Array.from([21]), 1), RangeError);
      dev.close();
    },
  },
  {
    name: 'close removes the device, is idempotent, and later I/O fails',
    async run(h) {
      const dev = await h.open('tct0');
      dev.close();
      dev.close();
      assert.equal(await h.exists('tct0'), false);
      const { bufs, sizes } = buffers(1);
      assert.throws(() => dev.read(bufs, sizes, 1), /closed/);
      assert.throws(() => dev.write(bufs, sizes, 1), /closed/);
      // The name is free again.
      const again = await h.open('tct0');
      again.close();
    },
  },
  {
    name: 'invalid names are refused with a message that says what a valid one is',
    async run(h) {
      for (const bad of ['a-name-that-is-too-long', 'a/b', 'has space', 'x:y', '..']) {
        await assert.rejects(h.open(bad), (err: unknown) => err instanceof InvalidArgumentError && /1-15 characters/.test(err.message), bad);
      }
    },
  },
  {
    name: 'a name already in use is refused and the first device keeps working',
    async run(h) {
      const dev = await h.open('tct0');
      await assert.rejects(h.open('tct0'), /already held by another open TUN device/);
      assert.equal(await h.exists('tct0'), true);
      await h.sendIntoDevice(dev, [Buffer.from('still here')]);
      assert.equal(readUdp(h, dev, 1).length, 1);
      dev.close();
    },
  },
];

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** Runs every case with a fresh harness each, collecting results instead of throwing. */
export async function runComplianceCases<H extends { dispose(): Promise<void> }>(
  cases: ReadonlyArray<ComplianceCase<H>>,
  makeHarness: () => Promise<H>,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const h = await makeHarness();
    try {
      await c.run(h);
      results.push({ name: c.name, ok: true });
    } catch (err) {
      results.push({ name: c.name, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    } finally {
      await h.dispose();
    }
  }
  return results;
}
