// The local admin socket. Its file mode is the credential (0600: root, or whoever runs the
// controller), so it is created with that mode from the first instant, never widened later.
// A socket file left by a controller that crashed is replaced; one a live controller answers
// on is not.
import * as grpc from '@grpc/grpc-js';
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { FailedPreconditionError } from '../common/errors.js';

export async function bindUnixSocket(server: grpc.Server, path: string): Promise<void> {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new FailedPreconditionError(`cannot create the folder of the admin socket ${path} (${code}): run the controller as root, or pass --admin-socket PATH (or none)`);
  }
  await removeStaleSocket(path);
  // umask is process-wide: it stays tight until grpc-js has created the socket, which happens
  // during startup, when the controller creates no other files.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) => {
        if (err) reject(new FailedPreconditionError(`cannot listen on the admin socket ${path} (${listenCause(err)}): run the controller as root, or pass --admin-socket PATH (or none)`));
        else resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // absent
  }
  if (!isSocket) throw new FailedPreconditionError(`${path} exists and is not a socket; remove it or choose another --admin-socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new FailedPreconditionError(`another controller is serving on the admin socket ${path}; stop it first`);
  rmSync(path);
}

/** "EACCES" out of grpc-js's "No address added ... errors: [listen EACCES: permission denied ...]". */
export function listenCause(err: Error): string {
  return /listen (E[A-Z]+)/.exec(err.message)?.[1] ?? err.message;
}
