// ReportAddressUsage over real mTLS sockets: an agent's report lands on the node its certificate
// names and on no other, replaces the one before without touching the route table or the audit
// log; counts that cannot be true are refused with INVALID_ARGUMENT and store nothing; callers
// without a valid certificate, or for a node the controller does not have, get what Register gets.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import type { AdminClient } from '../../cli/admin-client.js';
import { controllerChannelCredentials } from '../../common/controller-tls.js';
import { DB_FILE_NAME } from '../../controller/store/sqlite-store.js';
import { ControllerClient } from '../../node-agent/controller-client.js';
import type { GetNodeResponse__Output } from '../../proto/gen/tunctl/v1/GetNodeResponse.js';
import type { ListAuditEventsResponse__Output } from '../../proto/gen/tunctl/v1/ListAuditEventsResponse.js';
import type { ListNodesResponse__Output } from '../../proto/gen/tunctl/v1/ListNodesResponse.js';
import type { Node__Output } from '../../proto/gen/tunctl/v1/Node.js';
import { controllerForSuite, expectStatus, startController, type ControllerFixture } from './controller-fixture.js';

/** The three usage fields of a node as ListNodes or GetNode shows them; the time in ms, null when unset. */
function usageOf(node: Node__Output | undefined): { leased: number; capacity: number; reportedAtMs: number | null } {
  assert.ok(node, 'node listed');
  const at = node.addressUsageReportedAt;
  return { leased: node.addressesLeased, capacity: node.addressCapacity, reportedAtMs: at ? at.seconds * 1000 + Math.floor(at.nanos / 1e6) : null };
}

const NEVER = { leased: 0, capacity: 0, reportedAtMs: null };

async function listed(admin: AdminClient): Promise<ListNodesResponse__Output> {
  return admin.call<object, ListNodesResponse__Output>('ListNodes', {});
}

async function getNode(admin: AdminClient, name: string): Promise<Node__Output> {
  return (await admin.call<object, GetNodeResponse__Output>('GetNode', { name })).node!;
}

describe('ReportAddressUsage over gRPC', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  controllerForSuite((started) => ({ fx, admin } = started));

  test("a report shows in ListNodes and GetNode for the certificate's node only, replaces the last one, and changes no revision and no audit row", async () => {
    await admin.call('AddNode', { name: 'u1', underlayIp: '192.168.90.1' });
    await admin.call('AddNode', { name: 'u2', underlayIp: '192.168.90.2' });
    const agent = fx.agentClient(await fx.join(admin, 'u1'));
    try {
      const before = await listed(admin);
      assert.deepEqual(usageOf(before.nodes.find((n) => n.name === 'u1')), NEVER, 'never reported: capacity 0, no time');
      assert.equal(before.nodes.find((n) => n.name === 'u1')!.lastSeenAt, null);
      const auditBefore = (await admin.call<object, ListAuditEventsResponse__Output>('ListAuditEvents', {})).events.length;

      const sentAt = Date.now();
      await agent.reportAddressUsage(3, 253);
      const after = await listed(admin);
      const u1 = usageOf(after.nodes.find((n) => n.name === 'u1'));
      assert.deepEqual({ leased: u1.leased, capacity: u1.capacity }, { leased: 3, capacity: 253 });
      assert.ok(u1.reportedAtMs !== null && u1.reportedAtMs >= sentAt - 1000 && u1.reportedAtMs <= Date.now(), `reported at ${u1.reportedAtMs}`);
      assert.deepEqual(usageOf(after.nodes.find((n) => n.name === 'u2')), NEVER, 'the other node is untouched');
      assert.ok(after.nodes.find((n) => n.name === 'u1')!.lastSeenAt, 'a report is a sign of life');
      assert.equal(after.revision, before.revision, 'no route changed, so no new revision');

      // 0 leased is a report, not "never": the time and capacity tell them apart.
      await agent.reportAddressUsage(0, 253);
      const zero = usageOf(await getNode(admin, 'u1'));
      assert.deepEqual({ leased: zero.leased, capacity: zero.capacity }, { leased: 0, capacity: 253 });
      assert.ok(zero.reportedAtMs !== null && zero.reportedAtMs >= u1.reportedAtMs!);
      // The whole subnet is the most a node can offer.
      await agent.reportAddressUsage(256, 256);
      const full = usageOf(await getNode(admin, 'u1'));
      assert.deepEqual([full.leased, full.capacity], [256, 256]);

      assert.equal((await listed(admin)).revision, before.revision);
      const auditAfter = (await admin.call<object, ListAuditEventsResponse__Output>('ListAuditEvents', {})).events;
      assert.equal(auditAfter.length, auditBefore, `no audit row for telemetry: ${JSON.stringify(auditAfter.slice(0, 3))}`);
    } finally {
      agent.close();
    }
  });

  test('counts that cannot be true are refused with INVALID_ARGUMENT, saying what to send, and store nothing', async () => {
    await admin.call('AddNode', { name: 'u3', underlayIp: '192.168.90.3' });
    await admin.call('AddNode', { name: 'u4', underlayIp: '192.168.90.4' });
    const agent = fx.agentClient(await fx.join(admin, 'u3'));
    const fresh = fx.agentClient(await fx.join(admin, 'u4'));
    try {
      const refusals: Array<[number, number, RegExp]> = [
        [0, 0, /capacity must be at least 1: the number of addresses of the node's subnet 10\.244\.\d+\.0\/24 the agent hands out/],
        [5, 0, /capacity must be at least 1/],
        [1, 257, /capacity 257 is more than the 256 addresses of the node's subnet 10\.244\.\d+\.0\/24/],
        [0, 4294967295, /capacity 4294967295 is more than the 256 addresses/],
        [101, 100, /leased 101 is more than capacity 100/],
      ];
      // A node that never reported stays "never reported".
      for (const [leased, capacity, pattern] of refusals) {
        await expectStatus(fresh.reportAddressUsage(leased, capacity), grpc.status.INVALID_ARGUMENT, pattern);
      }
      assert.deepEqual(usageOf(await getNode(admin, 'u4')), NEVER);

      // A node that did keeps its last good report.
      await agent.reportAddressUsage(5, 100);
      const good = usageOf(await getNode(admin, 'u3'));
      for (const [leased, capacity, pattern] of refusals) {
        await expectStatus(agent.reportAddressUsage(leased, capacity), grpc.status.INVALID_ARGUMENT, pattern);
      }
      // A call the agent cancels (it is stopping) fails as CANCELLED, like its other calls.
      await expectStatus(agent.reportAddressUsage(6, 100, { signal: AbortSignal.abort() }), grpc.status.CANCELLED, /cancelled: the agent is stopping/);
      assert.deepEqual(usageOf(await getNode(admin, 'u3')), good);
      assert.equal(good.leased, 5);
    } finally {
      agent.close();
      fresh.close();
    }
  });

  test('only a certificate says whose usage it is: each agent reports for its own node, none without one or with a revoked one', async () => {
    await admin.call('AddNode', { name: 'u5', underlayIp: '192.168.90.5' });
    await admin.call('AddNode', { name: 'u6', underlayIp: '192.168.90.6' });
    const u5 = fx.agentClient(await fx.join(admin, 'u5'));
    const u6 = fx.agentClient(await fx.join(admin, 'u6'));
    const anonymous = new ControllerClient(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem));
    try {
      await u5.reportAddressUsage(1, 10);
      await u6.reportAddressUsage(2, 20);
      await u5.reportAddressUsage(7, 10);
      const { nodes } = await listed(admin);
      assert.deepEqual([usageOf(nodes.find((n) => n.name === 'u5')).leased, usageOf(nodes.find((n) => n.name === 'u5')).capacity], [7, 10]);
      assert.deepEqual([usageOf(nodes.find((n) => n.name === 'u6')).leased, usageOf(nodes.find((n) => n.name === 'u6')).capacity], [2, 20], "u5's reports never land on u6");

      await expectStatus(anonymous.reportAddressUsage(1, 10), grpc.status.UNAUTHENTICATED, /needs the node's client certificate/);
      const denied = (await admin.call<object, ListAuditEventsResponse__Output>('ListAuditEvents', {})).events;
      assert.ok(denied.some((e) => e.action === 'ReportAddressUsage' && e.outcome === 'denied' && e.actor === 'anonymous'), 'the refusal is audited as for Register');

      // Removal revokes the certificate: the same refusal Register gets, and the re-added node starts never reported.
      await admin.call('RemoveNode', { name: 'u6' });
      await expectStatus(u6.register('u6', '', 1500, 'test'), grpc.status.UNAUTHENTICATED, /revoked/);
      await expectStatus(u6.reportAddressUsage(2, 20), grpc.status.UNAUTHENTICATED, /certificate of node "u6" was revoked at .*node removed/);
      await admin.call('AddNode', { name: 'u6', underlayIp: '192.168.90.6' });
      assert.deepEqual(usageOf(await getNode(admin, 'u6')), NEVER);
    } finally {
      u5.close();
      u6.close();
      anonymous.close();
    }
  });
});

describe('ReportAddressUsage for a node the controller does not have', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  before(async () => {
    fx = await startController();
    admin = await fx.admin();
  });
  after(async () => {
    admin.close();
    await fx.dispose();
  });

  test('gets NOT_FOUND saying how to add it, as Register does', async () => {
    await admin.call('AddNode', { name: 'ghost', underlayIp: '192.168.91.1' });
    const agent = fx.agentClient(await fx.join(admin, 'ghost'));
    try {
      // remove-node revokes the certificate with the row; only a row deleted behind the
      // controller's back leaves a valid certificate for a node it does not have.
      const db = new Database(path.join(fx.dataDir, DB_FILE_NAME), { timeout: 5000 });
      try {
        db.prepare("DELETE FROM nodes WHERE name = 'ghost'").run();
      } finally {
        db.close();
      }
      const notKnown = /node "ghost" is not known to the controller; add it first with `tunctl add-node ghost/;
      await expectStatus(agent.register('ghost', '', 1500, 'test'), grpc.status.NOT_FOUND, notKnown);
      await expectStatus(agent.reportAddressUsage(1, 10), grpc.status.NOT_FOUND, notKnown);
    } finally {
      agent.close();
    }
  });
});
