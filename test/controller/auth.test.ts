// Who gets in, over real TLS sockets: join tokens (wrong, used, expired), node certificates
// (another node's, revoked, none), API keys (missing, wrong, read-only, revoked, expired),
// certificate renewal, and the audit rows every refusal leaves.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../../cli/admin-client.js';
import { ControllerCallError } from '../../common/controller-call-error.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials, fetchPinnedCa } from '../../common/controller-tls.js';
import { MemoryLogger } from '../../common/logger.js';
import { joinProofMessage, signProof } from '../../common/pki/proof.js';
import { generateKeyPair, spkiDer } from '../../common/pki/x509.js';
import { newSecret, parseSecret } from '../../common/secrets.js';
import { loadTunctlProto } from '../../common/proto.js';
import { ControllerClient } from '../../node-agent/controller-client.js';
import { loadCredentials, saveCredentials } from '../../node-agent/identity/credential-files.js';
import { joinController, obtainCredentials } from '../../node-agent/identity/join.js';
import { runCertificateRenewal } from '../../node-agent/identity/renewal.js';
import type { AddNodeResponse__Output } from '../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { CreateApiKeyResponse__Output } from '../../proto/gen/tunctl/v1/CreateApiKeyResponse.js';
import type { ListAuditEventsResponse__Output } from '../../proto/gen/tunctl/v1/ListAuditEventsResponse.js';
import type { ListJoinTokensResponse__Output } from '../../proto/gen/tunctl/v1/ListJoinTokensResponse.js';
import { waitFor } from '../netns/netns.js';
import { controllerForSuite, expectStatus, startController, type ControllerFixture } from './controller-fixture.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';


async function auditRows(admin: AdminClient) {
  return (await admin.call<object, ListAuditEventsResponse__Output>('ListAuditEvents', {})).events;
}

/** A Join call with a key pair made here, like an agent's, but with any token text. */
async function joinWith(fx: ControllerFixture, tokenText: string): Promise<unknown> {
  const client = new ControllerClient(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem));
  const keys = generateKeyPair();
  const der = spkiDer(keys.publicKey);
  let id = 'x';
  try {
    id = parseSecret('join-token', tokenText).id;
  } catch {
    /* a malformed token: the proof does not matter */
  }
  try {
    return await client.join(tokenText, der, signProof(keys.privateKey, joinProofMessage(id, der)));
  } finally {
    client.close();
  }
}

describe('joining', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  controllerForSuite((started) => ({ fx, admin } = started));

  test('the CA lives in the data directory with a private key only the owner can read', () => {
    assert.equal(statSync(join(fx.dataDir, 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(fx.adminSocket).mode & 0o777, 0o600, 'the admin socket is owner-only');
    assert.equal(fx.controller.ca.fingerprint.length, 43);
  });

  test('add-node returns a one-time token; joining with it yields a certificate for that node only', async () => {
    const added = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'j1', underlayIp: '192.168.40.1' });
    const token = added.joinToken!.token;
    assert.match(token, /^tj1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    assert.equal(parseSecret('join-token', token).caFingerprint, fx.controller.ca.fingerprint);
    const expires = added.joinToken!.expiresAt!.seconds * 1000;
    assert.ok(Math.abs(expires - (Date.now() + 24 * 3600_000)) < 10_000, 'default lifetime 24 h');

    const creds = await joinController(fx.address, token);
    assert.equal(creds.nodeName, 'j1');
    const client = fx.agentClient(creds);
    try {
      const reg = await client.register('j1', '192.168.40.1', 1500, 'test');
      assert.equal(reg.nodeName, 'j1');
    } finally {
      client.close();
    }
    const listed = await admin.call<object, ListJoinTokensResponse__Output>('ListJoinTokens', { nodeName: 'j1' });
    assert.equal(listed.joinTokens.length, 1);
    assert.ok(listed.joinTokens[0]!.usedAt, 'marked used');
    assert.equal(listed.joinTokens[0]!.token, '', 'lists never carry the secret');
  });

  test('a used, wrong, malformed, expired or foreign token is refused with UNAUTHENTICATED saying which, and audited', async () => {
    await admin.call('AddNode', { name: 'j2', underlayIp: '192.168.40.2' });
    const token = await fx.createJoinToken(admin, 'j2');
    await joinController(fx.address, token);
    await expectStatus(joinWith(fx, token), grpc.status.UNAUTHENTICATED, /was already used at .*create a fresh one with `tunctl create-join-token j2`/);
    await assert.rejects(joinWith(fx, token), (err: ControllerCallError) => err.reason === 'join-token-used', 'the refusal carries its machine-readable reason');

    const parsed = parseSecret('join-token', token);
    const wrongSecret = `tj1.${parsed.id}.${'A'.repeat(43)}.${parsed.caFingerprint}`;
    await expectStatus(joinWith(fx, wrongSecret), grpc.status.UNAUTHENTICATED, /is not valid here: no such token .* or a wrong secret/);
    await expectStatus(joinWith(fx, 'tj1.nonsense'), grpc.status.UNAUTHENTICATED, /malformed join token/);
    const foreign = newSecret('join-token', 'B'.repeat(43)).text;
    await expectStatus(joinWith(fx, foreign), grpc.status.UNAUTHENTICATED, /made by another controller/);

    const short = await fx.createJoinToken(admin, 'j2', 1);
    await new Promise((r) => setTimeout(r, 1200));
    await expectStatus(joinWith(fx, short), grpc.status.UNAUTHENTICATED, /expired at .*--ttl/);

    const denied = (await auditRows(admin)).filter((e) => e.action === 'join' && e.outcome === 'denied');
    assert.ok(denied.some((e) => /already used/.test(e.detail) && e.target === 'j2'));
    assert.ok(denied.some((e) => /expired/.test(e.detail)));
    assert.ok(denied.some((e) => /wrong secret/.test(e.detail)));
    assert.ok((await auditRows(admin)).some((e) => e.action === 'join' && e.outcome === 'ok' && e.target === 'j2' && e.actor === 'node:j2'));
  });

  test('a revoked (leaked) join token is refused as expired; revoking is audited', async () => {
    await admin.call('AddNode', { name: 'j4', underlayIp: '192.168.40.4' });
    const token = await fx.createJoinToken(admin, 'j4');
    const id = parseSecret('join-token', token).id;
    await admin.call('RevokeJoinToken', { id: `tj1.${id}` });
    await expectStatus(joinWith(fx, token), grpc.status.UNAUTHENTICATED, /expired at/);
    await expectStatus(admin.call('RevokeJoinToken', { id: 'tj1.0000000000000000' }), grpc.status.NOT_FOUND, /not found; `tunctl list-join-tokens`/);
    await expectStatus(admin.call('RevokeJoinToken', { id: 'nonsense' }), grpc.status.INVALID_ARGUMENT, /id must be a join token id, tj1\.<16 hex digits>/);
    assert.ok((await auditRows(admin)).some((e) => e.action === 'revoke-join-token' && e.target === 'j4' && e.outcome === 'ok'));
  });

  test('a join with a proof from another key is refused', async () => {
    await admin.call('AddNode', { name: 'j3', underlayIp: '192.168.40.3' });
    const token = await fx.createJoinToken(admin, 'j3');
    const client = new ControllerClient(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem));
    const mine = generateKeyPair();
    const other = generateKeyPair();
    const der = spkiDer(mine.publicKey);
    try {
      await expectStatus(
        client.join(token, der, signProof(other.privateKey, joinProofMessage(parseSecret('join-token', token).id, der))),
        grpc.status.UNAUTHENTICATED,
        /proof does not verify/,
      );
      await expectStatus(client.join(token, Buffer.from('not a key'), Buffer.alloc(0)), grpc.status.INVALID_ARGUMENT, /not a DER SubjectPublicKeyInfo/);
    } finally {
      client.close();
    }
    // The refused attempts did not use the token up.
    assert.equal((await joinController(fx.address, token)).nodeName, 'j3');
  });

  test('an agent verifies the controller before sending its token: a wrong CA pin is refused locally', async () => {
    await assert.rejects(fetchPinnedCa(fx.address, 'C'.repeat(43)), /is not the one this credential was made for/);
    assert.match(await fetchPinnedCa(fx.address, fx.controller.ca.fingerprint), /BEGIN CERTIFICATE/);
  });

  test('calls without a node certificate, and certificates of removed nodes, are refused; removal ends the stream at once', async () => {
    const anonymous = new ControllerClient(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem));
    await expectStatus(anonymous.register('j1', '', 1500, 'test'), grpc.status.UNAUTHENTICATED, /needs the node's client certificate/);
    anonymous.close();

    await admin.call('AddNode', { name: 'gone', underlayIp: '192.168.40.9' });
    const creds = await fx.join(admin, 'gone');
    const client = fx.agentClient(creds);
    let ended: ControllerCallError | null | undefined;
    const events: string[] = [];
    client.watch('gone', 0, (e) => events.push(e.kind), (err) => (ended = err));
    await waitFor('snapshot', () => events.length > 0);
    await admin.call('RemoveNode', { name: 'gone' });
    await waitFor('stream closed', () => ended !== undefined, 3000);
    assert.equal(ended!.code, grpc.status.NOT_FOUND);
    await expectStatus(client.register('gone', '', 1500, 'test'), grpc.status.UNAUTHENTICATED, /certificate of node "gone" was revoked at .*node removed/);
    // Added again under the same name: the old certificate stays revoked.
    await admin.call('AddNode', { name: 'gone', underlayIp: '192.168.40.9' });
    await expectStatus(client.register('gone', '', 1500, 'test'), grpc.status.UNAUTHENTICATED, /revoked/);
    client.close();
    const rows = await auditRows(admin);
    assert.ok(rows.some((e) => e.action === 'revoke-certificate' && e.target === 'gone' && e.actor === 'local'));
    assert.ok(rows.some((e) => e.action === 'Register' && e.outcome === 'denied' && /revoked/.test(e.detail)));
  });

  test('another node\'s certificate cannot register or watch as this node, and the attempt is audited', async () => {
    await admin.call('AddNode', { name: 'a1', underlayIp: '192.168.41.1' });
    await admin.call('AddNode', { name: 'a2', underlayIp: '192.168.41.2' });
    const client = fx.agentClient(await fx.join(admin, 'a1'));
    await expectStatus(client.register('a2', '', 1500, 'test'), grpc.status.PERMISSION_DENIED, /certificate is for node "a1"; it cannot act as node "a2"/);
    client.close();
    assert.ok((await auditRows(admin)).some((e) => e.actor === 'node:a1' && e.action === 'Register' && e.target === 'a2' && e.outcome === 'denied'));
  });
});

describe('certificates replaced and hostile text', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  controllerForSuite((started) => ({ fx, admin } = started));

  test('a node that joins again retires its older certificate as soon as the new one is used', async () => {
    await admin.call('AddNode', { name: 's1', underlayIp: '192.168.45.1' });
    const first = fx.agentClient(await fx.join(admin, 's1'));
    assert.equal((await first.register('s1', '', 1500, 'test')).nodeName, 's1');
    const secondCreds = await fx.join(admin, 's1');
    // Until the new certificate is used, the old one still works (a crash before saving the new one must not lock the agent out).
    assert.equal((await first.register('s1', '', 1500, 'test')).nodeName, 's1');
    const second = fx.agentClient(secondCreds);
    assert.equal((await second.register('s1', '', 1500, 'test')).nodeName, 's1');
    await expectStatus(first.register('s1', '', 1500, 'test'), grpc.status.UNAUTHENTICATED, /revoked at .*superseded by certificate/);
    assert.equal((await second.register('s1', '', 1500, 'test')).nodeName, 's1', 'the newest one keeps working');
    first.close();
    second.close();
    assert.ok((await auditRows(admin)).some((e) => e.action === 'revoke-certificate' && e.target === 's1' && /superseded/.test(e.detail)));
  });

  test('a join naming another node is refused and leaves the token unused', async () => {
    await admin.call('AddNode', { name: 's2', underlayIp: '192.168.45.2' });
    const token = await fx.createJoinToken(admin, 's2');
    const client = new ControllerClient(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem));
    const keys = generateKeyPair();
    const der = spkiDer(keys.publicKey);
    try {
      await expectStatus(
        client.join(token, der, signProof(keys.privateKey, joinProofMessage(parseSecret('join-token', token).id, der)), 10_000, 'other'),
        grpc.status.PERMISSION_DENIED,
        /is for node "s2", not "other"; the token stays unused/,
      );
    } finally {
      client.close();
    }
    assert.equal((await joinController(fx.address, token)).nodeName, 's2');
  });

  test('control characters a stranger sends are stored escaped in the audit log', async () => {
    const proto = loadTunctlProto().proto;
    const client = new proto.tunctl.v1.AdminService(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem), CONTROLLER_CHANNEL_OPTIONS);
    await new Promise<void>((resolve) => {
      client.RemoveNode({ name: 'evil\u001b[2J\u001b]0;pwned\u0007' }, (err: grpc.ServiceError | null) => {
        assert.equal(err?.code, grpc.status.UNAUTHENTICATED);
        resolve();
      });
    });
    client.close();
    const row = (await auditRows(admin)).find((e) => e.action === 'RemoveNode' && e.outcome === 'denied');
    assert.ok(row);
    assert.equal(row.target, 'evil\\u001b[2J\\u001b]0;pwned\\u0007');
  });
});

describe('admin access over the network', () => {
  let fx: ControllerFixture;
  let local: AdminClient;
  const proto = loadTunctlProto().proto;
  before(async () => {
    fx = await startController();
    local = await fx.admin();
  });
  after(async () => {
    local.close();
    await fx.dispose();
  });

  /** Calls an admin method over TLS with this bearer (or none), and an optional node certificate. */
  function remoteCall(method: string, request: object, bearer?: string, nodeCreds?: { keyPem: string; certificatePem: string }): Promise<unknown> {
    const client = new proto.tunctl.v1.AdminService(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem, nodeCreds), CONTROLLER_CHANNEL_OPTIONS);
    const metadata = new grpc.Metadata();
    if (bearer) metadata.set('authorization', `Bearer ${bearer}`);
    return new Promise((resolve, reject) => {
      (client as unknown as Record<string, (r: object, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: unknown) => void) => void>)[method]!(
        request,
        metadata,
        { deadline: Date.now() + 5000 },
        (err, res) => {
          client.close();
          if (err) reject(new ControllerCallError(err.code, err.details));
          else resolve(res);
        },
      );
    });
  }

  const createKey = async (scope: 'API_KEY_SCOPE_READ' | 'API_KEY_SCOPE_ADMIN', ttlSeconds = 0) =>
    (await local.call<object, CreateApiKeyResponse__Output>('CreateApiKey', { scope, ttlSeconds, description: 'test' })).apiKey!;

  test('no key, a garbage header, a wrong secret or a node certificate: UNAUTHENTICATED, saying what to do', async () => {
    await expectStatus(remoteCall('ListNodes', {}), grpc.status.UNAUTHENTICATED, /need an API key: create one on the controller host with `tunctl apikey create/);
    await expectStatus(remoteCall('ListNodes', {}, 'tk1.garbage'), grpc.status.UNAUTHENTICATED, /malformed API key/);
    const key = await createKey('API_KEY_SCOPE_ADMIN');
    const parsed = parseSecret('api-key', key.key);
    await expectStatus(remoteCall('ListNodes', {}, `tk1.${parsed.id}.${'x'.repeat(43)}.${parsed.caFingerprint}`), grpc.status.UNAUTHENTICATED, /is not valid here/);
    await local.call('AddNode', { name: 'n1', underlayIp: '192.168.42.1' });
    const nodeCreds = await fx.join(local, 'n1');
    await expectStatus(remoteCall('AddNode', { name: 'evil', underlayIp: '192.168.42.66' }, undefined, nodeCreds), grpc.status.UNAUTHENTICATED, /node certificates do not grant admin access/);
  });

  test('a read key reads but cannot write (PERMISSION_DENIED); an admin key can; revoked and expired keys stop working', async () => {
    const read = await createKey('API_KEY_SCOPE_READ');
    const adminKey = await createKey('API_KEY_SCOPE_ADMIN');
    assert.ok(((await remoteCall('ListNodes', {}, read.key)) as { nodes: unknown[] }).nodes);
    await expectStatus(remoteCall('AddNode', { name: 'w1', underlayIp: '192.168.43.1' }, read.key), grpc.status.PERMISSION_DENIED, /has scope "read", and AddNode changes the cluster/);
    await expectStatus(remoteCall('CreateApiKey', { scope: 'API_KEY_SCOPE_ADMIN' }, read.key), grpc.status.PERMISSION_DENIED, /needs a key with scope "admin"/);
    const added = (await remoteCall('AddNode', { name: 'w1', underlayIp: '192.168.43.1' }, adminKey.key)) as AddNodeResponse__Output;
    assert.equal(added.node!.name, 'w1');

    await local.call('RevokeApiKey', { id: adminKey.id });
    await expectStatus(remoteCall('ListNodes', {}, adminKey.key), grpc.status.UNAUTHENTICATED, /was revoked at/);
    const brief = await createKey('API_KEY_SCOPE_READ', 1);
    await new Promise((r) => setTimeout(r, 1200));
    await expectStatus(remoteCall('ListNodes', {}, brief.key), grpc.status.UNAUTHENTICATED, /expired at/);

    const rows = await auditRows(local);
    assert.ok(rows.some((e) => e.action === 'add-node' && e.target === 'w1' && e.actor === `apikey:${adminKey.id}` && e.outcome === 'ok'));
    assert.ok(rows.some((e) => e.action === 'AddNode' && e.actor === `apikey:${read.id}` && e.outcome === 'denied'));
    assert.ok(rows.some((e) => e.action === 'revoke-api-key' && e.target === `tk1.${adminKey.id}`));
    assert.ok(rows.some((e) => e.action === 'create-api-key' && e.actor === 'local'));
    assert.ok(rows.every((e) => !e.detail.includes(parseSecret('api-key', adminKey.key).secret)), 'no secret ever reaches the audit log');
  });
});

test('an agent renews its certificate before expiry and keeps working; restarts keep the CA and the stored identity', async () => {
  const fx = await startController({ nodeCertLifetimeMs: 3000 });
  const stateDir = mkdtempSync(join(tmpdir(), 'tunctl-renew-'));
  let admin = await fx.admin();
  const stop = new AbortController();
  try {
    await admin.call('AddNode', { name: 'r1', underlayIp: '192.168.44.1' });
    const creds = await obtainCredentials({ stateDir, controller: fx.address, joinToken: await fx.createJoinToken(admin, 'r1'), logger: new MemoryLogger(), signal: stop.signal });
    assert.equal(creds!.nodeName, 'r1');
    assert.equal(statSync(join(stateDir, 'credentials.json')).mode & 0o777, 0o600);
    const client = fx.agentClient(creds!);
    const renewal = runCertificateRenewal(creds!, { client, stateDir, logger: new MemoryLogger(), signal: stop.signal });
    const firstCert = creds!.certificatePem;
    await waitFor('a renewed certificate on disk', () => loadCredentials(stateDir)!.certificatePem !== firstCert, 6000);
    // Past the first certificate's expiry, the agent still gets in with the renewed one.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await client.register('r1', '', 1500, 'test')).nodeName, 'r1');
    assert.ok((await auditRows(admin)).some((e) => e.action === 'renew-certificate' && e.target === 'r1' && e.outcome === 'ok'));
    stop.abort();
    await renewal;
    client.close();

    // A restarted controller has the same CA, so stored identities keep working.
    const fingerprint = fx.controller.ca.fingerprint;
    admin.close();
    await fx.stop();
    await fx.restart();
    admin = await fx.admin();
    assert.equal(fx.controller.ca.fingerprint, fingerprint);
    // (That a certificate from before a restart still gets in is the reconnect test in grpc-api.test.ts.)
    const again = await obtainCredentials({ stateDir, controller: fx.address, logger: new MemoryLogger(), signal: new AbortController().signal });
    assert.equal(again!.nodeName, 'r1', 'a restarted agent uses its stored identity, no token needed');
    // An agent with a damaged identity file says so and how to recover.
    saveCredentials(stateDir, { ...again!, certificatePem: again!.certificatePem.replace(/[A-Z]{8}/, 'AAAAAAAA') });
    assert.throws(() => loadCredentials(stateDir), /is damaged .* delete it and start the agent with a fresh join token/);
  } finally {
    stop.abort();
    admin.close();
    await fx.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
