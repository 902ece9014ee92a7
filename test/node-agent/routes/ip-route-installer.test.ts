import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCidr, parseIpv4 } from '../../../common/cidr.js';
import { IpRouteInstaller, parseBatchErrors } from '../../../node-agent/routes/ip-route-installer.js';
import { labFor, netnsTestOptions, type NetnsLab } from '../../netns/netns.js';
import { runRouteInstallerCompliance } from './route-installer-compliance.js';

interface JsonRoute { dst: string; dev?: string; protocol?: string }
interface JsonLink { ifname: string; mtu: number; flags: string[]; addr_info: Array<{ family: string; local: string; prefixlen: number }> }

async function ipJson<T>(lab: NetnsLab, ns: string, args: string[]): Promise<T> {
  const { stdout } = await lab.exec(ns, 'ip', ['-json', ...args]);
  return JSON.parse(stdout) as T;
}

/** A persistent TUN device inside the namespace, up, able to hold routes. */
async function addTun(lab: NetnsLab, ns: string, name: string): Promise<void> {
  await lab.exec(ns, 'ip', ['tuntap', 'add', 'mode', 'tun', 'name', name]);
  await lab.exec(ns, 'ip', ['link', 'set', name, 'up']);
}

runRouteInstallerCompliance('IpRouteInstaller', async (t) => {
  const lab = labFor(t, 'ri');
  const ns = await lab.addNamespace('routes');
  return {
    installer: new IpRouteInstaller({ netns: ns }),
    createDevice: (name) => addTun(lab, ns, name),
    addForeignRoute: async (dev, cidr, proto) => {
      await lab.exec(ns, 'ip', ['route', 'add', cidr, 'dev', dev, ...(proto ? ['proto', proto] : [])]);
    },
    allRoutesOn: async (dev) => {
      const routes = await ipJson<JsonRoute[]>(lab, ns, ['-4', 'route', 'show', 'table', 'main']);
      return routes
        .filter((r) => r.dev === dev)
        .map((r) => ({
          cidr: r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`,
          // ip omits the protocol for "boot", the default of `ip route add`.
          proto: r.protocol ?? 'boot',
        }));
    },
  };
}, netnsTestOptions());

test('IpRouteInstaller: configureTun sets mtu, a single /32 address and up; twice is fine; a new address replaces the old', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'ri');
  const ns = await lab.addNamespace('link');
  await lab.exec(ns, 'ip', ['tuntap', 'add', 'mode', 'tun', 'name', 'tun0']);
  const ip = new IpRouteInstaller({ netns: ns });
  const readTun = async (): Promise<JsonLink> => (await ipJson<JsonLink[]>(lab, ns, ['addr', 'show', 'dev', 'tun0']))[0]!;

  await ip.configureTun('tun0', { mtu: 1372, address: parseIpv4('10.244.3.0') });
  await ip.configureTun('tun0', { mtu: 1372, address: parseIpv4('10.244.3.0') });
  let link = await readTun();
  assert.equal(link.mtu, 1372);
  assert.ok(link.flags.includes('UP'), `flags ${link.flags.join(',')}`);
  assert.deepEqual(link.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['10.244.3.0/32']);

  await ip.configureTun('tun0', { mtu: 1400, address: parseIpv4('10.244.7.0') });
  link = await readTun();
  assert.equal(link.mtu, 1400);
  assert.deepEqual(link.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['10.244.7.0/32']);

  await assert.rejects(ip.configureTun('nosuch0', { mtu: 1400, address: 1 }), /nosuch0/);
});

test('IpRouteInstaller: findUnderlay finds the interface and MTU holding an address; listLocalAddresses sees all', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'ri');
  const a = await lab.addNamespace('a');
  const b = await lab.addNamespace('b');
  await lab.veth(a, 'veth-a', b, 'veth-b', 1400);
  await lab.addAddress(a, 'veth-a', '192.168.77.1/24');
  const ip = new IpRouteInstaller({ netns: a });

  assert.deepEqual(await ip.findUnderlay(parseIpv4('192.168.77.1')), { ifName: 'veth-a', mtu: 1400 });
  assert.equal(await ip.findUnderlay(parseIpv4('192.168.77.2')), null);
  const local = await ip.listLocalAddresses();
  assert.ok(local.includes(parseIpv4('192.168.77.1')));
  assert.ok(local.includes(parseIpv4('127.0.0.1')));
  assert.ok(!local.includes(parseIpv4('192.168.77.2')));
});

test('IpRouteInstaller: errors carry the command and stderr', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'ri');
  const ns = await lab.addNamespace('err');
  const ip = new IpRouteInstaller({ netns: ns });
  await assert.rejects(ip.list('nosuch0'), (err: Error) => /ip -n \S+ -json -4 route show/.test(err.message) && /Cannot find device "nosuch0"/.test(err.message));
  await assert.rejects(
    ip.apply('nosuch0', { add: [parseCidr('10.244.1.0/24')], remove: [] }),
    (err: Error) => err.message.includes('route replace 10.244.1.0/24 dev nosuch0 proto 147') && /Cannot find device "nosuch0"/.test(err.message),
  );
});

test('IpRouteInstaller: a missing ip binary says to install iproute2', async () => {
  const ip = new IpRouteInstaller({ ipPath: '/nonexistent/tunctl-test/ip' });
  await assert.rejects(ip.listLocalAddresses(), (err: Error) => err.message.includes('install iproute2'));
});

test('IpRouteInstaller: an ip that hangs is killed at the deadline', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tunctl-ip-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const fakeIp = join(dir, 'ip');
  await writeFile(fakeIp, '#!/bin/sh\nexec sleep 20\n');
  await chmod(fakeIp, 0o755);
  const ip = new IpRouteInstaller({ ipPath: fakeIp, timeoutMs: 200 });
  await assert.rejects(ip.listLocalAddresses(), /did not finish within 200 ms/);
});

test('parseBatchErrors maps each failure to its batch line', () => {
  const stderr = 'RTNETLINK answers: No such process\nCommand failed -:2\nCannot find device "x"\nCommand failed -:5\n';
  assert.deepEqual(parseBatchErrors(stderr), [
    { line: 2, message: 'RTNETLINK answers: No such process' },
    { line: 5, message: 'Cannot find device "x"' },
  ]);
  assert.deepEqual(parseBatchErrors(''), []);
});
