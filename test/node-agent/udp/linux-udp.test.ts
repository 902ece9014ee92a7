// The transport compliance suite against LinuxUdpTransport, run by a child process inside
// a namespace so its sockets and traffic stay there.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { labFor, netnsTestOptions } from '../../netns/netns.js';
import type { CaseResult } from '../tun/tun-compliance.js';
import { transportComplianceCases } from './transport-compliance.js';

const CHILD = fileURLToPath(new URL('../fixtures/linux-compliance-child.js', import.meta.url));

test('LinuxUdpTransport passes the transport compliance suite inside a namespace', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'udp');
  const ns = await lab.addNamespace('udp');
  const { stdout } = await lab.exec(ns, process.execPath, [CHILD, 'udp'], 60_000);
  const results = JSON.parse(stdout) as CaseResult[];
  assert.deepEqual(results.map((r) => r.name), transportComplianceCases.map((c) => c.name));
  for (const r of results) {
    await t.test(r.name, () => assert.ok(r.ok, r.error));
  }
});
