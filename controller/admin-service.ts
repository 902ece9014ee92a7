// AdminService handlers: authorize, validate, call the store, publish the change, convert to proto.
// The guard decides who the caller is (local socket or API key) and whether it may do this.
import { formatCidr, formatIpv4, parseCidr, type Ipv4Cidr } from '../common/cidr.js';
import { InvalidArgumentError, quoted } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { MAX_API_KEY_TTL_SECONDS, MAX_JOIN_TOKEN_TTL_SECONDS, newSecret, secretLabel, type SecretKind } from '../common/secrets.js';
import type { AdminServiceHandlers } from '../proto/gen/tunctl/v1/AdminService.js';
import type { Timestamp__Output } from '../proto/gen/google/protobuf/Timestamp.js';
import type { QuarantinedSubnet } from '../proto/gen/tunctl/v1/QuarantinedSubnet.js';
import type { Reservation } from '../proto/gen/tunctl/v1/Reservation.js';
import { parseScope, type AdminGuard } from './auth/admin-guard.js';
import type { CertificateAuthority } from './auth/certificate-authority.js';
import {
  apiKeyToProto,
  auditEventToProto,
  joinTokenToProto,
  networkToProto,
  nodeToProto,
  routeToProto,
  timestampToProto,
} from './proto-convert.js';
import type { NodePresence } from './node-presence.js';
import type { WriteBatcher } from './write-batcher.js';
import type { RouteFeed } from './route-feed.js';
import { unary } from '../common/rpc-errors.js';
import type { NewJoinToken, QuarantineRecord, ReservationRecord, Store } from './store/store.js';
import { optionalSubnet, requireNodeName, requireUnderlayIp } from './validate.js';

export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 24 * 3600;
const MAX_DESCRIPTION_LENGTH = 200;
const DEFAULT_AUDIT_LIMIT = 1000;
const MAX_AUDIT_LIMIT = 100_000;

export interface AdminServiceDeps {
  readonly store: Store;
  readonly feed: RouteFeed;
  readonly presence: NodePresence;
  /** Group commit for writes that come in storms (add-node). */
  readonly writes: WriteBatcher;
  readonly ca: CertificateAuthority;
  readonly guard: AdminGuard;
  readonly logger: Logger;
  readonly now: () => Date;
}

export function adminServiceHandlers({ store, feed, presence, writes, ca, guard, logger, now }: AdminServiceDeps): AdminServiceHandlers {
  const newJoinToken = (ttlSeconds: number, at: Date) => {
    const ttl = joinTokenTtl(ttlSeconds);
    const secret = newSecret('join-token', ca.fingerprint);
    const token: NewJoinToken = { id: secret.id, secretHash: secret.secretHash, expiresAt: new Date(at.getTime() + ttl * 1000) };
    return { token, text: secret.text };
  };

  return {
    AddNode: unary('AddNode', logger, async (req, call) => {
      const who = guard.authorize(call, 'AddNode', 'write', req.name);
      const name = requireNodeName(req.name);
      const underlayIp = requireUnderlayIp(req.underlayIp, store.network());
      const subnet = optionalSubnet(req.subnet);
      const at = now();
      const { token, text } = newJoinToken(req.joinTokenTtlSeconds, at);
      const { node, revision, joinToken } = await writes.run(() => store.addNode({ name, underlayIp, subnet }, at, who, token));
      feed.publish({ revision, op: 'add', at, route: { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp } });
      logger.info('node added', { node: node.name, underlay_ip: formatIpv4(node.underlayIp), subnet: formatCidr(node.subnet), revision, by: who.actor });
      return { node: nodeToProto(node, presence.status(node), revision), revision, joinToken: joinToken ? joinTokenToProto(joinToken, text) : null };
    }),

    GetNode: unary('GetNode', logger, (req, call) => {
      guard.authorize(call, 'GetNode', 'read');
      const node = store.getNode(requireNodeName(req.name));
      return { node: nodeToProto(node, presence.status(node), feed.latestRevision) };
    }),

    ListNodes: unary('ListNodes', logger, (_req, call) => {
      guard.authorize(call, 'ListNodes', 'read');
      const revision = store.latestRevision();
      return { nodes: store.listNodes().map((n) => nodeToProto(n, presence.status(n), revision)), revision };
    }),

    RemoveNode: unary('RemoveNode', logger, (req, call) => {
      const who = guard.authorize(call, 'RemoveNode', 'write', req.name);
      const { node, revision, revokedCertificates } = store.removeNode(requireNodeName(req.name), who);
      feed.publish({ revision, op: 'remove', at: now(), route: { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp } });
      // Its certificate is revoked in the same transaction; closing the stream makes that immediate.
      feed.closeNode(node.name, `node "${node.name}" was removed from the cluster and its certificate revoked; add it again with \`tunctl add-node ${node.name} --underlay-ip ${formatIpv4(node.underlayIp)}\` and join with the new token`);
      logger.info('node removed', { node: node.name, subnet: formatCidr(node.subnet), revision, revoked_certificates: revokedCertificates, by: who.actor });
      const status = presence.status(node);
      presence.forget(node.name);
      return { node: nodeToProto(node, status, revision), revision };
    }),

    ListRoutes: unary('ListRoutes', logger, (req, call) => {
      guard.authorize(call, 'ListRoutes', 'read');
      const { routes, revision } = store.routeSnapshot();
      if (!req.nodeName) return { routes: routes.map(routeToProto), revision };
      // What that node's agent should hold: every route but the one to its own subnet.
      const node = store.getNode(requireNodeName(req.nodeName, 'node_name'));
      return { routes: routes.filter((r) => r.nodeName !== node.name).map(routeToProto), revision };
    }),

    GetNetwork: unary('GetNetwork', logger, (_req, call) => {
      guard.authorize(call, 'GetNetwork', 'read');
      const usage = store.poolUsage();
      return {
        network: networkToProto(store.network()),
        subnetsTotal: usage.total,
        subnetsUsed: usage.used,
        subnetsReserved: usage.reserved,
        subnetsQuarantined: usage.quarantined,
        revision: store.latestRevision(),
        caFingerprint: ca.fingerprint,
        clusterId: store.clusterId(),
      };
    }),

    ReserveSubnet: unary('ReserveSubnet', logger, (req, call) => {
      const who = guard.authorize(call, 'ReserveSubnet', 'write', req.nodeName);
      const name = requireNodeName(req.nodeName, 'node_name');
      const reservation = store.reserveSubnet(name, optionalSubnet(req.subnet), now(), who);
      logger.info('subnet reserved', { node: name, subnet: formatCidr(reservation.subnet), by: who.actor });
      return { reservation: reservationToProto(reservation) };
    }),

    ListReservations: unary('ListReservations', logger, (_req, call) => {
      guard.authorize(call, 'ListReservations', 'read');
      return { reservations: store.listReservations().map(reservationToProto) };
    }),

    DeleteReservation: unary('DeleteReservation', logger, (req, call) => {
      const who = guard.authorize(call, 'DeleteReservation', 'write', req.nodeName);
      const reservation = store.deleteReservation(requireNodeName(req.nodeName, 'node_name'), now(), who);
      logger.info('reservation deleted', { node: reservation.nodeName, subnet: formatCidr(reservation.subnet), by: who.actor });
      return { reservation: reservationToProto(reservation) };
    }),

    ListQuarantinedSubnets: unary('ListQuarantinedSubnets', logger, (_req, call) => {
      guard.authorize(call, 'ListQuarantinedSubnets', 'read');
      return { subnets: store.listQuarantinedSubnets(now()).map(quarantineToProto) };
    }),

    ReleaseQuarantinedSubnet: unary('ReleaseQuarantinedSubnet', logger, (req, call) => {
      const who = guard.authorize(call, 'ReleaseQuarantinedSubnet', 'write', req.subnet);
      const released = store.releaseQuarantinedSubnet(requireSubnet(req.subnet), now(), who);
      logger.info('subnet released from quarantine', { subnet: formatCidr(released.subnet), previous_node: released.previousNode, by: who.actor });
      return { subnet: quarantineToProto(released) };
    }),

    CreateJoinToken: unary('CreateJoinToken', logger, (req, call) => {
      const who = guard.authorize(call, 'CreateJoinToken', 'credentials', req.nodeName);
      const name = requireNodeName(req.nodeName, 'node_name');
      const at = now();
      const { token, text } = newJoinToken(req.ttlSeconds, at);
      const created = store.createJoinToken(name, token, at, who);
      logger.info('join token created', { node: name, token: secretLabel('join-token', created.id), expires_at: created.expiresAt.toISOString(), by: who.actor });
      return { joinToken: joinTokenToProto(created, text) };
    }),

    ListJoinTokens: unary('ListJoinTokens', logger, (req, call) => {
      guard.authorize(call, 'ListJoinTokens', 'credentials');
      const name = req.nodeName ? requireNodeName(req.nodeName, 'node_name') : undefined;
      return { joinTokens: store.listJoinTokens(name).map((t) => joinTokenToProto(t)) };
    }),

    RevokeJoinToken: unary('RevokeJoinToken', logger, (req, call) => {
      const who = guard.authorize(call, 'RevokeJoinToken', 'credentials', req.id);
      const token = store.expireJoinToken(requireSecretId('join-token', req.id), now(), who);
      logger.info('join token revoked', { token: secretLabel('join-token', token.id), node: token.nodeName, by: who.actor });
      return { joinToken: joinTokenToProto(token) };
    }),

    CreateApiKey: unary('CreateApiKey', logger, (req, call) => {
      const who = guard.authorize(call, 'CreateApiKey', 'credentials');
      const scope = parseScope(req.scope);
      if (req.ttlSeconds > MAX_API_KEY_TTL_SECONDS) {
        throw new InvalidArgumentError(`ttl_seconds ${req.ttlSeconds} is more than ten years; use 0 for a key that never expires`);
      }
      const description = requireDescription(req.description);
      const at = now();
      const secret = newSecret('api-key', ca.fingerprint);
      const key = store.createApiKey(
        {
          id: secret.id,
          secretHash: secret.secretHash,
          scope,
          description,
          createdAt: at,
          expiresAt: req.ttlSeconds > 0 ? new Date(at.getTime() + req.ttlSeconds * 1000) : null,
          revokedAt: null,
          createdBy: who.actor,
        },
        who,
      );
      logger.info('API key created', { key: secretLabel('api-key', key.id), scope, by: who.actor });
      return { apiKey: apiKeyToProto(key, secret.text) };
    }),

    ListApiKeys: unary('ListApiKeys', logger, (_req, call) => {
      guard.authorize(call, 'ListApiKeys', 'credentials');
      return { apiKeys: store.listApiKeys().map((k) => apiKeyToProto(k)) };
    }),

    RevokeApiKey: unary('RevokeApiKey', logger, (req, call) => {
      const who = guard.authorize(call, 'RevokeApiKey', 'credentials', req.id);
      const id = requireSecretId('api-key', req.id);
      const key = store.revokeApiKey(id, now(), who);
      logger.info('API key revoked', { key: secretLabel('api-key', key.id), by: who.actor });
      return { apiKey: apiKeyToProto(key) };
    }),

    ListAuditEvents: unary('ListAuditEvents', logger, (req, call) => {
      guard.authorize(call, 'ListAuditEvents', 'read');
      if (req.limit > MAX_AUDIT_LIMIT) throw new InvalidArgumentError(`limit ${req.limit} is above the maximum ${MAX_AUDIT_LIMIT}`);
      const since = req.since ? timestampToDate(req.since, 'since') : null;
      return { events: store.listAuditEvents(since, req.limit || DEFAULT_AUDIT_LIMIT).map(auditEventToProto) };
    }),
  };
}

function reservationToProto(reservation: ReservationRecord): Reservation {
  return {
    nodeName: reservation.nodeName,
    subnet: formatCidr(reservation.subnet),
    createdAt: timestampToProto(reservation.createdAt),
    createdBy: reservation.createdBy,
  };
}

function quarantineToProto(held: QuarantineRecord): QuarantinedSubnet {
  return {
    subnet: formatCidr(held.subnet),
    previousNode: held.previousNode,
    releasedAt: timestampToProto(held.releasedAt),
    availableAt: timestampToProto(held.availableAt),
  };
}

function requireSubnet(text: string): Ipv4Cidr {
  if (!text) throw new InvalidArgumentError('subnet is required (a CIDR such as 10.244.3.0/24, as `tunctl quarantine` lists it)');
  return parseCidr(text, 'subnet');
}

function joinTokenTtl(ttlSeconds: number): number {
  if (ttlSeconds === 0) return DEFAULT_JOIN_TOKEN_TTL_SECONDS;
  if (ttlSeconds > MAX_JOIN_TOKEN_TTL_SECONDS) {
    throw new InvalidArgumentError(`a join token may live at most ${MAX_JOIN_TOKEN_TTL_SECONDS / 86400} days; got ttl ${ttlSeconds} s`);
  }
  return ttlSeconds;
}

function requireDescription(text: string): string {
  if (text.length > MAX_DESCRIPTION_LENGTH || /[\x00-\x1f\x7f]/.test(text)) {
    throw new InvalidArgumentError(`description must be at most ${MAX_DESCRIPTION_LENGTH} characters without control characters`);
  }
  return text;
}

/** The id of a token or key, as lists show it ("tj1.<id>", "tk1.<id>") or bare. */
function requireSecretId(kind: SecretKind, id: string): string {
  const prefix = secretLabel(kind, '');
  const bare = id.startsWith(prefix) ? id.slice(prefix.length) : id;
  if (!/^[0-9a-f]{16}$/.test(bare)) {
    const list = kind === 'api-key' ? 'tunctl apikey list' : 'tunctl list-join-tokens';
    const what = kind === 'api-key' ? 'an API key id' : 'a join token id';
    throw new InvalidArgumentError(`id must be ${what}, ${prefix}<16 hex digits> as \`${list}\` shows it; got ${quoted(id)}`);
  }
  return bare;
}

function timestampToDate(ts: Timestamp__Output, field: string): Date {
  const seconds = Number(ts.seconds);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 253402300799 || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw new InvalidArgumentError(`${field} is not a valid timestamp`);
  }
  return new Date(seconds * 1000 + Math.floor(ts.nanos / 1e6));
}
