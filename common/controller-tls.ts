// How tunctl's clients (the agent and the CLI) trust the controller. They know one thing in
// advance: the fingerprint of the controller CA's public key, carried in the join token or
// API key. Before sending any secret they open a plain TLS connection, find the CA with that
// fingerprint in the certificate chain the controller presents, and check that it signed the
// controller's certificate. From then on gRPC verifies the controller against that CA alone.
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { spkiFingerprint } from './pki/x509.js';
import { ResumingChannelCredentials } from './resuming-credentials.js';

/** The name in every controller certificate; our clients check it whatever address they dial. */
export const CONTROLLER_TLS_NAME = 'tunctl-controller';

/** Channel options for a connection that verifies the controller by CA, not by the dialled address. */
export const CONTROLLER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.ssl_target_name_override': CONTROLLER_TLS_NAME,
  'grpc.default_authority': CONTROLLER_TLS_NAME,
};

export class ControllerTrustError extends Error {
  override name = 'ControllerTrustError';
  /** True when trying again later may work (controller down, network, timeout); false for a wrong address or pin. */
  readonly transient: boolean;
  constructor(message: string, options: { transient?: boolean } = {}) {
    super(message);
    this.transient = options.transient ?? false;
  }
}

/** host and port of "host:port" or "[v6]:port". */
export function splitTarget(target: string, minPort = 1): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  if (!match) throw new ControllerTrustError(`controller address must be host:port, got ${JSON.stringify(target)}`);
  const port = Number(match[2]);
  if (port < minPort || port > 65535) throw new ControllerTrustError(`controller address ${JSON.stringify(target)} has port ${match[2]}; a port is ${minPort}-65535`);
  return { host: match[1]!, port };
}

/** Fetches the controller's CA certificate (PEM), accepting it only if its key has `fingerprint`. */
export async function fetchPinnedCa(target: string, fingerprint: string, timeoutMs = 10_000): Promise<string> {
  const { host, port } = splitTarget(target); // async: a bad address rejects, like every other failure
  return new Promise((resolve, reject) => {
    // Not verified by the TLS layer on purpose: we verify against the pin below, and send nothing.
    const socket = tls.connect({ host, port, servername: CONTROLLER_TLS_NAME, rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectionError(target, err));
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      try {
        resolve(pinnedCaFromChain(socket.getPeerCertificate(true), fingerprint, target));
      } catch (err) {
        reject(err);
      } finally {
        socket.destroy();
      }
    });
  });
}

/**
 * A refused connection, an unreachable host or a timeout may pass (the controller restarts, the
 * network comes up); a TLS protocol failure means the address is not a TLS port, and will not.
 */
function connectionError(target: string, err: NodeJS.ErrnoException): ControllerTrustError {
  const code = err.code ?? '';
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return new ControllerTrustError(`the TLS handshake with ${target} failed (${code}); is this the controller's gRPC address and port?`);
  }
  return new ControllerTrustError(`cannot reach the controller at ${target} (${code || err.message})`, { transient: true });
}

function pinnedCaFromChain(leaf: tls.DetailedPeerCertificate, fingerprint: string, target: string): string {
  if (!leaf?.raw) throw new ControllerTrustError(`the controller at ${target} presented no certificate`);
  const leafCert = new X509Certificate(leaf.raw);
  const seen: string[] = [];
  for (let cert: tls.DetailedPeerCertificate | undefined = leaf; cert?.raw; cert = cert.issuerCertificate === cert ? undefined : cert.issuerCertificate) {
    const candidate = new X509Certificate(cert.raw);
    const candidateFingerprint = spkiFingerprint(candidate.publicKey);
    seen.push(candidateFingerprint);
    if (candidateFingerprint === fingerprint && candidate.ca && leafCert.verify(candidate.publicKey)) return candidate.toString();
  }
  throw new ControllerTrustError(
    `the controller at ${target} is not the one this credential was made for: it presents CA fingerprint(s) ${seen.join(', ')}, ` +
      `the credential pins ${fingerprint}; check the address, or get a token or key from this controller`,
  );
}

/**
 * TLS channel credentials trusting only the controller's CA, with an optional client
 * certificate; each connection resumes the previous one's TLS session when the controller
 * still accepts it (see resuming-credentials.ts).
 */
export function controllerChannelCredentials(caPem: string, client?: { keyPem: string; certificatePem: string }): grpc.ChannelCredentials {
  return new ResumingChannelCredentials({ caPem, keyPem: client?.keyPem, certificatePem: client?.certificatePem });
}
