// The HostProbe compliance suite against LinuxHostProbe, run by a child process inside a
// throwaway namespace; and how a batch of route lookups' errors are read.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { batchErrors } from '../../../cli/doctor/linux-host-probe.js';
import { labFor, netnsTestOptions } from '../../netns/netns.js';
import type { CaseResult } from '../../node-agent/tun/tun-compliance.js';
import { hostProbeComplianceCases } from './host-probe-compliance.js';

const CHILD = fileURLToPath(new URL('../fixtures/host-probe-child.js', import.meta.url));

test('LinuxHostProbe passes the HostProbe compliance suite inside a namespace', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'hp');
  const ns = await lab.addNamespace('host');
  const { stdout } = await lab.exec(ns, process.execPath, [CHILD], 60_000);
  const results = JSON.parse(stdout) as CaseResult[];
  assert.deepEqual(results.map((r) => r.name), hostProbeComplianceCases.map((c) => c.name));
  for (const r of results) {
    await t.test(r.name, () => assert.ok(r.ok, r.error));
  }
});

test('ip -batch errors are read by input line, with the message that came before each', () => {
  const stderr = 'RTNETLINK answers: Network is unreachable\nCommand failed -:2\nRTNETLINK answers: Invalid argument\nCommand failed -:5\nCommand failed -:7\n';
  assert.deepEqual([...batchErrors(stderr)], [
    [2, 'Network is unreachable'],
    [5, 'Invalid argument'],
    [7, 'refused'],
  ]);
  assert.deepEqual([...batchErrors('')], []);
});
