// AgentService handlers: Register (an agent claims the node its certificate names), Watch
// (the route-table stream, fed by RouteFeed) and ReportAddressUsage (how full the node's subnet
// is); Join and RenewCertificate are in join-service.ts.
import * as grpc from '@grpc/grpc-js';
import { PACK_MIN_ENTRIES, packWatchBody } from '../common/packed-watch.js';
import { formatIpv4, parseIpv4 } from '../common/cidr.js';
import {
  errorMessage,
  FailedPreconditionError,
  printable,
  RETRY_AFTER_METADATA,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
} from '../common/errors.js';
import type { AgentServiceHandlers } from '../proto/gen/tunctl/v1/AgentService.js';
import type { RegisterRequest__Output } from '../proto/gen/tunctl/v1/RegisterRequest.js';
import type { RegisterResponse } from '../proto/gen/tunctl/v1/RegisterResponse.js';
import type { WatchAck__Output } from '../proto/gen/tunctl/v1/WatchAck.js';
import type { WatchRequest__Output } from '../proto/gen/tunctl/v1/WatchRequest.js';
import type { WatchStart__Output } from '../proto/gen/tunctl/v1/WatchStart.js';
import type { WatchResponse } from '../proto/gen/tunctl/v1/WatchResponse.js';
import type { DenialLog } from './auth/denial-log.js';
import { authenticateNode, type IncomingCall, type NodeIdentity } from './auth/node-identity.js';
import { joinServiceHandlers, type JoinServiceDeps } from './join-service.js';
import { changeToProto, ENCAP_OVERHEAD, networkToProto, nodeToProto, routeToProto, timestampToProto } from './proto-convert.js';
import type { NodePresence } from './node-presence.js';
import type { WriteBatcher } from './write-batcher.js';
import type { FeedCloseReason, FeedMessage, FeedSubscription, RouteFeed } from './route-feed.js';
import { toServiceError, unary } from '../common/rpc-errors.js';
import type { AddressUsage, Store } from './store/store.js';
import { requireAddressUsage, requireNodeName } from './validate.js';

/** Underlay MTU assumed when an agent cannot tell (Ethernet). */
const DEFAULT_UNDERLAY_MTU = 1500;
const MIN_TUN_MTU = 576;
/** The largest UDP payload over IPv4: a bigger TUN packet could not be encapsulated. */
const MAX_TUN_MTU = 65507;
/** Largest MTU Linux accepts on a TUN device (and an IPv4 packet's 16-bit length). */
const MAX_UNDERLAY_MTU = 65535;
const MAX_AGENT_VERSION_LENGTH = 64;

/** What Join and RenewCertificate need, plus what Register and Watch need. */
export interface AgentServiceDeps extends JoinServiceDeps {
  readonly feed: RouteFeed;
  readonly presence: NodePresence;
  /** Group commit for Register's writes (see WriteBatcher). */
  readonly writes: WriteBatcher;
  readonly heartbeatIntervalMs: number;
  /** The generated serializer for WatchResponse (see agentServiceDefinition). */
  readonly encodeWatchResponse: (response: WatchResponse) => Buffer;
}

export function agentServiceHandlers(deps: AgentServiceDeps): AgentServiceHandlers {
  const { store, logger, now } = deps;
  return {
    ...joinServiceHandlers(deps),

    Register: unary('Register', logger, async (req, call) => {
      const identity = callerNode(call, req.nodeName, 'Register', store, deps.denials, now());
      return registerAgent(identity, req, call, deps);
    }),

    Watch: (call) => startWatch(call, deps),

    ReportAddressUsage: unary('ReportAddressUsage', logger, async (req, call) => {
      // The request names no node: the report is about the one the certificate names.
      const { nodeName } = callerNode(call, '', 'ReportAddressUsage', store, deps.denials, now());
      const node = findNodeForAgent(store, nodeName);
      const usage = { ...requireAddressUsage(req.leased, req.capacity, node.subnet), reportedAt: now() };
      // Telemetry like acks, so not audited: the audit log records changes to the address plan
      // and to credentials, and agents send this as often as their leases change. Stored like
      // Register's bookkeeping: group-committed without an fsync of its own; no change row, no revision.
      await deps.writes.run(() => recordUsageForAgent(store, nodeName, usage), { durable: false });
      deps.presence.heard(nodeName);
      logger.debug('address usage reported', { node: nodeName, leased: usage.leased, capacity: usage.capacity });
      return { recordedAt: timestampToProto(usage.reportedAt) };
    }),
  };
}

/**
 * Checks and records an agent's registration (the Register call, or a WatchStart that asks for
 * it): the node exists, the agent's address and MTU fit, and its certificate retires the
 * node's older ones. Returns Register's answer.
 */
async function registerAgent(identity: NodeIdentity, req: RegisterRequest__Output, call: IncomingCall, deps: AgentServiceDeps): Promise<RegisterResponse> {
  const { store, feed, presence, logger, heartbeatIntervalMs } = deps;
  const at = deps.now();
  const name = identity.nodeName;
  const agentVersion = requireAgentVersion(req.agentVersion);
  if (req.underlayMtu > MAX_UNDERLAY_MTU) {
    throw new InvalidArgumentError(`underlay_mtu ${req.underlayMtu} is too large: an IPv4 interface's MTU is at most ${MAX_UNDERLAY_MTU} (send 0 if unknown)`);
  }
  const node = findNodeForAgent(store, name);
  if (req.underlayIp) {
    const reported = parseIpv4(req.underlayIp, 'underlay_ip');
    if (reported !== node.underlayIp) {
      throw new FailedPreconditionError(
        `node "${name}" was added with underlay address ${formatIpv4(node.underlayIp)} but this agent uses ${req.underlayIp}; ` +
          `start the agent with --underlay-ip ${formatIpv4(node.underlayIp)}, or re-add the node: ` +
          `tunctl remove-node ${name} && tunctl add-node ${name} --underlay-ip ${req.underlayIp}`,
      );
    }
  }
  const underlayMtu = req.underlayMtu > 0 ? req.underlayMtu : DEFAULT_UNDERLAY_MTU;
  const tunMtu = Math.min(underlayMtu - ENCAP_OVERHEAD, MAX_TUN_MTU);
  if (tunMtu < MIN_TUN_MTU) {
    throw new FailedPreconditionError(
      `the underlay MTU ${underlayMtu} leaves only ${tunMtu} bytes for packets after the ${ENCAP_OVERHEAD}-byte encapsulation; ` +
        `raise the underlay interface's MTU to at least ${MIN_TUN_MTU + ENCAP_OVERHEAD}`,
    );
  }
  // The certificate in use now retires the node's older ones (a renewal, or a new join
  // elsewhere): rare, durable, and a plain read when there is nothing to retire.
  const superseded = store.supersedeCertificates(name, identity.serial, at, { actor: `node:${name}`, peer: call.getPeer() });
  if (superseded > 0) logger.info('older node certificates revoked', { node: name, superseded, in_use: identity.serial });
  // Bookkeeping (last registered, version): group-committed without an fsync of its own, so
  // a fleet re-registering after a controller restart does not wait on the disk per agent.
  const registered = await deps.writes.run(() => store.recordRegistration(name, agentVersion, at), { durable: false });
  presence.heard(name);
  logger.info('agent registered', { node: name, underlay_ip: formatIpv4(node.underlayIp), version: agentVersion || undefined, tun_mtu: tunMtu });
  return {
    node: nodeToProto(registered, presence.status(registered), feed.latestRevision),
    network: networkToProto(store.network()),
    tunMtu,
    heartbeatIntervalMs,
    clusterId: store.clusterId(),
  };
}

/**
 * The node this call's certificate names. `requested` (the node_name field) may be empty; if
 * set it must be that node: a certificate never speaks for another node. Refusals are audited.
 */
function callerNode(call: IncomingCall, requested: string, method: string, store: Store, denials: DenialLog, at: Date): NodeIdentity {
  const identity = auditedRefusal(call, method, requested, 'anonymous', denials, at, () => authenticateNode(call, store, at));
  requireActingAs(identity, requested, call, method, denials, at);
  return identity;
}

/** Refuses (PERMISSION_DENIED, audited) a `requested` node other than the one `identity` names. */
function requireActingAs(identity: NodeIdentity, requested: string, call: IncomingCall, method: string, denials: DenialLog, at: Date): void {
  const { nodeName } = identity;
  auditedRefusal(call, method, requested, `node:${nodeName}`, denials, at, () => {
    if (requested && requested !== nodeName) {
      requireNodeName(requested, 'node_name');
      throw new PermissionDeniedError(`this agent's certificate is for node "${nodeName}"; it cannot act as node "${requested}"`);
    }
  });
}

/** Runs `check`; a refusal it throws is recorded in the audit log as `actor`'s and rethrown. */
function auditedRefusal<T>(call: IncomingCall, method: string, target: string, actor: string, denials: DenialLog, at: Date, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof UnauthenticatedError || err instanceof PermissionDeniedError || err instanceof InvalidArgumentError) {
      denials.record({ at, actor, action: method, target, detail: errorMessage(err), peer: call.getPeer() });
    }
    throw err;
  }
}

/** The version is stored and printed in tables and logs: short and printable, or refused. */
function requireAgentVersion(version: string): string {
  if (version.length > MAX_AGENT_VERSION_LENGTH || !/^[\x21-\x7e]*$/.test(version)) {
    throw new InvalidArgumentError(
      `agent_version must be at most ${MAX_AGENT_VERSION_LENGTH} printable ASCII characters without spaces (like 0.1.0), got ${JSON.stringify(version.slice(0, 80))}`,
    );
  }
  return version;
}

function findNodeForAgent(store: Store, name: string) {
  try {
    return store.getNode(name);
  } catch (err) {
    throw err instanceof NotFoundError ? unknownNode(name) : err;
  }
}

/** Stores the usage; a node removed since findNodeForAgent gets the same NOT_FOUND. */
function recordUsageForAgent(store: Store, name: string, usage: AddressUsage) {
  try {
    return store.recordAddressUsage(name, usage);
  } catch (err) {
    throw err instanceof NotFoundError ? unknownNode(name) : err;
  }
}

/** What an agent hears about a node the controller does not have, saying how to add it. */
function unknownNode(name: string): NotFoundError {
  return new NotFoundError(
    `node "${name}" is not known to the controller; add it first with \`tunctl add-node ${name} --underlay-ip <this host's underlay address>\``,
  );
}

type WatchCall = grpc.ServerDuplexStream<WatchRequest__Output, WatchResponse>;

/** Ends a stream with a status: grpc-js sends the status of an emitted 'error'. */
function endWithStatus(call: WatchCall, status: Partial<grpc.ServiceError>): void {
  call.emit('error', Object.assign(new Error(status.details), status));
}

const CLOSE_STATUS: Record<FeedCloseReason, grpc.status> = {
  'node-removed': grpc.status.NOT_FOUND,
  superseded: grpc.status.ABORTED,
  shutdown: grpc.status.UNAVAILABLE,
  // Transient for the agent: it reconnects and resumes from its revision.
  stalled: grpc.status.UNAVAILABLE,
  silent: grpc.status.UNAVAILABLE,
  busy: grpc.status.UNAVAILABLE,
  internal: grpc.status.INTERNAL,
};

/**
 * One agent's Watch: the first message must be a WatchStart (within three heartbeat
 * intervals), every later one a WatchAck. Acks keep the stream alive and record what the
 * agent applied; anything else ends the stream with INVALID_ARGUMENT.
 */
function startWatch(call: WatchCall, deps: AgentServiceDeps): void {
  const { store, feed, presence, logger, now, heartbeatIntervalMs } = deps;
  let name: string | undefined;
  let subscription: FeedSubscription | undefined;
  let ended = false;
  const finish = (status?: Partial<grpc.ServiceError>) => {
    clearTimeout(startTimer);
    subscription?.end();
    if (ended) return;
    ended = true;
    if (status) endWithStatus(call, status);
  };
  // A stranger is refused when the stream opens, before it can send (or withhold) anything.
  let identity: NodeIdentity;
  try {
    identity = callerNode(call, '', 'Watch', store, deps.denials, now());
    findNodeForAgent(store, identity.nodeName);
  } catch (err) {
    ended = true;
    endWithStatus(call, toServiceError(err, 'Watch', logger));
    return;
  }
  const startTimeoutMs = 3 * heartbeatIntervalMs;
  const startTimer = setTimeout(
    () => finish({ code: grpc.status.INVALID_ARGUMENT, details: `the first message on a Watch stream must be a WatchStart, and none came within ${startTimeoutMs} ms` }),
    startTimeoutMs,
  );

  // Set when the WatchStart came: later messages must be acks, even while it is being handled.
  let started = false;
  const onStart = async (start: WatchStart__Output) => {
    clearTimeout(startTimer);
    // Authenticated when the stream opened: only the name it claims is left to check.
    requireActingAs(identity, start.nodeName, call, 'Watch', deps.denials, now());
    const nodeName = identity.nodeName;
    // Removal revokes the certificate and closes the node's watch; one removed since the stream opened has none to close.
    findNodeForAgent(store, nodeName);
    if (start.register) {
      requireActingAs(identity, start.register.nodeName, call, 'Watch', deps.denials, now());
      const registration = await registerAgent(identity, start.register, call, deps);
      if (ended) return;
      // Per agent, so not one of the feed's shared messages; written before any of them.
      call.write({ kind: 'KIND_REGISTERED', revision: feed.latestRevision, clusterId: registration.clusterId, registration });
    }
    name = nodeName;
    // A revision from another cluster (a rebuilt database) means nothing here: snapshot.
    const clusterId = store.clusterId();
    const sameCluster = start.clusterId === '' || start.clusterId === clusterId;
    if (!sameCluster) logger.info('agent holds a table from another cluster; sending a snapshot', { node: nodeName, agent_cluster: printable(start.clusterId, 40) });
    presence.heard(nodeName);
    subscription = feed.subscribe(nodeName, sameCluster ? start.knownRevision : 0, {
      send: (message) => (ended ? true : call.write(encodedWatchResponse(message, clusterId, deps.encodeWatchResponse, start.acceptPacked))),
      onceDrain: (callback) => call.once('drain', callback),
      close: (reason, details, retryAfterMs) => {
        if (ended) return;
        logger.info('watch closed by controller', { node: nodeName, reason, retry_after_ms: retryAfterMs });
        const metadata = new grpc.Metadata();
        if (retryAfterMs !== undefined) metadata.set(RETRY_AFTER_METADATA, String(retryAfterMs));
        finish({ code: CLOSE_STATUS[reason], details, metadata });
      },
    });
  };

  const onAck = (ack: WatchAck__Output) => {
    if (ack.appliedRevision > feed.latestRevision) {
      throw new InvalidArgumentError(`acknowledged revision ${ack.appliedRevision} is ahead of the controller's latest (${feed.latestRevision}); reconnect with known_revision 0`);
    }
    subscription?.heard();
    presence.acknowledged(name!, ack.appliedRevision, ack.failedRevision, printable(ack.error, 500));
    if (ack.failedRevision > 0) {
      logger.warn('agent could not apply a route update', { node: name, revision: ack.failedRevision, applied: ack.appliedRevision, error: printable(ack.error, 500) });
    }
  };

  call.on('data', (message: WatchRequest__Output) => {
    if (ended) return;
    try {
      if (!started) {
        if (message.request !== 'start' || !message.start) throw new InvalidArgumentError('the first message on a Watch stream must be a WatchStart');
        started = true;
        onStart(message.start).catch((err: unknown) => finish(toServiceError(err, 'Watch', logger)));
      } else if (name === undefined) {
        throw new InvalidArgumentError('the agent sent a message before the controller answered its WatchStart');
      } else {
        if (message.request !== 'ack' || !message.ack) throw new InvalidArgumentError('after the WatchStart, an agent sends only WatchAck messages');
        onAck(message.ack);
      }
    } catch (err) {
      finish(toServiceError(err, 'Watch', logger));
    }
  });
  const onGone = (why: string) => {
    const wasEnded = ended;
    finish();
    if (!wasEnded && name !== undefined) logger.info('agent stopped watching', { node: name, why });
  };
  // The agent half-closed: nothing more will come, so the stream is over.
  call.once('end', () => {
    if (!ended) {
      onGone('agent ended its stream');
      call.end();
    }
  });
  call.once('cancelled', () => onGone('cancelled'));
  call.once('error', (err: Error) => onGone(`error: ${err.message}`));
  call.once('close', () => onGone('closed'));
}

/**
 * The AgentService definition with a Watch serializer that passes Buffers through: the feed's
 * messages are encoded once (encodedWatchResponse) and the same bytes go to every agent.
 */
export function agentServiceDefinition(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const watch = service['Watch'];
  if (!watch) throw new Error('AgentService has no Watch method');
  const serialize = watch.responseSerialize;
  return { ...service, Watch: { ...watch, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value)) } };
}

const encodedPlain = new WeakMap<FeedMessage, Buffer>();
const encodedPacked = new WeakMap<FeedMessage, Buffer>();

/** `message` encoded once, packed (see common/packed-watch.ts) when the agent reads that and it is large. */
function encodedWatchResponse(message: FeedMessage, clusterId: string, encode: (response: WatchResponse) => Buffer, acceptPacked: boolean): WatchResponse {
  const entries = message.kind === 'snapshot' ? message.routes.length : message.kind === 'delta' ? message.changes.length : 0;
  const packed = acceptPacked && entries >= PACK_MIN_ENTRIES;
  const cache = packed ? encodedPacked : encodedPlain;
  let bytes = cache.get(message);
  if (!bytes) {
    const full = toWatchResponse(message, clusterId);
    bytes = packed
      ? encode({ kind: full.kind, revision: full.revision, baseRevision: full.baseRevision, clusterId, tableDigest: full.tableDigest, packed: packWatchBody(encode({ routes: full.routes, changes: full.changes })) })
      : encode(full);
    cache.set(message, bytes);
  }
  // The Buffer travels through grpc-js's typed write() untouched; the serializer passes it on.
  return bytes as unknown as WatchResponse;
}

function toWatchResponse(message: FeedMessage, clusterId: string): WatchResponse {
  switch (message.kind) {
    case 'snapshot':
      return { kind: 'KIND_SNAPSHOT', revision: message.revision, routes: message.routes.map(routeToProto), clusterId, tableDigest: message.tableDigest };
    case 'delta':
      return { kind: 'KIND_DELTA', revision: message.revision, baseRevision: message.baseRevision, changes: message.changes.map(changeToProto), clusterId, tableDigest: message.tableDigest };
    case 'heartbeat':
      return { kind: 'KIND_HEARTBEAT', revision: message.revision, clusterId, tableDigest: message.tableDigest };
  }
}
