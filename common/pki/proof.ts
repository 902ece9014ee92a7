// Proof of possession: before the controller certifies a public key, the caller signs a
// message naming what it asks for with the matching private key. A certificate for a key
// nobody holds would be useless, but the proof also ties the request to one token or node,
// so a captured request cannot be replayed for another.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

export function joinProofMessage(tokenId: string, publicKeyDer: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`tunctl-join-v1\0${tokenId}\0`), publicKeyDer]);
}

export function renewProofMessage(nodeName: string, publicKeyDer: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`tunctl-renew-v1\0${nodeName}\0`), publicKeyDer]);
}

export function signProof(privateKey: KeyObject, message: Buffer): Buffer {
  return sign('sha256', message, privateKey);
}

/** The public key a caller sent: DER SubjectPublicKeyInfo of an ECDSA P-256 key, or InvalidArgumentError. */
export function parseNodePublicKey(der: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    throw new InvalidArgumentError(`public_key is not a DER SubjectPublicKeyInfo (${der.length} bytes)`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidArgumentError(`public_key must be an ECDSA P-256 key, got ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}`);
  }
  return key;
}

export function proofVerifies(publicKey: KeyObject, message: Buffer, proof: Uint8Array): boolean {
  try {
    return verify('sha256', message, publicKey, proof);
  } catch {
    return false;
  }
}
