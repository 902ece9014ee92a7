// Starts a real controller on a free loopback port (TLS) and a local admin socket, with a
// temporary data directory, and gives tests the clients a real deployment would have: an
// admin client on the socket, and agents that joined with a token and hold a certificate.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ControllerCallError } from '../../common/controller-call-error.js';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from '../../cli/admin-client.js';
import { parseCidr } from '../../common/cidr.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials } from '../../common/controller-tls.js';
import { loadTunctlProto } from '../../common/proto.js';
import type { AgentServiceClient } from '../../proto/gen/tunctl/v1/AgentService.js';
import type { WatchRequest } from '../../proto/gen/tunctl/v1/WatchRequest.js';
import type { WatchResponse__Output } from '../../proto/gen/tunctl/v1/WatchResponse.js';
import { MemoryLogger } from '../../common/logger.js';
import { Controller, type ControllerOptions } from '../../controller/controller.js';
import type { NetworkConfigInput } from '../../controller/store/store.js';
import { ControllerClient } from '../../node-agent/controller-client.js';
import type { NodeCredentials } from '../../node-agent/identity/credential-files.js';
import { joinController } from '../../node-agent/identity/join.js';
import type { CreateJoinTokenResponse__Output } from '../../proto/gen/tunctl/v1/CreateJoinTokenResponse.js';

export interface ControllerFixture {
  controller: Controller;
  /** host:port of the TLS listener. */
  address: string;
  adminSocket: string;
  dataDir: string;
  logger: MemoryLogger;
  /** An admin client on the local socket (no key needed). */
  admin(): Promise<AdminClient>;
  /** A fresh join token for an existing node. */
  createJoinToken(admin: AdminClient, nodeName: string, ttlSeconds?: number): Promise<string>;
  /** Joins as `nodeName` (which must exist) with a fresh token, like an agent's first start. */
  join(admin: AdminClient, nodeName: string): Promise<NodeCredentials>;
  /** An agent client presenting these credentials. */
  agentClient(credentials: NodeCredentials): ControllerClient;
  /** Stops the controller (keeps the data directory). */
  stop(): Promise<void>;
  /** Starts a new controller on the same data directory and port. */
  restart(): Promise<void>;
  /** Stops and deletes the data directory. */
  dispose(): Promise<void>;
}

export function networkInput(cidr = '10.244.0.0/16', subnetLen = 24): NetworkConfigInput {
  return { network: parseCidr(cidr), subnetLen, udpPort: 7000 };
}

export async function startController(
  options: { network?: NetworkConfigInput; heartbeatIntervalMs?: number; changelogRetention?: number } & Partial<
    Pick<ControllerOptions, 'nodeCertLifetimeMs' | 'now' | 'snapshotRoutesPerSecond' | 'metricsListen'>
  > = {},
): Promise<ControllerFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunctl-ctl-'));
  const adminSocket = join(dataDir, 'admin.sock');
  const logger = new MemoryLogger();
  const network = options.network ?? networkInput();
  const start = (listen: string) =>
    Controller.start({
      listen,
      adminSocket,
      dataDir,
      network,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
      changelogRetention: options.changelogRetention,
      nodeCertLifetimeMs: options.nodeCertLifetimeMs,
      snapshotRoutesPerSecond: options.snapshotRoutesPerSecond,
      metricsListen: options.metricsListen,
      now: options.now,
      logger,
    });
  let controller = await start('127.0.0.1:0');
  const port = controller.port;
  const address = `127.0.0.1:${port}`;
  const fixture: ControllerFixture = {
    controller,
    address,
    adminSocket,
    dataDir,
    logger,
    admin: () => AdminClient.connect({ kind: 'unix', path: adminSocket }),
    createJoinToken: async (admin, nodeName, ttlSeconds = 0) => {
      const res = await admin.call<object, CreateJoinTokenResponse__Output>('CreateJoinToken', { nodeName, ttlSeconds });
      return res.joinToken!.token;
    },
    join: async (admin, nodeName) => joinController(address, await fixture.createJoinToken(admin, nodeName)),
    agentClient: (credentials) => new ControllerClient(address, controllerChannelCredentials(credentials.caPem, credentials)),
    stop: () => controller.stop(500),
    restart: async () => {
      controller = await start(address);
      fixture.controller = controller;
    },
    dispose: async () => {
      await controller.stop(500);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/**
 * One controller and an admin client for the tests of a describe block: started before
 * them (handed to `use`), stopped and deleted after them.
 */
export function controllerForSuite(use: (started: { fx: ControllerFixture; admin: AdminClient }) => void, options: Parameters<typeof startController>[0] = {}): void {
  let started: { fx: ControllerFixture; admin: AdminClient } | undefined;
  before(async () => {
    const fx = await startController(options);
    started = { fx, admin: await fx.admin() };
    use(started);
  });
  after(async () => {
    started?.admin.close();
    await started?.fx.dispose();
  });
}

/** Asserts that `promise` fails with a ControllerCallError of this status whose message matches. */
export async function expectStatus(promise: Promise<unknown>, code: grpc.status, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ControllerCallError, `unexpected error ${String(err)}`);
    assert.equal(err.code, code, `expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

/** A raw AgentService client (generated stubs, no agent logic) on a connection of its own. */
export function rawAgentClient(fx: ControllerFixture, credentials: NodeCredentials): AgentServiceClient {
  const { proto } = loadTunctlProto();
  return new proto.tunctl.v1.AgentService(fx.address, controllerChannelCredentials(credentials.caPem, credentials), {
    ...CONTROLLER_CHANNEL_OPTIONS,
    'grpc.use_local_subchannel_pool': 1,
  }) as unknown as AgentServiceClient;
}

/** A Watch driven by hand: what came, and how it ended. */
export interface RawWatch {
  readonly messages: WatchResponse__Output[];
  readonly call: grpc.ClientDuplexStream<WatchRequest, WatchResponse__Output>;
  /** How the stream ended: its error status, 'ok', or undefined while it runs. */
  ended(): grpc.ServiceError | 'ok' | undefined;
}

/** Opens a Watch, sends `first`, and answers each message with what `autoAck` returns (nothing for null). */
export function openRawWatch(
  client: AgentServiceClient,
  first: WatchRequest,
  autoAck: (m: WatchResponse__Output) => WatchRequest | null = (m) => ({ ack: { appliedRevision: m.revision } }),
): RawWatch {
  const messages: WatchResponse__Output[] = [];
  let end: grpc.ServiceError | 'ok' | undefined;
  const call = client.Watch();
  call.on('data', (m: WatchResponse__Output) => {
    messages.push(m);
    const reply = autoAck(m);
    if (reply) call.write(reply);
  });
  call.on('error', (err: grpc.ServiceError) => (end ??= err));
  call.on('end', () => (end ??= 'ok'));
  call.write(first);
  return { messages, call, ended: () => end };
}
