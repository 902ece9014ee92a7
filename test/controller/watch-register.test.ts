// Registering on the Watch stream (WatchStart.register) against a real controller over mTLS:
// the stream's first message is KIND_REGISTERED with what a Register call answers, then the
// feed's usual snapshot, delta or heartbeat, and the registration is recorded; a registration
// Register would refuse ends the stream with Register's status and reason, before any route
// message; a WatchStart without `register` behaves as before; the real agent client turns the
// answer into a 'registered' event; and an ack sent before the controller answered is refused.
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { after, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../../cli/admin-client.js';
import { CONTROLLER_TLS_NAME } from '../../common/controller-tls.js';
import { loadTunctlProto } from '../../common/proto.js';
import { ControllerCallError, type WatchEvent } from '../../node-agent/controller-client.js';
import type { NodeCredentials } from '../../node-agent/identity/credential-files.js';
import type { AddNodeResponse__Output } from '../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { AgentServiceClient } from '../../proto/gen/tunctl/v1/AgentService.js';
import type { GetNodeResponse__Output } from '../../proto/gen/tunctl/v1/GetNodeResponse.js';
import type { ListNodesResponse__Output } from '../../proto/gen/tunctl/v1/ListNodesResponse.js';
import type { ListRoutesResponse__Output } from '../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import type { RegisterRequest } from '../../proto/gen/tunctl/v1/RegisterRequest.js';
import type { RegisterResponse__Output } from '../../proto/gen/tunctl/v1/RegisterResponse.js';
import type { WatchRequest } from '../../proto/gen/tunctl/v1/WatchRequest.js';
import type { WatchResponse__Output } from '../../proto/gen/tunctl/v1/WatchResponse.js';
import type { WatchStart } from '../../proto/gen/tunctl/v1/WatchStart.js';
import { waitFor } from '../netns/netns.js';
import { controllerForSuite, openRawWatch, rawAgentClient, type RawWatch, type ControllerFixture } from './controller-fixture.js';

const HEARTBEAT_MS = 1000;
const UNDERLAY_IP = '192.168.64.1';

/**
 * Opens a Watch and writes `start`, then `sameTick` in the same turn of the event loop. Route
 * messages are acked as an agent does; KIND_REGISTERED is not (acks are for route tables).
 */
function rawWatch(client: AgentServiceClient, start: WatchStart, sameTick: WatchRequest[] = []): RawWatch {
  const watch = openRawWatch(client, { start }, (m) => (m.kind === 'KIND_REGISTERED' ? null : { ack: { appliedRevision: m.revision } }));
  for (const m of sameTick) watch.call.write(m);
  return watch;
}

function registerCall(client: AgentServiceClient, request: RegisterRequest): Promise<RegisterResponse__Output> {
  return new Promise((resolve, reject) => client.Register(request, (err, res) => (err || !res ? reject(err) : resolve(res))));
}

/** What a registration answers that does not change from one registration to the next. */
function stableFields(r: RegisterResponse__Output) {
  assert.ok(r.node && r.network, 'a registration answer carries the node and the network');
  return {
    node: { name: r.node.name, underlayIp: r.node.underlayIp, subnet: r.node.subnet },
    network: r.network,
    tunMtu: r.tunMtu,
    heartbeatIntervalMs: r.heartbeatIntervalMs,
    clusterId: r.clusterId,
  };
}

async function nodeNamed(admin: AdminClient, name: string) {
  const node = (await admin.call<object, GetNodeResponse__Output>('GetNode', { name })).node;
  assert.ok(node, `node ${name} found`);
  return node;
}

const seconds = (t: { seconds: number } | null | undefined) => Number(t?.seconds ?? 0);

/** Waits for the stream to end and returns its error status (an OK end fails the test). */
async function endStatus(w: RawWatch): Promise<grpc.ServiceError> {
  const end = await waitFor('the stream to end', () => w.ended(), 15_000, 20);
  assert.ok(end !== 'ok', 'the stream ended with an error status');
  return end;
}

interface OneFrameOutcome {
  /** The stream's status code, or undefined if it was still running when a message came. */
  readonly code: grpc.status | undefined;
  readonly details: string;
  readonly messages: WatchResponse__Output[];
}

/**
 * A Watch whose `requests` reach the controller in one HTTP/2 DATA frame, which grpc-js cannot
 * send (it writes a stream's next message only once the previous one is out): the controller
 * then reads them in one go, the way it would a fast agent's messages that arrived together.
 * Settles at the stream's status or its first message, whichever comes first.
 */
async function watchInOneFrame(fx: ControllerFixture, credentials: NodeCredentials, requests: WatchRequest[]): Promise<OneFrameOutcome> {
  const watch = loadTunctlProto().proto.tunctl.v1.AgentService.service['Watch']!;
  const framed = (request: WatchRequest) => {
    const body = watch.requestSerialize(request);
    const prefix = Buffer.alloc(5); // not compressed, then the length
    prefix.writeUInt32BE(body.length, 1);
    return Buffer.concat([prefix, body]);
  };
  const session = http2.connect(`https://${fx.address}`, { ca: credentials.caPem, key: credentials.keyPem, cert: credentials.certificatePem, servername: CONTROLLER_TLS_NAME });
  session.on('error', () => undefined);
  try {
    return await new Promise<OneFrameOutcome>((resolve) => {
      const messages: WatchResponse__Output[] = [];
      const timer = setTimeout(() => resolve({ code: undefined, details: 'neither a status nor a message within 15 s', messages }), 15_000);
      const settle = (outcome: OneFrameOutcome) => (clearTimeout(timer), resolve(outcome));
      const stream = session.request({ ':method': 'POST', ':path': watch.path, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      // The status comes in the trailers, or in the headers of a response without messages.
      const onHeaders = (headers: http2.IncomingHttpHeaders) => {
        const code = headers['grpc-status'];
        if (code !== undefined) settle({ code: Number(code), details: decodeURIComponent(String(headers['grpc-message'] ?? '')), messages });
      };
      stream.on('response', onHeaders);
      stream.on('trailers', onHeaders);
      let received = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 5 && received.length >= 5 + received.readUInt32BE(1)) {
          const end = 5 + received.readUInt32BE(1);
          messages.push(watch.responseDeserialize(received.subarray(5, end)) as WatchResponse__Output);
          received = received.subarray(end);
        }
        if (messages.length > 0) settle({ code: undefined, details: '', messages });
      });
      stream.write(Buffer.concat(requests.map(framed)));
    });
  } finally {
    session.destroy();
  }
}

describe('Watch with register: one call registers and opens the route stream', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  let r1: NodeCredentials;
  let client: AgentServiceClient;
  controllerForSuite((started) => ({ fx, admin } = started), { heartbeatIntervalMs: HEARTBEAT_MS });
  after(() => client?.close());
  const register = (fields: Partial<RegisterRequest> = {}): RegisterRequest => ({ nodeName: 'r1', underlayIp: UNDERLAY_IP, underlayMtu: 1400, agentVersion: 'watch-reg/1', ...fields });

  test('KIND_REGISTERED comes first with what Register answers, then the snapshot, delta or heartbeat; the registration is recorded', async () => {
    const added = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'r1', underlayIp: UNDERLAY_IP });
    await admin.call('AddNode', { name: 'r2', underlayIp: '192.168.64.2' });
    r1 = await fx.join(admin, 'r1');
    client = rawAgentClient(fx, r1);
    assert.equal((await nodeNamed(admin, 'r1')).lastRegisteredAt, null, 'not registered yet');

    const byCall = await registerCall(client, register({ agentVersion: 'register-call/1' }));
    const before = await nodeNamed(admin, 'r1');
    assert.equal(before.agentVersion, 'register-call/1');

    const w = rawWatch(client, { nodeName: 'r1', knownRevision: 0, register: register() });
    await waitFor('the registration and the snapshot', () => w.messages.length >= 2, 15_000);
    const [registered, snapshot] = w.messages as [WatchResponse__Output, WatchResponse__Output];
    const latest = (await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {})).revision;
    assert.equal(registered.kind, 'KIND_REGISTERED');
    assert.ok(registered.registration);
    assert.deepEqual(stableFields(registered.registration), stableFields(byCall), 'the same answer as a Register call');
    assert.deepEqual(stableFields(registered.registration), {
      node: { name: 'r1', underlayIp: UNDERLAY_IP, subnet: added.node!.subnet },
      network: { ...registered.registration.network!, cidr: '10.244.0.0/16', subnetLen: 24, udpPort: 7000, encapOverhead: 28 },
      tunMtu: 1400 - 28,
      heartbeatIntervalMs: HEARTBEAT_MS,
      clusterId: fx.controller.store.clusterId(),
    });
    assert.equal(registered.revision, latest);
    assert.equal(registered.clusterId, fx.controller.store.clusterId());
    assert.equal(registered.routes.length + registered.changes.length, 0, 'no routes in the registration message');
    assert.equal(snapshot.kind, 'KIND_SNAPSHOT');
    assert.equal(snapshot.revision, latest);
    assert.deepEqual(snapshot.routes.map((r) => r.nodeName).sort(), ['r1', 'r2']);
    assert.equal(w.messages.filter((m) => m.kind === 'KIND_REGISTERED').length, 1, 'registered once');

    // Recorded as Register records it: the version, the time, and the node is connected.
    const node = await nodeNamed(admin, 'r1');
    assert.equal(node.agentVersion, 'watch-reg/1');
    assert.ok(seconds(node.lastRegisteredAt) >= seconds(before.lastRegisteredAt) && seconds(node.lastRegisteredAt) > 0);
    assert.ok(Math.abs(seconds(node.lastRegisteredAt) * 1000 - Date.now()) < 10_000, 'registered just now');
    assert.equal(node.connected, true);
    const listed = (await admin.call<object, ListNodesResponse__Output>('ListNodes', {})).nodes.find((n) => n.name === 'r1');
    assert.equal(listed?.agentVersion, 'watch-reg/1');
    w.call.cancel();

    // Resuming from the latest revision: the registration, then "nothing changed".
    const current = rawWatch(client, { nodeName: 'r1', knownRevision: latest, clusterId: fx.controller.store.clusterId(), register: register({ agentVersion: 'watch-reg/2' }) });
    await waitFor('two messages', () => current.messages.length >= 2, 15_000);
    assert.deepEqual(current.messages.slice(0, 2).map((m) => [m.kind, m.revision]), [
      ['KIND_REGISTERED', latest],
      ['KIND_HEARTBEAT', latest],
    ]);
    assert.equal((await nodeNamed(admin, 'r1')).agentVersion, 'watch-reg/2');
    current.call.cancel();

    // One revision behind: the registration, then the one change.
    const behind = rawWatch(client, { nodeName: 'r1', knownRevision: latest - 1, register: register() });
    await waitFor('two messages', () => behind.messages.length >= 2, 15_000);
    const [first, delta] = behind.messages as [WatchResponse__Output, WatchResponse__Output];
    assert.equal(first.kind, 'KIND_REGISTERED');
    assert.deepEqual([delta.kind, delta.baseRevision, delta.revision], ['KIND_DELTA', latest - 1, latest]);
    assert.deepEqual(delta.changes.map((c) => [c.op, c.route?.nodeName]), [['OP_ADD', 'r2']]);
    behind.call.cancel();
  });

  test("a registration Register would refuse ends the stream with Register's status and reason, before any message", async () => {
    const versionBefore = (await nodeNamed(admin, 'r1')).agentVersion;
    const cases: [string, WatchStart, grpc.status, RegExp][] = [
      [
        'another underlay address',
        { nodeName: 'r1', register: register({ underlayIp: '192.168.64.77' }) },
        grpc.status.FAILED_PRECONDITION,
        /node "r1" was added with underlay address 192\.168\.64\.1 but this agent uses 192\.168\.64\.77; start the agent with --underlay-ip 192\.168\.64\.1/,
      ],
      [
        'an underlay MTU too small',
        { nodeName: 'r1', register: register({ underlayMtu: 600 }) },
        grpc.status.FAILED_PRECONDITION,
        /underlay MTU 600 leaves only 572 bytes .* raise the underlay interface's MTU to at least 604/,
      ],
      [
        'an agent version with spaces',
        { nodeName: 'r1', register: register({ agentVersion: '1.0 beta' }) },
        grpc.status.INVALID_ARGUMENT,
        /agent_version must be at most 64 printable ASCII characters without spaces \(like 0\.1\.0\), got "1\.0 beta"/,
      ],
      [
        'a registration for another node',
        { nodeName: 'r1', register: register({ nodeName: 'r2' }) },
        grpc.status.PERMISSION_DENIED,
        /certificate is for node "r1"; it cannot act as node "r2"/,
      ],
      [
        'an unset WatchStart node with a registration for another node',
        { nodeName: '', register: register({ nodeName: 'r2' }) },
        grpc.status.PERMISSION_DENIED,
        /cannot act as node "r2"/,
      ],
    ];
    for (const [what, start, code, pattern] of cases) {
      const w = rawWatch(client, { knownRevision: 0, ...start });
      const end = await endStatus(w);
      assert.equal(end.code, code, `${what}: expected ${grpc.status[code]}, got ${grpc.status[end.code]}: ${end.details}`);
      assert.match(end.details, pattern, what);
      assert.deepEqual(w.messages, [], `${what}: no registration and no route message`);
    }
    assert.equal((await nodeNamed(admin, 'r1')).agentVersion, versionBefore, 'a refused registration stored nothing');
  });

  test('without register the stream is as before: the snapshot first, and nothing is registered', async () => {
    const before = await nodeNamed(admin, 'r1');
    const w = rawWatch(client, { nodeName: 'r1', knownRevision: 0 });
    await waitFor('the snapshot', () => w.messages.length > 0, 15_000);
    assert.equal(w.messages[0]!.kind, 'KIND_SNAPSHOT');
    assert.equal(w.messages[0]!.registration, null);
    // Past a heartbeat: still no registration message, and the stream is alive.
    await waitFor('a heartbeat', () => w.messages.some((m) => m.kind === 'KIND_HEARTBEAT'), 3 * HEARTBEAT_MS + 2000);
    assert.ok(!w.messages.some((m) => m.kind === 'KIND_REGISTERED'));
    assert.equal(w.ended(), undefined);
    const after = await nodeNamed(admin, 'r1');
    assert.deepEqual([after.agentVersion, after.lastRegisteredAt], [before.agentVersion, before.lastRegisteredAt], 'no registration recorded');
    w.call.cancel();
  });

  test("the agent client's watch with a registration yields 'registered' with what register() returns, then 'snapshot'", async () => {
    const agent = fx.agentClient(r1);
    try {
      const registration = await agent.register('r1', UNDERLAY_IP, 9000, 'client/1');
      const events: WatchEvent[] = [];
      let endError: ControllerCallError | null | undefined;
      const handle = agent.watch(
        'r1',
        0,
        (e) => {
          events.push(e);
          if (e.kind !== 'registered') handle.ack({ appliedRevision: e.revision });
        },
        (err) => (endError = err),
        '',
        { underlayIp: UNDERLAY_IP, underlayMtu: 9000, agentVersion: 'client/2' },
      );
      await waitFor('two events', () => events.length >= 2, 15_000);
      handle.cancel();
      const [registered, snapshot] = events as [WatchEvent, WatchEvent];
      assert.equal(registered.kind, 'registered');
      assert.ok(registered.kind === 'registered');
      // Every field of Registration stays the same from one registration to the next.
      assert.deepEqual(registered.registration, registration);
      assert.equal(registered.registration.tunMtu, 8972);
      assert.equal(snapshot.kind, 'snapshot');
      assert.equal(snapshot.revision, registered.revision);
      assert.equal(snapshot.kind === 'snapshot' && snapshot.clusterId, registration.clusterId);
      assert.equal(endError, null, 'ended by our cancel');
      assert.equal((await nodeNamed(admin, 'r1')).agentVersion, 'client/2');

      // A refusal reaches onEnd as Register's error, with no event before it.
      const refusedEvents: WatchEvent[] = [];
      let refused: ControllerCallError | null | undefined;
      agent.watch('r1', 0, (e) => refusedEvents.push(e), (err) => (refused = err), '', { underlayIp: '192.168.64.99', underlayMtu: 1500, agentVersion: 'client/3' });
      await waitFor('the refusal', () => refused !== undefined, 15_000);
      assert.ok(refused instanceof ControllerCallError);
      assert.equal(refused.code, grpc.status.FAILED_PRECONDITION, refused.message);
      assert.match(refused.message, /this agent uses 192\.168\.64\.99/);
      assert.deepEqual(refusedEvents, []);
    } finally {
      agent.close();
    }
  });

  test('an ack that arrives before the controller answered a WatchStart with register ends the stream with INVALID_ARGUMENT', async () => {
    // Deterministic: the controller reads both messages of the one frame before the
    // registration's write (group-committed on a later turn of the event loop) completes.
    const start = { nodeName: 'r1', knownRevision: 0 };
    const ack = { ack: { appliedRevision: 1 } };
    for (let i = 0; i < 3; i++) {
      const early = await watchInOneFrame(fx, r1, [{ start: { ...start, register: register() } }, ack]);
      assert.equal(early.code, grpc.status.INVALID_ARGUMENT, early.details);
      assert.match(early.details, /the agent sent a message before the controller answered its WatchStart/);
      assert.deepEqual(early.messages, [], 'no registration answer and no route message');
    }
    // The same two messages without a registration: the WatchStart is answered at once, so
    // the ack is in order and the stream runs.
    const plain = await watchInOneFrame(fx, r1, [{ start }, ack]);
    assert.equal(plain.code, undefined, `still running, not ended: ${plain.details}`);
    assert.equal(plain.messages[0]?.kind, 'KIND_SNAPSHOT');
  });
});
