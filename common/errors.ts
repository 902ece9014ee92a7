// Domain errors: one class per condition, each with a message a person can act on.
// The RPC adapters map them to gRPC status codes in one place (controller/rpc-errors.ts).

export class InvalidArgumentError extends Error {
  override name = 'InvalidArgumentError';
}

export class AlreadyExistsError extends Error {
  override name = 'AlreadyExistsError';
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** The request is well-formed but the system is not in a state that allows it. */
export class FailedPreconditionError extends Error {
  override name = 'FailedPreconditionError';
}

/** No free subnet is left in the pool. */
export class PoolExhaustedError extends Error {
  override name = 'PoolExhaustedError';
}

/** The caller did not prove who it is, or its credential is wrong, used, expired or revoked. */
export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends Error {
  override name = 'PermissionDeniedError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
