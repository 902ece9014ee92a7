// Fault tests with real processes in namespaces: the controller killed mid-storm, agents
// killed and restarted, the controller away for a minute, the control link cut without a
// FIN, an agent restarted while the controller is down. Each asserts what the control
// plane promises under that fault, and prints the timings it measured.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { ADD_NODES, Cluster } from './cluster.js';
import { labFor, netnsTestOptions, waitFor } from './netns.js';

const STORM_CALLS = 500;
/** Concurrent callers, each on its own connection, two adds each (see fixtures/add-nodes.ts for why not 500 at once). */
const STORM_CALLERS = 250;
/** The controller is killed once this many adds were acknowledged: well inside the storm. */
const KILL_AFTER_ACKS = 100;
const STORM_NETWORK = '10.0.0.0/12';

const HEARTBEAT_MS = 1000;
/** Three silent heartbeat intervals, and slack for the polling and a loaded 2-core machine. */
const DETECTION_BOUND_MS = 3 * HEARTBEAT_MS + 2000;
const RESUME_BOUND_MS = 2000;
/** How long the control link stays cut. */
const CUT_MS = 10_000;
/** From the link's return to the agent connected and current again: its reconnect backoff, at most a few seconds here, and a TCP SYN retransmit. */
const RECOVERY_BOUND_MS = 30_000;
/** "Within a few seconds" for an agent that must come back from its disk alone. */
const STATIC_RESUME_BOUND_MS = 5000;
const CONTROLLER_OUTAGE_MS = 60_000;
const PING_INTERVAL_S = 0.2;

function report(what: string, ms: number): void {
  process.stdout.write(`# measured: ${what}: ${ms} ms\n`);
}

/** Runs `body`; if it throws, marks the run failed so the logs get dumped at the end. */
function tracker(): { failed: () => boolean; track: (body: (st: TestContext) => Promise<void>) => (st: TestContext) => Promise<void> } {
  let failed = false;
  return {
    failed: () => failed,
    track: (body) => async (st) => {
      try {
        await body(st);
      } catch (err) {
        failed = true;
        throw err;
      }
    },
  };
}

test('kill -9 of the controller amid 500 add-node calls from 250 concurrent callers loses no acknowledged add and duplicates no subnet', { ...netnsTestOptions(), timeout: 180_000 }, async (t) => {
  const lab = labFor(t, 'fst');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-storm-'));
  const cluster = new Cluster({ lab, workDir, network: STORM_NETWORK, heartbeatIntervalMs: HEARTBEAT_MS });
  let ok = false;
  t.after(() => {
    if (!ok) cluster.dumpLogs(['controller']);
    rmSync(workDir, { recursive: true, force: true });
  });
  try {
    await cluster.startController();

    // One client process, 250 callers on their own connections, 500 adds; a line per call as it settles.
    const storm = cluster.spawnOnController(process.execPath, [ADD_NODES, cluster.adminSocket, String(STORM_CALLS), 'storm', String(STORM_CALLERS)]);
    let stderr = '';
    storm.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const acked = new Map<string, string>();
    const failed: string[] = [];
    let summary = '';
    let killing: Promise<void> | undefined;
    let killedAt = 0;
    let firstAckAt = 0;
    let lastAckAt = 0;
    const lines = createInterface({ input: storm.stdout! });
    lines.on('line', (line) => {
      const [kind, name, detail] = line.split(' ') as [string, string, string];
      if (kind === 'ack') {
        acked.set(name, detail);
        firstAckAt ||= Date.now();
        lastAckAt = Date.now();
      } else if (kind === 'fail') {
        failed.push(`${name} ${detail}`);
      } else if (kind === 'done') {
        summary = line;
      }
      // Synchronously, from the handler that saw the 100th ack: the kill lands mid-storm.
      if (!killing && acked.size >= KILL_AFTER_ACKS) {
        killedAt = Date.now();
        killing = cluster.killController();
        killing.catch(() => undefined); // awaited (and its error reported) once the storm is over
      }
    });
    const startedAt = Date.now();
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => storm.kill('SIGKILL'), 90_000);
      storm.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    await new Promise((resolve) => setImmediate(resolve)); // the last lines
    assert.ok(killing, `the controller was killed (acks seen: ${acked.size}, failures: ${failed.length}, stderr: ${stderr})`);
    await killing;
    assert.equal(exitCode, 0, `the storm client ran to the end: ${stderr}`);
    assert.equal(summary, `done ${acked.size} ${failed.length}`, 'every call was reported once');
    assert.equal(acked.size + failed.length, STORM_CALLS);
    assert.ok(acked.size >= KILL_AFTER_ACKS, `at least ${KILL_AFTER_ACKS} adds acknowledged before the kill`);
    const timeline = `${acked.size} acknowledged, ${failed.length} failed; first ack at ${firstAckAt - startedAt} ms, kill at ${killedAt - startedAt} ms, last ack at ${lastAckAt - startedAt} ms`;
    process.stdout.write(`# storm: ${timeline} (failures e.g. ${failed.slice(0, 2).join(', ')})\n`);
    assert.ok(failed.length >= 1, `the kill came mid-storm: some calls were never acknowledged (${timeline})`);

    await cluster.runController();
    const { nodes } = await cluster.listNodes();
    const byName = new Map(nodes.map((n) => [n.name, n]));
    for (const [name, subnet] of acked) {
      assert.equal(byName.get(name)?.subnet, subnet, `acknowledged add ${name} (${subnet}) survived the crash with its subnet`);
    }
    const subnets = nodes.map((n) => n.subnet);
    process.stdout.write(`# storm: after the restart ${nodes.length} nodes exist (${nodes.length - acked.size} committed but never acknowledged)\n`);
    assert.equal(new Set(subnets).size, subnets.length, 'no subnet is held by two nodes');
    assert.ok(nodes.length >= acked.size && nodes.length <= STORM_CALLS, `between the acknowledged and the attempted adds exist (${nodes.length})`);
    for (const node of nodes) {
      assert.match(node.name, /^storm-\d+$/, 'no node the storm did not add');
      assert.match(node.subnet, /^10\.([0-9]|1[0-5])\.\d+\.0\/24$/, `${node.name}'s subnet is a /24 inside ${STORM_NETWORK}`);
    }
    // The allocator's view agrees with the rows, and it goes on handing out free subnets only.
    const network = await cluster.tunctl(['network', '-o', 'json']);
    assert.equal(network.code, 0, network.stderr);
    assert.equal(Number((JSON.parse(network.stdout) as { subnetsUsed: string }).subnetsUsed), nodes.length, 'subnetsUsed counts every node');
    const after = await cluster.tunctl(['add-node', 'after-crash', '--underlay-ip', '172.21.0.1', '-o', 'json']);
    assert.equal(after.code, 0, after.stderr);
    const fresh = (JSON.parse(after.stdout) as { node: { subnet: string } }).node.subnet;
    assert.ok(!subnets.includes(fresh), `a node added after the crash gets a free subnet (${fresh})`);
    // A failed call was not applied twice or half: retrying it gives the node a subnet of its own.
    const retryName = failed[0]!.split(' ')[0]!;
    const retry = await cluster.tunctl(['add-node', retryName, '--underlay-ip', '172.21.0.2', '-o', 'json']);
    if (byName.has(retryName)) {
      assert.equal(retry.code, 1, 'the add committed before the kill is there: its name is taken');
      assert.match(retry.stderr, /already exists/);
    } else {
      assert.equal(retry.code, 0, retry.stderr);
      const retried = (JSON.parse(retry.stdout) as { node: { subnet: string } }).node.subnet;
      assert.ok(!subnets.includes(retried) && retried !== fresh, `the retried add gets a free subnet (${retried})`);
    }
    ok = true;
  } finally {
    await cluster.stopController();
  }
});

test('agents and the controller survive kills, outages and a silent link cut; traffic between containers goes on', { ...netnsTestOptions(), timeout: 420_000 }, async (t) => {
  const lab = labFor(t, 'flt');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-faults-'));
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: HEARTBEAT_MS });
  const { failed, track } = tracker();
  t.after(() => {
    if (failed()) cluster.dumpLogs(['controller', 'agent-h1', 'agent-h2']);
    rmSync(workDir, { recursive: true, force: true });
  });

  const bothConnected = async (timeoutMs: number) =>
    waitFor('both agents connected and up to date', async () => {
      const { nodes, revision } = await cluster.listNodes();
      const agents = nodes.filter((n) => n.name === 'h1' || n.name === 'h2');
      return agents.length === 2 && agents.every((n) => n.connected && n.appliedRevision === revision) && agents;
    }, timeoutMs, 250);

  try {
    const { h1, h2 } = await cluster.startPair();
    await cluster.waitForPing(h1, h2, 10_000);

    await t.test('an agent killed with -9 and restarted keeps its subnet, gets its routes back, and its container answers within 2 s', track(async () => {
      assert.equal((await cluster.ping(h1, h2, 2)).received, 2, 'h1 reaches h2 before the kill');
      await cluster.killAgent(h2);
      assert.equal(await cluster.pingOnce(h1, h2, 0.5), false, 'with its agent dead, h2 is cut off: the outage is real');

      const started = Date.now();
      cluster.startAgent(h2);
      const resumeMs = await cluster.waitForPing(h1, h2, 15_000, started);
      report('agent kill -9 → ping h1→h2 answered, from the restart', resumeMs);
      assert.ok(resumeMs <= RESUME_BOUND_MS, `ping resumed ${resumeMs} ms after the agent restarted (bound ${RESUME_BOUND_MS} ms)`);

      await cluster.waitForRoutes(h2, [h1.subnet], 5000);
      assert.deepEqual(await cluster.routesOn(h1), [h2.subnet], "h1's route to h2 is untouched");
      const node = (await cluster.listNodes()).nodes.find((n) => n.name === 'h2');
      assert.equal(node?.subnet, h2.subnet, 'the controller still gives h2 its subnet');
      const [tun] = JSON.parse((await lab.exec(h2.ns, 'ip', ['-j', 'addr', 'show', 'dev', 'tun0'])).stdout) as { addr_info: { local: string }[] }[];
      assert.equal(tun?.addr_info[0]?.local, h2.subnet.split('/')[0], 'the new TUN device carries the same subnet');
      const env = readFileSync(join(h2.stateDir, 'subnet.env'), 'utf8');
      const [base, len] = h2.subnet.split('/') as [string, string];
      assert.match(env, new RegExp(`TUNCTL_SUBNET=${base.replace(/\.0$/, '.1').replaceAll('.', '\\.')}/${len}\\n`));
    }));

    await t.test('a control link cut without FIN is detected within three heartbeats on both ends; when restored the agent catches up on what it missed', track(async () => {
      await bothConnected(40_000);
      const agentLog = cluster.logFile('agent-h2');
      const logOffset = statSync(agentLog).size;
      const agentNoticed = () => /route stream ended; reconnecting.*no message from the controller/.test(readFileSync(agentLog, 'utf8').slice(logOffset));
      let lateSubnet = '';
      const cutAt = Date.now();
      await cluster.cutControlLink(h2);
      try {
        const [agentMs, controllerMs] = await Promise.all([
          waitFor('h2 agent to notice the silent stream', () => agentNoticed() && Date.now() - cutAt, 20_000, 50),
          waitFor('the controller to mark h2 disconnected', async () => {
            const node = (await cluster.listNodes()).nodes.find((n) => n.name === 'h2');
            return node && !node.connected && Date.now() - cutAt;
          }, 20_000, 100),
        ]);
        report('link cut → agent logs the silent stream', agentMs);
        report('link cut → list-nodes shows h2 connected=false', controllerMs);
        assert.ok(agentMs <= DETECTION_BOUND_MS, `agent detected the cut after ${agentMs} ms (bound ${DETECTION_BOUND_MS} ms)`);
        assert.ok(controllerMs <= DETECTION_BOUND_MS, `controller detected the cut after ${controllerMs} ms (bound ${DETECTION_BOUND_MS} ms)`);
        const h1Node = (await cluster.listNodes()).nodes.find((n) => n.name === 'h1');
        assert.equal(h1Node?.connected, true, 'h1, whose link is intact, stays connected');
        const during = await cluster.ping(h1, h2, 3);
        assert.equal(during.received, 3, `the data path is not cut with the control link: ${during.output}`);
        // A change while h2 is cut off: h1 gets it at once, h2 must catch up after the cut.
        const added = await cluster.tunctl(['add-node', 'late', '--underlay-ip', '192.168.77.50', '-o', 'json']);
        assert.equal(added.code, 0, added.stderr);
        lateSubnet = (JSON.parse(added.stdout) as { node: { subnet: string } }).node.subnet;
        await cluster.waitForRoutes(h1, [h2.subnet, lateSubnet], 5000);
        // Long enough that the agent's reconnect attempts also run into the cut.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, cutAt + CUT_MS - Date.now())));
      } finally {
        await cluster.restoreControlLink(h2);
      }
      const restoredAt = Date.now();
      const nodes = await bothConnected(RECOVERY_BOUND_MS);
      report('link restored → h2 connected and at the latest revision', Date.now() - restoredAt);
      assert.ok(nodes.every((n) => n.lag === 0), 'no agent is behind');
      await cluster.waitForRoutes(h2, [h1.subnet, lateSubnet], 5000);

      // Back to two nodes for the next scenarios.
      const removed = await cluster.tunctl(['remove-node', 'late']);
      assert.equal(removed.code, 0, removed.stderr);
      await cluster.waitForRoutes(h1, [h2.subnet], 5000);
      await cluster.waitForRoutes(h2, [h1.subnet], 5000);
    }));

    await t.test('an agent restarted while the controller is down comes back from its disk and forwards', track(async () => {
      await bothConnected(40_000);
      assert.equal(await cluster.stopController(), 0, 'controller exits 0 on SIGTERM');
      assert.notEqual((await cluster.tunctl(['network'])).code, 0, 'the controller is really down');
      try {
        await cluster.killAgent(h2);
        const killedRestart = Date.now();
        cluster.startAgent(h2);
        const afterKillMs = await cluster.waitForPing(h1, h2, 20_000, killedRestart);
        report('controller down, agent kill -9 → ping h1→h2 answered, from the restart', afterKillMs);
        assert.ok(afterKillMs <= STATIC_RESUME_BOUND_MS, `ping resumed ${afterKillMs} ms after the restart (bound ${STATIC_RESUME_BOUND_MS} ms)`);
        assert.deepEqual(await cluster.routesOn(h2), [h1.subnet], 'h2 has its last route table back');

        // A clean stop must not forget the table either.
        assert.equal(await cluster.stopAgent(h1), 0, 'h1 agent exits 0 on SIGTERM');
        const termRestart = Date.now();
        cluster.startAgent(h1);
        const afterTermMs = await cluster.waitForPing(h1, h2, 20_000, termRestart);
        report('controller down, agent SIGTERM → ping h1→h2 answered, from the restart', afterTermMs);
        assert.ok(afterTermMs <= STATIC_RESUME_BOUND_MS, `ping resumed ${afterTermMs} ms after the restart (bound ${STATIC_RESUME_BOUND_MS} ms)`);
        assert.equal((await cluster.ping(h2, h1, 2)).received, 2, 'and back');
        assert.equal(cluster.controllerRunning, false, 'all of it with the controller still down');
      } finally {
        if (!cluster.controllerRunning) await cluster.runController();
        for (const host of [h1, h2]) if (!host.agent) cluster.startAgent(host);
      }
      await bothConnected(45_000);
    }));

    await t.test('with the controller stopped for 60 s, a continuous container-to-container ping loses nothing', track(async () => {
      // 1 s before the stop, the 60 s outage, and at least 10 s after it (restart included).
      const count = Math.ceil((1 + CONTROLLER_OUTAGE_MS / 1000 + 11) / PING_INTERVAL_S);
      const logOffsets = new Map(['agent-h1', 'agent-h2'].map((name) => [name, statSync(cluster.logFile(name)).size]));
      const ping = cluster.continuousPing(h1, h2, count, PING_INTERVAL_S);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(ping.process.exitCode, null, 'the ping is running when the controller stops');
      assert.equal(await cluster.stopController(), 0, 'controller exits 0 on SIGTERM');
      const downAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, CONTROLLER_OUTAGE_MS - 2000));
      assert.notEqual((await cluster.tunctl(['network'])).code, 0, 'the controller is still down near the end of the minute');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, downAt + CONTROLLER_OUTAGE_MS - Date.now())));
      await cluster.runController();
      report('controller outage', Date.now() - downAt);
      assert.equal(ping.process.exitCode, null, 'the ping outlasted the outage');
      const summary = await ping.exited;
      assert.equal(summary.transmitted, count, summary.output);
      assert.equal(summary.received, count, `no request lost: ${summary.output.split('\n').slice(-3).join(' ')}`);
      for (const [name, offset] of logOffsets) {
        assert.match(readFileSync(cluster.logFile(name), 'utf8').slice(offset), /route stream ended; reconnecting/, `${name} saw the controller go away`);
      }
    }));
  } finally {
    for (const host of cluster.hosts.values()) {
      await cluster.restoreControlLink(host).catch(() => undefined);
      await cluster.stopAgent(host);
    }
    await cluster.stopController();
  }
});
