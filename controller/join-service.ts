// AgentService.Join and RenewCertificate: how an agent gets, and keeps, the client
// certificate that names its node. Join trades a one-time join token for a certificate on
// the key the agent generated (the private key never leaves the host); RenewCertificate
// trades a still-valid certificate for a fresh one.
import { errorMessage, InvalidArgumentError, PermissionDeniedError, quoted, UnauthenticatedError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { joinProofMessage, parseNodePublicKey, proofVerifies, renewProofMessage } from '../common/pki/proof.js';
import { parseSecret, secretLabel, secretMatches, type ParsedSecret } from '../common/secrets.js';
import type { AgentServiceHandlers } from '../proto/gen/tunctl/v1/AgentService.js';
import type { JoinResponse } from '../proto/gen/tunctl/v1/JoinResponse.js';
import type { CertificateAuthority, IssuedCertificate } from './auth/certificate-authority.js';
import type { DenialLog } from './auth/denial-log.js';
import { authenticateNode, type IncomingCall } from './auth/node-identity.js';
import { timestampToProto } from './proto-convert.js';
import { unary } from '../common/rpc-errors.js';
import type { Store } from './store/store.js';

export const DEFAULT_NODE_CERT_LIFETIME_MS = 30 * 24 * 3600_000;
/** A P-256 SubjectPublicKeyInfo is 91 bytes and its signature at most 72; anything far larger is not one. */
const MAX_KEY_BYTES = 1024;

export interface JoinServiceDeps {
  readonly store: Store;
  readonly ca: CertificateAuthority;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly nodeCertLifetimeMs: number;
  readonly denials: DenialLog;
}

export function joinServiceHandlers({ store, ca, logger, now, nodeCertLifetimeMs, denials }: JoinServiceDeps): Pick<AgentServiceHandlers, 'Join' | 'RenewCertificate'> {
  const response = (nodeName: string, issued: IssuedCertificate): JoinResponse => ({
    nodeName,
    certificatePem: issued.certificatePem,
    caCertificatePem: ca.certificatePem,
    expiresAt: timestampToProto(issued.notAfter),
  });

  return {
    Join: unary('Join', logger, (req, call) => {
      const at = now();
      let target = '';
      try {
        const token = parseJoinToken(req.joinToken, ca.fingerprint);
        target = secretLabel('join-token', token.id);
        const record = store.joinToken(token.id);
        if (record === null || !secretMatches(token.secret, record.secretHash)) {
          throw new UnauthenticatedError(
            `join token ${target} is not valid here: no such token (mistyped, or its node was removed), or a wrong secret; ` +
              'create a fresh one on the controller host with `tunctl create-join-token NODE`',
          );
        }
        target = record.nodeName;
        if (req.nodeName && req.nodeName !== record.nodeName) {
          throw new PermissionDeniedError(
            `join token ${secretLabel('join-token', record.id)} is for node "${record.nodeName}", not ${quoted(req.nodeName)}; ` +
              `the token stays unused: start the agent without --name, or with a token for ${quoted(req.nodeName)}`,
          );
        }
        if (record.usedAt !== null) {
          throw new UnauthenticatedError(
            `join token ${secretLabel('join-token', record.id)} was already used at ${record.usedAt.toISOString()}; join tokens work once: ` +
              `create a fresh one with \`tunctl create-join-token ${record.nodeName}\``,
            'join-token-used',
          );
        }
        if (record.expiresAt.getTime() <= at.getTime()) {
          throw new UnauthenticatedError(
            `join token ${secretLabel('join-token', record.id)} expired at ${record.expiresAt.toISOString()}; ` +
              `create a fresh one with \`tunctl create-join-token ${record.nodeName}\` (--ttl sets its lifetime)`,
          );
        }
        const publicKey = requirePublicKey(req.publicKey, req.proof, joinProofMessage(record.id, req.publicKey));
        const issued = ca.issueNodeCertificate(record.nodeName, publicKey, nodeCertLifetimeMs, at);
        const certificate = { serial: issued.serial, nodeName: record.nodeName, issuedAt: at, expiresAt: issued.notAfter, revokedAt: null, revokeReason: '' };
        if (!store.redeemJoinToken(record.id, certificate, { actor: `node:${record.nodeName}`, peer: call.getPeer() })) {
          throw new UnauthenticatedError(`join token ${secretLabel('join-token', record.id)} was used by another agent a moment ago; join tokens work once`);
        }
        logger.info('agent joined', { node: record.nodeName, token: secretLabel('join-token', record.id), certificate: issued.serial, not_after: issued.notAfter.toISOString(), peer: call.getPeer() });
        return response(record.nodeName, issued);
      } catch (err) {
        auditDenied(denials, call, at, 'anonymous', 'join', target, err);
        throw err;
      }
    }),

    RenewCertificate: unary('RenewCertificate', logger, (req, call) => {
      const at = now();
      let nodeName = '';
      try {
        const identity = authenticateNode(call, store, at);
        nodeName = identity.nodeName;
        const actor = `node:${nodeName}`;
        const publicKey = requirePublicKey(req.publicKey, req.proof, renewProofMessage(identity.nodeName, req.publicKey));
        const issued = ca.issueNodeCertificate(identity.nodeName, publicKey, nodeCertLifetimeMs, at);
        store.addCertificate(
          { serial: issued.serial, nodeName: identity.nodeName, issuedAt: at, expiresAt: issued.notAfter, revokedAt: null, revokeReason: '' },
          { actor, peer: call.getPeer() },
          'renew-certificate',
        );
        logger.info('node certificate renewed', { node: identity.nodeName, certificate: issued.serial, replaces: identity.serial, not_after: issued.notAfter.toISOString() });
        return response(identity.nodeName, issued);
      } catch (err) {
        auditDenied(denials, call, at, nodeName ? `node:${nodeName}` : 'anonymous', 'renew-certificate', nodeName, err);
        throw err;
      }
    }),
  };
}

function parseJoinToken(text: string, fingerprint: string): ParsedSecret {
  let token: ParsedSecret;
  try {
    token = parseSecret('join-token', text);
  } catch (err) {
    throw new UnauthenticatedError(errorMessage(err));
  }
  if (token.caFingerprint !== fingerprint) {
    throw new UnauthenticatedError(
      `join token ${secretLabel('join-token', token.id)} was made by another controller (its CA fingerprint is ${token.caFingerprint}, this controller's is ${fingerprint})`,
    );
  }
  return token;
}

function requirePublicKey(publicKeyDer: Buffer, proof: Buffer, message: Buffer) {
  if (publicKeyDer.length > MAX_KEY_BYTES || proof.length > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(`public_key and proof must each be at most ${MAX_KEY_BYTES} bytes`);
  }
  const publicKey = parseNodePublicKey(publicKeyDer);
  if (!proofVerifies(publicKey, message, proof)) {
    throw new UnauthenticatedError('the proof does not verify with public_key: sign the request with the private key of the public key you send');
  }
  return publicKey;
}

/** Refusals are security events: every one goes to the audit log with its reason. */
function auditDenied(denials: DenialLog, call: IncomingCall, at: Date, actor: string, action: string, target: string, err: unknown): void {
  if (!(err instanceof UnauthenticatedError || err instanceof InvalidArgumentError || err instanceof PermissionDeniedError)) return;
  denials.record({ at, actor, action, target, detail: errorMessage(err), peer: call.getPeer() });
}
