// The certificates we encode must be what OpenSSL (through Node) reads, verifies and
// accepts in a real TLS handshake with client certificates.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { test } from 'node:test';
import { namedBits, objectIdentifier, time, unsignedInteger } from '../../../common/pki/der.js';
import {
  certificateFingerprint,
  generateKeyPair,
  issueCertificate,
  privateKeyPem,
  spkiFingerprint,
  type Issuer,
} from '../../../common/pki/x509.js';

const HOUR = 3600_000;

function makeCa(): { issuer: Issuer; pem: string } {
  const keys = generateKeyPair();
  const issuer: Issuer = { commonName: 'test CA', ...keys };
  const now = Date.now();
  const pem = issueCertificate(
    { commonName: 'test CA', subjectPublicKey: keys.publicKey, notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR), isCa: true },
    issuer,
  );
  return { issuer, pem };
}

test('DER primitives encode as X.690 says', () => {
  assert.equal(objectIdentifier('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  assert.equal(unsignedInteger(Buffer.from([0x00, 0x00, 0x80])).toString('hex'), '02020080');
  assert.equal(unsignedInteger(Buffer.from([0x00])).toString('hex'), '020100');
  assert.equal(namedBits([0]).toString('hex'), '03020780'); // digitalSignature
  assert.equal(namedBits([0, 5, 6]).toString('hex'), '03020186'); // + keyCertSign, cRLSign
  assert.equal(time(new Date('2026-11-25T17:00:01Z')).toString('ascii', 2), '261125170001Z');
  assert.equal(time(new Date('2051-01-02T03:04:05Z')).toString('ascii', 2), '20510102030405Z');
  assert.equal(time(new Date('2051-01-02T03:04:05Z'))[0], 0x18);
  assert.equal(unsignedInteger(Buffer.alloc(0)).toString('hex'), '020100', 'an empty integer is 0, never zero-length');
  assert.equal(objectIdentifier('2.999.3').toString('hex'), '0603883703', 'a first subidentifier over 127 takes two bytes');
  assert.throws(() => objectIdentifier('3.1'), /bad OID/);
  assert.throws(() => objectIdentifier('1.40'), /bad OID/);
});

test('a CA and the certificates it issues parse, chain and carry what was asked', () => {
  const ca = makeCa();
  const caCert = new X509Certificate(ca.pem);
  assert.equal(caCert.ca, true);
  assert.ok(caCert.verify(ca.issuer.publicKey), 'self-signature verifies');
  assert.match(caCert.subject, /CN=test CA/);

  const leafKeys = generateKeyPair();
  const now = Date.now();
  const leafPem = issueCertificate(
    {
      commonName: 'node-a',
      subjectPublicKey: leafKeys.publicKey,
      notBefore: new Date(now - 1000),
      notAfter: new Date(now + HOUR),
      serverAuth: true,
      clientAuth: true,
      altNames: ['tunctl-controller', '192.168.77.254'],
    },
    ca.issuer,
  );
  const leaf = new X509Certificate(leafPem);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.checkIssued(caCert));
  assert.ok(leaf.verify(ca.issuer.publicKey));
  assert.ok(!leaf.verify(makeCa().issuer.publicKey), 'another CA key does not verify it');
  assert.match(leaf.subject, /CN=node-a/);
  assert.equal(leaf.subjectAltName, 'DNS:tunctl-controller, IP Address:192.168.77.254');
  assert.deepEqual(leaf.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(leaf.serialNumber.length, 32, '128-bit serial');
  assert.ok(Math.abs(Date.parse(leaf.validTo) - (now + HOUR)) < 2000);
  assert.equal(certificateFingerprint(ca.pem), spkiFingerprint(ca.issuer.publicKey));
  assert.equal(certificateFingerprint(ca.pem).length, 43);
});

test('a real TLS handshake accepts a client certificate from the CA and refuses a stranger', async () => {
  const ca = makeCa();
  const now = Date.now();
  const issue = (cn: string, issuer: Issuer, usage: { serverAuth?: boolean; clientAuth?: boolean }, altNames?: string[]) => {
    const keys = generateKeyPair();
    const pem = issueCertificate(
      { commonName: cn, subjectPublicKey: keys.publicKey, notBefore: new Date(now - 1000), notAfter: new Date(now + HOUR), altNames, ...usage },
      issuer,
    );
    return { cert: pem, key: privateKeyPem(keys.privateKey) };
  };
  const server = issue('controller', ca.issuer, { serverAuth: true }, ['tunctl-controller', '127.0.0.1']);
  const tlsServer = tls.createServer({ ...server, ca: ca.pem, requestCert: true, rejectUnauthorized: false }, (socket) => {
    socket.end(socket.authorized ? `ok ${socket.getPeerCertificate().subject.CN}` : `refused ${socket.authorizationError}`);
  });
  tlsServer.listen(0, '127.0.0.1');
  await once(tlsServer, 'listening');
  const port = (tlsServer.address() as AddressInfo).port;
  const talk = async (client: { cert?: string; key?: string }) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.pem, servername: 'tunctl-controller', ...client });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    await once(socket, 'end');
    socket.destroy();
    return text;
  };
  try {
    assert.equal(await talk(issue('node-a', ca.issuer, { clientAuth: true })), 'ok node-a');
    const stranger = makeCa();
    assert.match(await talk(issue('node-a', stranger.issuer, { clientAuth: true })), /^refused /);
    assert.match(await talk({}), /^refused /);
  } finally {
    tlsServer.close();
  }
});
