// ReserveSubnet, ListReservations, DeleteReservation, ListQuarantinedSubnets,
// ReleaseQuarantinedSubnet and GetNetwork's pool counts over real gRPC: status codes, audit
// rows with the caller as actor, and who may call them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { AdminClient } from '../../cli/admin-client.js';
import type { AddNodeResponse__Output } from '../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { CreateApiKeyResponse__Output } from '../../proto/gen/tunctl/v1/CreateApiKeyResponse.js';
import type { DeleteReservationResponse__Output } from '../../proto/gen/tunctl/v1/DeleteReservationResponse.js';
import type { GetNetworkResponse__Output } from '../../proto/gen/tunctl/v1/GetNetworkResponse.js';
import type { ListAuditEventsResponse__Output } from '../../proto/gen/tunctl/v1/ListAuditEventsResponse.js';
import type { ListQuarantinedSubnetsResponse__Output } from '../../proto/gen/tunctl/v1/ListQuarantinedSubnetsResponse.js';
import type { ListReservationsResponse__Output } from '../../proto/gen/tunctl/v1/ListReservationsResponse.js';
import type { ReleaseQuarantinedSubnetResponse__Output } from '../../proto/gen/tunctl/v1/ReleaseQuarantinedSubnetResponse.js';
import type { ReserveSubnetResponse__Output } from '../../proto/gen/tunctl/v1/ReserveSubnetResponse.js';
import { MemoryLogger } from '../../common/logger.js';
import { Controller } from '../../controller/controller.js';
import { controllerForSuite, expectStatus, networkInput, startController, type ControllerFixture } from './controller-fixture.js';

describe('subnet reservations and quarantine over gRPC', { timeout: 60_000 }, () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  controllerForSuite((started) => ({ fx, admin } = started));
  const audit = async () => (await admin.call<object, ListAuditEventsResponse__Output>('ListAuditEvents', {})).events;

  test('reserve, add (gets the pin), remove (no quarantine), list, unreserve; GetNetwork counts each set', async () => {
    const reserved = await admin.call<object, ReserveSubnetResponse__Output>('ReserveSubnet', { nodeName: 'pinned', subnet: '10.244.40.0/24' });
    assert.equal(reserved.reservation!.subnet, '10.244.40.0/24');
    assert.equal(reserved.reservation!.createdBy, 'local');
    assert.ok(reserved.reservation!.createdAt!.seconds > 0);
    const picked = await admin.call<object, ReserveSubnetResponse__Output>('ReserveSubnet', { nodeName: 'picked' });
    assert.equal(picked.reservation!.subnet, '10.244.0.0/24', 'no subnet: the allocator picks now');

    let net = await admin.call<object, GetNetworkResponse__Output>('GetNetwork', {});
    assert.deepEqual([net.subnetsUsed, net.subnetsReserved, net.subnetsQuarantined], [0, 2, 0]);
    assert.match(net.clusterId, /^[0-9a-f]{32}$/);

    const added = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'pinned', underlayIp: '192.168.90.1' });
    assert.equal(added.node!.subnet, '10.244.40.0/24');
    await admin.call('AddNode', { name: 'plain', underlayIp: '192.168.90.2' });
    net = await admin.call<object, GetNetworkResponse__Output>('GetNetwork', {});
    assert.deepEqual([net.subnetsUsed, net.subnetsReserved, net.subnetsQuarantined], [2, 1, 0]);

    await admin.call('RemoveNode', { name: 'pinned' });
    await admin.call('RemoveNode', { name: 'plain' });
    const held = await admin.call<object, ListQuarantinedSubnetsResponse__Output>('ListQuarantinedSubnets', {});
    assert.deepEqual(held.subnets.map((q) => [q.subnet, q.previousNode]), [['10.244.1.0/24', 'plain']], 'the pinned subnet is not quarantined');
    const q = held.subnets[0]!;
    assert.equal(q.availableAt!.seconds - q.releasedAt!.seconds, 24 * 3600, 'the default quarantine is 24 h');
    net = await admin.call<object, GetNetworkResponse__Output>('GetNetwork', {});
    assert.deepEqual([net.subnetsUsed, net.subnetsReserved, net.subnetsQuarantined], [0, 2, 1]);

    const list = await admin.call<object, ListReservationsResponse__Output>('ListReservations', {});
    assert.deepEqual(list.reservations.map((r) => [r.nodeName, r.subnet]), [['picked', '10.244.0.0/24'], ['pinned', '10.244.40.0/24']]);
    const dropped = await admin.call<object, DeleteReservationResponse__Output>('DeleteReservation', { nodeName: 'picked' });
    assert.equal(dropped.reservation!.subnet, '10.244.0.0/24');

    const released = await admin.call<object, ReleaseQuarantinedSubnetResponse__Output>('ReleaseQuarantinedSubnet', { subnet: '10.244.1.0/24' });
    assert.equal(released.subnet!.previousNode, 'plain');
    assert.deepEqual((await admin.call<object, ListQuarantinedSubnetsResponse__Output>('ListQuarantinedSubnets', {})).subnets, []);

    const rows = await audit();
    for (const action of ['reserve-subnet', 'unreserve-subnet', 'release-quarantine']) {
      const row = rows.find((e) => e.action === action);
      assert.ok(row, `an audit row for ${action}`);
      assert.equal(row.actor, 'local');
      assert.equal(row.outcome, 'ok');
    }
    assert.match(rows.find((e) => e.action === 'remove-node' && e.target === 'plain')!.detail, /in quarantine until/);
  });

  test('each refusal has its status code and a message that says what to do', async () => {
    await admin.call('AddNode', { name: 'holder', underlayIp: '192.168.91.1', subnet: '10.244.50.0/24' });
    await admin.call('ReserveSubnet', { nodeName: 'owner', subnet: '10.244.51.0/24' });
    await admin.call('AddNode', { name: 'leaver', underlayIp: '192.168.91.2', subnet: '10.244.52.0/24' });
    await admin.call('RemoveNode', { name: 'leaver' });

    const S = grpc.status;
    const cases: [string, object, grpc.status, RegExp][] = [
      ['ReserveSubnet', { nodeName: '' }, S.INVALID_ARGUMENT, /node_name is required/],
      ['ReserveSubnet', { nodeName: 'Bad_Name' }, S.INVALID_ARGUMENT, /node name "Bad_Name" is invalid/],
      ['ReserveSubnet', { nodeName: 'x', subnet: '10.244.53.0' }, S.INVALID_ARGUMENT, /subnet "10\.244\.53\.0" is not a CIDR block/],
      ['ReserveSubnet', { nodeName: 'x', subnet: '10.244.53.0/25' }, S.INVALID_ARGUMENT, /hands out \/24 subnets/],
      ['ReserveSubnet', { nodeName: 'x', subnet: '10.9.0.0/24' }, S.INVALID_ARGUMENT, /outside the network 10\.244\.0\.0\/16/],
      ['ReserveSubnet', { nodeName: 'owner' }, S.ALREADY_EXISTS, /already has subnet 10\.244\.51\.0\/24 reserved/],
      ['ReserveSubnet', { nodeName: 'holder' }, S.ALREADY_EXISTS, /node "holder" was already added with subnet 10\.244\.50\.0\/24/],
      ['ReserveSubnet', { nodeName: 'x', subnet: '10.244.50.0/24' }, S.ALREADY_EXISTS, /already assigned to node "holder"/],
      ['ReserveSubnet', { nodeName: 'x', subnet: '10.244.51.0/24' }, S.ALREADY_EXISTS, /is reserved for node "owner"/],
      ['ReserveSubnet', { nodeName: 'x', subnet: '10.244.52.0/24' }, S.FAILED_PRECONDITION, /in quarantine until .*node "leaver".*`tunctl quarantine release 10\.244\.52\.0\/24`/],
      ['AddNode', { name: 'x', underlayIp: '192.168.91.3', subnet: '10.244.52.0/24' }, S.FAILED_PRECONDITION, /in quarantine until .*node "leaver"/],
      ['AddNode', { name: 'x', underlayIp: '192.168.91.3', subnet: '10.244.51.0/24' }, S.ALREADY_EXISTS, /reserved for node "owner"/],
      ['AddNode', { name: 'owner', underlayIp: '192.168.91.3', subnet: '10.244.54.0/24' }, S.FAILED_PRECONDITION, /has subnet 10\.244\.51\.0\/24 reserved, not 10\.244\.54\.0\/24/],
      ['DeleteReservation', { nodeName: '' }, S.INVALID_ARGUMENT, /node_name is required/],
      ['DeleteReservation', { nodeName: 'nobody' }, S.NOT_FOUND, /"nobody" has no reservation/],
      ['ReleaseQuarantinedSubnet', { subnet: '' }, S.INVALID_ARGUMENT, /subnet is required/],
      ['ReleaseQuarantinedSubnet', { subnet: 'ten/8' }, S.INVALID_ARGUMENT, /not a valid IPv4 address/],
      ['ReleaseQuarantinedSubnet', { subnet: '10.244.99.0/24' }, S.NOT_FOUND, /10\.244\.99\.0\/24 is not in quarantine/],
    ];
    for (const [method, request, code, message] of cases) {
      await expectStatus(admin.call(method as 'ReserveSubnet', request), code, message);
    }
    // The same name back within the quarantine gets its subnet again.
    const back = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'leaver', underlayIp: '192.168.91.2' });
    assert.equal(back.node!.subnet, '10.244.52.0/24');
  });

  test('a read key may list reservations and quarantine but not change them (PERMISSION_DENIED); an admin key may', async () => {
    const key = async (scope: string) =>
      (await admin.call<object, CreateApiKeyResponse__Output>('CreateApiKey', { scope, description: 'subnet-api test' })).apiKey!.key;
    const reader = await AdminClient.connect({ kind: 'tls', target: fx.address, apiKey: await key('API_KEY_SCOPE_READ') });
    const writer = await AdminClient.connect({ kind: 'tls', target: fx.address, apiKey: await key('API_KEY_SCOPE_ADMIN') });
    try {
      assert.ok(Array.isArray((await reader.call<object, ListReservationsResponse__Output>('ListReservations', {})).reservations));
      assert.ok(Array.isArray((await reader.call<object, ListQuarantinedSubnetsResponse__Output>('ListQuarantinedSubnets', {})).subnets));
      const denied = /has scope "read", and (ReserveSubnet|DeleteReservation|ReleaseQuarantinedSubnet) changes the cluster/;
      await expectStatus(reader.call('ReserveSubnet', { nodeName: 'by-reader' }), grpc.status.PERMISSION_DENIED, denied);
      await expectStatus(reader.call('DeleteReservation', { nodeName: 'owner' }), grpc.status.PERMISSION_DENIED, denied);
      await expectStatus(reader.call('ReleaseQuarantinedSubnet', { subnet: '10.244.52.0/24' }), grpc.status.PERMISSION_DENIED, denied);
      const made = await writer.call<object, ReserveSubnetResponse__Output>('ReserveSubnet', { nodeName: 'by-writer' });
      assert.match(made.reservation!.createdBy, /^apikey:[0-9a-f]{16}$/);
      const row = (await audit()).find((e) => e.action === 'reserve-subnet' && e.target === 'by-writer')!;
      assert.equal(row.actor, made.reservation!.createdBy);
    } finally {
      reader.close();
      writer.close();
    }
  });
});

test('a controller restart with a --network that orphans a node is refused naming it; one that every node fits is accepted and logged', { timeout: 60_000 }, async () => {
  const fx = await startController();
  try {
    const admin = await fx.admin();
    await admin.call('AddNode', { name: 'keep', underlayIp: '192.168.95.1' });
    admin.close();
    await fx.stop();
    await assert.rejects(
      Controller.start({ listen: '127.0.0.1:0', dataDir: fx.dataDir, network: networkInput('10.99.0.0/16'), logger: new MemoryLogger() }),
      /holds network 10\.244\.0\.0\/16 .*asks for network 10\.99\.0\.0\/16 .*node "keep" \(10\.244\.0\.0\/24\)/,
    );
    const logger = new MemoryLogger();
    const wider = await Controller.start({ listen: '127.0.0.1:0', dataDir: fx.dataDir, network: networkInput('10.244.0.0/15'), logger });
    try {
      assert.equal(wider.store.network().network.prefixLen, 15);
      assert.equal(wider.store.getNode('keep').subnet.base, networkInput().network.base, 'the node keeps its subnet');
      assert.ok(logger.lines.some((l) => l.includes('network configuration changed')), logger.lines.join('\n'));
    } finally {
      await wider.stop(200);
    }
  } finally {
    await fx.dispose().catch(() => undefined);
  }
});
