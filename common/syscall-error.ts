// OS failures from raw syscalls (made through koffi), shaped like Node's ErrnoException
// so callers can switch on `code`.
import { constants } from 'node:os';

/** Linux errno values by name: Node's own table plus the Linux-only ones it lacks. */
export const ERRNO = { ...constants.errno, EBADFD: 77 } as const;

// First name wins, so 11 reads EAGAIN rather than its alias EWOULDBLOCK.
const ERRNO_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(ERRNO)) if (!ERRNO_NAMES.has(value)) ERRNO_NAMES.set(value, name);

export interface SyscallError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

export function syscallError(syscall: string, errno: number, message: string): SyscallError {
  const code = errnoName(errno);
  const err = new Error(`${message} (${syscall}: ${code})`) as SyscallError;
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  return err;
}
