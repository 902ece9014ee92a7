// How the fleet counts agents by error: grpc-js's per-call timings must not split one cause
// into thousands of distinct messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorKind } from './fleet.js';

test('errors differing only in grpc-js timings are one kind', () => {
  const a = errorKind('register: DEADLINE_EXCEEDED: Deadline exceeded after 20.000s,name resolution: 0.001s,wait_for_ready,Waiting for LB pick');
  const b = errorKind('register: DEADLINE_EXCEEDED: Deadline exceeded after 20.031s,metadata filters: 0.012s,wait_for_ready,Waiting for LB pick');
  assert.equal(a, b);
  assert.equal(a, 'register: DEADLINE_EXCEEDED: Deadline exceeded after Ns,Waiting for LB pick');
  assert.notEqual(errorKind('watch: UNAVAILABLE: Connection dropped'), a);
  assert.equal(errorKind('x'.repeat(500)).length, 160);
});
