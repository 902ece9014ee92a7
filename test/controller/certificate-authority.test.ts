// The controller's CA on disk: created once with a private key only the owner can read,
// the same on every later start, and refusing to start with half of it or another one.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryLogger } from '../../common/logger.js';
import { generateKeyPair, privateKeyPem } from '../../common/pki/x509.js';
import { CertificateAuthority, validateTlsName } from '../../controller/auth/certificate-authority.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-ca-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('first start creates the CA (key 0600); later starts load the same one', () => {
  withDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir, new MemoryLogger());
    assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
    const again = CertificateAuthority.loadOrCreate(dir, new MemoryLogger());
    assert.equal(again.fingerprint, ca.fingerprint);
    assert.equal(again.certificatePem, ca.certificatePem);
  });
});

test('server and node certificates chain to the CA; short lifetimes are backdated by a tenth, long ones by 5 minutes', () => {
  withDir((dir) => {
    const ca = CertificateAuthority.loadOrCreate(dir, new MemoryLogger());
    const caCert = new X509Certificate(ca.certificatePem);
    const now = new Date('2026-11-25T12:00:00Z');
    const node = new X509Certificate(ca.issueNodeCertificate('n1', generateKeyPair().publicKey, 60_000, now).certificatePem);
    assert.ok(node.checkIssued(caCert) && node.verify(caCert.publicKey));
    assert.equal(Date.parse(node.validFrom), now.getTime() - 6_000);
    const month = new X509Certificate(ca.issueNodeCertificate('n1', generateKeyPair().publicKey, 30 * 86400_000, now).certificatePem);
    assert.equal(Date.parse(month.validFrom), now.getTime() - 300_000);
    const server = ca.issueServerCertificate(['ctl.example.com', '10.9.8.7'], now);
    const leaf = new X509Certificate(server.certificateChainPem);
    assert.ok(leaf.verify(caCert.publicKey));
    assert.match(leaf.subjectAltName ?? '', /DNS:tunctl-controller/);
    assert.match(leaf.subjectAltName ?? '', /DNS:ctl\.example\.com/);
    assert.match(leaf.subjectAltName ?? '', /IP Address:10\.9\.8\.7/);
  });
});

test('--tls-san names that cannot be encoded are refused, not dropped', () => {
  assert.equal(validateTlsName('ctl.example.com'), 'ctl.example.com');
  assert.equal(validateTlsName('*.example.com'), '*.example.com');
  for (const bad of ['::1', 'under_score', 'a..b', '-x', 'x'.repeat(300)]) {
    assert.throws(() => validateTlsName(bad), /--tls-san .* is neither a DNS name nor an IPv4 address/, bad);
  }
});

test('half a CA, or a key that does not match its certificate, stops the start with what to do', () => {
  withDir((dir) => {
    CertificateAuthority.loadOrCreate(dir, new MemoryLogger());
    unlinkSync(join(dir, 'ca.crt'));
    assert.throws(() => CertificateAuthority.loadOrCreate(dir, new MemoryLogger()), /holds only one of ca\.key and ca\.crt; restore both .* or, if no agent has joined yet/);
  });
  withDir((dir) => {
    CertificateAuthority.loadOrCreate(dir, new MemoryLogger());
    writeFileSync(join(dir, 'ca.key'), privateKeyPem(generateKeyPair().privateKey));
    assert.throws(() => CertificateAuthority.loadOrCreate(dir, new MemoryLogger()), /is not the private key of/);
  });
});
