// The one place where domain errors become gRPC status codes, for the controller's services and the agent's local one.
import * as grpc from '@grpc/grpc-js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  PoolExhaustedError,
  REASON_METADATA,
  UnauthenticatedError,
} from './errors.js';
import type { Logger } from './logger.js';

export function statusFor(err: unknown): grpc.status {
  if (err instanceof InvalidArgumentError) return grpc.status.INVALID_ARGUMENT;
  if (err instanceof AlreadyExistsError) return grpc.status.ALREADY_EXISTS;
  if (err instanceof NotFoundError) return grpc.status.NOT_FOUND;
  if (err instanceof FailedPreconditionError) return grpc.status.FAILED_PRECONDITION;
  if (err instanceof PoolExhaustedError) return grpc.status.RESOURCE_EXHAUSTED;
  if (err instanceof UnauthenticatedError) return grpc.status.UNAUTHENTICATED;
  if (err instanceof PermissionDeniedError) return grpc.status.PERMISSION_DENIED;
  return grpc.status.INTERNAL;
}

/** A ServiceError for the client: domain messages pass through; internal ones are logged, not leaked. */
export function toServiceError(err: unknown, method: string, logger: Logger): Partial<grpc.ServiceError> {
  const code = statusFor(err);
  if (code === grpc.status.INTERNAL) {
    logger.error('internal error', { method, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    return { code, details: `internal error in ${method}; see the server's log (tunctl controller or agent)` };
  }
  const status: Partial<grpc.ServiceError> = { code, details: capDetails((err as Error).message) };
  if (err instanceof UnauthenticatedError && err.reason) {
    status.metadata = new grpc.Metadata();
    status.metadata.set(REASON_METADATA, err.reason);
  }
  return status;
}

/**
 * grpc-js cannot deliver a status whose trailer exceeds HTTP/2's header limit (~64 KB): the
 * call would hang and the connection with it. Messages quote input cut short (quoted() in
 * common/errors.ts); this is the backstop for any that does not.
 */
const MAX_DETAILS = 2000;
export function capDetails(details: string): string {
  return details.length <= MAX_DETAILS ? details : `${details.slice(0, MAX_DETAILS)}… (message cut, ${details.length} characters)`;
}

/** Wraps a unary handler (synchronous or async): runs it, maps thrown domain errors to a status. */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  handler: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const fail = (err: unknown) => {
      const error = toServiceError(err, method, logger);
      logger.debug('request refused', { method, code: grpc.status[error.code ?? 2], details: error.details });
      callback(error as grpc.ServiceError, null);
    };
    let response: Res | Promise<Res>;
    try {
      response = handler(call.request, call);
    } catch (err) {
      fail(err);
      return;
    }
    if (response instanceof Promise) response.then((value) => callback(null, value), fail);
    else callback(null, response);
  };
}
