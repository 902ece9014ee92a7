// Who may call the AdminService. On the controller's local unix socket (root-only file
// permissions) every caller is the local administrator. Over the network a caller shows an
// API key as bearer metadata; read keys may only read. Node certificates grant nothing here.
// Every refusal is written to the audit log.
import { errorMessage, InvalidArgumentError, PermissionDeniedError, UnauthenticatedError } from '../../common/errors.js';
import { CLIENT_USER_METADATA, parseSecret, secretLabel, secretMatches } from '../../common/secrets.js';
import type { AuditContext, Store } from '../store/store.js';
import type { DenialLog } from './denial-log.js';
import { peerCertificateSerial, type IncomingCall } from './node-identity.js';

/** read: any key; write (changes the address plan) and credentials (tokens, keys): admin keys only. */
export type AdminAccess = 'read' | 'write' | 'credentials';

export interface AdminGuard {
  /** Who the caller is (for the audit log), or throws UnauthenticatedError / PermissionDeniedError. */
  authorize(call: IncomingCall, method: string, need: AdminAccess, target?: string): AuditContext;
}

export function localSocketGuard(): AdminGuard {
  return {
    authorize(call) {
      const user = call.metadata.get(CLIENT_USER_METADATA)[0];
      const claimed = typeof user === 'string' && /^[\w.-]{1,64}$/.test(user) ? ` (client says user ${user})` : '';
      return { actor: 'local', peer: `unix socket${claimed}` };
    },
  };
}

const HOW_TO_GET_A_KEY =
  'create one on the controller host with `tunctl apikey create --scope read|admin` and pass it as metadata ' +
  '"authorization: Bearer tk1...." (tunctl reads it from TUNCTL_API_KEY or --api-key-file)';

export function apiKeyGuard(store: Store, denials: DenialLog, now: () => Date): AdminGuard {
  return {
    authorize(call, method, need, target = '') {
      const peer = call.getPeer();
      let actor = 'anonymous';
      try {
        const bearer = bearerToken(call);
        if (bearer === null) {
          const nodeCert = peerCertificateSerial(call) !== null;
          throw new UnauthenticatedError(
            nodeCert
              ? `node certificates do not grant admin access; admin calls need an API key: ${HOW_TO_GET_A_KEY}`
              : `admin calls over the network need an API key: ${HOW_TO_GET_A_KEY}`,
          );
        }
        let parsed;
        try {
          parsed = parseSecret('api-key', bearer);
        } catch (err) {
          throw new UnauthenticatedError(errorMessage(err));
        }
        const label = secretLabel('api-key', parsed.id);
        const key = store.apiKey(parsed.id);
        if (key === null || !secretMatches(parsed.secret, key.secretHash)) {
          throw new UnauthenticatedError(`API key ${label} is not valid here (no such key, or a wrong secret); ${HOW_TO_GET_A_KEY}`);
        }
        actor = `apikey:${key.id}`;
        if (key.revokedAt !== null) throw new UnauthenticatedError(`API key ${label} was revoked at ${key.revokedAt.toISOString()}; ${HOW_TO_GET_A_KEY}`);
        if (key.expiresAt !== null && key.expiresAt.getTime() <= now().getTime()) {
          throw new UnauthenticatedError(`API key ${label} expired at ${key.expiresAt.toISOString()}; ${HOW_TO_GET_A_KEY}`);
        }
        if (need !== 'read' && key.scope !== 'admin') {
          const what = need === 'write' ? 'changes the cluster' : 'reads or manages credentials';
          throw new PermissionDeniedError(`API key ${label} has scope "read", and ${method} ${what}: it needs a key with scope "admin"`);
        }
        return { actor, peer };
      } catch (err) {
        denials.record({ at: now(), actor, action: method, target, detail: errorMessage(err), peer });
        throw err;
      }
    },
  };
}

/** The token of "authorization: Bearer <token>", null when the header is absent. */
function bearerToken(call: IncomingCall): string | null {
  const values = call.metadata.get('authorization');
  if (values.length === 0) return null;
  const value = String(values[0]);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  if (!match) throw new UnauthenticatedError(`the authorization metadata must be "Bearer <API key>"; got a value of ${value.length} characters in another form`);
  return match[1]!;
}

export function parseScope(scope: string): 'read' | 'admin' {
  if (scope === 'API_KEY_SCOPE_READ') return 'read';
  if (scope === 'API_KEY_SCOPE_ADMIN') return 'admin';
  throw new InvalidArgumentError(`scope must be API_KEY_SCOPE_READ or API_KEY_SCOPE_ADMIN, got ${JSON.stringify(scope)}`);
}
