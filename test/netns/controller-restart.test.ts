// Fault: the controller restarts under 1,000 connected agents (simulated agents, real gRPC
// clients each on its own mTLS connection, in worker processes) while the table changes
// around the restart. Every agent must come back on a new stream and hold exactly the
// controller's table at the latest revision, and the controller must see every one of them
// connected with that revision applied.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { addNode, controllerRoutes } from '../bench/control/admin-load.js';
import { ControlLab } from '../bench/control/control-lab.js';
import { adminSocketOf, TUNCTL } from '../bench/control/controller-process.js';
import { labFor, netnsTestOptions, waitFor } from './netns.js';

const execFileAsync = promisify(execFile);
const AGENTS = 1000;

interface NodeJson {
  name: string;
  connected?: boolean;
  appliedRevision?: number | string;
}

async function listNodes(socket: string): Promise<NodeJson[]> {
  const { stdout } = await execFileAsync(process.execPath, [TUNCTL, 'list-nodes', '-o', 'json', '--controller', `unix:${socket}`], { maxBuffer: 64 * 2 ** 20, timeout: 30_000 });
  return (JSON.parse(stdout) as { nodes?: NodeJson[] }).nodes ?? [];
}

test(`a controller restart under ${AGENTS} connected agents: all back in sync`, { ...netnsTestOptions(), timeout: 90_000 }, async (t) => {
  const lab = labFor(t, 'cr');
  const ns = await lab.addNamespace('ctl');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-restart-'));
  const control = new ControlLab({ lab, ns, workDir, agents: AGENTS, workers: 2, heartbeatIntervalMs: 2000, rampMs: 1000 });
  t.after(async () => {
    await control.close().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  });

  await control.setup(40_000);
  // Nodes without agents: changes the agents must learn, one of them removed while they reconnect.
  const before = [];
  for (let i = 0; i < 3; i++) before.push(await addNode(control.admin, `extra-${i}`, AGENTS + i));
  await control.waitForFleet('every agent holding the extra nodes', before[2]!.revision, 15_000);

  const restart = await control.restartController();
  assert.equal(restart.exitCode, 0, 'the controller stops cleanly on SIGTERM');
  const spawnedAt = restart.controller.spawnedAt;
  // Changes before the agents are back: a resuming agent gets them as deltas, a removal included.
  await addNode(control.admin, 'after-0', AGENTS + 10);
  await addNode(control.admin, 'after-1', AGENTS + 11);
  await control.admin.call('RemoveNode', { name: 'extra-0' });
  const latest = await control.latestRevision();

  const resync = await control.waitForResync(spawnedAt, latest, 45_000);
  const resyncSeconds = (Math.max(...resync.syncedAt) - spawnedAt) / 1000;
  t.diagnostic(`all ${AGENTS} back at revision ${latest} ${resyncSeconds.toFixed(2)} s after the new controller was spawned; first messages ${JSON.stringify(resync.firstKinds)}`);

  const table = await controllerRoutes(control.admin);
  assert.equal(table.revision, latest, 'nothing changed the table during the check');
  assert.ok(!table.routes.some((r) => r.nodeName === 'extra-0') && table.routes.some((r) => r.nodeName === 'after-1'));
  const verified = await control.pool!.verify(table.routes, table.revision);
  assert.equal(verified.matching, AGENTS, `agents whose table differs from ListRoutes: ${JSON.stringify(verified.mismatches.slice(0, 3))}`);
  const status = await control.pool!.status(latest);
  assert.equal(status.watching, AGENTS);
  assert.equal(status.counters.gaps, 0, 'no delta skipped a revision and no heartbeat ran ahead of the table');

  // The controller's own view: every agent connected, with the latest revision acknowledged.
  const socket = adminSocketOf(control.spec);
  await waitFor(
    `list-nodes showing all ${AGENTS} agents connected at revision ${latest}`,
    async () => {
      const sims = (await listNodes(socket)).filter((n) => n.name.startsWith('sim-'));
      return sims.length === AGENTS && sims.every((n) => n.connected === true && Number(n.appliedRevision) === latest);
    },
    15_000,
    500,
  ).catch(async (err: Error) => {
    const sims = (await listNodes(socket)).filter((n) => n.name.startsWith('sim-'));
    const off = sims.filter((n) => n.connected !== true || Number(n.appliedRevision) !== latest);
    throw new Error(`${err.message}; ${off.length}/${sims.length} not, e.g. ${JSON.stringify(off.slice(0, 3))}`);
  });
});
