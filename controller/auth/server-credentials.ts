// TLS for the controller's network port, terminated by our own listener (network-listener.ts)
// rather than by grpc-js, so that we choose what grpc-js cannot: session tickets whose key
// survives a restart (ticket-keys.ts), and how long a session may be resumed.
// Clients MAY present a certificate (agents do, after joining) but need not (Join and admin
// calls with an API key come without one), so the handshake requests one without requiring
// it; a certificate that does not chain to our CA leaves the connection unauthorized, grpc-js
// then reports no peer certificate, and the handlers decide what each call needs.
import type tls from 'node:tls';
import type { Logger } from '../../common/logger.js';
import type { CertificateAuthority } from './certificate-authority.js';
import { loadOrCreateTicketKey, replaceTicketKey, TICKET_KEY_MAX_AGE_MS } from './ticket-keys.js';

const CHECK_INTERVAL_MS = 3600_000;
const RENEW_WHEN_LEFT_MS = 30 * 24 * 3600_000;
/**
 * How long a session may be resumed, in seconds. Long enough for a controller upgrade or a
 * network outage of a few minutes to end with resumptions; a session never outlives the ticket
 * key (a day) nor, for authorization, anything else: every call still checks the certificate's
 * serial against the controller's records (revoked, expired, removed node).
 */
export const SESSION_TIMEOUT_S = 3600;

/** What a TLS server of the controller is configured with, and told again on every change. */
export type ControllerTlsOptions = tls.TlsOptions & { ticketKeys: Buffer };

export interface ServerTls {
  /** Options for the listening TLS server: current certificate, CA, ticket key, session timeout. */
  options(): ControllerTlsOptions;
  /** Calls `listener` with new options after a certificate renewal or a ticket key rotation. */
  onChange(listener: (options: ControllerTlsOptions) => void): void;
  /** Renews the certificate and replaces the ticket key when due (hourly on its own); true if either changed. */
  refresh(): boolean;
  /** Stops the renewal checks. */
  close(): void;
}

/**
 * A server certificate issued now and re-issued when less than 30 days remain; a session
 * ticket key from the data directory, replaced when a day old. Both are checked hourly.
 */
export function controllerServerTls(ca: CertificateAuthority, dataDir: string, extraNames: readonly string[], logger: Logger, now: () => Date): ServerTls {
  const issue = () => ca.issueServerCertificate(extraNames, now());
  let certificate = issue();
  let ticketKey = loadOrCreateTicketKey(dataDir, logger, now());
  const listeners: ((options: ControllerTlsOptions) => void)[] = [];
  const options = (): ControllerTlsOptions => ({
    key: certificate.privateKeyPem,
    cert: certificate.certificateChainPem,
    ca: ca.certificatePem,
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['h2'],
    ticketKeys: ticketKey.key,
    sessionTimeout: SESSION_TIMEOUT_S,
  });
  const refresh = () => {
    let changed = false;
    if (certificate.notAfter.getTime() - now().getTime() <= RENEW_WHEN_LEFT_MS) {
      certificate = issue();
      changed = true;
      logger.info('renewed the controller TLS certificate', { not_after: certificate.notAfter.toISOString() });
    }
    if (now().getTime() - ticketKey.createdAt >= TICKET_KEY_MAX_AGE_MS) {
      ticketKey = replaceTicketKey(dataDir, now());
      changed = true;
      logger.info('replaced the TLS session ticket key; agents resume with a full handshake once');
    }
    if (changed) for (const listener of listeners) listener(options());
    return changed;
  };
  const timer = setInterval(refresh, CHECK_INTERVAL_MS);
  timer.unref();
  return {
    options,
    onChange: (listener) => listeners.push(listener),
    refresh,
    close: () => clearInterval(timer),
  };
}
