// One suite for every RouteInstaller: the in-memory fake and `ip` in a throwaway namespace
// must behave the same, so tests written against the fake say something about the real thing.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { formatCidr, parseCidr, type Ipv4Cidr } from '../../../common/cidr.js';
import type { RouteInstaller } from '../../../node-agent/routes/route-installer.js';

export interface RouteInstallerHarness {
  readonly installer: RouteInstaller;
  /** Creates an up device that can hold routes. */
  createDevice(name: string): Promise<void>;
  /** Adds a route we do not own, as an admin would (`ip route add <cidr> dev <dev> [proto <proto>]`). */
  addForeignRoute(dev: string, cidr: string, proto?: string): Promise<void>;
  /** Every route on the device in the main table, whoever owns it, with its protocol as `ip` names it. */
  allRoutesOn(dev: string): Promise<Array<{ cidr: string; proto: string }>>;
}

export type HarnessFactory = (t: TestContext) => Promise<RouteInstallerHarness>;

const c = (text: string): Ipv4Cidr => parseCidr(text);
const sortedTexts = (cidrs: readonly Ipv4Cidr[]): string[] => cidrs.map(formatCidr).sort();
const byCidr = (a: { cidr: string }, b: { cidr: string }): number => a.cidr.localeCompare(b.cidr);

export function runRouteInstallerCompliance(name: string, factory: HarnessFactory, options: { skip?: string } = {}): void {
  const it = (title: string, body: (h: RouteInstallerHarness) => Promise<void>): void => {
    test(`${name}: ${title}`, options, async (t) => body(await factory(t)));
  };

  it('apply adds routes and list shows exactly ours', async (h) => {
    await h.createDevice('tun0');
    assert.deepEqual(await h.installer.list('tun0'), []);
    await h.installer.apply('tun0', { add: [c('10.244.1.0/24'), c('10.244.2.0/24')], remove: [] });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['10.244.1.0/24', '10.244.2.0/24']);
    assert.deepEqual((await h.allRoutesOn('tun0')).sort(byCidr), [
      { cidr: '10.244.1.0/24', proto: '147' },
      { cidr: '10.244.2.0/24', proto: '147' },
    ]);
  });

  it('host routes and the default route round-trip', async (h) => {
    await h.createDevice('tun0');
    await h.installer.apply('tun0', { add: [c('10.9.8.7/32'), c('0.0.0.0/0')], remove: [] });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['0.0.0.0/0', '10.9.8.7/32']);
  });

  it('re-applying the same routes is idempotent', async (h) => {
    await h.createDevice('tun0');
    const change = { add: [c('10.244.1.0/24'), c('10.244.2.0/24')], remove: [] };
    await h.installer.apply('tun0', change);
    await h.installer.apply('tun0', change);
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['10.244.1.0/24', '10.244.2.0/24']);
  });

  it('a large batch lands in full', async (h) => {
    await h.createDevice('tun0');
    const many = Array.from({ length: 300 }, (_, i) => ({ base: ((10 << 24) | (i << 8)) >>> 0, prefixLen: 24 }));
    await h.installer.apply('tun0', { add: many, remove: [] });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), sortedTexts(many));
    await h.installer.apply('tun0', { add: [], remove: many.slice(0, 299) });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), sortedTexts(many.slice(299)));
  });

  it('remove deletes our route and leaves the others', async (h) => {
    await h.createDevice('tun0');
    await h.installer.apply('tun0', { add: [c('10.244.1.0/24'), c('10.244.2.0/24')], remove: [] });
    await h.installer.apply('tun0', { add: [], remove: [c('10.244.1.0/24')] });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['10.244.2.0/24']);
  });

  it('removing a route that is already gone is fine, and the rest of the batch still applies', async (h) => {
    await h.createDevice('tun0');
    await h.installer.apply('tun0', { add: [c('10.244.1.0/24')], remove: [] });
    await h.installer.apply('tun0', { add: [], remove: [c('10.244.1.0/24')] });
    await h.installer.apply('tun0', { add: [c('10.244.3.0/24')], remove: [c('10.244.1.0/24'), c('10.77.0.0/16')] });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['10.244.3.0/24']);
  });

  it('a foreign route on the same device is never listed nor removed', async (h) => {
    await h.createDevice('tun0');
    await h.addForeignRoute('tun0', '10.9.0.0/24');
    await h.addForeignRoute('tun0', '10.8.0.0/24', 'static');
    await h.installer.apply('tun0', { add: [c('10.244.1.0/24')], remove: [] });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['10.244.1.0/24']);
    await h.installer.apply('tun0', { add: [], remove: [c('10.9.0.0/24'), c('10.8.0.0/24'), c('10.244.1.0/24')] });
    assert.deepEqual(await h.installer.list('tun0'), []);
    assert.deepEqual((await h.allRoutesOn('tun0')).sort(byCidr), [
      { cidr: '10.8.0.0/24', proto: 'static' },
      { cidr: '10.9.0.0/24', proto: 'boot' },
    ]);
  });

  it('adding a block that a foreign route holds takes it over (kernel replace semantics)', async (h) => {
    await h.createDevice('tun0');
    await h.addForeignRoute('tun0', '10.9.0.0/24');
    await h.installer.apply('tun0', { add: [c('10.9.0.0/24')], remove: [] });
    assert.deepEqual(await h.allRoutesOn('tun0'), [{ cidr: '10.9.0.0/24', proto: '147' }]);
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['10.9.0.0/24']);
  });

  it('routes on another device are untouched', async (h) => {
    await h.createDevice('tun0');
    await h.createDevice('tun1');
    await h.installer.apply('tun1', { add: [c('10.244.5.0/24')], remove: [] });
    await h.addForeignRoute('tun1', '10.9.0.0/24');
    await h.installer.apply('tun0', { add: [c('10.244.1.0/24')], remove: [c('10.244.5.0/24'), c('10.9.0.0/24')] });
    assert.deepEqual(sortedTexts(await h.installer.list('tun0')), ['10.244.1.0/24']);
    assert.deepEqual(sortedTexts(await h.installer.list('tun1')), ['10.244.5.0/24']);
    assert.deepEqual((await h.allRoutesOn('tun1')).sort(byCidr), [
      { cidr: '10.244.5.0/24', proto: '147' },
      { cidr: '10.9.0.0/24', proto: 'boot' },
    ]);
  });

  it('a missing device gives an error naming the device', async (h) => {
    await h.createDevice('tun0');
    await assert.rejects(h.installer.list('nosuch0'), (err: Error) => err.message.includes('nosuch0'));
    await assert.rejects(
      h.installer.apply('nosuch0', { add: [c('10.244.1.0/24')], remove: [] }),
      (err: Error) => err.message.includes('nosuch0'),
    );
    await assert.rejects(
      h.installer.apply('nosuch0', { add: [], remove: [c('10.244.1.0/24')] }),
      (err: Error) => err.message.includes('nosuch0'),
    );
  });

  it('a device name that is not an interface name is refused before anything runs', async (h) => {
    await assert.rejects(h.installer.list('tun0 table 5'), { name: 'InvalidArgumentError' });
    await assert.rejects(h.installer.apply('x\nroute flush', { add: [c('10.244.1.0/24')], remove: [] }), { name: 'InvalidArgumentError' });
    await assert.rejects(h.installer.list('waytoolongname16'), { name: 'InvalidArgumentError' });
  });
}
