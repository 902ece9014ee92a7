// How clients find and check the controller before sending a secret: addresses, the CA pin,
// and which failures are worth retrying (ControllerTrustError.transient) and which are not.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import * as tls from 'node:tls';
import { ControllerTrustError, fetchPinnedCa, splitTarget } from '../../common/controller-tls.js';
import { throwawayCa } from '../node-agent/identity/throwaway-ca.js';

function isTrustError(transient: boolean, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ControllerTrustError, `expected a ControllerTrustError, got ${String(err)}`);
    assert.equal(err.transient, transient, `transient should be ${transient}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  };
}

/** Listens on a loopback port; close() ends every connection still open, then the server. */
async function listening(server: Server | tls.Server): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {}); // the client hangs up mid-handshake on purpose
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('splitTarget: host:port and [v6]:port; anything else, and ports outside 1-65535, is a ControllerTrustError', () => {
  assert.deepEqual(splitTarget('10.0.0.1:7443'), { host: '10.0.0.1', port: 7443 });
  assert.deepEqual(splitTarget('controller.example:1'), { host: 'controller.example', port: 1 });
  assert.deepEqual(splitTarget('[::1]:65535'), { host: '::1', port: 65535 });
  assert.throws(() => splitTarget('10.0.0.1'), isTrustError(false, /must be host:port, got "10.0.0.1"/));
  assert.throws(() => splitTarget('10.0.0.1:0'), isTrustError(false, /has port 0; a port is 1-65535/));
  assert.throws(() => splitTarget('10.0.0.1:65536'), isTrustError(false, /has port 65536; a port is 1-65535/));
  assert.throws(() => splitTarget('10.0.0.1:99999999999999999999'), isTrustError(false, /a port is 1-65535/));
});

test('fetchPinnedCa on an address with a bad port rejects with the ControllerTrustError, not a RangeError', async () => {
  await assert.rejects(fetchPinnedCa('127.0.0.1:70000', 'A'.repeat(43)), isTrustError(false, /a port is 1-65535/));
});

test('a refused connection and a silent peer are transient ("cannot reach"): worth retrying', async () => {
  const gone = await listening(createServer());
  const port = gone.port;
  await gone.close();
  await assert.rejects(fetchPinnedCa(`127.0.0.1:${port}`, 'A'.repeat(43)), isTrustError(true, /cannot reach the controller at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/));

  // Accepts TCP and then says nothing: the handshake times out.
  const silent = await listening(createServer());
  const silentPort = silent.port;
  try {
    const started = Date.now();
    await assert.rejects(fetchPinnedCa(`127.0.0.1:${silentPort}`, 'A'.repeat(43), 300), isTrustError(true, /cannot reach .*no TLS handshake within 300 ms/));
    assert.ok(Date.now() - started < 3000, 'the timeout is honoured');
  } finally {
    await silent.close();
  }
});

test('a peer that does not speak TLS is not transient: the address or port is wrong', async () => {
  const plain = await listening(createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')));
  const port = plain.port;
  try {
    await assert.rejects(fetchPinnedCa(`127.0.0.1:${port}`, 'A'.repeat(43)), isTrustError(false, /TLS handshake with 127\.0\.0\.1:\d+ failed \(ERR_SSL_[A-Z_]+\); is this the controller's gRPC address/));
  } finally {
    await plain.close();
  }
});

test('a TLS server: the CA with the pinned fingerprint is returned; another pin is refused for good', async () => {
  const ca = throwawayCa();
  const other = throwawayCa('another CA');
  const { certificateChainPem, keyPem } = ca.serverCertificate();
  const server = await listening(tls.createServer({ cert: certificateChainPem, key: keyPem }, (socket) => socket.end()));
  const port = server.port;
  try {
    const pem = await fetchPinnedCa(`127.0.0.1:${port}`, ca.fingerprint);
    assert.equal(pem.trim(), ca.certificatePem.trim());
    await assert.rejects(
      fetchPinnedCa(`127.0.0.1:${port}`, other.fingerprint),
      isTrustError(false, new RegExp(`presents CA fingerprint\\(s\\) .*${escape(ca.fingerprint)}.*the credential pins ${escape(other.fingerprint)}`)),
    );
  } finally {
    await server.close();
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
