// The controller's network port: our own TCP listener and TLS, handing each secured connection
// to grpc-js, which serves HTTP/2 on it as on one of its own.
// - Backlog: grpc-js listens with Node's default (511). Thousands of agents reconnecting at once
//   overflow it, and every dropped SYN costs that agent a TCP retransmission timeout (1 s, 3 s,
//   7 s...), which was most of a 5,000-agent resync. We listen with what the kernel allows
//   (net.core.somaxconn, 4096 by default).
// - TLS: terminated here (options from auth/server-credentials.ts) so that session tickets use a
//   key that survives restarts: a returning fleet resumes its sessions instead of doing
//   thousands of full handshakes at once.
// - Peer certificate: grpc-js parses it anew for every call (getPeerCertificate, about 0.2 ms).
//   A TLS 1.3 connection's peer certificate cannot change (no renegotiation), so we parse it
//   once per connection.
import net from 'node:net';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { splitTarget } from '../common/controller-tls.js';
import { FailedPreconditionError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ServerTls } from './auth/server-credentials.js';
import { listenCause } from '../common/unix-socket.js';

/** Pending connections the kernel may queue; it clamps this to net.core.somaxconn. */
export const LISTEN_BACKLOG = 65_535;
/** A client that has not finished its TLS handshake by then is cut (Node's default is 120 s). */
const HANDSHAKE_TIMEOUT_MS = 20_000;

export interface NetworkListener {
  readonly port: number;
  /** TLS handshakes since the start: all, resumed sessions, failed. */
  readonly stats: TlsStats;
  /**
   * Stops accepting at once, asks every connection's HTTP/2 session to close (calls in flight
   * may finish), and destroys whatever is still open after `graceMs`: a half-open connection,
   * one that never finished TLS, a session whose peer went silent. Resolves once every
   * connection is gone, so nothing of ours keeps the process alive after a stop.
   */
  close(graceMs: number): Promise<ListenerClosed>;
}

export interface TlsStats {
  readonly handshakes: number;
  readonly resumed: number;
  readonly handshakeFailures: number;
}

/** How the connections ended when the listener closed. */
export interface ListenerClosed {
  /** Connections that ended on their own within the grace. */
  readonly closed: number;
  /** Connections still open after the grace, destroyed. */
  readonly destroyed: number;
}

/** Listens on `listen` (host:port; port 0 picks one), does TLS with `serverTls`, and feeds the connections to `server`. */
export async function listenForServer(server: grpc.Server, listen: string, serverTls: ServerTls, logger: Logger): Promise<NetworkListener> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = splitTarget(listen, 0));
  } catch (err) {
    throw new FailedPreconditionError(`--listen must be host:port (like 0.0.0.0:7400; port 0 picks a free one): ${(err as Error).message}`);
  }
  // TLS is done by the time grpc-js sees the socket; its auth context still reads the TLS socket.
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  // grpc-js forgets injected connections once the injector is destroyed, so server.forceShutdown()
  // cannot end them: we keep our own list (raw sockets, from accept) and end them ourselves.
  const connections = new Set<net.Socket>();
  const stats = { handshakes: 0, resumed: 0, handshakeFailures: 0 };
  const tlsServer = tls.createServer({ ...serverTls.options(), handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  tlsServer.on('connection', (socket: net.Socket) => {
    socket.setNoDelay(true);
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  tlsServer.on('secureConnection', (socket: tls.TLSSocket) => {
    stats.handshakes++;
    if (socket.isSessionReused()) stats.resumed++;
    const peer = socket.getPeerCertificate();
    const parse = socket.getPeerCertificate.bind(socket);
    socket.getPeerCertificate = ((detailed?: boolean) => (detailed ? parse(true) : peer)) as typeof socket.getPeerCertificate;
    // Errors after the handshake end the connection; grpc-js reports them on the calls.
    socket.on('error', () => undefined);
    injector.injectConnection(socket);
  });
  tlsServer.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    stats.handshakeFailures++;
    logger.debug('TLS handshake failed', { peer: `${socket.remoteAddress}:${socket.remotePort}`, error: err.code ?? err.message });
  });
  serverTls.onChange((options) => tlsServer.setSecureContext(options));
  await new Promise<void>((resolve, reject) => {
    tlsServer.once('error', (err: NodeJS.ErrnoException) => {
      injector.destroy();
      reject(new FailedPreconditionError(`cannot listen on ${listen} (${listenCause(err)}): is another controller running there? Choose another --listen`));
    });
    tlsServer.listen({ host, port, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const address = tlsServer.address() as net.AddressInfo;
  let closing: Promise<ListenerClosed> | undefined;
  return {
    port: address.port,
    stats,
    close: (graceMs) => {
      closing ??= (async () => {
        // net.Server.close() would call back only once every connection ended: do not wait on it.
        tlsServer.close();
        const open = connections.size;
        injector.drain(graceMs);
        const allClosed = () => Promise.all([...connections].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([allClosed(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        const destroyed = connections.size;
        for (const socket of connections) socket.destroy();
        await allClosed();
        injector.destroy();
        return { closed: open - destroyed, destroyed };
      })();
      return closing;
    },
  };
}
