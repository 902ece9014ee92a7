// The agent's start-up and shutdown ordering, and its stored state (static stability), over
// a scripted controller, the in-memory route installer and a fake data path.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { parseCidr, parseIpv4 } from '../../common/cidr.js';
import { MemoryLogger } from '../../common/logger.js';
import { runAgent, type AgentDataplane, type AgentDeps, type AgentOptions } from '../../node-agent/agent.js';
import { FakeContainerLinks } from '../../node-agent/containers/fake-container-links.js';
import { callAgent } from '../../cli/agent-client.js';
import { ControllerCallError, type RegisterOptions, type Registration } from '../../node-agent/controller-client.js';
import { snapshotCounters, createCounters } from '../../node-agent/dataplane/counters.js';
import type { DataplaneOptions, PeerRoute, PeerTraffic } from '../../node-agent/dataplane/dataplane.js';
import type { AgentStatus } from '../../node-agent/status/agent-status.js';
import { statusFromProto } from '../../node-agent/status/status-proto.js';
import type { GetStatusResponse__Output } from '../../proto/gen/tunctl/v1/GetStatusResponse.js';
import { FakeRouteInstaller } from '../../node-agent/routes/fake-route-installer.js';
import { serializeAgentState, STATE_FILE, type AgentState } from '../../node-agent/state/agent-state.js';
import { loadAgentState } from '../../node-agent/state/state-store.js';
import { waitFor } from '../netns/netns.js';
import { FakeController, unavailable } from './fixtures/fake-controller.js';

const registration: Registration = {
  nodeName: 'h1',
  underlayIp: parseIpv4('192.168.77.1'),
  subnet: parseCidr('10.244.1.0/24'),
  network: parseCidr('10.244.0.0/16'),
  udpPort: 7000,
  encapOverhead: 28,
  tunMtu: 1472,
  heartbeatIntervalMs: 60_000,
  clusterId: 'c1',
};

const h1 = { nodeName: 'h1', subnet: registration.subnet, underlayIp: registration.underlayIp };
const h2 = { nodeName: 'h2', subnet: parseCidr('10.244.2.0/24'), underlayIp: parseIpv4('192.168.77.2') };
const h3 = { nodeName: 'h3', subnet: parseCidr('10.244.3.0/24'), underlayIp: parseIpv4('192.168.77.3') };

/** What an agent that ran before, at revision 7, left in its state dir. */
const storedState: AgentState = { registration, table: { revision: 7, clusterId: 'c1', routes: [h1, h2] }, savedAt: Date.now() - 90_000 };

interface Harness {
  readonly deps: AgentDeps;
  readonly options: AgentOptions;
  readonly host: FakeRouteInstaller;
  readonly logger: MemoryLogger;
  readonly dataplanes: { opened: number; closed: number; options: DataplaneOptions[]; peers: PeerRoute[][]; traffic: PeerTraffic[] };
}

function harness(t: TestContext, client: FakeController, open?: (opts: DataplaneOptions) => Promise<AgentDataplane>): Harness {
  const stateDir = mkdtempSync(join(tmpdir(), 'tunctl-agent-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const host = new FakeRouteInstaller();
  host.addDevice('eth0');
  host.addAddress('eth0', registration.underlayIp);
  const logger = new MemoryLogger();
  const dataplanes = { opened: 0, closed: 0, options: [] as DataplaneOptions[], peers: [] as PeerRoute[][], traffic: [] as PeerTraffic[] };
  const fakeDataplane = async (opts: DataplaneOptions): Promise<AgentDataplane> => {
    dataplanes.opened++;
    dataplanes.options.push(opts);
    host.addDevice(opts.tunName);
    const counters = createCounters();
    return {
      tunName: opts.tunName,
      setPeers: (peers) => void dataplanes.peers.push([...peers]),
      stats: () => snapshotCounters(counters),
      peerTraffic: () => dataplanes.traffic,
      close: async () => {
        dataplanes.closed++;
        host.deleteDevice(opts.tunName);
      },
    };
  };
  const deps: AgentDeps = {
    client,
    host,
    openDataplane: open ?? fakeDataplane,
    checkTun: async () => ({ available: true, hint: '' }),
    checkForwarding: async () => ({ enabled: true, hint: '' }),
    containerLinks: new FakeContainerLinks(),
    logger,
  };
  const options: AgentOptions = { nodeName: 'h1', underlayIp: '192.168.77.1', tunName: 'tun0', stateDir, routeCheckIntervalMs: 60_000, statsIntervalMs: 60_000 };
  return { deps, options, host, logger, dataplanes };
}

test('SIGTERM while the registration call is pending cancels it and ends the agent without opening the data path', { timeout: 10_000 }, async (t) => {
  const client = new FakeController('hang');
  const h = harness(t, client);
  const stop = new AbortController();
  const agent = runAgent(h.options, h.deps, stop.signal);
  await waitFor('the registration call', () => client.registerCalls > 0, 5000, 5);
  stop.abort();
  await agent;
  assert.equal(h.dataplanes.opened, 0);
  assert.ok(client.closed, 'the controller client is closed');
});

test('a registration answered just after SIGTERM does not start the agent', { timeout: 10_000 }, async (t) => {
  const stop = new AbortController();
  // The answer was already on its way when the signal came.
  const client = new (class extends FakeController {
    override register(name: string, ip: string, mtu: number, version: string, options?: RegisterOptions): Promise<Registration> {
      stop.abort();
      return super.register(name, ip, mtu, version, options);
    }
  })(registration);
  const h = harness(t, client);
  await runAgent(h.options, h.deps, stop.signal);
  assert.equal(h.dataplanes.opened, 0);
  assert.ok(client.closed);
});

test('an agent whose node is removed stops with the controller\'s message and removes its routes and device', { timeout: 10_000 }, async (t) => {
  const notFound = new ControllerCallError(grpc.status.NOT_FOUND, 'node "h1" is not known to the controller; add it first with `tunctl add-node h1 --underlay-ip <addr>`');
  const client = new FakeController(registration, notFound);
  const h = harness(t, client);
  const agent = runAgent(h.options, h.deps, new AbortController().signal);
  const stream = await client.stream(0);
  stream.send({ kind: 'snapshot', revision: 2, routes: [h1, h2], clusterId: 'c1' });
  await waitFor('the route to h2', async () => (await h.host.list('tun0')).length === 1, 5000, 5);
  stream.end(new ControllerCallError(grpc.status.NOT_FOUND, 'node h1 was removed'));
  await assert.rejects(agent, /the controller refused this agent: node "h1" is not known to the controller; add it first with `tunctl add-node h1/);
  assert.equal(h.host.link('tun0'), undefined, 'device gone');
  assert.deepEqual(h.host.allRoutes(), [], 'no route left');
  assert.ok(client.closed);
});

test('a data path that fails while starting ends the agent with its error, cleaned up', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(registration);
  let closed = 0;
  const h = harness(t, client, async (opts) => {
    opts.onFailure?.(new Error('dataplane worker for queue 0 stopped unexpectedly (exit code 1)'));
    return { tunName: 'tun0', setPeers: () => undefined, stats: () => snapshotCounters(createCounters()), peerTraffic: () => [], close: async () => void closed++ };
  });
  h.host.addDevice('tun0');
  await assert.rejects(runAgent(h.options, h.deps, new AbortController().signal), /worker for queue 0 stopped unexpectedly/);
  assert.equal(closed, 1);
  assert.equal(client.streams.length, 0, 'never watched');
  assert.ok(client.closed);
});

test('a data path that cannot open (port in use) ends the agent and closes the controller client', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(registration);
  const h = harness(t, client, async () => {
    throw new Error('UDP port 7000 on 192.168.77.1 is already in use: stop the other process using it or configure another port (bind: EADDRINUSE)');
  });
  await assert.rejects(runAgent(h.options, h.deps, new AbortController().signal), /already in use/);
  assert.ok(client.closed, 'the gRPC channel does not outlive the agent');
});

function storeState(h: Harness, state: AgentState): void {
  writeFileSync(join(h.options.stateDir, STATE_FILE), serializeAgentState(state));
}

const routesOn = async (h: Harness, dev: string) => (await h.host.list(dev)).map((c) => c.base);

test('controller unreachable at start: the agent comes up from its stored state, then resumes from the stored revision when the controller answers', { timeout: 15_000 }, async (t) => {
  const client = new FakeController(unavailable());
  const h = harness(t, client);
  storeState(h, storedState);
  const stop = new AbortController();
  const startedAt = Date.now();
  const agent = runAgent(h.options, h.deps, stop.signal);
  await waitFor('the stored route to h2', async () => (await routesOn(h, 'tun0')).includes(h2.subnet.base), 5000, 5);
  const upAfter = Date.now() - startedAt;
  assert.ok(upAfter < 2000, `forwarding with stored routes ${upAfter} ms after start`);
  const opened = h.dataplanes.options[0]!;
  assert.deepEqual([opened.localSubnet, opened.udpPort, opened.mtu, opened.localUnderlayIp], [registration.subnet, 7000, 1472, registration.underlayIp]);
  assert.deepEqual(h.dataplanes.peers.at(-1)?.map((p) => p.nodeName), ['h2'], 'the data path has the stored peers, not our own subnet');
  assert.ok(
    h.logger.lines.some((l) => /WARN.*running from the stored state.*revision=7.*routes=2.*state_age_s=(8[5-9]|9\d)/.test(l)),
    h.logger.lines.join('\n'),
  );
  assert.ok(client.streams.length > 0 && client.streams.every((s) => s.register && !s.registered && s.acks.length === 0), 'each attempt registers on its stream, and none got through');

  client.then(registration);
  await waitFor('a stream whose registration is answered', () => client.streams.some((s) => s.registered), 5000, 5);
  const stream = client.streams.find((s) => s.registered)!;
  assert.equal(stream.knownRevision, 7, 'resumes from the stored revision');
  assert.equal(stream.clusterId, 'c1');
  assert.ok(h.logger.lines.some((l) => /controller answers again/.test(l)), h.logger.lines.join('\n'));
  stream.send({ kind: 'delta', baseRevision: 7, revision: 9, changes: [{ op: 'add', route: h3 }], clusterId: 'c1' });
  assert.deepEqual(stream.acks, [{ appliedRevision: 9 }]);
  await waitFor('the route to h3', async () => (await routesOn(h, 'tun0')).includes(h3.subnet.base), 5000, 5);
  await waitFor('revision 9 on disk', () => loadAgentState(h.options.stateDir, h.logger)?.table?.revision === 9, 5000, 10);

  stop.abort();
  await agent;
  const saved = loadAgentState(h.options.stateDir, h.logger);
  assert.deepEqual(saved?.table?.routes.map((r) => r.nodeName), ['h1', 'h2', 'h3']);
  assert.deepEqual(saved?.registration, registration);
  assert.equal(h.host.link('tun0'), undefined, 'device gone after shutdown');
});

test('controller reachable at start: the stored routes are installed at once and the stream resumes from the stored revision', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(registration);
  const h = harness(t, client);
  storeState(h, storedState);
  const stop = new AbortController();
  const startedAt = Date.now();
  const agent = runAgent(h.options, h.deps, stop.signal);
  const stream = await client.stream(0);
  assert.equal(stream.knownRevision, 7);
  assert.deepEqual(await routesOn(h, 'tun0'), [h2.subnet.base], 'installed before the controller sent anything');
  assert.ok(Date.now() - startedAt < 2000, `${Date.now() - startedAt} ms`);
  assert.equal(client.registerCalls, 1, 'no registration again before the first stream');
  stream.send({ kind: 'heartbeat', revision: 7, clusterId: 'c1' });
  assert.deepEqual(stream.acks, [{ appliedRevision: 7 }]);
  stop.abort();
  await agent;
});

test('a controller answering with another subnet than the stored state the agent runs with ends the agent; the state file takes the answer for the restart', { timeout: 15_000 }, async (t) => {
  const moved: Registration = { ...registration, subnet: parseCidr('10.244.9.0/24') };
  const client = new FakeController(unavailable(), moved);
  const h = harness(t, client);
  storeState(h, storedState);
  const agent = runAgent(h.options, h.deps, new AbortController().signal);
  await assert.rejects(agent, /differs from the one this agent runs with \(subnet 10\.244\.9\.0\/24 instead of 10\.244\.1\.0\/24\); exiting/);
  assert.deepEqual(h.dataplanes.options[0]?.localSubnet, registration.subnet, 'it had started from the stored state');
  const saved = loadAgentState(h.options.stateDir, h.logger);
  assert.deepEqual(saved?.registration.subnet, moved.subnet);
  assert.equal(saved?.table?.revision, 7, 'the cluster\'s routes are kept: same cluster');
  assert.equal(h.host.link('tun0'), undefined, 'device gone');
  assert.deepEqual(h.host.allRoutes(), [], 'no route left');
  const last = client.streams.at(-1)!;
  assert.ok(last.registered && last.cancelled && last.acks.length === 0, 'the stream that answered with the other subnet was dropped at once, nothing acknowledged');
});

test('a stored state that no longer matches a reachable controller is dropped before the data path opens', { timeout: 10_000 }, async (t) => {
  const moved: Registration = { ...registration, subnet: parseCidr('10.244.9.0/24') };
  const client = new FakeController(moved);
  const h = harness(t, client);
  storeState(h, storedState);
  const stop = new AbortController();
  const agent = runAgent(h.options, h.deps, stop.signal);
  const stream = await client.stream(0);
  assert.deepEqual(h.dataplanes.options.map((o) => o.localSubnet), [moved.subnet]);
  assert.ok(h.logger.lines.some((l) => /no longer matches the controller.*subnet 10\.244\.9\.0\/24 instead of 10\.244\.1\.0\/24/.test(l)), h.logger.lines.join('\n'));
  assert.equal(stream.knownRevision, 7, 'the cluster routes still resume');
  stop.abort();
  await agent;
  assert.deepEqual(loadAgentState(h.options.stateDir, h.logger)?.registration.subnet, moved.subnet);
});

test('a damaged state file is ignored with a warning; the agent registers as on a first start and writes a good one', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(registration);
  const h = harness(t, client);
  writeFileSync(join(h.options.stateDir, STATE_FILE), serializeAgentState(storedState).slice(0, 200));
  const stop = new AbortController();
  const agent = runAgent(h.options, h.deps, stop.signal);
  const stream = await client.stream(0);
  assert.equal(stream.knownRevision, 0);
  assert.ok(h.logger.lines.some((l) => /WARN.*stored agent state is damaged/.test(l)), h.logger.lines.join('\n'));
  assert.deepEqual(await routesOn(h, 'tun0'), [], 'nothing from the damaged file');
  stream.send({ kind: 'snapshot', revision: 3, routes: [h1, h2, h3], clusterId: 'c1' });
  await waitFor('revision 3 on disk', () => loadAgentState(h.options.stateDir, h.logger)?.table?.revision === 3, 5000, 10);
  stop.abort();
  await agent;
});

test('a node the controller no longer knows ends the agent and loses its stored state', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(new ControllerCallError(grpc.status.NOT_FOUND, 'node "h1" is not known to the controller'));
  const h = harness(t, client);
  storeState(h, storedState);
  await assert.rejects(runAgent(h.options, h.deps, new AbortController().signal), /not known to the controller/);
  assert.equal(existsSync(join(h.options.stateDir, STATE_FILE)), false);
  assert.equal(h.dataplanes.opened, 0);
});

test('the agent serves attach on its local socket (mode 0600) and reports how full its subnet is, at start and after each change', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(registration);
  const h = harness(t, client);
  const socketPath = join(h.options.stateDir, 'agent.sock');
  const stop = new AbortController();
  const agent = runAgent({ ...h.options, socketPath }, h.deps, stop.signal);
  t.after(() => stop.abort());
  await waitFor('the local socket', () => existsSync(socketPath), 5000, 5);
  assert.equal(statSync(socketPath).mode & 0o777, 0o600, 'only root may attach');
  await waitFor('the first usage report', () => client.usageReports.length > 0, 5000, 5);
  assert.deepEqual(client.usageReports[0], { leased: 0, capacity: 253 });

  // A namespace file: the service only needs one that exists; the fake links stand in for the kernel.
  const netns = join(h.options.stateDir, 'ns-a');
  writeFileSync(netns, '');
  (h.deps.containerLinks as FakeContainerLinks).namespaces.add(netns);
  const res = await callAgent<object, { container: { address: string; gateway: string } }>(socketPath, 'Attach', { netns });
  assert.equal(res.container.address, '10.244.1.2/24');
  assert.equal(res.container.gateway, '10.244.1.1');
  await waitFor('the report after attach', () => client.usageReports.length > 1, 5000, 5);
  assert.deepEqual(client.usageReports.at(-1), { leased: 1, capacity: 253 });
  await assert.rejects(callAgent(socketPath, 'Attach', { netns }), (err: Error & { code?: number }) => err.code === grpc.status.ALREADY_EXISTS && /already attached/.test(err.message));

  stop.abort();
  await agent;
  assert.equal(existsSync(socketPath), false, 'the socket is removed when the agent stops');
});

test('unreadable container leases refuse attach with the reason, and the data path still comes up', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(registration);
  const h = harness(t, client);
  writeFileSync(join(h.options.stateDir, 'containers.json'), '{"version": 1, "leases": [');
  const socketPath = join(h.options.stateDir, 'agent.sock');
  const stop = new AbortController();
  const agent = runAgent({ ...h.options, socketPath }, h.deps, stop.signal);
  t.after(() => stop.abort());
  await waitFor('the local socket', () => existsSync(socketPath), 5000, 5);
  assert.equal(h.dataplanes.opened, 1, 'forwarding does not wait for the leases');
  await assert.rejects(
    callAgent(socketPath, 'ListContainers', {}),
    (err: Error & { code?: number }) => err.code === grpc.status.FAILED_PRECONDITION && /containers\.json are unreadable .*fix the file or move it away/.test(err.message),
  );
  assert.ok(h.logger.lines.some((l) => l.includes('containers cannot be attached or detached until the lease file is fixed')));
  stop.abort();
  await agent;
});

test('status: the local socket answers GetStatus with the subnet, the controller connection, the revision, route sync and each peer\'s traffic', { timeout: 10_000 }, async (t) => {
  const client = new FakeController(registration);
  const h = harness(t, client);
  const socketPath = join(h.options.stateDir, 'agent.sock');
  let published: (() => AgentStatus) | undefined;
  const deps: AgentDeps = { ...h.deps, publishStatus: (status) => void (published = status) };
  const stop = new AbortController();
  const agent = runAgent({ ...h.options, socketPath }, deps, stop.signal);
  t.after(() => stop.abort());
  await waitFor('the local socket', () => existsSync(socketPath), 5000, 5);
  const status = async () => statusFromProto(await callAgent<object, GetStatusResponse__Output>(socketPath, 'GetStatus', {}));

  const before = await status();
  assert.equal(before.controller.state, 'connecting', 'no stream has delivered yet');
  assert.equal(before.revision, 0);
  assert.deepEqual(before.peers, []);

  const stream = await client.stream(0);
  stream.send({ kind: 'snapshot', revision: 4, routes: [h1, h2, h3], clusterId: 'c1' });
  await waitFor('both routes', async () => (await h.host.list('tun0')).length === 2, 5000, 5);
  h.dataplanes.traffic = [
    { nodeName: 'h2', traffic: { txPackets: 10, txBytes: 1000, rxPackets: 8, rxBytes: 800, drops: { spoofed_source: 2 } }, lastRxAt: 1_700_000_000_000, lastTxAt: 1_700_000_001_000 },
  ];
  const s = await status();
  assert.equal(s.nodeName, 'h1');
  assert.equal(s.subnet, '10.244.1.0/24');
  assert.equal(s.network, '10.244.0.0/16');
  assert.equal(s.underlayIp, '192.168.77.1');
  assert.equal(s.udpPort, 7000);
  assert.equal(s.tunName, 'tun0');
  assert.equal(s.tunMtu, 1472);
  assert.equal(s.controller.state, 'connected');
  assert.equal(s.revision, 4);
  assert.equal(s.clusterId, 'c1');
  assert.equal(s.routes.desired, 2);
  assert.ok(s.routes.rounds >= 1, 'route sync ran');
  assert.ok(s.routes.added >= 2, 'and added the two routes');
  assert.equal(s.containersCapacity, 253);
  assert.deepEqual(
    s.peers.map((p) => [p.nodeName, p.underlayIp, p.subnet, p.traffic.txPackets, p.traffic.rxBytes, p.traffic.drops, p.lastRxAt, p.lastTxAt]),
    [
      ['h2', '192.168.77.2', '10.244.2.0/24', 10, 800, { spoofed_source: 2 }, 1_700_000_000_000, 1_700_000_001_000],
      ['h3', '192.168.77.3', '10.244.3.0/24', 0, 0, {}, 0, 0],
    ],
    'every peer in the table, sorted, with what the data path counted for it',
  );
  assert.ok(published, 'the status reader was published for the metrics endpoint');
  assert.equal(published().revision, 4);

  stream.end(new ControllerCallError(grpc.status.UNAVAILABLE, 'controller restarting'));
  await waitFor('the connection to drop', async () => (await status()).controller.state === 'connecting', 5000, 5);
  const after = await status();
  assert.match(after.controller.lastError, /controller restarting/);
  assert.equal(after.controller.reconnects, 1);
  assert.equal(after.revision, 4, 'the table stays');

  stop.abort();
  await agent;
  assert.equal(published, undefined, 'withdrawn when the agent stops');
});
