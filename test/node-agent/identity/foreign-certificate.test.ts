// A client certificate from another CA, presented to a real controller, counts for nothing:
// even one that copies a real node's name and serial. Register sees no certificate
// (UNAUTHENTICATED), and an admin call over TLS without an API key is refused as anonymous.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../../../cli/admin-client.js';
import { ControllerCallError } from '../../../common/controller-call-error.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials } from '../../../common/controller-tls.js';
import { loadTunctlProto } from '../../../common/proto.js';
import { ControllerClient } from '../../../node-agent/controller-client.js';
import type { ListAuditEventsResponse__Output } from '../../../proto/gen/tunctl/v1/ListAuditEventsResponse.js';
import { expectStatus, startController, type ControllerFixture } from '../../controller/controller-fixture.js';
import { throwawayCa } from './throwaway-ca.js';

describe('a client certificate from another CA', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  let forged: { keyPem: string; certificatePem: string };
  before(async () => {
    fx = await startController();
    admin = await fx.admin();
    await admin.call('AddNode', { name: 'victim', underlayIp: '192.168.52.1' });
    // The real node joins, so its name and serial are in the controller's records.
    const real = await fx.join(admin, 'victim');
    const serial = Buffer.from(new X509Certificate(real.certificatePem).serialNumber, 'hex');
    const made = throwawayCa('impostor CA').nodeCertificate('victim', { serial });
    forged = { keyPem: made.keyPem!, certificatePem: made.certificatePem };
    assert.equal(new X509Certificate(forged.certificatePem).serialNumber, new X509Certificate(real.certificatePem).serialNumber);
  });
  after(async () => {
    admin.close();
    await fx.dispose();
  });

  test('Register with it is UNAUTHENTICATED: the controller sees no certificate from its CA', async () => {
    const client = new ControllerClient(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem, forged));
    try {
      await expectStatus(
        client.register('victim', '', 1500, 'test'),
        grpc.status.UNAUTHENTICATED,
        /needs the node's client certificate, and none from this controller's CA was presented/,
      );
    } finally {
      client.close();
    }
    const events = (await admin.call<object, ListAuditEventsResponse__Output>('ListAuditEvents', {})).events;
    assert.ok(
      events.some((e) => e.action === 'Register' && e.outcome === 'denied' && e.actor === 'anonymous'),
      'audited as an anonymous refusal, not as node "victim"',
    );
    assert.ok(!events.some((e) => e.action === 'Register' && e.actor === 'node:victim'), 'never taken for the node');
  });

  test('an admin call over TLS with it and no API key is UNAUTHENTICATED, as for any anonymous caller', async () => {
    const { proto } = loadTunctlProto();
    const client = new proto.tunctl.v1.AdminService(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem, forged), CONTROLLER_CHANNEL_OPTIONS);
    try {
      const call = new Promise<unknown>((resolve, reject) =>
        client.ListNodes({}, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) => (err ? reject(new ControllerCallError(err.code, err.details)) : resolve(res))),
      );
      await expectStatus(call, grpc.status.UNAUTHENTICATED, /^admin calls over the network need an API key/);
    } finally {
      client.close();
    }
  });
});
