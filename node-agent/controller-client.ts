// The agent's side of the gRPC contract: Join, RenewCertificate, Register and Watch,
// converted to domain types. The only agent file that imports grpc-js or generated proto types.
import * as grpc from '@grpc/grpc-js';
import { parseCidr, parseIpv4, type Ipv4Cidr } from '../common/cidr.js';
import { ControllerCallError, controllerCallError } from '../common/controller-call-error.js';
import { CONTROLLER_CHANNEL_OPTIONS } from '../common/controller-tls.js';
import { loadTunctlProto } from '../common/proto.js';
import type { AgentServiceClient } from '../proto/gen/tunctl/v1/AgentService.js';
import type { JoinResponse__Output } from '../proto/gen/tunctl/v1/JoinResponse.js';
import type { RegisterResponse__Output } from '../proto/gen/tunctl/v1/RegisterResponse.js';
import type { Route__Output } from '../proto/gen/tunctl/v1/Route.js';
import type { WatchResponse__Output } from '../proto/gen/tunctl/v1/WatchResponse.js';
import type { RouteChangeEntry, RouteEntry } from './route-table.js';

export { ControllerCallError };

export interface Registration {
  readonly nodeName: string;
  readonly underlayIp: number;
  readonly subnet: Ipv4Cidr;
  readonly network: Ipv4Cidr;
  readonly udpPort: number;
  readonly encapOverhead: number;
  readonly tunMtu: number;
  readonly heartbeatIntervalMs: number;
}

export type WatchEvent =
  | { readonly kind: 'snapshot'; readonly revision: number; readonly routes: RouteEntry[] }
  | { readonly kind: 'delta'; readonly baseRevision: number; readonly revision: number; readonly changes: RouteChangeEntry[] }
  | { readonly kind: 'heartbeat'; readonly revision: number };

/** A node certificate the controller issued, with the CA that issued it (PEM). */
export interface IssuedNodeCertificate {
  readonly nodeName: string;
  readonly certificatePem: string;
  readonly caPem: string;
}

export interface WatchHandle {
  cancel(): void;
}

export interface CallOptions {
  /** Default 10 s. */
  readonly timeoutMs?: number;
  /** Aborting cancels the call (it rejects with CANCELLED), so a stopping agent never waits out the deadline. */
  readonly signal?: AbortSignal;
}

export type RegisterOptions = CallOptions;

/** What the agent needs from the controller; ControllerClient is the gRPC implementation. */
export interface AgentController {
  readonly target: string;
  register(nodeName: string, underlayIp: string, underlayMtu: number, agentVersion: string, options?: RegisterOptions): Promise<Registration>;
  /**
   * Opens the route stream. `onEvent` gets each message; `onEnd` is called exactly once,
   * with the error that ended it (a cancel by us ends it silently with no error).
   */
  watch(nodeName: string, knownRevision: number, onEvent: (event: WatchEvent) => void, onEnd: (err: ControllerCallError | null) => void): WatchHandle;
  close(): void;
}

export class ControllerClient implements AgentController {
  readonly target: string;
  private client: AgentServiceClient;
  private closed = false;

  /** `credentials`: TLS trusting the controller's CA, with the node certificate once the agent has one. */
  constructor(target: string, credentials: grpc.ChannelCredentials) {
    this.target = target;
    this.client = ControllerClient.open(target, credentials);
  }

  private static open(target: string, credentials: grpc.ChannelCredentials): AgentServiceClient {
    const { proto } = loadTunctlProto();
    return new proto.tunctl.v1.AgentService(target, credentials, {
      ...CONTROLLER_CHANNEL_OPTIONS,
      // Notice a dead controller connection even when no message is due.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // Our own backoff decides when to retry, with jitter.
      'grpc.initial_reconnect_backoff_ms': 500,
      'grpc.max_reconnect_backoff_ms': 5_000,
    });
  }

  /**
   * Switches to new credentials (a renewed certificate): calls from now on use them; a watch
   * already open runs on until it ends, as the certificate it started with stays valid.
   * After close() it does nothing: a channel opened then would never be closed.
   */
  replaceCredentials(credentials: grpc.ChannelCredentials): void {
    if (this.closed) return;
    const old = this.client;
    this.client = ControllerClient.open(this.target, credentials);
    old.close();
  }

  /**
   * Trades a join token for the node's certificate on `publicKeyDer` (see JoinRequest).
   * `nodeName`, if given, is the node the agent expects: the controller refuses a token for
   * another node (PERMISSION_DENIED) before using it up.
   */
  join(joinToken: string, publicKeyDer: Buffer, proof: Buffer, timeoutMs = 10_000, nodeName?: string): Promise<IssuedNodeCertificate> {
    return this.unary('join', { timeoutMs }, toIssued, (deadline, done) =>
      this.client.Join({ joinToken, publicKey: publicKeyDer, proof, nodeName: nodeName ?? '' }, { deadline }, done),
    );
  }

  renewCertificate(publicKeyDer: Buffer, proof: Buffer, options: CallOptions = {}): Promise<IssuedNodeCertificate> {
    return this.unary('certificate renewal', options, toIssued, (deadline, done) =>
      this.client.RenewCertificate({ publicKey: publicKeyDer, proof }, { deadline }, done),
    );
  }

  register(nodeName: string, underlayIp: string, underlayMtu: number, agentVersion: string, options: RegisterOptions = {}): Promise<Registration> {
    return this.unary('registration', options, toRegistration, (deadline, done) =>
      this.client.Register({ nodeName, underlayIp, underlayMtu, agentVersion }, { deadline }, done),
    );
  }

  /**
   * One unary call with a deadline, cancelled when `signal` aborts; a failure becomes a
   * ControllerCallError, and an answer that does not convert an INTERNAL one.
   */
  private unary<Res, Out>(
    what: string,
    { timeoutMs = 10_000, signal }: CallOptions,
    convert: (res: Res) => Out,
    start: (deadline: number, done: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall,
  ): Promise<Out> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new ControllerCallError(grpc.status.CANCELLED, `${what} cancelled: the agent is stopping`));
        return;
      }
      const onAbort = () => call.cancel();
      const call = start(Date.now() + timeoutMs, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err || !res) {
          reject(controllerCallError(err, this.target));
          return;
        }
        try {
          resolve(convert(res));
        } catch (parseErr) {
          reject(new ControllerCallError(grpc.status.INTERNAL, `the controller sent an invalid answer to the ${what}: ${(parseErr as Error).message}`));
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  watch(nodeName: string, knownRevision: number, onEvent: (event: WatchEvent) => void, onEnd: (err: ControllerCallError | null) => void): WatchHandle {
    const call = this.client.Watch({ nodeName, knownRevision });
    let cancelled = false;
    let ended = false;
    const end = (err: ControllerCallError | null) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    call.on('data', (msg: WatchResponse__Output) => {
      let event: WatchEvent;
      try {
        event = toWatchEvent(msg);
      } catch (err) {
        call.cancel();
        end(new ControllerCallError(grpc.status.INTERNAL, `controller sent an invalid watch message: ${(err as Error).message}`));
        return;
      }
      onEvent(event);
    });
    call.on('error', (err: grpc.ServiceError) => end(cancelled ? null : controllerCallError(err, this.target)));
    call.on('end', () => end(cancelled ? null : new ControllerCallError(grpc.status.UNAVAILABLE, 'the controller ended the watch stream')));
    return {
      cancel: () => {
        cancelled = true;
        call.cancel();
      },
    };
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}

function toRegistration(res: RegisterResponse__Output): Registration {
  const node = res.node!;
  const network = res.network!;
  return {
    nodeName: node.name,
    underlayIp: parseIpv4(node.underlayIp),
    subnet: parseCidr(node.subnet),
    network: parseCidr(network.cidr),
    udpPort: network.udpPort,
    encapOverhead: network.encapOverhead,
    tunMtu: res.tunMtu,
    heartbeatIntervalMs: res.heartbeatIntervalMs,
  };
}

function toIssued(res: JoinResponse__Output): IssuedNodeCertificate {
  return { nodeName: res.nodeName, certificatePem: res.certificatePem, caPem: res.caCertificatePem };
}

function toRoute(route: Route__Output): RouteEntry {
  return { nodeName: route.nodeName, subnet: parseCidr(route.subnet), underlayIp: parseIpv4(route.underlayIp) };
}

function toWatchEvent(msg: WatchResponse__Output): WatchEvent {
  switch (msg.kind) {
    case 'KIND_SNAPSHOT':
      return { kind: 'snapshot', revision: msg.revision, routes: msg.routes.map(toRoute) };
    case 'KIND_DELTA':
      return {
        kind: 'delta',
        baseRevision: msg.baseRevision,
        revision: msg.revision,
        changes: msg.changes.map((c) => {
          if (c.op !== 'OP_ADD' && c.op !== 'OP_REMOVE') throw new Error(`unknown route change op ${c.op}`);
          return { op: c.op === 'OP_ADD' ? 'add' : 'remove', route: toRoute(c.route!) } as const;
        }),
      };
    case 'KIND_HEARTBEAT':
      return { kind: 'heartbeat', revision: msg.revision };
    default:
      throw new Error(`unknown watch message kind ${String(msg.kind)}`);
  }
}
