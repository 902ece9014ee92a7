// Who an agent is: the node its TLS client certificate names, provided the controller issued
// that certificate (by serial, in its records), has not revoked it, and it has not expired.
import type * as grpc from '@grpc/grpc-js';
import { UnauthenticatedError } from '../../common/errors.js';
import type { Store } from '../store/store.js';

/** What the auth code reads from any kind of server call. */
export type IncomingCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer' | 'metadata'>;

export interface NodeIdentity {
  readonly nodeName: string;
  readonly serial: string;
}

const HOW_TO_JOIN =
  'an agent gets its certificate by joining with a token: `tunctl create-join-token NODE` on the controller host, then `tunctl agent --join-token ...`';

/** The serial of the verified client certificate on this call, or null (no certificate, or not from our CA). */
export function peerCertificateSerial(call: IncomingCall): string | null {
  const cert = call.getAuthContext().sslPeerCertificate;
  return cert?.serialNumber ? cert.serialNumber.toUpperCase() : null;
}

export function authenticateNode(call: IncomingCall, store: Store, now: Date): NodeIdentity {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert?.serialNumber) {
    throw new UnauthenticatedError(`this call needs the node's client certificate, and none from this controller's CA was presented; ${HOW_TO_JOIN}`);
  }
  const serial = cert.serialNumber.toUpperCase();
  const record = store.certificate(serial);
  if (record === null) {
    throw new UnauthenticatedError(`certificate ${serial} is not in this controller's records (was the database restored from an older backup?); ${HOW_TO_JOIN}`);
  }
  if (record.revokedAt !== null) {
    throw new UnauthenticatedError(
      `the certificate of node "${record.nodeName}" was revoked at ${record.revokedAt.toISOString()} (${record.revokeReason}); ` +
        `if the node was added again, join with a fresh token: \`tunctl create-join-token ${record.nodeName}\``,
    );
  }
  if (record.expiresAt.getTime() <= now.getTime()) {
    throw new UnauthenticatedError(
      `the certificate of node "${record.nodeName}" expired at ${record.expiresAt.toISOString()}; join again: \`tunctl create-join-token ${record.nodeName}\``,
    );
  }
  if (cert.subject?.CN !== record.nodeName) {
    throw new UnauthenticatedError(`certificate ${serial} names "${cert.subject?.CN}" but was issued for node "${record.nodeName}"`);
  }
  return { nodeName: record.nodeName, serial };
}
