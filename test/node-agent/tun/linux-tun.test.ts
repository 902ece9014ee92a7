// The TUN compliance suite against LinuxTun, run by a child process inside a namespace
// (a TUN device is never created in the root namespace).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { labFor, netnsTestOptions } from '../../netns/netns.js';
import { tunComplianceCases, type CaseResult } from './tun-compliance.js';

const CHILD = fileURLToPath(new URL('../fixtures/linux-compliance-child.js', import.meta.url));

test('LinuxTun passes the TUN compliance suite inside a namespace', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'tun');
  const ns = await lab.addNamespace('tun');
  const { stdout } = await lab.exec(ns, process.execPath, [CHILD, 'tun'], 60_000);
  const results = JSON.parse(stdout) as CaseResult[];
  assert.deepEqual(results.map((r) => r.name), tunComplianceCases.map((c) => c.name));
  for (const r of results) {
    await t.test(r.name, () => assert.ok(r.ok, r.error));
  }
  const { stdout: links } = await lab.exec(ns, 'ip', ['-o', 'link', 'show']);
  assert.doesNotMatch(links, /tct|tcx/, 'every device is gone once its descriptor is closed');
});
