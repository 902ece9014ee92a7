// The controller's TCP listener. grpc-js listens with Node's default backlog (511): thousands
// of agents reconnecting at once overflow it, and every dropped SYN costs that agent a TCP
// retransmission timeout (1 s, 3 s, 7 s...), which was most of a 5,000-agent resync. So we
// listen ourselves with a backlog the kernel allows (net.core.somaxconn, 4096 by default) and
// hand each accepted socket to grpc-js, which does TLS and HTTP/2 as for its own listener.
import net from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { splitTarget } from '../common/controller-tls.js';
import { FailedPreconditionError } from '../common/errors.js';
import { listenCause } from './unix-socket.js';

/** Pending connections the kernel may queue; it clamps this to net.core.somaxconn. */
export const LISTEN_BACKLOG = 65_535;

export interface NetworkListener {
  readonly port: number;
  /**
   * Stops accepting at once, asks every connection's HTTP/2 session to close (calls in flight
   * may finish), and destroys whatever is still open after `graceMs`: a half-open connection,
   * one that never finished TLS, a session whose peer went silent. Resolves once every
   * connection is gone, so nothing of ours keeps the process alive after a stop.
   */
  close(graceMs: number): Promise<void>;
}

/** Listens on `listen` (host:port; port 0 picks one) and feeds connections to `server` with `credentials`. */
export async function listenForServer(server: grpc.Server, listen: string, credentials: grpc.ServerCredentials): Promise<NetworkListener> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = splitTarget(listen, 0));
  } catch (err) {
    throw new FailedPreconditionError(`--listen must be host:port (like 0.0.0.0:7400; port 0 picks a free one): ${(err as Error).message}`);
  }
  const injector = server.createConnectionInjector(credentials);
  // grpc-js forgets injected connections once the injector is destroyed, so server.forceShutdown()
  // cannot end them: we keep our own list and end them ourselves.
  const connections = new Set<net.Socket>();
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    injector.injectConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', (err: NodeJS.ErrnoException) => {
      injector.destroy();
      reject(new FailedPreconditionError(`cannot listen on ${listen} (${listenCause(err)}): is another controller running there? Choose another --listen`));
    });
    tcp.listen({ host, port, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const address = tcp.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    close: (graceMs) => {
      closing ??= (async () => {
        // net.Server.close() would call back only once every connection ended: do not wait on it.
        tcp.close();
        injector.drain(graceMs);
        const allClosed = () => Promise.all([...connections].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([allClosed(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        for (const socket of connections) socket.destroy();
        await allClosed();
        injector.destroy();
      })();
      return closing;
    },
  };
}
