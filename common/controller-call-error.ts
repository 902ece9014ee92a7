// A failed call to the controller, as both gRPC clients (the CLI's and the agent's) report it:
// the status code, so callers can tell "fix your setup" from "retry", and a message for a person.
import * as grpc from '@grpc/grpc-js';
import { REASON_METADATA, type RefusalReason } from './errors.js';

export class ControllerCallError extends Error {
  override name = 'ControllerCallError';
  readonly code: grpc.status;
  /** The controller's machine-readable reason, when it sent one. */
  readonly reason: RefusalReason | undefined;
  constructor(code: grpc.status, message: string, reason?: RefusalReason) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
  /** Errors an operator must fix; retrying the same call cannot succeed. */
  get isPermanent(): boolean {
    return [
      grpc.status.NOT_FOUND,
      grpc.status.FAILED_PRECONDITION,
      grpc.status.INVALID_ARGUMENT,
      grpc.status.UNIMPLEMENTED,
      grpc.status.UNAUTHENTICATED,
      grpc.status.PERMISSION_DENIED,
    ].includes(this.code);
  }
}

/** The server's message, or for an unreachable controller one that names where we looked and why. */
export function controllerCallError(err: grpc.ServiceError | null, target: string): ControllerCallError {
  if (!err) return new ControllerCallError(grpc.status.INTERNAL, 'empty response from the controller');
  const details = err.details || err.message;
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
    const cause = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|Deadline exceeded/.exec(details)?.[0] ?? details;
    return new ControllerCallError(err.code, `cannot reach the controller at ${target} (${cause})`);
  }
  const reason = err.metadata?.get(REASON_METADATA)[0];
  return new ControllerCallError(err.code, details, typeof reason === 'string' ? (reason as RefusalReason) : undefined);
}
