// Which identity an agent starts with, against a real controller: a new token replaces the
// stored identity; a stale (used) token does not override a good one; --name travels with the
// join so a token for another node stays unused; an expired or damaged stored identity says
// what to do, or is replaced when a token is given.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { AdminClient } from '../../../cli/admin-client.js';
import { ControllerCallError } from '../../../common/controller-call-error.js';
import { MemoryLogger } from '../../../common/logger.js';
import { parseSecret } from '../../../common/secrets.js';
import { certificateTimes, CREDENTIALS_FILE, loadCredentials } from '../../../node-agent/identity/credential-files.js';
import { obtainCredentials, type ObtainOptions } from '../../../node-agent/identity/join.js';
import { waitFor } from '../../netns/netns.js';
import { controllerForSuite, startController, type ControllerFixture } from '../../controller/controller-fixture.js';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'tunctl-identity-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const credentialsFile = () => join(stateDir, CREDENTIALS_FILE);

describe('obtainCredentials against a real controller', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  controllerForSuite((started) => ({ fx, admin } = started));

  const obtain = (logger: MemoryLogger, extra: Partial<ObtainOptions> = {}) =>
    obtainCredentials({ stateDir, controller: fx.address, logger, signal: new AbortController().signal, ...extra });

  /** The identity works: the controller accepts it for Register. */
  async function registers(nodeName: string): Promise<void> {
    const client = fx.agentClient(loadCredentials(stateDir)!);
    try {
      assert.equal((await client.register(nodeName, '', 1500, 'test')).nodeName, nodeName);
    } finally {
      client.close();
    }
  }

  test('a new token over a stored identity joins again and replaces it', async () => {
    await admin.call('AddNode', { name: 'rj1', underlayIp: '192.168.50.1' });
    const first = await fx.createJoinToken(admin, 'rj1');
    const joined = await obtain(new MemoryLogger(), { joinToken: first });
    assert.equal(joined!.joinTokenId, parseSecret('join-token', first).id);

    const second = await fx.createJoinToken(admin, 'rj1');
    const logger = new MemoryLogger();
    const rejoined = await obtain(logger, { joinToken: second });
    assert.equal(rejoined!.joinTokenId, parseSecret('join-token', second).id);
    assert.notEqual(rejoined!.keyPem, joined!.keyPem, 'a new key');
    assert.notEqual(rejoined!.certificatePem, joined!.certificatePem);
    assert.deepEqual(loadCredentials(stateDir), rejoined, 'stored');
    assert.ok(logger.lines.some((l) => l.includes('a new join token was given; joining again')));
    await registers('rj1');

    // The same token again (still in the agent's configuration): the stored identity, no join.
    const quiet = new MemoryLogger();
    assert.deepEqual(await obtain(quiet, { joinToken: second }), rejoined);
    assert.ok(quiet.lines.some((l) => l.includes('using the stored node identity')));
    assert.ok(!quiet.lines.some((l) => l.includes('joining again')));
  });

  test('a stale used token does not override a good stored identity: a warning, and the stored identity', async () => {
    await admin.call('AddNode', { name: 'st1', underlayIp: '192.168.50.2' });
    const old = await fx.createJoinToken(admin, 'st1');
    await obtain(new MemoryLogger(), { joinToken: old });
    const current = await obtain(new MemoryLogger(), { joinToken: await fx.createJoinToken(admin, 'st1') });
    const before = readFileSync(credentialsFile(), 'utf8');

    // The configuration still names the first token: used, and not the one stored.
    const logger = new MemoryLogger();
    const used = await obtain(logger, { joinToken: old });
    assert.deepEqual(used, current);
    assert.equal(readFileSync(credentialsFile(), 'utf8'), before, 'the stored identity is untouched');
    const warning = logger.lines.find((l) => l.includes('WARN'));
    assert.ok(warning, `a warning: ${logger.lines.join('\n')}`);
    assert.match(warning, /the join token given was already used; keeping the stored node identity/);
    assert.match(warning, /token=tj1\.[0-9a-f]{16}/);
    await registers('st1');
  });

  test('--name travels with the join: a token for another node is refused before it is used, and stays usable', async () => {
    await admin.call('AddNode', { name: 'nm1', underlayIp: '192.168.50.3' });
    const token = await fx.createJoinToken(admin, 'nm1');
    await assert.rejects(obtain(new MemoryLogger(), { joinToken: token, nodeName: 'nm2' }), (err: unknown) => {
      assert.ok(err instanceof ControllerCallError, String(err));
      assert.equal(err.code, grpc.status.PERMISSION_DENIED, err.message);
      assert.match(err.message, /"nm1".*"nm2"/);
      return true;
    });
    assert.equal(existsSync(credentialsFile()), false, 'nothing stored');
    // Not retried, not used: the same token joins as nm1.
    const joined = await obtain(new MemoryLogger(), { joinToken: token, nodeName: 'nm1' });
    assert.equal(joined!.nodeName, 'nm1');
    // The local check on the stored identity stays.
    await assert.rejects(obtain(new MemoryLogger(), { nodeName: 'nm2' }), /the identity stored in .* is for node "nm1", but --name says "nm2"/);
  });

  test('a damaged credentials.json: without a token, the error says so; with one, a warning and a fresh join that overwrites it', async () => {
    await admin.call('AddNode', { name: 'dm1', underlayIp: '192.168.50.4' });
    writeFileSync(credentialsFile(), '{"nodeName": "dm1", "keyPem": 12', { mode: 0o600 });
    await assert.rejects(obtain(new MemoryLogger()), /the agent identity .*credentials\.json is damaged \(.*\); delete it and start the agent with a fresh join token/);

    const logger = new MemoryLogger();
    const joined = await obtain(logger, { joinToken: await fx.createJoinToken(admin, 'dm1') });
    assert.equal(joined!.nodeName, 'dm1');
    assert.deepEqual(loadCredentials(stateDir), joined, 'overwritten with the new identity');
    assert.ok(logger.lines.some((l) => l.includes('WARN') && l.includes('the stored node identity is damaged; joining again')));
    await registers('dm1');
  });
});

describe('an expired stored identity', () => {
  let fx: ControllerFixture;
  let admin: AdminClient;
  before(async () => {
    // 2 s: long enough that a certificate is not already over (times are whole seconds) when the agent checks it.
    fx = await startController({ nodeCertLifetimeMs: 2000 });
    admin = await fx.admin();
  });
  after(async () => {
    admin.close();
    await fx.dispose();
  });

  test('without a usable token: "expired at X; join again" with the command; with a fresh token: joins again', async () => {
    await admin.call('AddNode', { name: 'ex1', underlayIp: '192.168.51.1' });
    const token = await fx.createJoinToken(admin, 'ex1');
    const logger = new MemoryLogger();
    const joined = (await obtainCredentials({ stateDir, controller: fx.address, joinToken: token, logger, signal: new AbortController().signal }))!;
    const { notAfter } = certificateTimes(joined.certificatePem);
    await waitFor('the certificate to expire', () => Date.now() > notAfter.getTime(), 4000, 50);

    const expiredMessage = new RegExp(
      `^the node certificate in ${credentialsFile().replace(/[.]/g, '\\.')} expired at ${notAfter.toISOString().replace(/[.]/g, '\\.')}; ` +
        'join again: `tunctl create-join-token ex1` on the controller host, then start the agent with the token$',
    );
    const expired = (err: unknown) => {
      assert.match((err as Error).message, expiredMessage);
      return true;
    };
    const obtain = (joinToken?: string) => obtainCredentials({ stateDir, controller: fx.address, joinToken, logger: new MemoryLogger(), signal: new AbortController().signal });
    await assert.rejects(obtain(), expired);
    // The token it came from is used up: no use.
    await assert.rejects(obtain(token), expired);
    // Another used token is no reason to fall back on an expired identity: the refusal is the answer.
    const other = await fx.createJoinToken(admin, 'ex1');
    const elsewhere = mkdtempSync(join(tmpdir(), 'tunctl-identity-'));
    try {
      await obtainCredentials({ stateDir: elsewhere, controller: fx.address, joinToken: other, logger: new MemoryLogger(), signal: new AbortController().signal });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
    await assert.rejects(obtain(other), /already used/);

    const fresh = await obtain(await fx.createJoinToken(admin, 'ex1'));
    assert.equal(fresh!.nodeName, 'ex1');
    assert.ok(certificateTimes(fresh!.certificatePem).notAfter.getTime() > notAfter.getTime(), 'a new certificate');
    assert.deepEqual(loadCredentials(stateDir), fresh);
  });
});
