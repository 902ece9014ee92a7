// The controller's own certificate authority. Created on first start in the data directory
// (ca.key 0600, ca.crt), it signs the controller's TLS server certificate and every node's
// client certificate. Its public key's fingerprint is what join tokens and API keys pin.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../common/atomic-file.js';
import { CONTROLLER_TLS_NAME } from '../../common/controller-tls.js';
import { FailedPreconditionError, InvalidArgumentError, quoted } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import {
  CERTIFICATE_ORGANIZATION,
  commonNameOf,
  generateKeyPair,
  issueCertificate,
  privateKeyPem,
  randomSerial,
  spkiFingerprint,
  type Issuer,
} from '../../common/pki/x509.js';

export const CA_KEY_FILE = 'ca.key';
export const CA_CERT_FILE = 'ca.crt';

const DAY_MS = 24 * 3600_000;
const CA_LIFETIME_MS = 10 * 365 * DAY_MS;
export const SERVER_CERT_LIFETIME_MS = 365 * DAY_MS;
/**
 * Certificates start a little in the past, so a host whose clock lags can use them at once:
 * 5 minutes, or a tenth of a short lifetime (more would make a short-lived certificate look
 * two thirds used, due for renewal, the moment it is issued).
 */
const CLOCK_SKEW_MS = 5 * 60_000;
const backdate = (lifetimeMs: number) => Math.min(CLOCK_SKEW_MS, lifetimeMs / 10);

export interface IssuedCertificate {
  readonly certificatePem: string;
  /** Upper-case hex, as Node's X509Certificate and the TLS stack report it. */
  readonly serial: string;
  readonly notAfter: Date;
}

export class CertificateAuthority {
  readonly certificatePem: string;
  /** base64url sha256 of the CA public key. */
  readonly fingerprint: string;
  private readonly issuer: Issuer;

  private constructor(certificatePem: string, privateKey: KeyObject) {
    this.certificatePem = certificatePem;
    const cert = new X509Certificate(certificatePem);
    this.issuer = { commonName: caCommonName(cert), privateKey, publicKey: cert.publicKey };
    this.fingerprint = spkiFingerprint(cert.publicKey);
  }

  /** Loads the CA from `dataDir`, creating it on first start. */
  static loadOrCreate(dataDir: string, logger: Logger, now: Date = new Date()): CertificateAuthority {
    const keyFile = join(dataDir, CA_KEY_FILE);
    const certFile = join(dataDir, CA_CERT_FILE);
    if (existsSync(keyFile) || existsSync(certFile)) {
      if (!existsSync(keyFile) || !existsSync(certFile)) {
        throw new FailedPreconditionError(
          `${dataDir} holds only one of ${CA_KEY_FILE} and ${CA_CERT_FILE}; restore both from a backup (a new CA would lock out every agent), ` +
            `or, if no agent has joined yet (a first start that crashed), delete the one that is there`,
        );
      }
      const mode = statSync(keyFile).mode & 0o777;
      if ((mode & 0o077) !== 0) logger.warn('the CA private key is readable by other users; chmod 600 it', { file: keyFile, mode: mode.toString(8) });
      const ca = new CertificateAuthority(readFileSync(certFile, 'utf8'), createPrivateKey(readFileSync(keyFile)));
      if (!new X509Certificate(ca.certificatePem).checkPrivateKey(ca.issuer.privateKey)) {
        throw new FailedPreconditionError(`${keyFile} is not the private key of ${certFile}; restore the matching pair from a backup`);
      }
      const expected = `O=${CERTIFICATE_ORGANIZATION}\nCN=${ca.issuer.commonName}`;
      if (new X509Certificate(ca.certificatePem).subject !== expected) {
        // Issued certificates name their issuer as O=tunctl, CN=...; another subject would not chain.
        throw new FailedPreconditionError(`${certFile} was not made by tunctl (its subject is not "${expected.replace('\n', ', ')}"); restore tunctl's own CA from a backup`);
      }
      return ca;
    }
    const keys = generateKeyPair();
    const commonName = `tunctl controller CA ${now.toISOString().slice(0, 10)}`;
    const pem = issueCertificate(
      {
        commonName,
        subjectPublicKey: keys.publicKey,
        notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
        notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
        isCa: true,
      },
      { commonName, ...keys },
    );
    // Key first: a crash between the two writes leaves a key without a certificate, which
    // the check above reports instead of silently making a second CA.
    writeFileAtomicSync(keyFile, privateKeyPem(keys.privateKey), 0o600);
    writeFileAtomicSync(certFile, pem, 0o644);
    const ca = new CertificateAuthority(pem, keys.privateKey);
    logger.info('created the controller CA', { cert: certFile, fingerprint: ca.fingerprint });
    return ca;
  }

  /**
   * A fresh server certificate (and key) for this controller: the fixed name tunctl's clients
   * check, plus this host's names and addresses and any the operator adds, for other clients.
   */
  issueServerCertificate(extraNames: readonly string[], now: Date = new Date()): { certificateChainPem: string; privateKeyPem: string; notAfter: Date } {
    const keys = generateKeyPair();
    const notAfter = new Date(now.getTime() + SERVER_CERT_LIFETIME_MS);
    const pem = issueCertificate(
      {
        commonName: CONTROLLER_TLS_NAME,
        subjectPublicKey: keys.publicKey,
        notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
        notAfter,
        serverAuth: true,
        altNames: serverAltNames(extraNames),
      },
      this.issuer,
    );
    // The chain includes the CA, so a client that pins its fingerprint can find it in the handshake.
    return { certificateChainPem: pem + this.certificatePem, privateKeyPem: privateKeyPem(keys.privateKey), notAfter };
  }

  /** A client certificate naming `nodeName`, for the public key the agent generated. */
  issueNodeCertificate(nodeName: string, publicKey: KeyObject, lifetimeMs: number, now: Date = new Date()): IssuedCertificate {
    const serial = randomSerial();
    const notAfter = new Date(now.getTime() + lifetimeMs);
    const certificatePem = issueCertificate(
      { commonName: nodeName, subjectPublicKey: publicKey, notBefore: new Date(now.getTime() - backdate(lifetimeMs)), notAfter, clientAuth: true },
      this.issuer,
      serial,
    );
    return { certificatePem, serial: serial.toString('hex').toUpperCase(), notAfter };
  }
}

function caCommonName(cert: X509Certificate): string {
  const name = commonNameOf(cert);
  if (name === undefined) throw new Error(`the CA certificate has no common name (subject ${JSON.stringify(cert.subject)})`);
  return name;
}

const DNS_NAME = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An extra name for the server certificate: a DNS name or an IPv4 address, else InvalidArgumentError. */
export function validateTlsName(name: string): string {
  if (isIPv4(name) || (name.length <= 253 && DNS_NAME.test(name))) return name;
  throw new InvalidArgumentError(`--tls-san ${quoted(name)} is neither a DNS name nor an IPv4 address (IPv6 addresses are not supported)`);
}

function serverAltNames(extra: readonly string[]): string[] {
  const names = new Set<string>([CONTROLLER_TLS_NAME, 'localhost', '127.0.0.1']);
  // This host's own names go in when they are encodable; an odd hostname is left out, not fatal.
  if (DNS_NAME.test(hostname())) names.add(hostname());
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4') names.add(address.address);
  }
  for (const name of extra) names.add(validateTlsName(name));
  return [...names];
}
