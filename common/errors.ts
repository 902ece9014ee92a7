// Domain errors: one class per condition, each with a message a person can act on.
// The RPC adapters map them to gRPC status codes in one place (common/rpc-errors.ts).

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
/**
 * Machine-readable reasons a refusal may carry next to its message (gRPC trailer
 * `tunctl-reason`), for clients that act on one case instead of parsing the text.
 */
export type RefusalReason = 'join-token-used';
export const REASON_METADATA = 'tunctl-reason';
/** Trailer with which the controller asks a client to wait before reconnecting (a decimal number of ms). */
export const RETRY_AFTER_METADATA = 'tunctl-retry-after-ms';

export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
  readonly reason: RefusalReason | undefined;
  constructor(message: string, reason?: RefusalReason) {
    super(message);
    this.reason = reason;
  }
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends Error {
  override name = 'PermissionDeniedError';
}

const QUOTE_LIMIT = 64;
// C0 and C1 control characters: terminal escape sequences start with them.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text from a caller made safe to store and print: control characters escaped as \uXXXX
 * (no terminal escape sequence survives), cut to `max` characters.
 */
export function printable(text: string, max: number): string {
  const safe = text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return safe.length <= max ? safe : `${safe.slice(0, max)}…`;
}

/**
 * A caller's input, quoted for an error message: escaped (no control characters reach logs or
 * terminals) and cut to 64 characters. Messages travel back in a gRPC trailer, and one that
 * quoted a 100 KB field whole would never arrive.
 */
export function quoted(text: unknown): string {
  const value = typeof text === 'string' ? text : String(text);
  if (value.length <= QUOTE_LIMIT) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}… (${value.length} characters)`;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
