// The two bearer secrets tunctl hands out, in one text format:
//   join token  tj1.<id>.<secret>.<ca-fingerprint>   (one-time, trades for a node certificate)
//   API key     tk1.<id>.<secret>.<ca-fingerprint>   (admin calls over the network)
// The id is public (lists, audit log); the controller stores only sha256(secret), which is
// enough for 256 random bits (no password stretching needed). The CA fingerprint lets the
// holder verify the controller before sending the secret to it (kubeadm's discovery hash).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';

export type SecretKind = 'join-token' | 'api-key';

/** Longest life of a join token: a year, so forgotten tokens die. */
export const MAX_JOIN_TOKEN_TTL_SECONDS = 366 * 86400;
/** Longest finite life of an API key (0 means it never expires). */
export const MAX_API_KEY_TTL_SECONDS = 3660 * 86400;
/** Metadata key a client may set to say which OS user runs it: recorded, never trusted for access. */
export const CLIENT_USER_METADATA = 'x-tunctl-user';

const PREFIX: Record<SecretKind, string> = { 'join-token': 'tj1', 'api-key': 'tk1' };
const DESCRIPTION: Record<SecretKind, string> = { 'join-token': 'join token', 'api-key': 'API key' };
const ID_HEX_LENGTH = 16;
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

export interface ParsedSecret {
  readonly kind: SecretKind;
  readonly id: string;
  readonly secret: string;
  /** base64url sha256 of the controller CA's public key. */
  readonly caFingerprint: string;
}

export interface NewSecret extends ParsedSecret {
  /** The whole text to show once. */
  readonly text: string;
  readonly secretHash: string;
}

export function newSecret(kind: SecretKind, caFingerprint: string): NewSecret {
  const id = randomBytes(ID_HEX_LENGTH / 2).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { kind, id, secret, caFingerprint, text: `${PREFIX[kind]}.${id}.${secret}.${caFingerprint}`, secretHash: hashSecret(secret) };
}

/** Parses a secret's text; InvalidArgumentError saying what shape was expected. */
export function parseSecret(kind: SecretKind, text: string): ParsedSecret {
  const trimmed = text.trim();
  const parts = trimmed.split('.');
  const [prefix, id, secret, caFingerprint] = parts;
  const well =
    parts.length === 4 &&
    prefix === PREFIX[kind] &&
    id !== undefined &&
    new RegExp(`^[0-9a-f]{${ID_HEX_LENGTH}}$`).test(id) &&
    BASE64URL_32_BYTES.test(secret ?? '') &&
    BASE64URL_32_BYTES.test(caFingerprint ?? '');
  if (!well) {
    const other = (Object.keys(PREFIX) as SecretKind[]).find((k) => k !== kind && prefix === PREFIX[k]);
    throw new InvalidArgumentError(
      `malformed ${DESCRIPTION[kind]}: expected ${PREFIX[kind]}.<id>.<secret>.<ca-fingerprint> (4 dot-separated parts, ${trimmed.length} characters given)` +
        (other ? `; this looks like ${other === 'api-key' ? 'an' : 'a'} ${DESCRIPTION[other]}` : ''),
    );
  }
  return { kind, id: id!, secret: secret!, caFingerprint: caFingerprint! };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret against a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** "tj1.3f2a…" style: enough to recognise a secret in logs without revealing it. */
export function secretLabel(kind: SecretKind, id: string): string {
  return `${PREFIX[kind]}.${id}`;
}
