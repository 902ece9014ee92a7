// A local gRPC socket (the controller's admin socket, the agent's local API). Its file mode
// is the credential (0600: root, or whoever runs the server), so it is created with that
// mode from the first instant, never widened later. A socket file left by a server that
// crashed is replaced; one a live server answers on is not.
import * as grpc from '@grpc/grpc-js';
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { FailedPreconditionError } from './errors.js';

/** Who serves the socket, for messages: e.g. "admin socket", "controller", "--admin-socket PATH (or none)". */
export interface SocketRole {
  readonly what: string;
  readonly server: string;
  readonly flag: string;
}

export const ADMIN_SOCKET_ROLE: SocketRole = { what: 'admin socket', server: 'controller', flag: '--admin-socket PATH (or none)' };

export async function bindUnixSocket(server: grpc.Server, path: string, role: SocketRole = ADMIN_SOCKET_ROLE): Promise<void> {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new FailedPreconditionError(`cannot create the folder of the ${role.what} ${path} (${code}): run the ${role.server} as root, or pass ${role.flag}`);
  }
  await removeStaleSocket(path, role);
  // umask is process-wide: it stays tight until grpc-js has created the socket, which happens
  // during startup, when the controller creates no other files.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) => {
        if (err) reject(new FailedPreconditionError(`cannot listen on the ${role.what} ${path} (${listenCause(err)}): run the ${role.server} as root, or pass ${role.flag}`));
        else resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
}

async function removeStaleSocket(path: string, role: SocketRole): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // absent
  }
  if (!isSocket) throw new FailedPreconditionError(`${path} exists and is not a socket; remove it or pass ${role.flag}`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new FailedPreconditionError(`another ${role.server} is serving on the ${role.what} ${path}; stop it first`);
  rmSync(path);
}

/** "EACCES" out of grpc-js's "No address added ... errors: [listen EACCES: permission denied ...]". */
export function listenCause(err: Error): string {
  return /listen (E[A-Z]+)/.exec(err.message)?.[1] ?? err.message;
}
