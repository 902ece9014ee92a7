// One suite for every HostProbe: FakeHostProbe in process, LinuxHostProbe in a child process
// inside a throwaway namespace (what doctor reads there is what the kernel says). Each case
// sets the host up through the harness, the same way for both, then reads it back.
import assert from 'node:assert/strict';
import type { HostProbe } from '../../../cli/doctor/host-probe.js';
import type { ComplianceCase } from '../../node-agent/tun/tun-compliance.js';

export interface HostProbeHarness {
  readonly probe: HostProbe;
  /** An interface that is up, with this MTU and address (a.b.c.d/len), and the kernel's connected route. */
  addLink(ifname: string, mtu: number, address: string): Promise<void>;
  /** A route of protocol 147 (tunctl's) over a link. */
  addRoute(dst: string, dev: string): Promise<void>;
  /** A value under /proc/sys/net/ipv4. */
  setSysctl(key: string, value: string): Promise<void>;
  dispose(): Promise<void>;
}

export const hostProbeComplianceCases: ReadonlyArray<ComplianceCase<HostProbeHarness>> = [
  {
    name: 'sysctls read back as set; one that does not exist is null',
    async run(h) {
      await h.addLink('hp0', 1400, '10.77.0.1/24');
      await h.setSysctl('ip_forward', '1');
      await h.setSysctl('conf/hp0/rp_filter', '2');
      assert.equal(await h.probe.ipv4Sysctl('ip_forward'), '1');
      assert.equal(await h.probe.ipv4Sysctl('conf/hp0/rp_filter'), '2');
      assert.equal(await h.probe.ipv4Sysctl('conf/nosuchdev/rp_filter'), null);
    },
  },
  {
    name: 'links carry their MTU and IPv4 addresses; routes their destination, device and protocol',
    async run(h) {
      await h.addLink('hp1', 1380, '10.77.1.1/24');
      await h.addRoute('10.78.0.0/16', 'hp1');
      const link = (await h.probe.links()).find((l) => l.ifname === 'hp1');
      assert.deepEqual(link, { ifname: 'hp1', mtu: 1380, addresses: ['10.77.1.1'] });
      const routes = (await h.probe.routes()).filter((r) => r.dev === 'hp1').sort((a, b) => (a.dst < b.dst ? -1 : 1));
      assert.deepEqual(routes, [
        { dst: '10.77.1.0/24', dev: 'hp1', gateway: '', protocol: 'kernel' },
        { dst: '10.78.0.0/16', dev: 'hp1', gateway: '', protocol: '147' },
      ]);
    },
  },
  {
    name: 'route lookups answer in the order asked, a refused one in its place',
    async run(h) {
      await h.addLink('hp2', 1500, '10.77.2.1/24');
      await h.addRoute('10.79.0.0/16', 'hp2');
      assert.deepEqual(await h.probe.routeGet([]), []);
      assert.deepEqual(await h.probe.routeGet([{ dst: '10.79.1.1' }, { dst: '192.0.2.1' }, { dst: '10.77.2.1' }, { dst: '10.77.2.9' }]), [
        { dev: 'hp2', type: 'unicast' },
        { error: 'Network is unreachable' },
        { dev: 'lo', type: 'local' },
        { dev: 'hp2', type: 'unicast' },
      ]);
    },
  },
];
