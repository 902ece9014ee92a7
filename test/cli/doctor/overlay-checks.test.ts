// The checks of the overlay as the agent reports it, fed facts: MTUs, routes on the TUN
// device, the controller connection, silent peers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateController } from '../../../cli/doctor/checks/controller-check.js';
import { evaluateMtu, type MtuFacts } from '../../../cli/doctor/checks/mtu-check.js';
import { evaluatePeers, type PeersFacts } from '../../../cli/doctor/checks/peers-check.js';
import { evaluateRoutes, type RoutesFacts } from '../../../cli/doctor/checks/routes-check.js';
import type { PeerFacts } from '../../../cli/doctor/doctor.js';
import type { RouteInfo } from '../../../cli/doctor/host-probe.js';

const NOW = Date.parse('2026-11-26T08:00:00Z');

test('mtu: TUN + 28 within the underlay and containers within the TUN is ok; each excess fails with the ip command', () => {
  const healthy: MtuFacts = {
    tunName: 'tun0',
    tunMtu: 1472,
    agentTunMtu: 1472,
    underlayIp: '192.168.77.1',
    paths: [{ ifname: 'ul0', mtu: 1500, role: 'holds 192.168.77.1' }],
    containers: [{ netns: 'web', ifname: 'eth0', mtu: 1472 }, { netns: 'gone', ifname: 'eth0', mtu: null }],
  };
  assert.deepEqual(evaluateMtu(healthy).map((f) => [f.level, f.message]), [['ok', 'tun0 1472 + 28 fits ul0 1500; 1 container MTU at most 1472']]);

  const tunTooBig = evaluateMtu({ ...healthy, tunMtu: 1500 });
  assert.equal(tunTooBig.length, 1);
  assert.equal(tunTooBig[0]!.level, 'fail');
  assert.match(tunTooBig[0]!.message, /tun0's MTU 1500 does not fit the underlay: ul0 \(holds 192\.168\.77\.1\) carries 1500 bytes .* packets over 1472 bytes are lost/);
  assert.equal(tunTooBig[0]!.fix, 'ip link set tun0 mtu 1472');

  const narrowPath = evaluateMtu({ ...healthy, paths: [...healthy.paths, { ifname: 'wg0', mtu: 1420, role: 'the route to h2 (192.168.77.2)' }] });
  assert.match(narrowPath[0]!.message, /wg0 \(the route to h2 \(192\.168\.77\.2\)\) carries 1420 bytes/);
  assert.equal(narrowPath[0]!.fix, 'ip link set tun0 mtu 1392');

  const container = evaluateMtu({ ...healthy, containers: [{ netns: 'web', ifname: 'eth0', mtu: 1500 }, { netns: '/proc/42/ns/net', ifname: 'eth1', mtu: 9000 }] });
  assert.deepEqual(container.map((f) => f.level), ['fail', 'fail']);
  assert.match(container[0]!.message, /container web's eth0 has MTU 1500, above tun0's 1472/);
  assert.equal(container[0]!.fix, 'ip -n web link set eth0 mtu 1472');
  assert.equal(container[1]!.fix, 'nsenter --net=/proc/42/ns/net ip link set eth1 mtu 1472');

  assert.match(evaluateMtu({ ...healthy, tunMtu: null })[0]!.message, /tun0 does not exist although the agent answers/);
});

test('routes: one route per peer on the TUN device is ok; missing, foreign and shadowing routes each fail with the ip command', () => {
  const route = (dst: string, dev: string, protocol = '147', gateway = ''): RouteInfo => ({ dst, dev, protocol, gateway });
  const healthy: RoutesFacts = {
    tunName: 'tun0',
    peers: [{ nodeName: 'h2', subnet: '10.244.1.0/24' }, { nodeName: 'h3', subnet: '10.244.2.0/24' }],
    routes: [route('0.0.0.0/0', 'ul0', 'static', '192.168.77.254'), route('192.168.77.0/24', 'ul0', 'kernel'), route('10.244.0.2/32', 'tc1'), route('10.244.1.0/24', 'tun0'), route('10.244.2.0/24', 'tun0')],
    lookups: [{ nodeName: 'h2', address: '10.244.1.1', result: { dev: 'tun0', type: 'unicast' } }, { nodeName: 'h3', address: '10.244.2.1', result: { dev: 'tun0', type: 'unicast' } }],
    agentRouteError: '',
  };
  assert.deepEqual(evaluateRoutes(healthy).map((f) => [f.level, f.message]), [['ok', 'tun0 routes 2 peer subnets, and nothing else']]);

  const missing = evaluateRoutes({ ...healthy, routes: healthy.routes.filter((r) => r.dst !== '10.244.2.0/24'), agentRouteError: 'RTNETLINK answers: File exists' });
  assert.equal(missing.length, 1, 'the lookup of a peer without a route is not reported twice');
  assert.match(missing[0]!.message, /no route for h3's subnet 10\.244\.2\.0\/24 on tun0: .*\(its last route check failed: RTNETLINK answers: File exists\)/);
  assert.equal(missing[0]!.fix, 'ip route replace 10.244.2.0/24 dev tun0 proto 147');

  const foreign = evaluateRoutes({ ...healthy, routes: [...healthy.routes, route('10.99.0.0/16', 'tun0', 'static')] });
  assert.equal(foreign.length, 1);
  assert.match(foreign[0]!.message, /tun0 holds a route for 10\.99\.0\.0\/16 \(protocol static\) that is no peer's subnet/);
  assert.equal(foreign[0]!.fix, 'ip route del 10.99.0.0/16 dev tun0');

  const shadowed = evaluateRoutes({
    ...healthy,
    routes: [...healthy.routes, route('10.244.1.0/25', 'ul0', 'static', '192.168.77.9')],
    lookups: [{ nodeName: 'h2', address: '10.244.1.1', result: { dev: 'ul0', type: 'unicast' } }, healthy.lookups[1]!],
  });
  assert.equal(shadowed.length, 1, 'the lookup going out ul0 is explained by the route');
  assert.match(shadowed[0]!.message, /traffic to 10\.244\.1\.0\/25, in h2's subnet 10\.244\.1\.0\/24, leaves by ul0 via 192\.168\.77\.9, not tun0/);
  assert.equal(shadowed[0]!.fix, 'ip route del 10.244.1.0/25 dev ul0');

  const blackhole = evaluateRoutes({ ...healthy, routes: [...healthy.routes, route('10.244.1.128/25', '', 'static')] });
  assert.match(blackhole[0]!.message, /traffic to 10\.244\.1\.128\/25, in h2's subnet 10\.244\.1\.0\/24, is thrown away \(a route without a device/);
  assert.equal(blackhole[0]!.fix, 'ip route del 10.244.1.128/25');

  const policy = evaluateRoutes({ ...healthy, lookups: [{ nodeName: 'h2', address: '10.244.1.1', result: { dev: 'ul0', type: 'unicast' } }] });
  assert.match(policy[0]!.message, /the kernel sends 10\.244\.1\.1 \(h2's subnet 10\.244\.1\.0\/24\) out ul0, not into tun0, although the route is there/);
});

test('controller: connected is ok; connecting fails with how long, the target and the last error; a fresh reconnect warns', () => {
  const view = { target: '192.168.77.254:7400', state: 'connected' as const, since: NOW - 300_000, lastError: '', reconnects: 1 };
  assert.deepEqual(evaluateController(view, NOW).map((f) => [f.level, f.message]), [['ok', 'connected to 192.168.77.254:7400 for 5m 0s (1 reconnects since the agent started)']]);
  const down = evaluateController({ ...view, state: 'connecting', since: NOW - 72_000, lastError: 'connect ECONNREFUSED 192.168.77.254:7400' }, NOW);
  assert.equal(down[0]!.level, 'fail');
  assert.match(down[0]!.message, /has not reached the controller at 192\.168\.77\.254:7400 for 1m 12s \(last error: connect ECONNREFUSED 192\.168\.77\.254:7400\): it forwards with the routes it has/);
  assert.match(down[0]!.fix, /systemctl status tunctl-controller .*nc -zv 192\.168\.77\.254 7400/);
  assert.equal(evaluateController({ ...view, state: 'connecting', since: NOW - 3000 }, NOW)[0]!.level, 'warn');
});

test('peers: answering and idle peers are ok; one we keep sending to that stays silent fails naming it and the port', () => {
  const peer = (nodeName: string, p: Partial<PeerFacts>): PeerFacts => ({
    nodeName,
    underlayIp: '192.168.77.2',
    subnet: '10.244.1.0/24',
    traffic: { txPackets: 10, rxPackets: 10 },
    lastRxAt: NOW - 1000,
    lastTxAt: NOW - 1000,
    ...p,
  });
  const facts = (peers: PeerFacts[]): PeersFacts => ({ peers, udpPort: 7000, underlayIp: '192.168.77.1', startedAt: NOW - 3_600_000, now: NOW, silenceMs: 30_000 });
  const healthy = evaluatePeers(facts([peer('h2', {}), peer('h3', { traffic: { txPackets: 0, rxPackets: 0 }, lastRxAt: 0, lastTxAt: 0 }), peer('h4', { lastTxAt: NOW - 600_000, lastRxAt: NOW - 900_000 })]));
  assert.deepEqual(healthy.map((f) => [f.level, f.message]), [['ok', '3 peers: 1 answering, 2 idle']]);

  const silent = evaluatePeers(facts([peer('h2', { lastRxAt: NOW - 45_000, lastTxAt: NOW - 2000, traffic: { txPackets: 40, rxPackets: 3 } })]));
  assert.equal(silent[0]!.level, 'fail');
  assert.match(silent[0]!.message, /h2 \(192\.168\.77\.2\) has sent nothing for 45s, while this host kept sending to it \(40 datagrams, the last 2s ago\): .* drops udp\/7000/);
  assert.match(silent[0]!.fix, /allow udp\/7000 between 192\.168\.77\.1 and 192\.168\.77\.2 both ways/);

  const never = evaluatePeers(facts([peer('h2', { lastRxAt: 0, traffic: { txPackets: 5, rxPackets: 0 } })]));
  assert.match(never[0]!.message, /has sent nothing since the agent started 1h 0m ago/);
  const justStarted = evaluatePeers({ ...facts([peer('h2', { lastRxAt: 0 })]), startedAt: NOW - 5000 });
  assert.equal(justStarted[0]!.level, 'ok', 'an agent up for less than the silence threshold has not waited long enough');
  const brief = evaluatePeers(facts([peer('h2', { lastRxAt: NOW - 10_000 })]));
  assert.equal(brief[0]!.level, 'ok', 'silent for less than the threshold');
});
