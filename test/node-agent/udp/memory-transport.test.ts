import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4 } from '../../../common/cidr.js';
import { MemoryNetwork } from '../../../node-agent/udp/memory-transport.js';
import { transportComplianceCases, type TransportHarness } from './transport-compliance.js';

function memoryHarness(): TransportHarness {
  const net = new MemoryNetwork();
  return {
    addrA: parseIpv4('192.168.200.1'),
    addrB: parseIpv4('192.168.200.2'),
    open: async (ip, port) => net.bind(ip, port),
    dispose: async () => undefined,
  };
}

for (const c of transportComplianceCases) {
  test(`MemoryTransport compliance: ${c.name}`, async () => c.run(memoryHarness()));
}

test('a refused destination marks the entry with size -1 and keeps the reason', () => {
  const net = new MemoryNetwork();
  const a = net.bind(parseIpv4('192.168.200.1'), 8472);
  net.refuseSendsTo(parseIpv4('192.168.200.7'), 'EHOSTUNREACH');
  const sizes = Int32Array.from([3, 3]);
  const sent = a.send([Buffer.from('abc'), Buffer.from('def')], sizes, Uint32Array.from([parseIpv4('192.168.200.7'), parseIpv4('192.168.200.2')]), 2);
  assert.equal(sent, 1);
  assert.deepEqual([...sizes], [-1, 3]);
  assert.equal(a.lastSendError, 'EHOSTUNREACH');
});
