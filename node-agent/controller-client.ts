// The agent's side of the gRPC contract: Join, RenewCertificate, Register, Watch and
// ReportAddressUsage, converted to domain types. The only agent file that imports grpc-js or
// generated proto types.
import * as grpc from '@grpc/grpc-js';
import { parseCidr, parseIpv4, type Ipv4Cidr } from '../common/cidr.js';
import { ControllerCallError, controllerCallError } from '../common/controller-call-error.js';
import { CONTROLLER_CHANNEL_OPTIONS } from '../common/controller-tls.js';
import { RETRY_AFTER_METADATA } from '../common/errors.js';
import { unpackWatchBody } from '../common/packed-watch.js';
import { loadTunctlProto } from '../common/proto.js';
import type { AgentServiceClient } from '../proto/gen/tunctl/v1/AgentService.js';
import type { JoinResponse__Output } from '../proto/gen/tunctl/v1/JoinResponse.js';
import type { RegisterResponse__Output } from '../proto/gen/tunctl/v1/RegisterResponse.js';
import type { Route__Output } from '../proto/gen/tunctl/v1/Route.js';
import type { WatchRequest } from '../proto/gen/tunctl/v1/WatchRequest.js';
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
  /** The cluster this controller's revisions belong to; '' if it names none. */
  readonly clusterId: string;
}

/**
 * One message of the route stream. `clusterId` is '' when the controller named none.
 * 'invalid': a message the agent could not read (its revision, if any, and why); the
 * agent reports it like a table it could not apply.
 */
export type WatchEvent =
  // tableDigest: the controller's table digest at `revision` ('' from controllers that predate it).
  | { readonly kind: 'snapshot'; readonly revision: number; readonly routes: RouteEntry[]; readonly clusterId: string; readonly tableDigest?: string }
  | { readonly kind: 'delta'; readonly baseRevision: number; readonly revision: number; readonly changes: RouteChangeEntry[]; readonly clusterId: string; readonly tableDigest?: string }
  | { readonly kind: 'heartbeat'; readonly revision: number; readonly clusterId: string; readonly tableDigest?: string }
  /** The answer to the registration the stream was opened with (always its first message then); not acknowledged. */
  | { readonly kind: 'registered'; readonly revision: number; readonly registration: Registration }
  | { readonly kind: 'invalid'; readonly revision: number; readonly error: string };

/** What an agent registers with (Register's fields besides the node name). */
export interface RegistrationRequest {
  /** '' = the address the node was added with. */
  readonly underlayIp: string;
  readonly underlayMtu: number;
  readonly agentVersion: string;
}

/** What the agent answers to each message (see WatchAck in the proto). */
export interface WatchAckMessage {
  /** The revision of the table the agent now holds and forwards with. */
  readonly appliedRevision: number;
  /** Set (with `error`) when the agent could not apply the message of this revision. */
  readonly failedRevision?: number;
  readonly error?: string;
}

/** The longest wait a retry-after trailer can impose: a confused controller must not park agents for long. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;
/** Longest WatchAck.error the agent sends. */
export const MAX_ACK_ERROR_CHARS = 500;
/** After a half-close, how long the controller gets to end the stream before the agent cancels it. */
const HALF_CLOSE_GRACE_MS = 2_000;

/** A node certificate the controller issued, with the CA that issued it (PEM). */
export interface IssuedNodeCertificate {
  readonly nodeName: string;
  readonly certificatePem: string;
  readonly caPem: string;
}

export interface WatchHandle {
  /** Sends a WatchAck; does nothing once the stream has ended. */
  ack(ack: WatchAckMessage): void;
  /** Ends the stream at once (RST_STREAM); what was written but not yet sent may be lost. */
  cancel(): void;
  /**
   * Ends the stream politely: half-closes it, so what was written (a failure report) still
   * reaches the controller, then cancels it if the controller has not ended it within a grace period.
   */
  close(): void;
}

/**
 * Called once when a stream ends: `err` is what ended it (null when we cancelled or closed
 * it), `retryAfterMs` the least wait the controller asked for before reconnecting (0: none).
 */
export type WatchEndListener = (err: ControllerCallError | null, retryAfterMs: number) => void;

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
   * Opens the route stream and sends WatchStart with `knownRevision` (0: none) and the
   * `clusterId` it came from. `onEvent` gets each message, which the caller acknowledges
   * through the handle; `onEnd` is called exactly once (see WatchEndListener). With
   * `register`, the stream also registers (one call instead of Register and Watch): its first
   * event is then 'registered', or it ends with Register's error.
   */
  watch(nodeName: string, knownRevision: number, onEvent: (event: WatchEvent) => void, onEnd: WatchEndListener, clusterId?: string, register?: RegistrationRequest): WatchHandle;
  /**
   * Tells the controller how many container addresses this node has leased (`leased`) out of
   * how many its subnet offers containers (`capacity`, at least 1); the node is the one the
   * certificate names. Rejects with a ControllerCallError (INVALID_ARGUMENT for counts that cannot be true).
   */
  reportAddressUsage(leased: number, capacity: number, options?: CallOptions): Promise<void>;
  /** Replaces a connection that may be dead (a silent stream) with a fresh one. */
  resetConnection(): void;
  close(): void;
}

export class ControllerClient implements AgentController {
  readonly target: string;
  private client: AgentServiceClient;
  private credentials: grpc.ChannelCredentials;
  private closed = false;

  /** `credentials`: TLS trusting the controller's CA, with the node certificate once the agent has one. */
  constructor(target: string, credentials: grpc.ChannelCredentials) {
    this.target = target;
    this.credentials = credentials;
    this.client = ControllerClient.open(target, credentials);
  }

  private static open(target: string, credentials: grpc.ChannelCredentials): AgentServiceClient {
    const { proto } = loadTunctlProto();
    return new proto.tunctl.v1.AgentService(target, credentials, {
      ...CONTROLLER_CHANNEL_OPTIONS,
      // Notice a controller connection cut without FIN even when no message is due (the watch
      // loop's idle timer is the other guard). 10 s stays above the 5 s the controller allows
      // between pings: pinging more often gets the connection closed with "too_many_pings".
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      // Also between calls: an agent waiting to reconnect learns early that the connection is gone.
      'grpc.keepalive_permit_without_calls': 1,
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
    this.credentials = credentials;
    this.client = ControllerClient.open(this.target, credentials);
    old.close();
  }

  /**
   * Drops the connection and opens a new one (same credentials): after a stream went silent
   * the old connection may be dead without anyone having said so, and grpc-js would send the
   * next call on it and wait for its deadline.
   */
  resetConnection(): void {
    if (this.closed) return;
    const old = this.client;
    this.client = ControllerClient.open(this.target, this.credentials);
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

  reportAddressUsage(leased: number, capacity: number, options: CallOptions = {}): Promise<void> {
    return this.unary('address usage report', options, () => undefined, (deadline, done) =>
      this.client.ReportAddressUsage({ leased, capacity }, { deadline }, done),
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

  watch(nodeName: string, knownRevision: number, onEvent: (event: WatchEvent) => void, onEnd: WatchEndListener, clusterId = '', register?: RegistrationRequest): WatchHandle {
    const call = this.client.Watch();
    let cancelled = false;
    let ended = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const end = (err: ControllerCallError | null, retryAfterMs = 0) => {
      if (ended) return;
      ended = true;
      clearTimeout(graceTimer);
      onEnd(err, retryAfterMs);
    };
    const write = (request: WatchRequest) => {
      if (ended) return;
      try {
        call.write(request);
      } catch {
        // The stream is going away; its 'error' or 'end' event reports why.
      }
    };
    call.on('data', (msg: WatchResponse__Output) => {
      if (ended) return;
      let event: WatchEvent;
      try {
        event = toWatchEvent(unpacked(msg));
      } catch (err) {
        event = { kind: 'invalid', revision: Number(msg.revision) || 0, error: `invalid watch message: ${(err as Error).message}` };
      }
      onEvent(event);
    });
    call.on('error', (err: grpc.ServiceError) => end(cancelled ? null : controllerCallError(err, this.target), cancelled ? 0 : retryAfterMsOf(err.metadata)));
    // An OK status carries its trailers only on 'status', which comes before 'end'.
    let trailers: grpc.Metadata | undefined;
    call.on('status', (status: grpc.StatusObject) => (trailers = status.metadata));
    call.on('end', () =>
      end(cancelled ? null : new ControllerCallError(grpc.status.UNAVAILABLE, 'the controller ended the watch stream'), cancelled ? 0 : retryAfterMsOf(trailers)),
    );
    write({ start: { nodeName, knownRevision, clusterId, acceptPacked: true, register: register ? { nodeName, ...register } : null } });
    const cancel = () => {
      cancelled = true;
      call.cancel();
      end(null);
    };
    return {
      ack: ({ appliedRevision, failedRevision = 0, error = '' }) =>
        write({ ack: { appliedRevision, failedRevision, error: error.slice(0, MAX_ACK_ERROR_CHARS) } }),
      cancel,
      close: () => {
        if (ended) return;
        cancelled = true;
        call.end();
        graceTimer = setTimeout(cancel, HALF_CLOSE_GRACE_MS);
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
    clusterId: res.clusterId,
  };
}

function toIssued(res: JoinResponse__Output): IssuedNodeCertificate {
  return { nodeName: res.nodeName, certificatePem: res.certificatePem, caPem: res.caCertificatePem };
}

/** The controller does not know the node (it was removed, or never added). */
export function isUnknownNode(err: unknown): boolean {
  return err instanceof ControllerCallError && err.code === grpc.status.NOT_FOUND;
}

/**
 * The wait a `tunctl-retry-after-ms` trailer asks for, or 0. Defensive: anything but a plain
 * decimal number is ignored, and no controller can make us wait more than MAX_RETRY_AFTER_MS.
 */
export function retryAfterMsOf(metadata: grpc.Metadata | undefined): number {
  const value = metadata?.get(RETRY_AFTER_METADATA)[0];
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^\d{1,15}$/.test(text)) return 0;
  return Math.min(Number(text), MAX_RETRY_AFTER_MS);
}

function toRoute(route: Route__Output): RouteEntry {
  return { nodeName: route.nodeName, subnet: parseCidr(route.subnet), underlayIp: parseIpv4(route.underlayIp) };
}

let decodeWatchResponse: ((bytes: Buffer) => WatchResponse__Output) | undefined;

/** `msg` with the routes or changes of its `packed` field (common/packed-watch.ts) in place. */
export function unpacked(msg: WatchResponse__Output): WatchResponse__Output {
  if (!msg.packed || msg.packed.length === 0) return msg;
  decodeWatchResponse ??= loadTunctlProto().proto.tunctl.v1.AgentService.service['Watch']!.responseDeserialize as (bytes: Buffer) => WatchResponse__Output;
  const inner = decodeWatchResponse(unpackWatchBody(msg.packed));
  return { ...msg, routes: inner.routes, changes: inner.changes, packed: Buffer.alloc(0) };
}

function toWatchEvent(msg: WatchResponse__Output): WatchEvent {
  switch (msg.kind) {
    case 'KIND_SNAPSHOT':
      return { kind: 'snapshot', revision: msg.revision, routes: msg.routes.map(toRoute), clusterId: msg.clusterId, tableDigest: msg.tableDigest };
    case 'KIND_DELTA':
      return {
        kind: 'delta',
        baseRevision: msg.baseRevision,
        revision: msg.revision,
        changes: msg.changes.map((c) => {
          if (c.op !== 'OP_ADD' && c.op !== 'OP_REMOVE') throw new Error(`unknown route change op ${c.op}`);
          if (!c.route) throw new Error('route change without a route');
          return { op: c.op === 'OP_ADD' ? 'add' : 'remove', route: toRoute(c.route) } as const;
        }),
        clusterId: msg.clusterId,
        tableDigest: msg.tableDigest,
      };
    case 'KIND_HEARTBEAT':
      return { kind: 'heartbeat', revision: msg.revision, clusterId: msg.clusterId, tableDigest: msg.tableDigest };
    case 'KIND_REGISTERED':
      if (!msg.registration?.node || !msg.registration.network) throw new Error('registration answer without node or network');
      return { kind: 'registered', revision: msg.revision, registration: toRegistration(msg.registration) };
    default:
      throw new Error(`unknown watch message kind ${String(msg.kind)}`);
  }
}
