// The agent's Watch client over real gRPC (a small in-process AgentService, plain TCP on
// loopback): what goes on the wire in each direction, how a stream's end is reported, and
// the retry-after trailer. The real controller's side is tested in test/controller.
import assert from 'node:assert/strict';
import { RETRY_AFTER_METADATA } from '../../common/errors.js';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { loadTunctlProto } from '../../common/proto.js';
import {
  ControllerClient,
  MAX_RETRY_AFTER_MS,
  retryAfterMsOf,
  type ControllerCallError,
  type WatchEvent,
} from '../../node-agent/controller-client.js';
import type { WatchRequest__Output } from '../../proto/gen/tunctl/v1/WatchRequest.js';
import type { WatchResponse } from '../../proto/gen/tunctl/v1/WatchResponse.js';
import { waitFor } from '../netns/netns.js';

type WatchCall = grpc.ServerDuplexStream<WatchRequest__Output, WatchResponse>;

/** An AgentService whose Watch is `handler`; returns a client connected to it. */
async function serve(t: TestContext, handler: (call: WatchCall) => void): Promise<ControllerClient> {
  const { proto } = loadTunctlProto();
  const server = new grpc.Server();
  server.addService(proto.tunctl.v1.AgentService.service, { Watch: handler });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const client = new ControllerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => {
    client.close();
    server.forceShutdown();
  });
  return client;
}

function metadataWith(value?: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (value !== undefined) metadata.set(RETRY_AFTER_METADATA, value);
  return metadata;
}

test('retry-after: a plain decimal number of ms, capped at five minutes; anything else is ignored', () => {
  assert.equal(retryAfterMsOf(metadataWith('1500')), 1500);
  assert.equal(retryAfterMsOf(metadataWith(' 250 ')), 250);
  assert.equal(retryAfterMsOf(metadataWith('0')), 0);
  assert.equal(retryAfterMsOf(metadataWith('999999999999')), MAX_RETRY_AFTER_MS);
  assert.equal(MAX_RETRY_AFTER_MS, 300_000);
  for (const garbage of ['', 'soon', '-5', '1e3', '12.5', '0x10', '+7', '5 s', '9'.repeat(40)]) {
    assert.equal(retryAfterMsOf(metadataWith(garbage)), 0, JSON.stringify(garbage));
  }
  assert.equal(retryAfterMsOf(metadataWith()), 0);
  assert.equal(retryAfterMsOf(undefined), 0);
});

test('watch: the start message goes first, acks follow each message, and an UNAVAILABLE end carries its retry-after', { timeout: 10_000 }, async (t) => {
  const received: WatchRequest__Output[] = [];
  const client = await serve(t, (call) => {
    call.on('data', (req: WatchRequest__Output) => {
      received.push(req);
      if (received.length === 1) {
        call.write({ kind: 'KIND_SNAPSHOT', revision: 5, routes: [{ subnet: '10.244.2.0/24', underlayIp: '192.168.1.2', nodeName: 'n2' }], clusterId: 'c1' });
      } else if (received.length === 2) {
        call.write({ kind: 'KIND_DELTA', baseRevision: 5, revision: 9, changes: [{ op: 'OP_REMOVE', route: { subnet: '10.244.2.0/24', underlayIp: '192.168.1.2', nodeName: 'n2' } }], clusterId: 'c1' });
      } else if (received.length === 3) {
        call.write({ kind: 'KIND_HEARTBEAT', revision: 9, clusterId: 'c1' });
      } else {
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'controller is shedding load', metadata: metadataWith('1234') });
      }
    });
  });
  const events: WatchEvent[] = [];
  let ended: { err: ControllerCallError | null; retryAfterMs: number } | undefined;
  const handle = client.watch(
    'n1',
    3,
    (event) => {
      events.push(event);
      handle.ack({ appliedRevision: event.revision });
    },
    (err, retryAfterMs) => (ended = { err, retryAfterMs }),
    'c0',
  );
  await waitFor('the end of the stream', () => ended, 5000, 5);
  assert.deepEqual(
    received.map((r) => r.request),
    ['start', 'ack', 'ack', 'ack'],
  );
  assert.deepEqual(received[0]!.start, { nodeName: 'n1', knownRevision: 3, clusterId: 'c0', acceptPacked: true, register: null }); // Packed messages readable (common/packed-watch.ts); no registration asked for.
  assert.deepEqual(
    received.slice(1).map((r) => r.ack),
    [
      { appliedRevision: 5, failedRevision: 0, error: '' },
      { appliedRevision: 9, failedRevision: 0, error: '' },
      { appliedRevision: 9, failedRevision: 0, error: '' },
    ],
  );
  assert.deepEqual(
    events.map((e) => [e.kind, e.revision, 'clusterId' in e ? e.clusterId : undefined]),
    [
      ['snapshot', 5, 'c1'],
      ['delta', 9, 'c1'],
      ['heartbeat', 9, 'c1'],
    ],
  );
  assert.equal(ended!.err?.code, grpc.status.UNAVAILABLE);
  assert.equal(ended!.retryAfterMs, 1234);
});

test('watch: a failure report sent before close() reaches the controller, and the stream ends without an error', { timeout: 10_000 }, async (t) => {
  const received: WatchRequest__Output[] = [];
  let halfClosed = false;
  const client = await serve(t, (call) => {
    call.on('data', (req: WatchRequest__Output) => {
      received.push(req);
      // An unreadable route: the client reports it as 'invalid' instead of crashing.
      if (req.request === 'start') call.write({ kind: 'KIND_SNAPSHOT', revision: 4, routes: [{ subnet: '10.244.2.7/24', underlayIp: '192.168.1.2', nodeName: 'n2' }], clusterId: 'c1' });
    });
    call.on('end', () => {
      halfClosed = true;
      call.end();
    });
  });
  const events: WatchEvent[] = [];
  let ended: { err: ControllerCallError | null } | undefined;
  const handle = client.watch(
    'n1',
    0,
    (event) => {
      events.push(event);
      handle.ack({ appliedRevision: 0, failedRevision: event.revision, error: 'x'.repeat(900) });
      handle.close();
    },
    (err) => (ended = { err }),
  );
  await waitFor('the end of the stream', () => ended, 5000, 5);
  assert.equal(events[0]?.kind, 'invalid');
  assert.equal(events[0]?.revision, 4);
  assert.match(events[0]?.kind === 'invalid' ? events[0].error : '', /host bits set/);
  assert.ok(halfClosed, 'the controller saw the half-close');
  assert.equal(received[1]?.ack?.failedRevision, 4);
  assert.equal(received[1]?.ack?.error.length, 500, 'the reason is cut to 500 characters');
  assert.equal(ended!.err, null);
});
