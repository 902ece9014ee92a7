// ReadinessPoller on real descriptors. poll() treats every descriptor alike, so two UDP
// sockets on loopback stand for the TUN device and the underlay socket; traffic stays on
// 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { parseIpv4 } from '../../../common/cidr.js';
import { READY_AFTER_SLEEP, READY_TUN, READY_UDP } from '../../../node-agent/dataplane/forward.js';
import { ReadinessPoller } from '../../../node-agent/dataplane/readiness.js';
import { LinuxUdpTransport } from '../../../node-agent/udp/linux-udp.js';

const LOOPBACK = parseIpv4('127.0.0.1');

function socketPair(): { tunStandIn: LinuxUdpTransport; udp: LinuxUdpTransport } {
  const udp = LinuxUdpTransport.open({ localIp: LOOPBACK, port: 0, waitForPackets: false });
  const tunStandIn = LinuxUdpTransport.open({ localIp: LOOPBACK, port: 0, peerPort: udp.localPort, waitForPackets: false });
  return { tunStandIn, udp };
}

test('readiness: nothing queued is 0 after the timeout; input already queued is reported without READY_AFTER_SLEEP', (t) => {
  const { tunStandIn, udp } = socketPair();
  t.after(() => {
    tunStandIn.close();
    udp.close();
  });
  const poller = new ReadinessPoller(tunStandIn.fd, udp.fd, 30);
  const start = performance.now();
  assert.equal(poller.wait(), 0);
  assert.ok(performance.now() - start >= 25, 'it slept for its timeout before giving up');

  const payload = [Buffer.from('queued')];
  assert.equal(tunStandIn.send(payload, Int32Array.of(6), Uint32Array.of(LOOPBACK), 1), 1);
  // The datagram is in the socket's queue once sendto returns (loopback delivers inline).
  assert.equal(poller.wait(), READY_UDP, 'input found at the first look: not a wake from sleep');
});

test('readiness: input that arrives while the wait sleeps wakes it with READY_AFTER_SLEEP', async (t) => {
  const { tunStandIn, udp } = socketPair();
  t.after(() => {
    tunStandIn.close();
    udp.close();
  });
  // Another process sends to the TUN stand-in 100 ms from now, while this thread sleeps in poll().
  const sender = spawn(
    process.execPath,
    ['-e', `setTimeout(() => { const s = require('node:dgram').createSocket('udp4'); s.send('wake', ${tunStandIn.localPort}, '127.0.0.1', () => s.close()); }, 100);`],
    { stdio: 'inherit' },
  );
  const exited = once(sender, 'exit');
  const poller = new ReadinessPoller(tunStandIn.fd, udp.fd, 10_000);
  const start = performance.now();
  const ready = poller.wait();
  const waited = performance.now() - start;
  await exited;
  assert.equal(ready, READY_TUN | READY_AFTER_SLEEP);
  assert.ok(waited >= 50 && waited < 9_000, `woken by the datagram after ${waited.toFixed(0)} ms, not by the timeout`);
});
