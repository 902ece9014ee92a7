// TLS session resumption on the controller's port: an agent that reconnects, even to a
// restarted controller, resumes its session (no certificate exchange), because the ticket key
// is kept in the data directory; authorization is unchanged on a resumed session (a revoked
// certificate is refused); without the key file, a full handshake still works; the key file
// is private, reused while fresh and replaced when a day old or damaged.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ControllerCallError } from '../../common/controller-call-error.js';
import { MemoryLogger } from '../../common/logger.js';
import { loadOrCreateTicketKey, TICKET_KEY_BYTES, TICKET_KEY_FILE } from '../../controller/auth/ticket-keys.js';
import { CertificateAuthority, SERVER_CERT_LIFETIME_MS } from '../../controller/auth/certificate-authority.js';
import { controllerServerTls, type ControllerTlsOptions } from '../../controller/auth/server-credentials.js';
import { startController } from './controller-fixture.js';

/** A controller, its admin client, and an agent client for node `name` that joined it. */
async function controllerWithAgent(t: TestContext, name: string, underlayIp: string) {
  const fx = await startController();
  t.after(() => fx.dispose());
  const admin = await fx.admin();
  t.after(() => admin.close());
  await admin.call('AddNode', { name, underlayIp });
  const client = fx.agentClient(await fx.join(admin, name));
  t.after(() => client.close());
  return { fx, admin, client };
}

test('an agent reconnecting to a restarted controller resumes its TLS session; a revoked certificate is still refused on it', async (t) => {
  const { fx, admin, client } = await controllerWithAgent(t, 'r1', '192.168.50.1');

  await client.register('r1', '', 1500, 'test');
  assert.equal(fx.controller.tlsStats.resumed, 0, 'the first connection is a full handshake');
  // A new connection to the same controller.
  client.resetConnection();
  await client.register('r1', '', 1500, 'test');
  assert.equal(fx.controller.tlsStats.resumed, 1, 'the second connection resumed the first one\'s session');

  // A restarted controller on the same data directory accepts the tickets of the last one.
  await fx.stop();
  assert.ok(fx.logger.lines.some((l) => /controller stopped .*tls_handshakes=\d+ tls_resumed=1\b/.test(l)), 'the stop line counts the handshakes');
  await fx.restart();
  await client.register('r1', '', 1500, 'test');
  const afterRestart = fx.controller.tlsStats;
  assert.equal(afterRestart.handshakes, 1);
  assert.equal(afterRestart.resumed, 1, 'the session was resumed across the restart');

  // Authorization is checked on every call, resumed or not.
  await admin.call('RemoveNode', { name: 'r1' });
  client.resetConnection();
  await assert.rejects(client.register('r1', '', 1500, 'test'), (err: ControllerCallError) => {
    assert.equal(err.code, grpc.status.UNAUTHENTICATED);
    assert.match(err.message, /revoked/);
    return true;
  });
  assert.equal(fx.controller.tlsStats.resumed, 2, 'the refusal happened on a resumed session');
});

test('without its ticket key file, a restarted controller makes agents do a full handshake, and they carry on', async (t) => {
  const { fx, client } = await controllerWithAgent(t, 'f1', '192.168.50.2');
  await client.register('f1', '', 1500, 'test');
  const oldKey = readFileSync(join(fx.dataDir, TICKET_KEY_FILE));
  rmSync(join(fx.dataDir, TICKET_KEY_FILE));
  await fx.stop();
  await fx.restart();
  await client.register('f1', '', 1500, 'test');
  assert.deepEqual(fx.controller.tlsStats, { handshakes: 1, resumed: 0, handshakeFailures: 0 });
  assert.notDeepEqual(readFileSync(join(fx.dataDir, TICKET_KEY_FILE)), oldKey, 'a new key was made');
  // And the session of that full handshake is resumed next time.
  client.resetConnection();
  await client.register('f1', '', 1500, 'test');
  assert.equal(fx.controller.tlsStats.resumed, 1);
});

test('the ticket key file is 48 private bytes, reused while younger than a day, replaced when older or damaged', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-ticket-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logger = new MemoryLogger();
  const file = join(dir, TICKET_KEY_FILE);
  const now = new Date();
  const first = loadOrCreateTicketKey(dir, logger, now);
  assert.equal(first.key.length, TICKET_KEY_BYTES);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(file), first.key);

  const again = loadOrCreateTicketKey(dir, logger, new Date(now.getTime() + 3600_000));
  assert.deepEqual(again.key, first.key, 'an hour later the same key');

  const old = new Date(now.getTime() - 25 * 3600_000);
  utimesSync(file, old, old);
  const rotated = loadOrCreateTicketKey(dir, logger, now);
  assert.notDeepEqual(rotated.key, first.key, 'a day-old key is replaced');
  assert.ok(logger.lines.some((l) => /replacing the TLS session ticket key/.test(l) && /a day old/.test(l)));

  writeFileSync(file, Buffer.alloc(10));
  const repaired = loadOrCreateTicketKey(dir, logger, now);
  assert.equal(repaired.key.length, TICKET_KEY_BYTES);
  assert.ok(logger.lines.some((l) => /holds 10 bytes, not 48/.test(l)));
});

test('a running controller replaces a day-old ticket key and renews its certificate 30 days before it expires, and tells its listener', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-tls-refresh-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logger = new MemoryLogger();
  const start = Date.now();
  let now = start;
  const serverTls = controllerServerTls(CertificateAuthority.loadOrCreate(dir, logger, new Date(now)), dir, [], logger, () => new Date(now));
  t.after(() => serverTls.close());
  const told: ControllerTlsOptions[] = [];
  serverTls.onChange((options) => told.push(options));
  const first = serverTls.options();

  now = start + 3600_000;
  assert.equal(serverTls.refresh(), false, 'an hour later nothing is due');
  assert.equal(told.length, 0);

  now = start + 25 * 3600_000;
  assert.equal(serverTls.refresh(), true);
  assert.equal(told.length, 1);
  assert.notDeepEqual(told[0]!.ticketKeys, first.ticketKeys, 'a new ticket key');
  assert.deepEqual(readFileSync(join(dir, TICKET_KEY_FILE)), told[0]!.ticketKeys, 'stored before it is used');
  assert.equal(told[0]!.cert, first.cert, 'the certificate is not due yet');

  now = start + SERVER_CERT_LIFETIME_MS - 29 * 24 * 3600_000;
  assert.equal(serverTls.refresh(), true);
  assert.notEqual(told.at(-1)!.cert, first.cert, 'a renewed certificate');
  assert.ok(logger.lines.some((l) => /renewed the controller TLS certificate/.test(l)));
  assert.ok(logger.lines.some((l) => /replaced the TLS session ticket key/.test(l)));
});
