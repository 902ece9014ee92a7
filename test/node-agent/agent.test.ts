// The agent's start-up and shutdown ordering, over a scripted controller, the in-memory
// route installer and a fake data path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { parseCidr, parseIpv4 } from '../../common/cidr.js';
import { MemoryLogger } from '../../common/logger.js';
import { runAgent, type AgentDataplane, type AgentDeps, type AgentOptions } from '../../node-agent/agent.js';
import { ControllerCallError, type RegisterOptions, type Registration } from '../../node-agent/controller-client.js';
import { snapshotCounters, createCounters } from '../../node-agent/dataplane/counters.js';
import type { DataplaneOptions } from '../../node-agent/dataplane/dataplane.js';
import { FakeRouteInstaller } from '../../node-agent/routes/fake-route-installer.js';
import { waitFor } from '../netns/netns.js';
import { FakeController } from './fixtures/fake-controller.js';

const registration: Registration = {
  nodeName: 'h1',
  underlayIp: parseIpv4('192.168.77.1'),
  subnet: parseCidr('10.244.1.0/24'),
  network: parseCidr('10.244.0.0/16'),
  udpPort: 7000,
  encapOverhead: 28,
  tunMtu: 1472,
  heartbeatIntervalMs: 60_000,
};

const h2 = { nodeName: 'h2', subnet: parseCidr('10.244.2.0/24'), underlayIp: parseIpv4('192.168.77.2') };

interface Harness {
  readonly deps: AgentDeps;
  readonly options: AgentOptions;
  readonly host: FakeRouteInstaller;
  readonly logger: MemoryLogger;
  readonly dataplanes: { opened: number; closed: number };
}

function harness(t: TestContext, client: FakeController, open?: (opts: DataplaneOptions) => Promise<AgentDataplane>): Harness {
  const stateDir = mkdtempSync(join(tmpdir(), 'tunctl-agent-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const host = new FakeRouteInstaller();
  host.addDevice('eth0');
  host.addAddress('eth0', registration.underlayIp);
  const logger = new MemoryLogger();
  const dataplanes = { opened: 0, closed: 0 };
  const fakeDataplane = async (opts: DataplaneOptions): Promise<AgentDataplane> => {
    dataplanes.opened++;
    host.addDevice(opts.tunName);
    const counters = createCounters();
    return {
      tunName: opts.tunName,
      setPeers: () => undefined,
      stats: () => snapshotCounters(counters),
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
  stream.send({ kind: 'snapshot', revision: 2, routes: [{ nodeName: 'h1', subnet: registration.subnet, underlayIp: registration.underlayIp }, h2] });
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
    opts.onFailure?.(new Error('dataplane worker udp-to-tun stopped unexpectedly (exit code 1)'));
    return { tunName: 'tun0', setPeers: () => undefined, stats: () => snapshotCounters(createCounters()), close: async () => void closed++ };
  });
  h.host.addDevice('tun0');
  await assert.rejects(runAgent(h.options, h.deps, new AbortController().signal), /worker udp-to-tun stopped unexpectedly/);
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
