// The controller's metrics endpoint over real HTTP, with a real controller and agents on real
// mTLS Watch streams: node count, connected agents, revision, each agent's lag and connection,
// gRPC calls by status code (failures included) and the latency histogram; and readiness:
// /readyz and the gRPC health service both turn NOT_SERVING as soon as the shutdown begins.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { AdminClient } from '../../cli/admin-client.js';
import type { WatchResponse__Output } from '../../proto/gen/tunctl/v1/WatchResponse.js';
import { waitFor } from '../netns/netns.js';
import { sample, scrape } from '../common/prometheus-text.js';
import { controllerForSuite, expectStatus, openRawWatch, rawAgentClient, startController, type ControllerFixture } from './controller-fixture.js';

const ADMIN = 'service="tunctl.v1.AdminService"';
const AGENT = 'service="tunctl.v1.AgentService"';

describe('controller metrics over HTTP', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  controllerForSuite((started) => ({ fx, admin } = started), { metricsListen: '127.0.0.1:0' });
  const metricsUrl = () => `http://127.0.0.1:${fx.controller.metricsPort}/metrics`;

  test('nodes, connected agents, revision, lag per agent, calls by code and their latency', async () => {
    for (const [i, name] of ['n1', 'n2', 'n3'].entries()) await admin.call('AddNode', { name, underlayIp: `192.168.70.${i + 1}` });
    const n1 = rawAgentClient(fx, await fx.join(admin, 'n1'));
    const n2 = rawAgentClient(fx, await fx.join(admin, 'n2'));
    // n1 acks everything; n2 keeps the table of its snapshot and acks only that revision.
    const w1 = openRawWatch(n1, { start: { nodeName: 'n1', knownRevision: 0 } });
    let held = 0;
    const w2 = openRawWatch(n2, { start: { nodeName: 'n2', knownRevision: 0 } }, (m: WatchResponse__Output) => {
      if (m.kind === 'KIND_SNAPSHOT') held = m.revision;
      return m.kind === 'KIND_DELTA' ? null : { ack: { appliedRevision: held } };
    });
    await waitFor('both snapshots', () => w1.messages.length > 0 && w2.messages.length > 0, 15_000);
    await admin.call('AddNode', { name: 'n4', underlayIp: '192.168.70.4' });
    await waitFor('the delta on both streams', () => [w1, w2].every((w) => w.messages.some((m) => m.kind === 'KIND_DELTA')), 15_000);
    await expectStatus(admin.call('RemoveNode', { name: 'ghost' }), grpc.status.NOT_FOUND, /not found/);
    await expectStatus(admin.call('GetNode', { name: 'NOPE!' }), grpc.status.INVALID_ARGUMENT, /is invalid/);

    const latest = fx.controller.store.latestRevision();
    assert.equal(held, latest - 1, 'n2 holds the table from before n4 was added');
    const lag = (node: string) => `tunctl_controller_agent_lag_revisions{node="${node}"}`;
    const { samples } = await waitFor('n1\'s ack of the latest revision', async () => {
      const scraped = await scrape(metricsUrl());
      return scraped.samples.get(lag('n1')) === 0 && scraped.samples.get(lag('n2')) === 1 ? scraped : undefined;
    }, 15_000);
    assert.equal(sample(samples, 'tunctl_controller_nodes'), 4);
    assert.equal(sample(samples, 'tunctl_controller_connected_agents'), 2);
    assert.equal(sample(samples, 'tunctl_controller_revision'), latest);
    assert.equal(sample(samples, lag('n3')), 0, 'an agent that never applied a table shows no lag (its node is pending)');
    assert.equal(sample(samples, 'tunctl_controller_agent_connected{node="n1"}'), 1);
    assert.equal(sample(samples, 'tunctl_controller_agent_connected{node="n2"}'), 1);
    assert.equal(sample(samples, 'tunctl_controller_agent_connected{node="n3"}'), 0);

    const calls = (service: string, method: string, code: string) => sample(samples, `tunctl_controller_rpc_calls_total{${service},method="${method}",code="${code}"}`);
    assert.equal(calls(ADMIN, 'AddNode', 'OK'), 4);
    assert.equal(calls(ADMIN, 'CreateJoinToken', 'OK'), 2);
    assert.equal(calls(AGENT, 'Join', 'OK'), 2);
    assert.equal(calls(ADMIN, 'RemoveNode', 'NOT_FOUND'), 1);
    assert.equal(calls(ADMIN, 'GetNode', 'INVALID_ARGUMENT'), 1);
    assert.ok(![...samples.keys()].some((s) => s.includes('method="Watch"')), 'the Watch streams still run: not counted yet');

    // The histogram of AddNode: cumulative buckets ending in +Inf = count = 4 calls, a positive sum.
    const buckets = [...samples].filter(([series]) => series.startsWith('tunctl_controller_rpc_duration_seconds_bucket{') && series.includes('method="AddNode"'));
    assert.equal(buckets.length, 15, buckets.map(([s]) => s).join('\n'));
    assert.ok(buckets.every(([, v], i) => i === 0 || v >= buckets[i - 1]![1]), 'buckets are cumulative');
    assert.equal(sample(samples, `tunctl_controller_rpc_duration_seconds_bucket{le="+Inf",${ADMIN},method="AddNode"}`), 4);
    assert.equal(sample(samples, `tunctl_controller_rpc_duration_seconds_count{${ADMIN},method="AddNode"}`), 4);
    const sum = sample(samples, `tunctl_controller_rpc_duration_seconds_sum{${ADMIN},method="AddNode"}`);
    assert.ok(sum > 0 && sum < 40, `AddNode took ${sum} s in all`);
    assert.equal(sample(samples, `tunctl_controller_rpc_duration_seconds_count{${ADMIN},method="RemoveNode"}`), 1, 'failed calls are timed too');
    assert.ok(![...samples.keys()].some((s) => s.startsWith('tunctl_controller_rpc_duration_seconds') && s.includes('method="Watch"')), 'a stream\'s lifetime is no latency');
    assert.ok(samples.has('process_cpu_user_seconds_total') && samples.has('nodejs_heap_size_used_bytes'), 'the default process metrics');

    // n2's agent ends its stream (the controller answers OK): counted once it ended; n2 is no longer connected.
    w2.call.end();
    const after = await waitFor('n2 to disconnect', async () => {
      const scraped = await scrape(metricsUrl());
      return scraped.samples.get('tunctl_controller_connected_agents') === 1 ? scraped.samples : undefined;
    }, 15_000);
    assert.equal(sample(after, 'tunctl_controller_agent_connected{node="n2"}'), 0);
    assert.equal(sample(after, `tunctl_controller_rpc_calls_total{${AGENT},method="Watch",code="OK"}`), 1);
    // A removed node's series go with it.
    await admin.call('RemoveNode', { name: 'n3' });
    const removed = (await scrape(metricsUrl())).samples;
    assert.equal(sample(removed, 'tunctl_controller_nodes'), 3);
    assert.equal(removed.has(lag('n3')), false);
    assert.equal(removed.has('tunctl_controller_agent_connected{node="n3"}'), false);
    w1.call.cancel();
    n1.close();
    n2.close();
  });
});

interface HealthClient extends grpc.Client {
  Check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void;
  Watch(req: { service: string }): grpc.ClientReadableStream<{ status: string }>;
}

test('readiness: /readyz and the health service say NOT_SERVING from the start of the shutdown', async () => {
  const fx = await startController({ metricsListen: '127.0.0.1:0' });
  const base = `http://127.0.0.1:${fx.controller.metricsPort}`;
  const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const health = new Health(`unix:${fx.adminSocket}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
  try {
    assert.equal(fx.controller.ready, true);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    for (const service of ['', 'tunctl.v1.AdminService', 'tunctl.v1.AgentService']) {
      const res = await new Promise<{ status: string }>((resolve, reject) => health.Check({ service }, (err, r) => (err ? reject(err) : resolve(r))));
      assert.equal(res.status, 'SERVING', `health of "${service}"`);
    }
    // A health watch stays open through the shutdown: it hears the change, and keeps the
    // grace period going while the test looks at /readyz.
    const statuses: string[] = [];
    const watch = health.Watch({ service: '' });
    watch.on('data', (m: { status: string }) => statuses.push(m.status));
    watch.on('error', () => undefined);
    await waitFor('the first health status', () => statuses.length > 0, 5000);
    assert.deepEqual(statuses, ['SERVING']);

    const stopped = fx.controller.stop(10_000);
    await waitFor('NOT_SERVING on the health watch', () => statuses.includes('NOT_SERVING'), 5000);
    assert.equal(fx.controller.ready, false);
    const readyz = await fetch(`${base}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(await readyz.text(), 'not ready\n');
    assert.equal((await fetch(`${base}/healthz`)).status, 200, 'the process still answers while it stops');
    watch.cancel();
    await stopped;
    await assert.rejects(fetch(`${base}/healthz`), 'the endpoint is closed once the controller stopped');
  } finally {
    health.close();
    await fx.dispose();
  }
});

test('without --metrics-listen there is no endpoint', async () => {
  const fx = await startController();
  try {
    assert.equal(fx.controller.metricsPort, undefined);
    assert.equal(fx.controller.ready, true);
  } finally {
    await fx.dispose();
  }
});
