import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCidr, parseCidr, parseIpv4 } from '../../../common/cidr.js';
import { FakeRouteInstaller } from '../../../node-agent/routes/fake-route-installer.js';
import { runRouteInstallerCompliance } from './route-installer-compliance.js';

runRouteInstallerCompliance('FakeRouteInstaller', async () => {
  const fake = new FakeRouteInstaller();
  return {
    installer: fake,
    createDevice: async (name) => fake.addDevice(name),
    addForeignRoute: async (dev, cidr, proto) => fake.addForeignRoute(dev, parseCidr(cidr), proto),
    allRoutesOn: async (dev) =>
      fake.allRoutes().filter((r) => r.dev === dev).map((r) => ({ cidr: formatCidr(r.cidr), proto: String(r.proto) })),
  };
});

test('FakeRouteInstaller: deleteRouteBehindBack and deleteDevice drop routes like the kernel', async () => {
  const fake = new FakeRouteInstaller();
  fake.addDevice('tun0');
  await fake.apply('tun0', { add: [parseCidr('10.244.1.0/24'), parseCidr('10.244.2.0/24')], remove: [] });
  assert.equal(fake.deleteRouteBehindBack(parseCidr('10.244.1.0/24')), true);
  assert.deepEqual((await fake.list('tun0')).map(formatCidr), ['10.244.2.0/24']);
  fake.deleteDevice('tun0');
  assert.deepEqual(fake.allRoutes(), []);
  await assert.rejects(fake.list('tun0'), /tun0/);
});

test('FakeRouteInstaller: failNextApply fails exactly one call and changes nothing', async () => {
  const fake = new FakeRouteInstaller();
  fake.addDevice('tun0');
  fake.failNextApply(new Error('injected'));
  await assert.rejects(fake.apply('tun0', { add: [parseCidr('10.244.1.0/24')], remove: [] }), /injected/);
  assert.deepEqual(await fake.list('tun0'), []);
  await fake.apply('tun0', { add: [parseCidr('10.244.1.0/24')], remove: [] });
  assert.deepEqual((await fake.list('tun0')).map(formatCidr), ['10.244.1.0/24']);
  assert.equal(fake.applyCalls, 2);
});

test('FakeRouteInstaller: link configuration mirrors the real contract', async () => {
  const fake = new FakeRouteInstaller();
  fake.addDevice('eth0', 1400);
  fake.addAddress('eth0', parseIpv4('192.168.5.2'));
  fake.addDevice('tun0');
  fake.addAddress('tun0', parseIpv4('10.244.9.0'), 32);
  await fake.configureTun('tun0', { mtu: 1372, address: parseIpv4('10.244.3.0') });
  assert.deepEqual(fake.link('tun0'), { mtu: 1372, up: true, addresses: [{ local: parseIpv4('10.244.3.0'), prefixLen: 32 }] });
  assert.deepEqual(await fake.findUnderlay(parseIpv4('192.168.5.2')), { ifName: 'eth0', mtu: 1400 });
  assert.equal(await fake.findUnderlay(parseIpv4('192.168.5.3')), null);
  assert.deepEqual((await fake.listLocalAddresses()).sort(), [parseIpv4('192.168.5.2'), parseIpv4('10.244.3.0')].sort());
  await assert.rejects(fake.configureTun('nosuch0', { mtu: 1400, address: 1 }), /nosuch0/);
  await assert.rejects(fake.configureTun('tun0', { mtu: 20, address: 1 }), { name: 'InvalidArgumentError' });
});
