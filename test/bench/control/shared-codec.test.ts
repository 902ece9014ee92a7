// Shared decoding and ack encoding: equal bytes decode once, different bytes never share a
// result, the memory is bounded, and only plain acks are reused; the real Watch codec round-trips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTunctlProto } from '../../../common/proto.js';
import type { WatchResponse } from '../../../proto/gen/tunctl/v1/WatchResponse.js';
import { sharedAckEncoder, sharedDecoder } from './shared-codec.js';

test('byte-identical messages are decoded once; different ones each get their own result', () => {
  let calls = 0;
  const decode = sharedDecoder((bytes) => ({ text: bytes.toString(), call: ++calls }), 2);
  const a1 = decode(Buffer.from('delta 7'));
  const a2 = decode(Buffer.from('delta 7'));
  assert.equal(a1, a2);
  assert.equal(calls, 1);
  const b = decode(Buffer.from('delta 8'));
  assert.deepEqual(b, { text: 'delta 8', call: 2 });
  decode(Buffer.from('delta 9')); // evicts "delta 7" (two kept)
  assert.notEqual(decode(Buffer.from('delta 7')), a1);
  assert.equal(calls, 4);
});

test('acks are encoded once per revision; starts and failure reports every time', () => {
  let calls = 0;
  const encode = sharedAckEncoder((value) => Buffer.from(JSON.stringify(value) + String(++calls)));
  const first = encode({ ack: { appliedRevision: 5 } });
  assert.equal(encode({ ack: { appliedRevision: 5 } }), first);
  assert.notEqual(encode({ ack: { appliedRevision: 6 } }), first);
  encode({ ack: { appliedRevision: 5, failedRevision: 6, error: 'no route' } });
  encode({ ack: { appliedRevision: 5, failedRevision: 6, error: 'no route' } });
  encode({ start: { nodeName: 'n1', knownRevision: 5 } });
  assert.equal(calls, 5);
});

test('with the real Watch codec, a shared decode equals a plain one', () => {
  const watch = loadTunctlProto().proto.tunctl.v1.AgentService.service['Watch']!;
  const response: WatchResponse = { kind: 'KIND_DELTA', revision: 9, baseRevision: 7, changes: [{ op: 'OP_ADD', route: { subnet: '10.0.1.0/24', underlayIp: '198.18.0.2', nodeName: 'n1' } }], clusterId: 'c1' };
  const bytes = watch.responseSerialize(response);
  const shared = sharedDecoder(watch.responseDeserialize);
  assert.deepEqual(shared(bytes), watch.responseDeserialize(bytes));
  const ack = sharedAckEncoder(watch.requestSerialize as (value: unknown) => Buffer);
  assert.deepEqual(watch.requestDeserialize(ack({ ack: { appliedRevision: 9 } })), watch.requestDeserialize(watch.requestSerialize({ ack: { appliedRevision: 9 } })));
});
