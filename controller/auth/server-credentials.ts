// TLS for the controller's network port. Clients MAY present a certificate (agents do, after
// joining) but need not (Join and admin calls with an API key come without one), so the TLS
// layer requests one without requiring it; grpc-js then reports a peer certificate only when
// it chains to our CA, and the handlers decide what each call needs.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/logger.js';
import type { CertificateAuthority } from './certificate-authority.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** Hands grpc-js the CA and the current server certificate, and pushes a new one on renewal. */
class ControllerCertificates implements grpc.experimental.CertificateProvider {
  private readonly caUpdate: grpc.experimental.CaCertificateUpdate;
  private identity: grpc.experimental.IdentityCertificateUpdate;
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(caPem: string, identity: grpc.experimental.IdentityCertificateUpdate) {
    this.caUpdate = { caCertificate: Buffer.from(caPem) };
    this.identity = identity;
  }

  setIdentity(identity: grpc.experimental.IdentityCertificateUpdate): void {
    this.identity = identity;
    for (const listener of this.identityListeners) listener(identity);
  }

  // grpc-js registers its watcher only after adding these listeners, so the first update must
  // come later (as from a file-watching provider), or the server never hears of it.
  addCaCertificateListener(listener: CaListener): void {
    process.nextTick(() => listener(this.caUpdate));
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => listener(this.identity));
  }
  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

const RENEW_CHECK_INTERVAL_MS = 24 * 3600_000;
const RENEW_WHEN_LEFT_MS = 30 * 24 * 3600_000;

export interface ServerTls {
  readonly credentials: grpc.ServerCredentials;
  /** Stops the daily renewal check. */
  close(): void;
}

/** Server credentials with a certificate issued now, re-issued when less than 30 days remain. */
export function controllerServerTls(ca: CertificateAuthority, extraNames: readonly string[], logger: Logger, now: () => Date): ServerTls {
  const issue = () => {
    const issued = ca.issueServerCertificate(extraNames, now());
    return { notAfter: issued.notAfter, update: { certificate: Buffer.from(issued.certificateChainPem), privateKey: Buffer.from(issued.privateKeyPem) } };
  };
  let current = issue();
  const provider = new ControllerCertificates(ca.certificatePem, current.update);
  const timer = setInterval(() => {
    if (current.notAfter.getTime() - now().getTime() > RENEW_WHEN_LEFT_MS) return;
    current = issue();
    provider.setIdentity(current.update);
    logger.info('renewed the controller TLS certificate', { not_after: current.notAfter.toISOString() });
  }, RENEW_CHECK_INTERVAL_MS);
  timer.unref();
  return {
    credentials: grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false),
    close: () => clearInterval(timer),
  };
}
