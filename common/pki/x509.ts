// Builds X.509 v3 certificates signed with ECDSA P-256 / SHA-256, for the controller's own CA,
// its server certificate and node client certificates. Parsing and checking stay with Node's
// X509Certificate and the TLS stack; this file only encodes what they will read.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import {
  bitString,
  booleanTrue,
  explicit,
  implicitPrimitive,
  namedBits,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
// KeyUsage bit numbers (RFC 5280 4.2.1.3).
const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;
const CRL_SIGN = 6;

export const CERTIFICATE_ORGANIZATION = 'tunctl';

/** A fresh ECDSA P-256 key pair: fast handshakes, small certificates. */
export function generateKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** DER SubjectPublicKeyInfo of a key: what fingerprints and certificates are made of. */
export function spkiDer(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

/**
 * sha256 over the CA's SubjectPublicKeyInfo, base64url: the pin a join token or API key carries
 * (kubeadm's discovery hash, but of the key, so it survives re-issuing the CA certificate).
 */
export function spkiFingerprint(key: KeyObject): string {
  return createHash('sha256').update(spkiDer(key)).digest('base64url');
}

/** The subject's common name (CN), undefined if it has none. */
export function commonNameOf(cert: X509Certificate): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
}

export function certificateFingerprint(certificatePem: string): string {
  return spkiFingerprint(new X509Certificate(certificatePem).publicKey);
}

export interface CertificateRequest {
  readonly commonName: string;
  readonly subjectPublicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa?: boolean;
  readonly serverAuth?: boolean;
  readonly clientAuth?: boolean;
  /** DNS names and IPv4 addresses for subjectAltName. */
  readonly altNames?: readonly string[];
}

export interface Issuer {
  readonly commonName: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A random positive 128-bit serial (Node's X509Certificate reports it as upper-case hex). */
export function randomSerial(): Buffer {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and never shortened below 16 bytes
  return serial;
}

/** Encodes and signs a certificate. A CA root is self-signed: its own name and key as the issuer. */
export function issueCertificate(request: CertificateRequest, issuer: Issuer, serial: Buffer = randomSerial()): string {
  const subjectSpki = spkiDer(request.subjectPublicKey);
  const extensions: Buffer[] = [
    extension(OID_BASIC_CONSTRAINTS, true, request.isCa ? sequence(booleanTrue(), smallInteger(0)) : sequence()),
    extension(OID_KEY_USAGE, true, namedBits(request.isCa ? [DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN] : [DIGITAL_SIGNATURE])),
    extension(OID_SUBJECT_KEY_ID, false, octetString(keyId(subjectSpki))),
    extension(OID_AUTHORITY_KEY_ID, false, sequence(implicitPrimitive(0, keyId(spkiDer(issuer.publicKey))))),
  ];
  const usages = [...(request.serverAuth ? [OID_SERVER_AUTH] : []), ...(request.clientAuth ? [OID_CLIENT_AUTH] : [])];
  if (usages.length > 0) extensions.push(extension(OID_EXT_KEY_USAGE, false, sequence(...usages.map(objectIdentifier))));
  if (request.altNames && request.altNames.length > 0) {
    extensions.push(extension(OID_SUBJECT_ALT_NAME, false, sequence(...request.altNames.map(generalName))));
  }
  const algorithm = sequence(objectIdentifier(OID_ECDSA_SHA256));
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    name(issuer.commonName),
    sequence(time(request.notBefore), time(request.notAfter)),
    name(request.commonName),
    subjectSpki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, issuer.privateKey); // ECDSA signatures come DER-encoded, as X.509 wants
  return toPem(sequence(tbs, algorithm, bitString(signature)));
}

function name(commonName: string): Buffer {
  return sequence(
    set(sequence(objectIdentifier(OID_ORGANIZATION), utf8String(CERTIFICATE_ORGANIZATION))),
    set(sequence(objectIdentifier(OID_COMMON_NAME), utf8String(commonName))),
  );
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

function generalName(altName: string): Buffer {
  if (isIPv4(altName)) return implicitPrimitive(7, Buffer.from(altName.split('.').map(Number)));
  return implicitPrimitive(2, Buffer.from(altName, 'ascii'));
}

/** RFC 5280 allows any unique key id; 160 bits of sha256 over the SPKI. */
function keyId(spki: Buffer): Buffer {
  return createHash('sha256').update(spki).digest().subarray(0, 20);
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
