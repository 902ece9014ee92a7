// The local admin socket. Its file mode is the credential (0600: root, or whoever runs the
// controller), so it is created with that mode from the first instant, never widened later.
// A socket file left by a controller that crashed is replaced; one a live controller answers
// on is not.
import * as grpc from '@grpc/grpc-js';
import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';

export async function bindUnixSocket(server: grpc.Server, path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  await removeStaleSocket(path);
  // umask is process-wide: it stays tight until grpc-js has created the socket, which happens
  // during startup, when the controller creates no other files.
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) => {
        if (err) reject(new Error(`cannot listen on the admin socket ${path}: ${err.message}`));
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
  if (!isSocket) throw new Error(`${path} exists and is not a socket; remove it or choose another --admin-socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another controller is serving on the admin socket ${path}; stop it first`);
  rmSync(path);
}
