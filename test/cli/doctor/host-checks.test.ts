// The checks of the host's own settings, fed facts: ip_forward, proxy ARP on container
// veths, reverse-path filtering on the TUN device.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateForwarding } from '../../../cli/doctor/checks/forwarding-check.js';
import { evaluateProxyArp, type ProxyArpFacts } from '../../../cli/doctor/checks/proxy-arp-check.js';
import { evaluateRpFilter, type RpFilterFacts } from '../../../cli/doctor/checks/rp-filter-check.js';

test('ip-forward: on is ok; off or unreadable fails with the sysctl that turns it on', () => {
  assert.deepEqual(evaluateForwarding('1').map((f) => f.level), ['ok']);
  const [off] = evaluateForwarding('0');
  assert.equal(off!.level, 'fail');
  assert.match(off!.message, /IPv4 forwarding is off \(net\.ipv4\.ip_forward=0\): this host does not pass packets/);
  assert.match(off!.fix, /^sysctl -w net\.ipv4\.ip_forward=1/);
  assert.equal(evaluateForwarding(null)[0]!.level, 'fail');
});

test('proxy-arp: every attached veth with proxy_arp=1 is ok; one without fails naming the veth and container', () => {
  const veth = (hostInterface: string, proxyArp: string | null): ProxyArpFacts => ({ netns: `ns-${hostInterface}`, address: '10.244.0.2/24', hostInterface, proxyArp });
  const healthy = evaluateProxyArp([veth('tc1', '1'), veth('tc2', '1')]);
  assert.deepEqual(healthy.map((f) => [f.level, f.message]), [['ok', 'proxy ARP is on for 2 container veths']]);
  assert.equal(evaluateProxyArp([])[0]!.message, 'no containers attached');

  const broken = evaluateProxyArp([veth('tc1', '1'), veth('tc2', '0'), veth('tc3', null)]);
  assert.equal(broken.length, 1, 'a veth that is gone is not judged');
  assert.equal(broken[0]!.level, 'fail');
  assert.match(broken[0]!.message, /proxy ARP is off on tc2, the host side of container ns-tc2 \(10\.244\.0\.2\/24\)/);
  assert.equal(broken[0]!.fix, 'sysctl -w net.ipv4.conf.tc2.proxy_arp=1');
  assert.equal(evaluateProxyArp([veth('eth0.100', '0')])[0]!.fix, 'sysctl -w net/ipv4/conf/eth0.100/proxy_arp=1', 'a dotted name needs the slash form');
});

test('rp-filter: probes the kernel accepts are ok; a refused one under strict mode names both settings and the way back', () => {
  const facts = (all: number, tun: number, error?: string): RpFilterFacts => ({
    tunName: 'tun0',
    all,
    tun,
    localAddress: '10.244.0.0',
    probes: [{ peer: 'h2', subnet: '10.244.1.0/24', from: '10.244.1.1', result: error ? { error } : { dev: 'lo', type: 'local' }, reverseDev: error ? 'ul0' : 'tun0' }],
  });
  const healthy = evaluateRpFilter(facts(1, 0));
  assert.deepEqual(healthy.map((f) => f.level), ['ok']);
  assert.match(healthy[0]!.message, /packets from 1 peer subnet pass on tun0 \(rp_filter all=1 tun0=0, so strict\)/);

  for (const error of ['Invalid cross-device link', 'Invalid argument']) {
    const [f] = evaluateRpFilter(facts(1, 0, error));
    assert.equal(f!.level, 'fail');
    assert.match(f!.message, /reverse-path filtering drops packets from h2 \(10\.244\.1\.0\/24\) arriving on tun0: rp_filter all=1 tun0=0, so strict, and the route back to 10\.244\.1\.1 leaves by ul0, not tun0/);
    assert.match(f!.fix, /^sysctl -w net\.ipv4\.conf\.tun0\.rp_filter=2 \(loose/);
  }
  const other = evaluateRpFilter(facts(0, 0, 'No route to host'));
  assert.equal(other[0]!.level, 'fail');
  assert.match(other[0]!.message, /the kernel refuses packets from h2 .*: No route to host/);
  assert.match(evaluateRpFilter({ ...facts(2, 0), probes: [] })[0]!.message, /no peers yet \(rp_filter all=2 tun0=0, so loose\)/);
});
