// The gRPC API over a real socket: every admin call, every error case, the watch stream,
// health and reflection, and an agent surviving a controller restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { createRequire } from 'node:module';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AdminClient } from '../../cli/admin-client.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials } from '../../common/controller-tls.js';
import { MemoryLogger } from '../../common/logger.js';
import { ControllerCallError, ControllerClient, type WatchEvent, type WatchHandle } from '../../node-agent/controller-client.js';
import { AgentRouteTable } from '../../node-agent/route-table.js';
import { runWatchLoop } from '../../node-agent/watch-loop.js';
import type { AddNodeResponse__Output } from '../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { GetNetworkResponse__Output } from '../../proto/gen/tunctl/v1/GetNetworkResponse.js';
import type { GetNodeResponse__Output } from '../../proto/gen/tunctl/v1/GetNodeResponse.js';
import type { ListNodesResponse__Output } from '../../proto/gen/tunctl/v1/ListNodesResponse.js';
import type { ListRoutesResponse__Output } from '../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import type { RemoveNodeResponse__Output } from '../../proto/gen/tunctl/v1/RemoveNodeResponse.js';
import { controllerForSuite, expectStatus, networkInput, startController, type ControllerFixture } from './controller-fixture.js';
import { waitFor } from '../netns/netns.js';


/** Collects watch events, acknowledging each as an agent does. */
function collectWatch(client: ControllerClient, node: string, known: number) {
  const events: WatchEvent[] = [];
  let endError: ControllerCallError | null | undefined;
  const handle: WatchHandle = client.watch(
    node,
    known,
    (e) => {
      events.push(e);
      handle.ack({ appliedRevision: e.revision });
    },
    (err) => (endError = err),
  );
  return { events, handle, ended: () => endError };
}

describe('AdminService over gRPC', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  controllerForSuite((started) => ({ fx, admin } = started));

  test('AddNode allocates the lowest free subnets; Get, List, Routes and Network agree', async () => {
    const a = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'node-a', underlayIp: '192.168.50.1' });
    const b = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'node-b', underlayIp: '192.168.50.2' });
    const pinned = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'node-c', underlayIp: '192.168.50.3', subnet: '10.244.9.0/24' });
    assert.equal(a.node!.subnet, '10.244.0.0/24');
    assert.equal(b.node!.subnet, '10.244.1.0/24');
    assert.equal(pinned.node!.subnet, '10.244.9.0/24');
    assert.equal(b.revision, a.revision + 1);
    assert.ok(a.node!.createdAt!.seconds > 0);

    const got = await admin.call<object, GetNodeResponse__Output>('GetNode', { name: 'node-b' });
    assert.equal(got.node!.underlayIp, '192.168.50.2');
    assert.equal(got.node!.connected, false);

    const list = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
    assert.deepEqual(list.nodes.map((n) => n.name).sort(), ['node-a', 'node-b', 'node-c']);
    assert.equal(list.revision, pinned.revision);

    const routes = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {});
    assert.deepEqual(
      routes.routes.map((r) => `${r.subnet}>${r.underlayIp}>${r.nodeName}`).sort(),
      ['10.244.0.0/24>192.168.50.1>node-a', '10.244.1.0/24>192.168.50.2>node-b', '10.244.9.0/24>192.168.50.3>node-c'],
    );

    const net = await admin.call<object, GetNetworkResponse__Output>('GetNetwork', {});
    assert.equal(net.network!.cidr, '10.244.0.0/16');
    assert.equal(net.network!.subnetLen, 24);
    assert.equal(net.network!.udpPort, 7000);
    assert.equal(net.network!.encapOverhead, 28);
    assert.equal(net.subnetsTotal, 256);
    assert.equal(net.subnetsUsed, 3);

    const removed = await admin.call<object, RemoveNodeResponse__Output>('RemoveNode', { name: 'node-c' });
    assert.equal(removed.node!.subnet, '10.244.9.0/24');
    assert.equal(removed.revision, pinned.revision + 1);
    await expectStatus(admin.call('GetNode', { name: 'node-c' }), grpc.status.NOT_FOUND, /node "node-c" not found/);
  });

  test('invalid arguments are refused with INVALID_ARGUMENT and a message that says what to fix', async () => {
    const cases: Array<[object, RegExp]> = [
      [{ name: '', underlayIp: '192.168.60.1' }, /name is required/],
      [{ name: 'Bad_Name', underlayIp: '192.168.60.1' }, /node name "Bad_Name" is invalid/],
      [{ name: 'x'.repeat(64), underlayIp: '192.168.60.1' }, /is invalid/],
      [{ name: 'n1', underlayIp: '' }, /underlay_ip is required/],
      [{ name: 'n1', underlayIp: '192.168.60' }, /not a valid IPv4 address/],
      [{ name: 'n1', underlayIp: '300.1.1.1' }, /not a valid IPv4 address/],
      [{ name: 'n1', underlayIp: '127.0.0.1' }, /loopback address that other hosts cannot reach/],
      [{ name: 'n1', underlayIp: '10.244.7.7' }, /inside the overlay network 10.244.0.0\/16/],
      [{ name: 'n1', underlayIp: '192.168.60.1', subnet: '10.244.3.0' }, /not a CIDR block/],
      [{ name: 'n1', underlayIp: '192.168.60.1', subnet: '10.244.3.1/24' }, /host bits set; did you mean 10.244.3.0\/24/],
      [{ name: 'n1', underlayIp: '192.168.60.1', subnet: '10.99.0.0/24' }, /outside|not inside|inside the network/],
      [{ name: 'n1', underlayIp: '192.168.60.1', subnet: '10.244.4.0/25' }, /hands out \/24 subnets/],
    ];
    for (const [request, pattern] of cases) {
      await expectStatus(admin.call('AddNode', request), grpc.status.INVALID_ARGUMENT, pattern);
    }
    await expectStatus(admin.call('GetNode', { name: 'NOPE!' }), grpc.status.INVALID_ARGUMENT, /is invalid/);
    await expectStatus(admin.call('RemoveNode', { name: '' }), grpc.status.INVALID_ARGUMENT, /name is required/);
    const list = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
    assert.ok(!list.nodes.some((n) => n.name === 'n1'), 'a refused add left nothing behind');
  });

  test('duplicates are refused with ALREADY_EXISTS naming the conflicting node', async () => {
    await admin.call('AddNode', { name: 'dup-a', underlayIp: '192.168.61.1', subnet: '10.244.200.0/24' });
    await expectStatus(admin.call('AddNode', { name: 'dup-a', underlayIp: '192.168.61.9' }), grpc.status.ALREADY_EXISTS, /node "dup-a" already exists/);
    await expectStatus(admin.call('AddNode', { name: 'dup-b', underlayIp: '192.168.61.1' }), grpc.status.ALREADY_EXISTS, /192\.168\.61\.1.*"dup-a"/);
    await expectStatus(
      admin.call('AddNode', { name: 'dup-c', underlayIp: '192.168.61.3', subnet: '10.244.200.0/24' }),
      grpc.status.ALREADY_EXISTS,
      /10\.244\.200\.0\/24.*"dup-a"/,
    );
  });

  test('unknown nodes give NOT_FOUND on every call that names one', async () => {
    await expectStatus(admin.call('GetNode', { name: 'ghost' }), grpc.status.NOT_FOUND, /"ghost" not found/);
    await expectStatus(admin.call('RemoveNode', { name: 'ghost' }), grpc.status.NOT_FOUND, /"ghost" not found/);
  });

  test('200 simultaneous AddNode calls get 200 distinct subnets', async () => {
    const fx2 = await startController({ network: networkInput('10.50.0.0/16', 24) });
    const client = await fx2.admin();
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          client.call<object, AddNodeResponse__Output>('AddNode', { name: `bulk-${i}`, underlayIp: `192.168.${100 + (i >> 8)}.${(i & 255) + 1}` }),
        ),
      );
      assert.equal(new Set(results.map((r) => r.node!.subnet)).size, 200);
      assert.equal(new Set(results.map((r) => r.revision)).size, 200);
      const list = await client.call<object, ListNodesResponse__Output>('ListNodes', {});
      assert.equal(list.nodes.length, 200);
    } finally {
      client.close();
      await fx2.dispose();
    }
  });

  test('a full pool gives RESOURCE_EXHAUSTED and says so', async () => {
    const fx2 = await startController({ network: networkInput('10.60.0.0/23', 24) });
    const client = await fx2.admin();
    try {
      await client.call('AddNode', { name: 'p1', underlayIp: '192.168.70.1' });
      await client.call('AddNode', { name: 'p2', underlayIp: '192.168.70.2' });
      await expectStatus(client.call('AddNode', { name: 'p3', underlayIp: '192.168.70.3' }), grpc.status.RESOURCE_EXHAUSTED, /no free subnet/);
      const list = await client.call<object, ListNodesResponse__Output>('ListNodes', {});
      assert.equal(list.nodes.length, 2);
    } finally {
      client.close();
      await fx2.dispose();
    }
  });

  test('health service reports SERVING; reflection lists the tunctl services', async () => {
    const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    const tls = controllerChannelCredentials(fx.controller.ca.certificatePem);
    const health = new HealthClient(fx.address, tls, CONTROLLER_CHANNEL_OPTIONS) as unknown as {
      Check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void;
      close(): void;
    };
    for (const service of ['', 'tunctl.v1.AdminService', 'tunctl.v1.AgentService']) {
      const res = await new Promise<{ status: string }>((resolve, reject) => health.Check({ service }, (err, r) => (err ? reject(err) : resolve(r))));
      assert.equal(res.status, 'SERVING', `health of "${service}"`);
    }
    health.close();

    const require = createRequire(import.meta.url);
    const reflectionProto = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
    const def = protoLoader.loadSync(reflectionProto, { keepCase: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (addr: string, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions) => grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse> } } } };
    };
    interface ReflectionResponse {
      list_services_response?: { service: { name: string }[] };
      file_descriptor_response?: { file_descriptor_proto: Buffer[] };
      error_response?: { error_message: string };
    }
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(fx.address, tls, CONTROLLER_CHANNEL_OPTIONS);
    const ask = (request: object) =>
      new Promise<ReflectionResponse>((resolve, reject) => {
        const stream = reflection.ServerReflectionInfo();
        stream.on('data', (res) => {
          resolve(res);
          stream.end();
        });
        stream.on('error', reject);
        stream.write(request);
      });
    const names = ((await ask({ list_services: '' })).list_services_response?.service ?? []).map((s) => s.name);
    assert.ok(names.includes('tunctl.v1.AdminService'), names.join(','));
    assert.ok(names.includes('tunctl.v1.AgentService'), names.join(','));
    // What grpcurl asks next: the file that defines a service, to build requests from it.
    const files = await ask({ file_containing_symbol: 'tunctl.v1.AdminService' });
    const descriptors = files.file_descriptor_response?.file_descriptor_proto ?? [];
    assert.ok(descriptors.length >= 1, JSON.stringify(files.error_response));
    assert.ok(descriptors.some((d) => d.includes('AddNodeRequest') && d.includes('underlay_ip')), 'the descriptor of tunctl.proto came back, with its field names as written');
    reflection.close();
  });
});

describe('AgentService over gRPC', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  let agent: ControllerClient;
  before(async () => {
    fx = await startController({ heartbeatIntervalMs: 200 });
    admin = await fx.admin();
    await admin.call('AddNode', { name: 'h1', underlayIp: '192.168.80.1' });
    agent = fx.agentClient(await fx.join(admin, 'h1'));
  });
  after(async () => {
    agent.close();
    admin.close();
    await fx.dispose();
  });

  test('Register returns the subnet, network, MTU and port; refuses other nodes and wrong addresses', async () => {
    const reg = await agent.register('h1', '192.168.80.1', 1500, 'test');
    assert.equal(reg.subnet.prefixLen, 24);
    assert.equal(reg.tunMtu, 1472);
    assert.equal(reg.udpPort, 7000);
    assert.equal(reg.heartbeatIntervalMs, 200);
    const withoutIp = await agent.register('h1', '', 9000, 'test');
    assert.equal(withoutIp.tunMtu, 8972);
    const jumbo = await agent.register('h1', '', 65535, 'test');
    assert.equal(jumbo.tunMtu, 65507, 'capped at the largest UDP payload');
    const node = await admin.call<object, GetNodeResponse__Output>('GetNode', { name: 'h1' });
    assert.equal(node.node!.agentVersion, 'test');
    assert.ok(node.node!.lastRegisteredAt);

    await expectStatus(agent.register('nobody', '192.168.80.9', 1500, 'test'), grpc.status.PERMISSION_DENIED, /certificate is for node "h1"; it cannot act as node "nobody"/);
    const byName = await agent.register('', '', 1500, 'test');
    assert.equal(byName.nodeName, 'h1', 'an empty node_name means the node the certificate names');
    await expectStatus(agent.register('h1', '192.168.80.77', 1500, 'test'), grpc.status.FAILED_PRECONDITION, /added with underlay address 192\.168\.80\.1 but this agent uses 192\.168\.80\.77/);
    await expectStatus(agent.register('h1', '192.168.80.1', 300, 'test'), grpc.status.FAILED_PRECONDITION, /MTU/);
    await expectStatus(agent.register('BAD', '192.168.80.1', 1500, 'test'), grpc.status.INVALID_ARGUMENT, /invalid/);
    await expectStatus(agent.register('h1', '192.168.80.1', 70_000, 'test'), grpc.status.INVALID_ARGUMENT, /underlay_mtu 70000 is too large/);
    await expectStatus(agent.register('h1', '192.168.80.1', 1500, 'v'.repeat(65)), grpc.status.INVALID_ARGUMENT, /agent_version must be at most 64/);
    await expectStatus(agent.register('h1', '192.168.80.1', 1500, '1.0\u001b[2J'), grpc.status.INVALID_ARGUMENT, /printable/);
    const stored = await admin.call<object, GetNodeResponse__Output>('GetNode', { name: 'h1' });
    assert.equal(stored.node!.agentVersion, 'test', 'a refused registration stored nothing');
  });

  test('Watch of another node is refused with PERMISSION_DENIED', async () => {
    const w = collectWatch(agent, 'nobody', 0);
    await waitFor('watch to end', () => w.ended() !== undefined);
    assert.equal(w.ended()!.code, grpc.status.PERMISSION_DENIED);
    assert.match(w.ended()!.message, /cannot act as node "nobody"/);
  });

  test('Watch sends a snapshot, then a delta per change made apart, then heartbeats; resume skips the snapshot', async () => {
    const w = collectWatch(agent, 'h1', 0);
    await waitFor('snapshot', () => w.events.length >= 1);
    const snap = w.events[0]!;
    assert.equal(snap.kind, 'snapshot');
    assert.ok(snap.kind === 'snapshot' && snap.routes.some((r) => r.nodeName === 'h1'));
    const base = snap.revision;

    const added = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'h2', underlayIp: '192.168.80.2' });
    await waitFor('the first delta', () => w.events.some((e) => e.kind === 'delta'));
    const removed = await admin.call<object, RemoveNodeResponse__Output>('RemoveNode', { name: 'h2' });
    await waitFor('two deltas', () => w.events.filter((e) => e.kind === 'delta').length >= 2);
    const deltas = w.events.filter((e) => e.kind === 'delta');
    assert.deepEqual(
      deltas.map((d) => d.kind === 'delta' && [d.baseRevision, d.revision, d.changes.length, d.changes[0]!.op, d.changes[0]!.route.nodeName]),
      [
        [base, added.revision, 1, 'add', 'h2'],
        [added.revision, removed.revision, 1, 'remove', 'h2'],
      ],
    );
    await waitFor('a heartbeat', () => w.events.some((e) => e.kind === 'heartbeat'), 3000);
    const hb = w.events.find((e) => e.kind === 'heartbeat')!;
    assert.equal(hb.revision, removed.revision);
    const listed = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
    assert.equal(listed.nodes.find((n) => n.name === 'h1')!.connected, true);
    w.handle.cancel();

    // Resume from the revision before the removal: only the removal comes back.
    const r = collectWatch(agent, 'h1', added.revision);
    await waitFor('resumed delta', () => r.events.length >= 1);
    assert.equal(r.events[0]!.kind, 'delta');
    assert.equal(r.events[0]!.revision, removed.revision);
    r.handle.cancel();
  });

  test('a second watch for the same node supersedes the first; removing the node ends its watch', async () => {
    await admin.call('AddNode', { name: 'h3', underlayIp: '192.168.80.3' });
    const h3 = await fx.join(admin, 'h3');
    const one = fx.agentClient(h3);
    const first = collectWatch(one, 'h3', 0);
    await waitFor('first snapshot', () => first.events.length >= 1);
    const other = fx.agentClient(h3);
    const second = collectWatch(other, 'h3', 0);
    await waitFor('first superseded', () => first.ended() !== undefined);
    assert.equal(first.ended()!.code, grpc.status.ABORTED);
    await waitFor('second snapshot', () => second.events.length >= 1);
    await admin.call('RemoveNode', { name: 'h3' });
    await waitFor('second ended', () => second.ended() !== undefined);
    assert.equal(second.ended()!.code, grpc.status.NOT_FOUND);
    assert.match(second.ended()!.message, /removed/);
    other.close();
    one.close();
  });
});

test('an agent reconnects after a controller restart on the same database, with no subnet changed', async () => {
  const fx = await startController({ heartbeatIntervalMs: 200 });
  let admin = await fx.admin();
  await admin.call('AddNode', { name: 'r1', underlayIp: '192.168.90.1' });
  const client = fx.agentClient(await fx.join(admin, 'r1'));
  const stop = new AbortController();
  try {
    await admin.call('AddNode', { name: 'r2', underlayIp: '192.168.90.2' });
    const before = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
    const table = new AgentRouteTable();
    let changes = 0;
    const loop = runWatchLoop({
      source: client,
      nodeName: 'r1',
      table,
      heartbeatIntervalMs: () => 200,
      onTableChanged: () => changes++,
      beforeReconnect: async () => void (await client.register('r1', '192.168.90.1', 1500, 'test')),
      logger: new MemoryLogger(),
      signal: stop.signal,
    });
    await waitFor('initial table', () => table.size === 2);

    await fx.stop();
    admin.close();
    await fx.restart();
    admin = await fx.admin();
    const after = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
    assert.deepEqual(
      after.nodes.map((n) => [n.name, n.subnet]),
      before.nodes.map((n) => [n.name, n.subnet]),
      'subnets survive the restart',
    );
    await admin.call('AddNode', { name: 'r3', underlayIp: '192.168.90.3' });
    await waitFor('the agent resynchronised and saw the new node', () => table.size === 3 && table.routes().some((r) => r.nodeName === 'r3'), 15_000);
    const latest = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {});
    assert.equal(table.revision, latest.revision);
    assert.ok(changes >= 2);
    stop.abort();
    await loop;
  } finally {
    stop.abort();
    client.close();
    admin.close();
    await fx.dispose();
  }
});

test('a controller restored from an older backup: an agent that followed the lost history gets a snapshot, not a mixed table', async () => {
  const fx = await startController({ heartbeatIntervalMs: 200 });
  let admin = await fx.admin();
  const backup = mkdtempSync(join(tmpdir(), 'tunctl-backup-'));
  const client = fx.agentClient(await (async () => {
    await admin.call('AddNode', { name: 'b1', underlayIp: '192.168.92.1' });
    await admin.call('AddNode', { name: 'b2', underlayIp: '192.168.92.2' });
    return fx.join(admin, 'b1');
  })());
  const logger = new MemoryLogger();
  const table = new AgentRouteTable();
  const follow = () => {
    const stop = new AbortController();
    const loop = runWatchLoop({
      source: client,
      nodeName: 'b1',
      table,
      heartbeatIntervalMs: () => 200,
      onTableChanged: () => undefined,
      beforeReconnect: async () => void (await client.register('b1', '192.168.92.1', 1500, 'test')),
      logger,
      signal: stop.signal,
    });
    return async () => {
      stop.abort();
      await loop;
    };
  };
  const restartWith = async (copyFrom?: string) => {
    admin.close();
    await fx.stop();
    // The backup, as the README says: the data directory of a stopped controller.
    if (copyFrom) cpSync(copyFrom, fx.dataDir, { recursive: true, filter: (src) => !src.endsWith('.sock') });
    await fx.restart();
    admin = await fx.admin();
  };
  try {
    await restartWith();
    cpSync(fx.dataDir, backup, { recursive: true, filter: (src) => !src.endsWith('.sock') });
    await restartWith(); // the backup was taken with the controller stopped
    // After the backup: b3 joins the table, and the agent follows to that revision.
    await admin.call('AddNode', { name: 'b3', underlayIp: '192.168.92.3' });
    const revisionWithB3 = (await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {})).revision;
    let stopFollowing = follow();
    await waitFor('the agent holds b3', () => table.routes().some((r) => r.nodeName === 'b3'), 15_000);
    await stopFollowing();

    // The disk is lost; the backup comes back, and the cluster moves on without b3: b4 takes
    // the same revision number b3 had.
    await restartWith(backup);
    await admin.call('AddNode', { name: 'b4', underlayIp: '192.168.92.4' });
    const restored = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {});
    assert.equal(restored.revision, revisionWithB3, 'the same revision number, another table');
    assert.equal(table.revision, revisionWithB3);

    stopFollowing = follow();
    await waitFor('the agent holds the restored controller\'s table', () => table.routes().map((r) => r.nodeName).join(',') === 'b1,b2,b4', 15_000);
    assert.ok(logger.lines.some((l) => /history is not the one we followed/.test(l)), logger.lines.join('\n'));
    await stopFollowing();
  } finally {
    client.close();
    admin.close();
    await fx.dispose();
    rmSync(backup, { recursive: true, force: true });
  }
});

test('the changelog is compacted; an agent behind the retained changes gets a snapshot, one inside them only deltas', async () => {
  const fx = await startController({ changelogRetention: 2 });
  const admin = await fx.admin();
  for (let i = 1; i <= 5; i++) await admin.call('AddNode', { name: `c${i}`, underlayIp: `192.168.91.${i}` });
  const client = fx.agentClient(await fx.join(admin, 'c1'));
  try {
    await fx.stop();
    await fx.restart(); // compacts at start: revisions 4 and 5 remain
    assert.equal(fx.controller.store.changesSince(1), null);
    const old = collectWatch(client, 'c1', 1);
    await waitFor('snapshot for the far-behind agent', () => old.events.length >= 1);
    assert.equal(old.events[0]!.kind, 'snapshot');
    assert.equal(old.events[0]!.revision, 5);
    old.handle.cancel();
    const recent = collectWatch(client, 'c1', 4);
    await waitFor('delta for the recent agent', () => recent.events.length >= 1);
    assert.deepEqual([recent.events[0]!.kind, recent.events[0]!.revision], ['delta', 5]);
    recent.handle.cancel();
  } finally {
    client.close();
    admin.close();
    await fx.dispose();
  }
});
