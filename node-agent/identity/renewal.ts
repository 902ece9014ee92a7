// Keeps the node certificate fresh: when two thirds of its lifetime have passed, the agent
// generates a new key, asks the controller for a certificate on it (authenticated by the
// current one), checks what comes back (our key, our node, our CA), stores both and switches
// its connection to them. Renewals are at least a tenth of a lifetime apart, so no lifetime
// can make it loop. Failures are retried with backoff until the certificate expires; a
// refusal (revoked node) is logged and left to the next registration, which fails and stops
// the agent with the controller's reason.
import { Backoff, sleep } from '../../common/backoff.js';
import { ControllerCallError } from '../../common/controller-call-error.js';
import { controllerChannelCredentials } from '../../common/controller-tls.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { renewProofMessage, signProof } from '../../common/pki/proof.js';
import { generateKeyPair, privateKeyPem, spkiDer } from '../../common/pki/x509.js';
import type { ControllerClient } from '../controller-client.js';
import { certificateTimes, checkIssuedCertificate, saveCredentials, type NodeCredentials } from './credential-files.js';

/** Whatever the lifetime, renewals (and attempts) are at least this far apart. */
export const MIN_RENEWAL_INTERVAL_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RenewalOptions {
  readonly client: Pick<ControllerClient, 'target' | 'renewCertificate' | 'replaceCredentials'>;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

/** When to renew: two thirds into the certificate's lifetime. */
export function renewalTime(certificatePem: string): number {
  const { notBefore, notAfter } = certificateTimes(certificatePem);
  return notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3;
}

/**
 * The least time from one renewal to the next: a tenth of the new certificate's lifetime, at
 * least 1 s. A certificate that is due again as soon as it arrives (a lifetime shorter than the
 * controller's backdating, a controller clock far off) then costs one renewal per interval,
 * not a loop of them.
 */
export function renewalInterval(certificatePem: string): number {
  const { notBefore, notAfter } = certificateTimes(certificatePem);
  return Math.max(MIN_RENEWAL_INTERVAL_MS, (notAfter.getTime() - notBefore.getTime()) / 10);
}

/** Runs until `signal` aborts; returns the credentials in use at that point. */
export async function runCertificateRenewal(initial: NodeCredentials, options: RenewalOptions): Promise<NodeCredentials> {
  const { client, stateDir, logger, signal } = options;
  const now = options.now ?? Date.now;
  let current = initial;
  const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
  let nextAllowed = -Infinity;
  while (!signal.aborted) {
    // Everything in here, parsing included, ends in the catch: this promise never rejects,
    // so nothing can surface as an unhandled rejection while the agent runs.
    try {
      const wait = Math.max(renewalTime(current.certificatePem), nextAllowed) - now();
      if (wait > 0) {
        await sleep(Math.min(wait, MAX_TIMER_MS), signal);
        continue;
      }
      const started = now();
      nextAllowed = started + MIN_RENEWAL_INTERVAL_MS;
      const renewed = await renewOnce(current, client, signal, now);
      // Stopped while the call was out: the agent's client may be closed already, and a
      // channel opened on it now would stay open. The certificate in use stays valid.
      if (signal.aborted) break;
      saveCredentials(stateDir, renewed);
      current = renewed;
      nextAllowed = started + renewalInterval(renewed.certificatePem);
      client.replaceCredentials(controllerChannelCredentials(current.caPem, current));
      backoff.reset();
      logger.info('node certificate renewed', { node: current.nodeName, not_after: certificateTimes(current.certificatePem).notAfter.toISOString() });
    } catch (err) {
      if (signal.aborted) break;
      const notAfter = notAfterOf(current.certificatePem);
      const permanent = err instanceof ControllerCallError && err.isPermanent;
      const untilExpiry = notAfter ? notAfter.getTime() - now() : Infinity;
      const delay = Math.min(backoff.next(), Math.max(MIN_RENEWAL_INTERVAL_MS, untilExpiry / 4));
      logger[permanent ? 'error' : 'warn']('cannot renew the node certificate; retrying', {
        error: errorMessage(err),
        expires_at: notAfter?.toISOString() ?? 'unknown',
        retry_in_ms: Math.round(delay),
      });
      await sleep(delay, signal);
    }
  }
  return current;
}

/** A new key, a certificate for it (checked before anything is stored); the CA stays the stored one. */
async function renewOnce(current: NodeCredentials, client: RenewalOptions['client'], signal: AbortSignal, now: () => number): Promise<NodeCredentials> {
  const keys = generateKeyPair();
  const publicKeyDer = spkiDer(keys.publicKey);
  const issued = await client.renewCertificate(publicKeyDer, signProof(keys.privateKey, renewProofMessage(current.nodeName, publicKeyDer)), { signal });
  checkIssuedCertificate(issued, { publicKeyDer, trustedCaPem: current.caPem, nodeName: current.nodeName, controller: client.target, now: now() });
  return { ...current, keyPem: privateKeyPem(keys.privateKey), certificatePem: issued.certificatePem };
}

function notAfterOf(certificatePem: string): Date | undefined {
  try {
    return certificateTimes(certificatePem).notAfter;
  } catch {
    return undefined;
  }
}
