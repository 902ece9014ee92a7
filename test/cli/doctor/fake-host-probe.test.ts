// The HostProbe compliance suite against FakeHostProbe (the Linux one runs it in a namespace:
// linux-host-probe.test.ts).
import { test } from 'node:test';
import { FakeHostProbe } from '../../../cli/doctor/fake-host-probe.js';
import { formatCidr, parseIpv4, prefixMask } from '../../../common/cidr.js';
import { hostProbeComplianceCases, type HostProbeHarness } from './host-probe-compliance.js';

function fakeHarness(): HostProbeHarness {
  const probe = new FakeHostProbe();
  probe.interfaces = [{ ifname: 'lo', mtu: 65536, addresses: ['127.0.0.1'] }];
  return {
    probe,
    async addLink(ifname, mtu, address) {
      const [ip, len] = address.split('/');
      probe.interfaces.push({ ifname, mtu, addresses: [ip!] });
      // The kernel's connected route for the address's network.
      const prefixLen = Number(len);
      probe.mainTable.push({ dst: formatCidr({ base: (parseIpv4(ip!) & prefixMask(prefixLen)) >>> 0, prefixLen }), dev: ifname, gateway: '', protocol: 'kernel' });
      probe.sysctls.set(`conf/${ifname}/rp_filter`, '0');
    },
    async addRoute(dst, dev) {
      probe.mainTable.push({ dst, dev, gateway: '', protocol: '147' });
    },
    async setSysctl(key, value) {
      probe.sysctls.set(key, value);
    },
    dispose: async () => undefined,
  };
}

for (const c of hostProbeComplianceCases) {
  test(`FakeHostProbe compliance: ${c.name}`, async () => {
    const h = fakeHarness();
    try {
      await c.run(h);
    } finally {
      await h.dispose();
    }
  });
}
