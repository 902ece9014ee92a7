// How an agent comes to hold its node's identity: the credentials stored in its state
// directory, or, given a join token it has not used yet, a fresh one from the controller.
// Joining verifies the controller against the CA fingerprint in the token before the token
// is sent, generates the key pair here, and sends only the public key.
import { Backoff, sleep } from '../../common/backoff.js';
import { ControllerCallError } from '../../common/controller-call-error.js';
import { controllerChannelCredentials, ControllerTrustError, fetchPinnedCa } from '../../common/controller-tls.js';
import type { Logger } from '../../common/logger.js';
import { joinProofMessage, signProof } from '../../common/pki/proof.js';
import { generateKeyPair, privateKeyPem, spkiDer } from '../../common/pki/x509.js';
import { parseSecret, secretLabel } from '../../common/secrets.js';
import { ControllerClient } from '../controller-client.js';
import { caFingerprintOf, CREDENTIALS_FILE, loadCredentials, saveCredentials, type NodeCredentials } from './credential-files.js';

export interface ObtainOptions {
  readonly stateDir: string;
  readonly controller: string;
  /** The join token text, if the operator gave one. */
  readonly joinToken?: string;
  /** --name, if given: the identity must be this node. */
  readonly nodeName?: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** The identity to run with, or undefined if `signal` aborted while waiting for the controller. */
export async function obtainCredentials(options: ObtainOptions): Promise<NodeCredentials | undefined> {
  const { stateDir, joinToken, nodeName, logger } = options;
  const stored = loadCredentials(stateDir);
  const token = joinToken ? parseSecret('join-token', joinToken) : undefined;
  if (stored && (!token || (token.id === stored.joinTokenId && token.caFingerprint === caFingerprintOf(stored)))) {
    requireName(stored.nodeName, nodeName, `the identity stored in ${stateDir}`);
    logger.info('using the stored node identity', { node: stored.nodeName, file: CREDENTIALS_FILE });
    return stored;
  }
  if (!token) {
    throw new Error(
      `this agent has no identity yet (no ${CREDENTIALS_FILE} in ${stateDir}) and no join token: ` +
        'run `tunctl create-join-token NODE` on the controller host (`tunctl add-node` prints one too) and pass it with ' +
        '--join-token, --join-token-file or TUNCTL_JOIN_TOKEN',
    );
  }
  if (stored) logger.info('a new join token was given; joining again', { node: stored.nodeName, token: secretLabel('join-token', token.id) });
  const joined = await joinWithRetry(options, joinToken!, token.id, token.caFingerprint);
  if (!joined) return undefined;
  requireName(joined.nodeName, nodeName, `join token ${secretLabel('join-token', token.id)}`);
  saveCredentials(stateDir, joined);
  logger.info('joined the cluster', { node: joined.nodeName, token: secretLabel('join-token', token.id), file: `${stateDir}/${CREDENTIALS_FILE}` });
  return joined;
}

function requireName(actual: string, wanted: string | undefined, source: string): void {
  if (wanted && wanted !== actual) {
    throw new Error(`${source} is for node "${actual}", but --name says "${wanted}"; drop --name or use a token for "${wanted}"`);
  }
}

/** Joins, retrying with backoff while the controller is unreachable; a refusal is final. */
async function joinWithRetry(options: ObtainOptions, tokenText: string, tokenId: string, caFingerprint: string): Promise<NodeCredentials | undefined> {
  const { controller, logger, signal } = options;
  const backoff = new Backoff({ initialMs: 500, maxMs: 15_000 });
  while (!signal.aborted) {
    try {
      return await joinOnce(controller, tokenText, tokenId, caFingerprint);
    } catch (err) {
      const transient =
        (err instanceof ControllerTrustError && err.message.startsWith('cannot reach')) || (err instanceof ControllerCallError && !err.isPermanent);
      if (!transient || signal.aborted) throw err;
      const delay = backoff.next();
      logger.warn('controller not reachable for joining; retrying', { controller, error: (err as Error).message, retry_in_ms: delay });
      await sleep(delay, signal);
    }
  }
  return undefined;
}

/** One join attempt: verify the controller by the token's CA pin, generate a key, trade the token for a certificate. */
export async function joinController(controller: string, tokenText: string): Promise<NodeCredentials> {
  const token = parseSecret('join-token', tokenText);
  return joinOnce(controller, tokenText, token.id, token.caFingerprint);
}

async function joinOnce(controller: string, tokenText: string, tokenId: string, caFingerprint: string): Promise<NodeCredentials> {
  const caPem = await fetchPinnedCa(controller, caFingerprint);
  const keys = generateKeyPair();
  const publicKeyDer = spkiDer(keys.publicKey);
  const client = new ControllerClient(controller, controllerChannelCredentials(caPem));
  try {
    const issued = await client.join(tokenText, publicKeyDer, signProof(keys.privateKey, joinProofMessage(tokenId, publicKeyDer)));
    return { nodeName: issued.nodeName, keyPem: privateKeyPem(keys.privateKey), certificatePem: issued.certificatePem, caPem: issued.caPem, joinTokenId: tokenId };
  } finally {
    client.close();
  }
}
