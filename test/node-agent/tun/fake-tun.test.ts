import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4 } from '../../../common/cidr.js';
import { FakeTun, FakeTunHost } from '../../../node-agent/tun/fake-tun.js';
import type { TunDevice } from '../../../node-agent/tun/tun-device.js';
import { parseUdp, udpPacket } from '../fixtures/ipv4-packets.js';
import { tunComplianceCases, type TunHarness } from './tun-compliance.js';

/** The fake stands in for the host: sendIntoDevice injects, delivered parses what was written. */
function fakeHarness(): TunHarness {
  const host = new FakeTunHost();
  const h: TunHarness = {
    remoteAddr: parseIpv4('10.99.0.2'),
    remotePort: 9999,
    localAddr: parseIpv4('10.99.0.1'),
    localPort: 7777,
    open: async (name: string): Promise<TunDevice> => host.open(name),
    exists: async (name) => host.exists(name),
    sendIntoDevice: async (dev, payloads) => {
      for (const p of payloads) (dev as FakeTun).inject(udpPacket(h.localAddr, h.remoteAddr, 40000, h.remotePort, p));
    },
    delivered: async (dev) =>
      (dev as FakeTun)
        .takeWritten()
        .map((p) => parseUdp(p))
        .filter((u) => u !== undefined && u.dst === h.localAddr && u.dstPort === h.localPort)
        .map((u) => u!.payload),
    dispose: async () => undefined,
  };
  return h;
}

for (const c of tunComplianceCases) {
  test(`FakeTun compliance: ${c.name}`, async () => {
    const h = fakeHarness();
    try {
      await c.run(h);
    } finally {
      await h.dispose();
    }
  });
}

test('FakeTun truncates a packet longer than the buffer, as the kernel does', () => {
  const dev = new FakeTunHost().open('tun0');
  dev.inject(Buffer.alloc(100, 1));
  const bufs = [Buffer.alloc(40)];
  const sizes = new Int32Array(1);
  assert.equal(dev.read(bufs, sizes, 1), 1);
  assert.equal(sizes[0], 40);
});
