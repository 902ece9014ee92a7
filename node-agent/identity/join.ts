// How an agent comes to hold its node's identity: the credentials stored in its state
// directory, or, given a join token it has not used yet, a fresh one from the controller.
// Joining verifies the controller against the CA fingerprint in the token before the token
// is sent, generates the key pair here, sends only the public key, and checks the certificate
// that comes back before storing it.
import { join } from 'node:path';
import { Backoff, sleep } from '../../common/backoff.js';
import { ControllerCallError } from '../../common/controller-call-error.js';
import { controllerChannelCredentials, ControllerTrustError, fetchPinnedCa } from '../../common/controller-tls.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { joinProofMessage, signProof } from '../../common/pki/proof.js';
import { generateKeyPair, privateKeyPem, spkiDer } from '../../common/pki/x509.js';
import { parseSecret, secretLabel, type ParsedSecret } from '../../common/secrets.js';
import { ControllerClient } from '../controller-client.js';
import {
  caFingerprintOf,
  certificateTimes,
  checkIssuedCertificate,
  CREDENTIALS_FILE,
  loadCredentials,
  saveCredentials,
  type NodeCredentials,
} from './credential-files.js';

export interface ObtainOptions {
  readonly stateDir: string;
  readonly controller: string;
  /** The join token text, if the operator gave one. */
  readonly joinToken?: string;
  /** --name, if given: the identity must be this node. */
  readonly nodeName?: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

/** The identity to run with, or undefined if `signal` aborted while waiting for the controller. */
export async function obtainCredentials(options: ObtainOptions): Promise<NodeCredentials | undefined> {
  const { stateDir, joinToken, nodeName, logger } = options;
  const file = join(stateDir, CREDENTIALS_FILE);
  const now = (options.now ?? Date.now)();
  const token = joinToken ? parseSecret('join-token', joinToken) : undefined;
  const stored = loadStored(stateDir, token, logger);
  const expiredAt = stored ? expiry(stored, now) : undefined;
  // The token this identity came from (used up) is no reason to join again.
  const newToken = token && !(stored && token.id === stored.joinTokenId && token.caFingerprint === caFingerprintOf(stored)) ? token : undefined;

  if (stored && !newToken) {
    if (expiredAt) {
      throw new Error(
        `the node certificate in ${file} expired at ${expiredAt.toISOString()}; join again: ` +
          `\`tunctl create-join-token ${stored.nodeName}\` on the controller host, then start the agent with the token`,
      );
    }
    return useStored(stored, options);
  }
  if (!newToken) {
    throw new Error(
      `this agent has no identity yet (no ${CREDENTIALS_FILE} in ${stateDir}) and no join token: ` +
        'run `tunctl create-join-token NODE` on the controller host (`tunctl add-node` prints one too) and pass it with ' +
        '--join-token, --join-token-file or TUNCTL_JOIN_TOKEN',
    );
  }
  const label = secretLabel('join-token', newToken.id);
  if (stored) logger.info('a new join token was given; joining again', { node: stored.nodeName, token: label, stored_expired: expiredAt !== undefined });
  let joined: NodeCredentials | undefined;
  try {
    joined = await joinWithRetry(options, joinToken!, newToken);
  } catch (err) {
    // A token left in the agent's configuration after it was used must not stop an agent
    // whose stored identity from that same controller is still good.
    if (stored && !expiredAt && isUsedTokenRefusal(err) && caFingerprintOf(stored) === newToken.caFingerprint) {
      logger.warn('the join token given was already used; keeping the stored node identity. Remove the token from the agent configuration', {
        node: stored.nodeName,
        token: label,
        error: errorMessage(err),
      });
      return useStored(stored, options);
    }
    throw err;
  }
  if (!joined) return undefined;
  requireName(joined.nodeName, nodeName, `join token ${label}`);
  saveCredentials(stateDir, joined);
  logger.info('joined the cluster', { node: joined.nodeName, token: label, file });
  return joined;
}

/** The stored identity; a damaged one is replaced when a token is given, and reported otherwise. */
function loadStored(stateDir: string, token: ParsedSecret | undefined, logger: Logger): NodeCredentials | null {
  try {
    return loadCredentials(stateDir);
  } catch (err) {
    if (!token) throw err;
    logger.warn('the stored node identity is damaged; joining again with the given token, which replaces it', {
      error: errorMessage(err),
      token: secretLabel('join-token', token.id),
    });
    return null;
  }
}

function expiry(stored: NodeCredentials, now: number): Date | undefined {
  const { notAfter } = certificateTimes(stored.certificatePem);
  return notAfter.getTime() <= now ? notAfter : undefined;
}

function useStored(stored: NodeCredentials, options: ObtainOptions): NodeCredentials {
  requireName(stored.nodeName, options.nodeName, `the identity stored in ${options.stateDir}`);
  options.logger.info('using the stored node identity', { node: stored.nodeName, file: CREDENTIALS_FILE });
  return stored;
}

/** The controller's answer to a token that was redeemed before (by this agent or another). */
function isUsedTokenRefusal(err: unknown): boolean {
  return err instanceof ControllerCallError && err.reason === 'join-token-used';
}

function requireName(actual: string, wanted: string | undefined, source: string): void {
  if (wanted && wanted !== actual) {
    throw new Error(`${source} is for node "${actual}", but --name says "${wanted}"; drop --name or use a token for "${wanted}"`);
  }
}

/** Joins, retrying with backoff while the controller is unreachable; a refusal is final. */
async function joinWithRetry(options: ObtainOptions, tokenText: string, token: ParsedSecret): Promise<NodeCredentials | undefined> {
  const { controller, logger, signal } = options;
  const backoff = new Backoff({ initialMs: 500, maxMs: 15_000 });
  while (!signal.aborted) {
    try {
      return await joinOnce(controller, tokenText, token, options.nodeName);
    } catch (err) {
      const transient = (err instanceof ControllerTrustError && err.transient) || (err instanceof ControllerCallError && !err.isPermanent);
      if (!transient || signal.aborted) throw err;
      const delay = backoff.next();
      logger.warn('controller not reachable for joining; retrying', { controller, error: (err as Error).message, retry_in_ms: delay });
      await sleep(delay, signal);
    }
  }
  return undefined;
}

/**
 * One join attempt: verify the controller by the token's CA pin, generate a key, trade the
 * token for a certificate. `nodeName`, if given, makes the controller refuse a token for
 * another node without using it up.
 */
export async function joinController(controller: string, tokenText: string, nodeName?: string): Promise<NodeCredentials> {
  return joinOnce(controller, tokenText, parseSecret('join-token', tokenText), nodeName);
}

async function joinOnce(controller: string, tokenText: string, token: ParsedSecret, nodeName: string | undefined): Promise<NodeCredentials> {
  // The CA found by the pin is the one the agent keeps: the CA the controller names in its
  // answer is only compared with it.
  const caPem = await fetchPinnedCa(controller, token.caFingerprint);
  const keys = generateKeyPair();
  const publicKeyDer = spkiDer(keys.publicKey);
  const client = new ControllerClient(controller, controllerChannelCredentials(caPem));
  try {
    const issued = await client.join(tokenText, publicKeyDer, signProof(keys.privateKey, joinProofMessage(token.id, publicKeyDer)), undefined, nodeName);
    checkIssuedCertificate(issued, { publicKeyDer, trustedCaPem: caPem, controller });
    return { nodeName: issued.nodeName, keyPem: privateKeyPem(keys.privateKey), certificatePem: issued.certificatePem, caPem, joinTokenId: token.id };
  } finally {
    client.close();
  }
}
