// Attaching containers with FakeContainerLinks: addresses and leases (on disk before the
// veth exists, never left behind by a failed attach), detach, restart, reclaiming the
// leases of deleted namespaces, and two attaches at once. Namespaces are plain files in a
// temporary folder: the service only stats them.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { formatIpv4, parseCidr, parseIpv4, type Ipv4Cidr } from '../../../common/cidr.js';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, PoolExhaustedError } from '../../../common/errors.js';
import { MemoryLogger } from '../../../common/logger.js';
import type { ContainerLinkSpec, ContainerLinks } from '../../../node-agent/containers/container-links.js';
import { ContainerService, hostInterfaceFor } from '../../../node-agent/containers/container-service.js';
import { FakeContainerLinks } from '../../../node-agent/containers/fake-container-links.js';
import { loadLeases, type ContainerLease } from '../../../node-agent/containers/lease-file.js';

const SUBNET = parseCidr('10.244.3.0/24');
const MTU = 1422;
const NOW = Date.parse('2026-11-26T06:00:00.000Z');

interface Fixture {
  readonly dir: string;
  readonly netnsDir: string;
  readonly leaseFile: string;
  readonly links: FakeContainerLinks;
  readonly logger: MemoryLogger;
  readonly changes: Array<[number, number]>;
  /** Creates a namespace: a file under netnsDir that the fake knows too. Returns its path. */
  addNamespace(name: string): string;
  /** A service on this fixture's lease file (a second call is an agent restart). */
  service(options?: { subnet?: Ipv4Cidr; links?: ContainerLinks }): ContainerService;
}

function fixture(t: TestContext): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-containers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const netnsDir = join(dir, 'netns');
  mkdirSync(netnsDir);
  const leaseFile = join(dir, 'containers.json');
  const links = new FakeContainerLinks();
  const logger = new MemoryLogger();
  const changes: Array<[number, number]> = [];
  return {
    dir,
    netnsDir,
    leaseFile,
    links,
    logger,
    changes,
    addNamespace(name) {
      const path = join(netnsDir, name);
      writeFileSync(path, '');
      links.namespaces.add(path);
      return path;
    },
    service(options = {}) {
      return new ContainerService({
        leaseFile,
        subnet: options.subnet ?? SUBNET,
        mtu: MTU,
        links: options.links ?? links,
        logger,
        netnsDir,
        now: () => NOW,
        onLeasesChanged: (leased, capacity) => changes.push([leased, capacity]),
      });
    },
  };
}

/** The leases on disk, as [netns, address] pairs. */
function onDisk(f: Fixture): Array<[string, string]> {
  return loadLeases(f.leaseFile).map((l) => [l.netns, formatIpv4(l.address)]);
}

function netnsIdOf(path: string): string {
  const st = statSync(path);
  return `${st.dev}:${st.ino}`;
}

const address = (lease: ContainerLease): string => formatIpv4(lease.address);

test('attach gives the lowest free address: .2, then .3 for a second namespace, and the lease file holds both', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  const web = await service.attach({ netns: 'web' });
  const db = await service.attach({ netns: 'db' });
  assert.equal(address(web.lease), '10.244.3.2');
  assert.equal(address(db.lease), '10.244.3.3');
  assert.deepEqual(onDisk(f), [
    ['web', '10.244.3.2'],
    ['db', '10.244.3.3'],
  ]);
});

test('attach hands the links the whole spec: address, prefix, gateway .1, MTU, eth0 and a tc + 11 hex host side', async (t) => {
  const f = fixture(t);
  const path = f.addNamespace('web');
  const view = await f.service().attach({ netns: 'web' });
  const host = hostInterfaceFor(netnsIdOf(path));
  assert.match(host, /^tc[0-9a-f]{11}$/);
  assert.deepEqual(
    [...f.links.pairs.entries()],
    [[host, { netnsPath: path, ifname: 'eth0', hostInterface: host, address: parseIpv4('10.244.3.2'), prefixLen: 24, gateway: parseIpv4('10.244.3.1'), mtu: MTU }]],
  );
  assert.deepEqual(view, {
    lease: { netns: 'web', netnsId: netnsIdOf(path), ifname: 'eth0', address: parseIpv4('10.244.3.2'), prefixLen: 24, hostInterface: host, containerId: '', attachedAt: NOW },
    gateway: parseIpv4('10.244.3.1'),
    mtu: MTU,
    state: 'attached',
  });
});

test('the lease is on disk before the veth is created', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  const seenAtCreate: Array<Array<[string, string]>> = [];
  const links: ContainerLinks = {
    hasInterface: (netnsPath, ifname) => f.links.hasInterface(netnsPath, ifname),
    create: (spec: ContainerLinkSpec) => {
      seenAtCreate.push(onDisk(f));
      return f.links.create(spec);
    },
    remove: (hostInterface) => f.links.remove(hostInterface),
    existing: (hostInterfaces) => f.links.existing(hostInterfaces),
  };
  await f.service({ links }).attach({ netns: 'web' });
  assert.deepEqual(seenAtCreate, [[['web', '10.244.3.2']]]);
});

test('a given interface name and container id are used and recorded', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  const view = await f.service().attach({ netns: 'web', ifname: 'net1', containerId: 'c0ffee' });
  assert.equal([...f.links.pairs.values()][0]!.ifname, 'net1');
  const [lease] = loadLeases(f.leaseFile);
  assert.equal(lease!.ifname, 'net1');
  assert.equal(lease!.containerId, 'c0ffee');
  assert.equal(view.lease.containerId, 'c0ffee');
});

test('an invalid interface name is refused with InvalidArgumentError', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  await assert.rejects(f.service().attach({ netns: 'web', ifname: 'a-name-far-too-long' }), (err: unknown) => err instanceof InvalidArgumentError && /interface name "a-name-far-too-long" is invalid/.test(err.message));
  assert.equal(f.links.pairs.size, 0);
});

test('a requested address is honoured, and later attaches still get the lowest free one', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  assert.equal(address((await service.attach({ netns: 'web', address: '10.244.3.77' })).lease), '10.244.3.77');
  assert.equal([...f.links.pairs.values()][0]!.address, parseIpv4('10.244.3.77'));
  assert.equal(address((await service.attach({ netns: 'db' })).lease), '10.244.3.2');
});

test('a requested address that is leased is refused naming the holder, and nothing changes', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  await service.attach({ netns: 'web', containerId: 'c0ffee' });
  await assert.rejects(
    service.attach({ netns: 'db', address: '10.244.3.2' }),
    (err: unknown) => err instanceof AlreadyExistsError && /10\.244\.3\.2 is already leased to container c0ffee \(namespace web\)/.test(err.message),
  );
  assert.deepEqual(onDisk(f), [['web', '10.244.3.2']]);
  assert.equal(f.links.pairs.size, 1);
  assert.deepEqual((await service.list()).map((v) => v.lease.netns), ['web']);
});

test('a requested address that is the gateway is refused with InvalidArgumentError', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  await assert.rejects(f.service().attach({ netns: 'web', address: '10.244.3.1' }), (err: unknown) => err instanceof InvalidArgumentError && /10\.244\.3\.1 is the containers' gateway/.test(err.message));
  assert.deepEqual(onDisk(f), []);
});

test('attaching a namespace a second time by name is refused: detach it first', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  const service = f.service();
  await service.attach({ netns: 'web' });
  await assert.rejects(
    service.attach({ netns: 'web' }),
    (err: unknown) => err instanceof AlreadyExistsError && /namespace web is already attached with 10\.244\.3\.2\/24 on eth0; detach it first \(tunctl detach web\)/.test(err.message),
  );
  assert.deepEqual(onDisk(f), [['web', '10.244.3.2']]);
  assert.equal(f.links.pairs.size, 1);
});

test('attaching a namespace a second time by its path under the netns folder is refused the same way', async (t) => {
  const f = fixture(t);
  const path = f.addNamespace('web');
  const service = f.service();
  await service.attach({ netns: 'web' });
  await assert.rejects(service.attach({ netns: path }), (err: unknown) => err instanceof AlreadyExistsError && /namespace web is already attached .* detach it first/.test(err.message));
  assert.deepEqual(onDisk(f), [['web', '10.244.3.2']]);
});

test('a namespace attached by its path under the netns folder is recorded by its name', async (t) => {
  const f = fixture(t);
  const path = f.addNamespace('web');
  const view = await f.service().attach({ netns: path });
  assert.equal(view.lease.netns, 'web');
  assert.equal([...f.links.pairs.values()][0]!.netnsPath, path);
});

test('a namespace outside the netns folder is attached and detached by its absolute path', async (t) => {
  const f = fixture(t);
  const path = join(f.dir, 'pid-4242-net');
  writeFileSync(path, '');
  f.links.namespaces.add(path);
  const service = f.service();
  const view = await service.attach({ netns: path });
  assert.equal(view.lease.netns, path);
  assert.equal([...f.links.pairs.values()][0]!.netnsPath, path);
  await service.detach({ netns: path });
  assert.deepEqual(onDisk(f), []);
  assert.equal(f.links.pairs.size, 0);
});

test('the same namespace under a second name (same inode) is refused', async (t) => {
  const f = fixture(t);
  const path = f.addNamespace('web');
  const second = join(f.netnsDir, 'web-again');
  linkSync(path, second);
  f.links.namespaces.add(second);
  const service = f.service();
  await service.attach({ netns: 'web' });
  await assert.rejects(service.attach({ netns: 'web-again' }), (err: unknown) => err instanceof AlreadyExistsError && /namespace web is already attached/.test(err.message));
  assert.equal(f.links.pairs.size, 1);
});

test('an interface name the namespace already has is refused and no lease is written', async (t) => {
  const f = fixture(t);
  const path = f.addNamespace('web');
  f.links.foreign.add(`${path} eth0`);
  const service = f.service();
  await assert.rejects(service.attach({ netns: 'web' }), (err: unknown) => err instanceof AlreadyExistsError && /the namespace web already has an interface eth0; pass another --ifname/.test(err.message));
  assert.deepEqual(onDisk(f), []);
  assert.deepEqual(f.changes, []);
  assert.equal(f.links.pairs.size, 0);
  // Another interface name is fine.
  assert.equal((await service.attach({ netns: 'web', ifname: 'eth1' })).lease.ifname, 'eth1');
});

test('an unknown namespace is refused with NotFoundError', async (t) => {
  const f = fixture(t);
  await assert.rejects(f.service().attach({ netns: 'nosuch' }), (err: unknown) => err instanceof NotFoundError && /the network namespace nosuch does not exist/.test(err.message));
  assert.deepEqual(onDisk(f), []);
});

test('a relative namespace path is refused with InvalidArgumentError', async (t) => {
  const f = fixture(t);
  await assert.rejects(f.service().attach({ netns: 'netns/web' }), (err: unknown) => err instanceof InvalidArgumentError && /"netns\/web" must be absolute/.test(err.message));
});

test('a bad namespace name, or none, is refused with InvalidArgumentError', async (t) => {
  const f = fixture(t);
  const service = f.service();
  for (const netns of ['-web', 'web server', '..', '']) {
    await assert.rejects(service.attach({ netns }), InvalidArgumentError, JSON.stringify(netns));
  }
});

test('a failure inside links.create propagates and leaves no lease behind', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.links.failNextCreate = 'RTNETLINK answers: Operation not permitted';
  await assert.rejects(f.service().attach({ netns: 'web' }), (err: unknown) => err instanceof FailedPreconditionError && /Operation not permitted/.test(err.message));
  assert.equal(f.links.pairs.size, 0);
  // What an agent started now finds.
  assert.deepEqual(await f.service().list(), []);
  assert.deepEqual(onDisk(f), []);
});

test('after a failed create the same namespace can be attached again and gets the same address', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  const service = f.service();
  f.links.failNextCreate = 'RTNETLINK answers: Operation not permitted';
  await assert.rejects(service.attach({ netns: 'web' }), FailedPreconditionError);
  assert.equal(address((await service.attach({ netns: 'web' })).lease), '10.244.3.2');
  assert.deepEqual(onDisk(f), [['web', '10.244.3.2']]);
});

test('detach by name removes the veth and releases the lease', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  const dbPath = f.addNamespace('db');
  const service = f.service();
  await service.attach({ netns: 'web' });
  await service.attach({ netns: 'db' });
  const view = await service.detach({ netns: 'web' });
  assert.equal(view.lease.netns, 'web');
  assert.deepEqual(onDisk(f), [['db', '10.244.3.3']]);
  assert.deepEqual([...f.links.pairs.keys()], [hostInterfaceFor(netnsIdOf(dbPath))]);
  assert.deepEqual((await service.list()).map((v) => v.lease.netns), ['db']);
});

test('detach by the path of a namespace attached by name works', async (t) => {
  const f = fixture(t);
  const path = f.addNamespace('web');
  const service = f.service();
  await service.attach({ netns: 'web' });
  await service.detach({ netns: path });
  assert.deepEqual(onDisk(f), []);
  assert.equal(f.links.pairs.size, 0);
});

test('detach of a namespace that is not attached is refused with NotFoundError', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  await service.attach({ netns: 'web' });
  for (const netns of ['nosuch', 'db']) {
    await assert.rejects(service.detach({ netns }), (err: unknown) => err instanceof NotFoundError && err.message.includes(`the namespace ${netns} is not attached to this node`), netns);
  }
  assert.deepEqual(onDisk(f), [['web', '10.244.3.2']]);
  assert.equal(f.links.pairs.size, 1);
});

test('detach without a namespace or container id is refused with InvalidArgumentError', async (t) => {
  const f = fixture(t);
  await assert.rejects(f.service().detach({}), InvalidArgumentError);
});

test('detach by container id releases that container', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  await service.attach({ netns: 'web', containerId: 'c0ffee' });
  await service.attach({ netns: 'db', containerId: 'beef' });
  const view = await service.detach({ containerId: 'c0ffee' });
  assert.equal(view.lease.netns, 'web');
  assert.deepEqual(onDisk(f), [['db', '10.244.3.3']]);
  assert.equal(f.links.pairs.size, 1);
  await assert.rejects(service.detach({ containerId: 'c0ffee' }), (err: unknown) => err instanceof NotFoundError && /no container with id c0ffee/.test(err.message));
});

test('an agent restarted on the same lease file sees the leases and hands out another address', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  await f.service().attach({ netns: 'web' });
  const restarted = f.service();
  assert.deepEqual(
    (await restarted.list()).map((v) => [v.lease.netns, address(v.lease), v.state]),
    [['web', '10.244.3.2', 'attached']],
  );
  assert.deepEqual(restarted.usage(), { leased: 1, capacity: 253 });
  assert.equal(address((await restarted.attach({ netns: 'db' })).lease), '10.244.3.3');
  await assert.rejects(restarted.attach({ netns: 'web' }), AlreadyExistsError);
});

test('reclaim releases the lease of a deleted namespace and returns how many went', async (t) => {
  const f = fixture(t);
  const webPath = f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  await service.attach({ netns: 'web' });
  await service.attach({ netns: 'db' });
  f.links.deleteNamespace(webPath);
  assert.equal(await service.reclaim(), 1);
  assert.deepEqual(onDisk(f), [['db', '10.244.3.3']]);
  assert.equal(await service.reclaim(), 0);
});

test('the next attach releases the lease of a deleted namespace and may reuse its address', async (t) => {
  const f = fixture(t);
  const webPath = f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  await service.attach({ netns: 'web' });
  f.links.deleteNamespace(webPath);
  assert.equal(address((await service.attach({ netns: 'db' })).lease), '10.244.3.2');
  assert.deepEqual(onDisk(f), [['db', '10.244.3.2']]);
});

test('list reports attached containers, and gone ones whose veth vanished behind the service', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  const web = await service.attach({ netns: 'web' });
  await service.attach({ netns: 'db' });
  f.links.pairs.delete(web.lease.hostInterface);
  assert.deepEqual(
    (await service.list()).map((v) => [v.lease.netns, v.state]),
    [
      ['web', 'gone'],
      ['db', 'attached'],
    ],
  );
  // Listing does not release anything.
  assert.equal(onDisk(f).length, 2);
});

test('list reports a lease outside the node\'s current subnet as outside, and the agent warns at start', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  await f.service().attach({ netns: 'web' });
  const moved = f.service({ subnet: parseCidr('10.244.9.0/24') });
  const [view] = await moved.list();
  assert.equal(view!.state, 'outside');
  assert.equal(address(view!.lease), '10.244.3.2');
  assert.equal(view!.gateway, parseIpv4('10.244.9.1'));
  assert.ok(
    f.logger.lines.some((line) => line.includes('WARN') && line.includes('container leases outside this node') && line.includes('web=10.244.3.2')),
    f.logger.lines.join('\n'),
  );
});

test('a /30 subnet holds one container; the second attach fails with PoolExhaustedError', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service({ subnet: parseCidr('10.244.3.4/30') });
  assert.equal(address((await service.attach({ netns: 'web' })).lease), '10.244.3.6');
  await assert.rejects(service.attach({ netns: 'db' }), (err: unknown) => err instanceof PoolExhaustedError && /10\.244\.3\.4\/30: all 1 container addresses are leased/.test(err.message));
  assert.deepEqual(onDisk(f), [['web', '10.244.3.6']]);
  assert.equal(f.links.pairs.size, 1);
});

test('attaches started at the same time get different addresses', async (t) => {
  const f = fixture(t);
  const names = ['a', 'b', 'c', 'd', 'e'];
  for (const name of names) f.addNamespace(name);
  const service = f.service();
  const views = await Promise.all(names.map((netns) => service.attach({ netns })));
  const addresses = views.map((v) => address(v.lease)).sort();
  assert.deepEqual(addresses, ['10.244.3.2', '10.244.3.3', '10.244.3.4', '10.244.3.5', '10.244.3.6']);
  assert.equal(loadLeases(f.leaseFile).length, 5);
  assert.equal(new Set([...f.links.pairs.values()].map((s) => s.address)).size, 5);
});

test('a failed attach does not stop the attaches queued behind it', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  const results = await Promise.allSettled([service.attach({ netns: 'nosuch' }), service.attach({ netns: 'web' }), service.attach({ netns: 'db' })]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'fulfilled', 'fulfilled'],
  );
  assert.deepEqual(onDisk(f), [
    ['web', '10.244.3.2'],
    ['db', '10.244.3.3'],
  ]);
});

test('onLeasesChanged gets (leased, capacity) after every attach and detach', async (t) => {
  const f = fixture(t);
  f.addNamespace('web');
  f.addNamespace('db');
  const service = f.service();
  await service.attach({ netns: 'web' });
  assert.deepEqual(f.changes, [[1, 253]]);
  await service.attach({ netns: 'db' });
  await service.detach({ netns: 'web' });
  assert.deepEqual(f.changes, [
    [1, 253],
    [2, 253],
    [1, 253],
  ]);
});
