// The agent's identity on disk: one file, `credentials.json` (mode 0600) in its state
// directory, holding its private key (generated on this host; it never leaves it), the
// client certificate the controller issued, the controller's CA (the only one trusted for
// the controller) and the id of the join token it came from (so a new token means "join
// again"). One file replaced atomically: after a crash it is the old identity or the new
// one, never a key from one and a certificate from the other.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../common/atomic-file.js';
import { commonNameOf, spkiDer, spkiFingerprint } from '../../common/pki/x509.js';

export const CREDENTIALS_FILE = 'credentials.json';

export interface NodeCredentials {
  readonly nodeName: string;
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly caPem: string;
  /** Id of the join token this identity came from. */
  readonly joinTokenId: string;
}

export interface CertificateTimes {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function certificateTimes(certificatePem: string): CertificateTimes {
  const cert = new X509Certificate(certificatePem);
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

export function caFingerprintOf(credentials: NodeCredentials): string {
  return spkiFingerprint(new X509Certificate(credentials.caPem).publicKey);
}

/** A certificate as the controller returned it (Join or RenewCertificate). */
export interface IssuedCertificate {
  readonly nodeName: string;
  readonly certificatePem: string;
  readonly caPem: string;
}

export interface ExpectedCertificate {
  /** DER SubjectPublicKeyInfo of the key this agent generated for the request. */
  readonly publicKeyDer: Buffer;
  /** The CA this agent trusts: pinned by the join token's fingerprint, or the stored one. */
  readonly trustedCaPem: string;
  /** The node it must name, when the agent knows it already (renewal). */
  readonly nodeName?: string;
  /** host:port, for the message. */
  readonly controller: string;
  readonly now?: number;
}

/** The controller sent a certificate the agent will not store or use. */
export class UnusableCertificateError extends Error {
  override name = 'UnusableCertificateError';
}

/**
 * Checks what the controller returned before anything is stored: the certificate is for the
 * key this agent generated, names the node, was signed by the trusted CA, and has not expired,
 * and the controller names the same CA. A buggy or impersonated controller could otherwise
 * leave the agent with an identity that fails at the next connection, or one it did not ask for.
 */
export function checkIssuedCertificate(issued: IssuedCertificate, expected: ExpectedCertificate): void {
  const refuse = (reason: string): never => {
    throw new UnusableCertificateError(`the controller at ${expected.controller} sent a node certificate this agent cannot use: ${reason}; nothing was saved`);
  };
  if (expected.nodeName !== undefined && issued.nodeName !== expected.nodeName) {
    refuse(`it is for node ${JSON.stringify(issued.nodeName)}, and this agent is node "${expected.nodeName}"`);
  }
  const trustedCa = new X509Certificate(expected.trustedCaPem);
  const trustedFingerprint = spkiFingerprint(trustedCa.publicKey);
  let caFingerprint: string;
  try {
    caFingerprint = spkiFingerprint(new X509Certificate(issued.caPem).publicKey);
  } catch {
    return refuse('the CA certificate that came with it is not a PEM certificate');
  }
  if (caFingerprint !== trustedFingerprint) {
    refuse(`it comes with CA fingerprint ${caFingerprint}, and this agent trusts only ${trustedFingerprint}`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(issued.certificatePem);
  } catch {
    return refuse('it is not a PEM certificate');
  }
  const commonName = commonNameOf(cert);
  if (commonName !== issued.nodeName) {
    refuse(`its subject names ${JSON.stringify(commonName ?? cert.subject)}, not node "${issued.nodeName}"`);
  }
  if (!spkiDer(cert.publicKey).equals(expected.publicKeyDer)) refuse('it certifies another public key than the one this agent generated');
  if (!cert.verify(trustedCa.publicKey)) refuse(`it was not signed by the controller CA (fingerprint ${trustedFingerprint})`);
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= (expected.now ?? Date.now())) refuse(`it expired at ${notAfter.toISOString()} already`);
}

/** The stored identity, null if there is none; an Error naming the file if it is damaged. */
export function loadCredentials(stateDir: string): NodeCredentials | null {
  const file = join(stateDir, CREDENTIALS_FILE);
  if (!existsSync(file)) return null;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<keyof NodeCredentials, unknown>>;
    for (const field of ['nodeName', 'keyPem', 'certificatePem', 'caPem', 'joinTokenId'] as const) {
      if (typeof stored[field] !== 'string') throw new Error(`${field} is missing`);
    }
    const credentials = stored as NodeCredentials;
    const cert = new X509Certificate(credentials.certificatePem);
    if (!cert.checkPrivateKey(createPrivateKey(credentials.keyPem))) throw new Error('the key does not match the certificate');
    if (!cert.verify(new X509Certificate(credentials.caPem).publicKey)) throw new Error('the certificate was not issued by the stored CA');
    return credentials;
  } catch (err) {
    throw new Error(`the agent identity ${file} is damaged (${(err as Error).message}); delete it and start the agent with a fresh join token`);
  }
}

export function saveCredentials(stateDir: string, credentials: NodeCredentials): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const { nodeName, joinTokenId, keyPem, certificatePem, caPem } = credentials;
  writeFileAtomicSync(join(stateDir, CREDENTIALS_FILE), JSON.stringify({ nodeName, joinTokenId, keyPem, certificatePem, caPem }, null, 2) + '\n', 0o600);
}
