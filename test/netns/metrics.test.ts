// End to end: an agent with --metrics-listen on its host's loopback (inside the host's
// namespace), scraped from inside that namespace while containers ping each other: /readyz
// turns 200 once the data path is up, the per-peer counters for the other host grow with
// the pings, and the data path and controller connection are described.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster } from './cluster.js';
import { labFor, netnsTestOptions, waitFor, type NetnsLab } from './netns.js';
import { parseExposition, sample } from '../common/prometheus-text.js';
import { VERSION } from '../../common/version.js';

const METRICS = '127.0.0.1:9464';

/** GET http://METRICS/PATH from inside `ns` (its own loopback): status and body. */
async function get(lab: NetnsLab, ns: string, path: string): Promise<{ status: number; body: string }> {
  const script = `fetch('http://${METRICS}${path}').then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { process.stderr.write(String(e)); process.exit(3); })`;
  const res = await lab.execStatus(ns, process.execPath, ['-e', script], 10_000);
  if (res.code !== 0) throw new Error(`GET ${path} in ${ns} failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as { status: number; body: string };
}

async function scrapeIn(lab: NetnsLab, ns: string): Promise<Map<string, number>> {
  const res = await get(lab, ns, '/metrics');
  assert.equal(res.status, 200);
  return parseExposition(res.body);
}

test('agent metrics: per-peer traffic grows with pings, scraped inside the host namespace', { ...netnsTestOptions(), timeout: 180_000 }, async (t) => {
  const lab = labFor(t, 'met');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-metrics-'));
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: 500 });
  t.after(async () => {
    if (process.exitCode || t.signal.aborted) cluster.dumpLogs(['controller', 'agent-h1', 'agent-h2']);
    rmSync(workDir, { recursive: true, force: true });
  });
  await cluster.startController();
  const h1 = await cluster.addHost('h1', 1);
  const h2 = await cluster.addHost('h2', 2);
  cluster.startAgent(h1, ['--metrics-listen', METRICS]);
  cluster.startAgent(h2);
  await cluster.waitForRoutes(h1, [h2.subnet]);
  await cluster.waitForRoutes(h2, [h1.subnet]);

  await waitFor('/readyz on h1', async () => (await get(lab, h1.ns, '/readyz')).status === 200, 20_000, 200);
  assert.equal((await get(lab, h1.ns, '/healthz')).status, 200);
  const outside = await lab.execStatus(h2.ns, process.execPath, ['-e', `fetch('http://${METRICS}/healthz').then(() => process.exit(0), () => process.exit(4))`], 10_000);
  assert.equal(outside.code, 4, 'the endpoint is on h1\'s loopback only: h2\'s namespace has none there');

  const start = await waitFor('the controller connection in the metrics', async () => {
    const s = await scrapeIn(lab, h1.ns);
    return s.get('tunctl_agent_controller_connected') === 1 ? s : undefined;
  }, 15_000, 200);
  const info = [...start.keys()].filter((k) => k.startsWith('tunctl_agent_datapath_info{'));
  assert.equal(info.length, 1, info.join('\n'));
  assert.match(info[0]!, /^tunctl_agent_datapath_info\{mode="(superpackets|per-packet)",tso="(true|false)",uso="(true|false)",gso="(true|false)",gro="(true|false)"\}$/);
  assert.equal(start.get(info[0]!), 1);
  assert.ok(sample(start, 'tunctl_agent_datapath_workers') >= 1);
  assert.equal(sample(start, `tunctl_agent_info{node="h1",subnet="${h1.subnet}",underlay_ip="${h1.underlayIp}",version="${VERSION}"}`), 1);
  assert.ok(sample(start, 'tunctl_agent_revision') > 0);
  assert.equal(sample(start, 'tunctl_agent_routes_desired'), 1);
  assert.ok(sample(start, 'tunctl_agent_route_reconcile_rounds_total') >= 1);
  assert.ok(sample(start, 'tunctl_agent_routes_added_total') >= 1, 'the route to h2 was added');

  const tx = (s: Map<string, number>) => sample(s, 'tunctl_agent_peer_tx_packets_total{peer="h2"}');
  const rx = (s: Map<string, number>) => sample(s, 'tunctl_agent_peer_rx_packets_total{peer="h2"}');
  const first = await cluster.ping(h1, h2, 5);
  assert.equal(first.received, 5, first.output);
  const afterFirst = await scrapeIn(lab, h1.ns);
  assert.ok(tx(afterFirst) >= 5, `sent to h2: ${tx(afterFirst)}`);
  assert.ok(rx(afterFirst) >= 5, `heard from h2: ${rx(afterFirst)}`);
  assert.ok(sample(afterFirst, 'tunctl_agent_peer_rx_bytes_total{peer="h2"}') >= 5 * 84, '84-byte echo replies');
  assert.ok(sample(afterFirst, 'tunctl_agent_peer_tx_bytes_total{peer="h2"}') >= 5 * 84, '84-byte echo requests');
  const sinceRx = sample(afterFirst, 'tunctl_agent_peer_seconds_since_rx{peer="h2"}');
  assert.ok(sinceRx >= 0 && sinceRx < 10, `h2 heard from ${sinceRx} s ago`);
  assert.ok(sample(afterFirst, 'tunctl_agent_tx_packets_total') >= tx(afterFirst), 'the totals hold the peer\'s');

  const second = await cluster.ping(h1, h2, 10);
  assert.equal(second.received, 10, second.output);
  const afterSecond = await scrapeIn(lab, h1.ns);
  assert.ok(tx(afterSecond) >= tx(afterFirst) + 10, `sent to h2 grew by the 10 requests: ${tx(afterFirst)} -> ${tx(afterSecond)}`);
  assert.ok(rx(afterSecond) >= rx(afterFirst) + 10, `heard from h2 grew by the 10 replies: ${rx(afterFirst)} -> ${rx(afterSecond)}`);

  // Stopped: the endpoint goes with the agent.
  assert.equal(await cluster.stopAgent(h1), 0);
  await assert.rejects(get(lab, h1.ns, '/healthz'));
});
