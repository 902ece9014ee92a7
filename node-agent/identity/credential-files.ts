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
import { spkiFingerprint } from '../../common/pki/x509.js';

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
