// The ContainerLinks compliance suite against IpContainerLinks, run by a child process
// inside a throwaway host namespace, with throwaway container namespaces.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { labFor, netnsTestOptions } from '../../netns/netns.js';
import type { CaseResult } from '../tun/tun-compliance.js';
import { containerLinksComplianceCases } from './container-links-compliance.js';

const CHILD = fileURLToPath(new URL('../fixtures/container-links-child.js', import.meta.url));

test('IpContainerLinks passes the ContainerLinks compliance suite inside a namespace', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'cl');
  const host = await lab.addNamespace('host');
  const containers: string[] = [];
  for (let i = 0; i < containerLinksComplianceCases.length; i++) containers.push(await lab.addNamespace(`c${i}`));
  const { stdout } = await lab.exec(host, process.execPath, [CHILD, ...containers], 60_000);
  const results = JSON.parse(stdout) as CaseResult[];
  assert.deepEqual(results.map((r) => r.name), containerLinksComplianceCases.map((c) => c.name));
  for (const r of results) {
    await t.test(r.name, () => assert.ok(r.ok, r.error));
  }
});
