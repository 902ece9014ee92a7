// A certificate authority made for one test: to stand up an impostor controller, or to give
// an agent a certificate that no real controller issued.
import type { KeyObject } from 'node:crypto';
import { CONTROLLER_TLS_NAME } from '../../../common/controller-tls.js';
import { generateKeyPair, issueCertificate, privateKeyPem, spkiFingerprint, type Issuer } from '../../../common/pki/x509.js';

const HOUR_MS = 3600_000;

export interface NodeCertificateOptions {
  /** The key to certify; a fresh one (returned as keyPem) if not given. */
  readonly publicKey?: KeyObject;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Big-endian serial bytes, e.g. to copy a real certificate's. */
  readonly serial?: Buffer;
}

export interface ThrowawayCa {
  readonly certificatePem: string;
  readonly fingerprint: string;
  readonly issuer: Issuer;
  /** A client certificate naming `nodeName` for `publicKey` (a fresh key if none), with its key if made here. */
  nodeCertificate(nodeName: string, options?: NodeCertificateOptions): { certificatePem: string; keyPem?: string };
  /** A server certificate with the name tunctl's clients check, and its key: chain (leaf + CA) and key PEM. */
  serverCertificate(): { certificateChainPem: string; keyPem: string };
}

export function throwawayCa(commonName = 'throwaway test CA'): ThrowawayCa {
  const keys = generateKeyPair();
  const issuer: Issuer = { commonName, ...keys };
  const now = Date.now();
  const certificatePem = issueCertificate(
    { commonName, subjectPublicKey: keys.publicKey, notBefore: new Date(now - HOUR_MS), notAfter: new Date(now + 24 * HOUR_MS), isCa: true },
    issuer,
  );
  return {
    certificatePem,
    fingerprint: spkiFingerprint(keys.publicKey),
    issuer,
    nodeCertificate(nodeName, options = {}) {
      const own = options.publicKey ? undefined : generateKeyPair();
      const pem = issueCertificate(
        {
          commonName: nodeName,
          subjectPublicKey: options.publicKey ?? own!.publicKey,
          notBefore: options.notBefore ?? new Date(Date.now() - HOUR_MS),
          notAfter: options.notAfter ?? new Date(Date.now() + HOUR_MS),
          clientAuth: true,
        },
        issuer,
        options.serial,
      );
      return own ? { certificatePem: pem, keyPem: privateKeyPem(own.privateKey) } : { certificatePem: pem };
    },
    serverCertificate() {
      const server = generateKeyPair();
      const pem = issueCertificate(
        {
          commonName: CONTROLLER_TLS_NAME,
          subjectPublicKey: server.publicKey,
          notBefore: new Date(Date.now() - HOUR_MS),
          notAfter: new Date(Date.now() + HOUR_MS),
          serverAuth: true,
          altNames: [CONTROLLER_TLS_NAME, '127.0.0.1'],
        },
        issuer,
      );
      return { certificateChainPem: pem + certificatePem, keyPem: privateKeyPem(server.privateKey) };
    },
  };
}
