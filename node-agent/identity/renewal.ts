// Keeps the node certificate fresh: when two thirds of its lifetime have passed, the agent
// generates a new key, asks the controller for a certificate on it (authenticated by the
// current one), stores both and switches its connection to them. Failures are retried with
// backoff until the certificate expires; a refusal (revoked node) is logged and left to the
// next registration, which fails and stops the agent with the controller's reason.
import { Backoff, sleep } from '../../common/backoff.js';
import { ControllerCallError } from '../../common/controller-call-error.js';
import { controllerChannelCredentials } from '../../common/controller-tls.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { renewProofMessage, signProof } from '../../common/pki/proof.js';
import { generateKeyPair, privateKeyPem, spkiDer } from '../../common/pki/x509.js';
import type { ControllerClient } from '../controller-client.js';
import { certificateTimes, saveCredentials, type NodeCredentials } from './credential-files.js';

export interface RenewalOptions {
  readonly client: Pick<ControllerClient, 'renewCertificate' | 'replaceCredentials'>;
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

/** Runs until `signal` aborts; returns the credentials in use at that point. */
export async function runCertificateRenewal(initial: NodeCredentials, options: RenewalOptions): Promise<NodeCredentials> {
  const { client, stateDir, logger, signal } = options;
  const now = options.now ?? Date.now;
  let current = initial;
  const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
  while (!signal.aborted) {
    const wait = renewalTime(current.certificatePem) - now();
    if (wait > 0) {
      await sleep(Math.min(wait, 2 ** 31 - 1), signal);
      continue;
    }
    try {
      const keys = generateKeyPair();
      const publicKeyDer = spkiDer(keys.publicKey);
      const issued = await client.renewCertificate(publicKeyDer, signProof(keys.privateKey, renewProofMessage(current.nodeName, publicKeyDer)));
      current = { ...current, keyPem: privateKeyPem(keys.privateKey), certificatePem: issued.certificatePem, caPem: issued.caPem };
      saveCredentials(stateDir, current);
      client.replaceCredentials(controllerChannelCredentials(current.caPem, current));
      backoff.reset();
      logger.info('node certificate renewed', { node: current.nodeName, not_after: certificateTimes(current.certificatePem).notAfter.toISOString() });
    } catch (err) {
      if (signal.aborted) break;
      const { notAfter } = certificateTimes(current.certificatePem);
      const permanent = err instanceof ControllerCallError && err.isPermanent;
      const delay = Math.min(backoff.next(), Math.max(1000, (notAfter.getTime() - now()) / 4));
      logger[permanent ? 'error' : 'warn']('cannot renew the node certificate; retrying', {
        error: errorMessage(err),
        expires_at: notAfter.toISOString(),
        retry_in_ms: Math.round(delay),
      });
      await sleep(delay, signal);
    }
  }
  return current;
}
