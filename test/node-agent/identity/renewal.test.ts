// Certificate renewal against a fake controller (a throwaway CA answering RenewCertificate):
// when it renews (two thirds in, never faster than a tenth of a lifetime or 1 s), what it
// refuses to store, and that a renewal finishing after the agent stopped changes nothing.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { MemoryLogger } from '../../../common/logger.js';
import { generateKeyPair, privateKeyPem } from '../../../common/pki/x509.js';
import type { IssuedNodeCertificate } from '../../../node-agent/controller-client.js';
import { CREDENTIALS_FILE, loadCredentials, type NodeCredentials } from '../../../node-agent/identity/credential-files.js';
import { renewalInterval, renewalTime, runCertificateRenewal } from '../../../node-agent/identity/renewal.js';
import { waitFor } from '../../netns/netns.js';
import { throwawayCa, type ThrowawayCa } from './throwaway-ca.js';

const DAY_MS = 24 * 3600_000;

/** Validity for a certificate issued at `at`: [at - backdate, at + lifetime]. */
type Validity = (at: number) => { notBefore: Date; notAfter: Date };
/** What the controller does today: backdates by min(5 min, lifetime / 10). */
const likeTheController = (lifetimeMs: number): Validity => (at) => ({
  notBefore: new Date(at - Math.min(5 * 60_000, lifetimeMs / 10)),
  notAfter: new Date(at + lifetimeMs),
});

/** Answers RenewCertificate with a certificate from `ca`, shaped by `answer`; records when it was called. */
class FakeRenewer {
  readonly target = '127.0.0.1:1';
  /** When each call came. */
  readonly calls: number[] = [];
  /** The certificate each call returned. */
  readonly issued: string[] = [];
  replaced = 0;
  private readonly answer: (publicKeyDer: Buffer) => Promise<IssuedNodeCertificate> | IssuedNodeCertificate;
  constructor(answer: (publicKeyDer: Buffer) => Promise<IssuedNodeCertificate> | IssuedNodeCertificate) {
    this.answer = answer;
  }
  async renewCertificate(publicKeyDer: Buffer): Promise<IssuedNodeCertificate> {
    this.calls.push(Date.now());
    const issued = await this.answer(publicKeyDer);
    this.issued.push(issued.certificatePem);
    return issued;
  }
  replaceCredentials(): void {
    this.replaced++;
  }
}

function issuing(ca: ThrowawayCa, validity: Validity, nodeName = 'r1') {
  return (publicKeyDer: Buffer): IssuedNodeCertificate => ({
    nodeName,
    certificatePem: ca.nodeCertificate(nodeName, { publicKey: createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' }), ...validity(Date.now()) }).certificatePem,
    caPem: ca.certificatePem,
  });
}

function credentials(ca: ThrowawayCa, validity: { notBefore: Date; notAfter: Date }): NodeCredentials {
  const keys = generateKeyPair();
  const { certificatePem } = ca.nodeCertificate('r1', { publicKey: keys.publicKey, ...validity });
  return { nodeName: 'r1', keyPem: privateKeyPem(keys.privateKey), certificatePem, caPem: ca.certificatePem, joinTokenId: '0123456789abcdef' };
}

let stateDir: string;
let stop: AbortController;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'tunctl-renewal-'));
  stop = new AbortController();
});
afterEach(() => {
  stop.abort();
  rmSync(stateDir, { recursive: true, force: true });
});

test('renewalTime: a 30-day certificate renews 20 days after notBefore; the interval floor is a tenth of the lifetime, at least 1 s', () => {
  const ca = throwawayCa();
  const notBefore = new Date('2030-01-01T00:00:00Z');
  const thirtyDays = credentials(ca, { notBefore, notAfter: new Date(notBefore.getTime() + 30 * DAY_MS) }).certificatePem;
  assert.equal(renewalTime(thirtyDays), notBefore.getTime() + 20 * DAY_MS);
  assert.equal(renewalInterval(thirtyDays), 3 * DAY_MS);
  const threeSeconds = credentials(ca, { notBefore, notAfter: new Date(notBefore.getTime() + 3000) }).certificatePem;
  assert.equal(renewalTime(threeSeconds), notBefore.getTime() + 2000);
  assert.equal(renewalInterval(threeSeconds), 1000);
  assert.throws(() => renewalTime('not a certificate'));
});

test('a fresh short-lived certificate is renewed when due, not before, and each renewed one again when it is due', async () => {
  const ca = throwawayCa();
  const validity = likeTheController(3000);
  const fake = new FakeRenewer(issuing(ca, validity));
  const initial = credentials(ca, validity(Date.now()));
  const logger = new MemoryLogger();
  const started = Date.now();
  const renewal = runCertificateRenewal(initial, { client: fake, stateDir, logger, signal: stop.signal });
  // Certificate times are whole seconds, so a 3 s certificate is due 1-2 s after issue.
  await waitFor('three renewals', () => fake.calls.length >= 3, 10_000, 20);
  stop.abort();
  const final = await renewal;
  const elapsed = Date.now() - started;

  assert.ok(fake.calls.length <= 4, `no loop: ${fake.calls.length} calls in ${elapsed} ms`);
  assert.equal(loadCredentials(stateDir)!.certificatePem, final.certificatePem, 'the last renewed certificate is stored and returned');
  assert.equal(final.certificatePem, fake.issued[fake.issued.length - 1]);
  assert.equal(fake.replaced, fake.calls.length, 'each renewal switched the connection');
  // Each call came when the certificate in use before it was due (two thirds in, and at
  // least the 1 s floor after the previous renewal): not before, and not much after.
  const inUse = [initial.certificatePem, ...fake.issued];
  for (let i = 0; i < fake.calls.length; i++) {
    const floor = i === 0 ? -Infinity : fake.calls[i - 1]! + renewalInterval(inUse[i]!) - 50;
    const due = Math.max(renewalTime(inUse[i]!), floor);
    assert.ok(fake.calls[i]! >= due - 5, `renewal ${i} came ${due - fake.calls[i]!} ms before it was due`);
    // Timers on a busy 2-core machine run a little late; half a second is still "when due".
    assert.ok(fake.calls[i]! <= due + 500, `renewal ${i} came ${fake.calls[i]! - due} ms after it was due`);
    if (i > 0) assert.ok(fake.calls[i]! - fake.calls[i - 1]! >= 995, `renewal ${i} came ${fake.calls[i]! - fake.calls[i - 1]!} ms after the previous one`);
  }
});

test('a certificate that is due as soon as it arrives is renewed at most once per interval (1 s), not in a loop', async () => {
  const ca = throwawayCa();
  // 5 s backdated, 1.5 s ahead: two thirds of that lifetime are always over.
  const alwaysDue: Validity = (at) => ({ notBefore: new Date(at - 5000), notAfter: new Date(at + 1500) });
  const fake = new FakeRenewer(issuing(ca, alwaysDue));
  const renewal = runCertificateRenewal(credentials(ca, alwaysDue(Date.now())), { client: fake, stateDir, logger: new MemoryLogger(), signal: stop.signal });
  await new Promise((r) => setTimeout(r, 2600));
  stop.abort();
  await renewal;
  assert.ok(fake.calls.length >= 2 && fake.calls.length <= 3, `expected 2-3 renewals in 2.6 s, got ${fake.calls.length}`);
  for (let i = 1; i < fake.calls.length; i++) assert.ok(fake.calls[i]! - fake.calls[i - 1]! >= 995, `renewals ${fake.calls[i]! - fake.calls[i - 1]!} ms apart`);
});

test('the interval scales with the lifetime: a certificate backdated 5 minutes with 3 s left is renewed once, then not for 30 s', async () => {
  const ca = throwawayCa();
  const oldController: Validity = (at) => ({ notBefore: new Date(at - 5 * 60_000), notAfter: new Date(at + 3000) });
  const fake = new FakeRenewer(issuing(ca, oldController));
  const renewal = runCertificateRenewal(credentials(ca, oldController(Date.now())), { client: fake, stateDir, logger: new MemoryLogger(), signal: stop.signal });
  await new Promise((r) => setTimeout(r, 1500));
  stop.abort();
  await renewal;
  assert.equal(fake.calls.length, 1);
});

test('a renewed certificate that is not for our key, not for our node or not from our CA is refused: nothing stored, no switch', async () => {
  const ca = throwawayCa();
  const other = throwawayCa('other CA');
  const validity = likeTheController(60_000);
  const initial = credentials(ca, { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 1000) });
  const variants: Array<[string, (publicKeyDer: Buffer) => IssuedNodeCertificate, RegExp]> = [
    ['another key', (_der) => issuing(ca, validity)(spkiOfNewKey()), /certifies another public key than the one this agent generated/],
    ['another node', issuing(ca, validity, 'r2'), /it is for node \\?"r2\\?", and this agent is node \\?"r1\\?"/],
    ['another CA', (der) => ({ ...issuing(other, validity)(der), caPem: other.certificatePem }), /comes with CA fingerprint .* trusts only/],
  ];
  for (const [what, answer, pattern] of variants) {
    const stopThis = new AbortController();
    const fake = new FakeRenewer(answer);
    const logger = new MemoryLogger();
    const renewal = runCertificateRenewal(initial, { client: fake, stateDir, logger, signal: stopThis.signal });
    await waitFor(`${what}: the refusal logged`, () => logger.lines.some((l) => l.includes('cannot renew the node certificate')), 3000, 10);
    stopThis.abort();
    const inUse = await renewal;
    assert.equal(inUse, initial, `${what}: still the initial credentials`);
    assert.equal(fake.replaced, 0, `${what}: no switch`);
    assert.equal(existsSync(join(stateDir, CREDENTIALS_FILE)), false, `${what}: nothing stored`);
    const refusal = logger.lines.find((l) => l.includes('cannot renew'))!;
    assert.match(refusal, pattern, what);
    assert.match(refusal, /nothing was saved/);
  }
});

test('a renewal that completes after the agent stopped is dropped: no switch to a channel nobody would close, nothing stored', async () => {
  const ca = throwawayCa();
  const validity = likeTheController(60_000);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const fake = new FakeRenewer(async (der) => {
    await released; // the controller answers only after the agent stopped
    return issuing(ca, validity)(der);
  });
  const initial = credentials(ca, { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 10_000) });
  const renewal = runCertificateRenewal(initial, { client: fake, stateDir, logger: new MemoryLogger(), signal: stop.signal });
  await waitFor('the renewal call', () => fake.calls.length === 1, 3000, 10);
  stop.abort();
  release();
  assert.equal(await renewal, initial);
  assert.equal(fake.replaced, 0);
  assert.equal(existsSync(join(stateDir, CREDENTIALS_FILE)), false);
});

test('credentials whose certificate cannot be parsed never turn into a rejected promise: logged, retried, and it stops cleanly', async () => {
  const ca = throwawayCa();
  const fake = new FakeRenewer(issuing(ca, likeTheController(60_000)));
  const broken = { ...credentials(ca, likeTheController(60_000)(Date.now())), certificatePem: 'garbage' };
  const logger = new MemoryLogger();
  const renewal = runCertificateRenewal(broken, { client: fake, stateDir, logger, signal: stop.signal });
  await waitFor('the failure logged', () => logger.lines.some((l) => l.includes('cannot renew the node certificate')), 3000, 10);
  stop.abort();
  assert.equal(await renewal, broken);
  assert.match(logger.lines.find((l) => l.includes('cannot renew'))!, /expires_at=unknown/);
});

function spkiOfNewKey(): Buffer {
  return generateKeyPair().publicKey.export({ type: 'spki', format: 'der' });
}
