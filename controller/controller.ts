// The controller process: opens the store and its CA, fixes the network, serves gRPC and
// shuts down gracefully. Two listeners: the network port (TLS; agents with their node
// certificates, admin callers with API keys) and a local unix socket (admin calls, no key:
// file permissions are the credential); and, when asked for, the metrics endpoint (HTTP).
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { formatCidr, formatIpv4 } from '../common/cidr.js';
import type { Logger } from '../common/logger.js';
import { serveMetrics, type MetricsServer } from '../common/metrics-server.js';
import { loadTunctlDescriptorsForReflection, loadTunctlProto } from '../common/proto.js';
import { adminServiceHandlers } from './admin-service.js';
import { agentServiceDefinition, agentServiceHandlers } from './agent-service.js';
import { apiKeyGuard, localSocketGuard } from './auth/admin-guard.js';
import { CertificateAuthority } from './auth/certificate-authority.js';
import { ControllerMetrics } from './controller-metrics.js';
import { DenialLog } from './auth/denial-log.js';
import { controllerServerTls, type ServerTls } from './auth/server-credentials.js';
import { DEFAULT_NODE_CERT_LIFETIME_MS } from './join-service.js';
import { bindUnixSocket } from '../common/unix-socket.js';
import { listenForServer, type NetworkListener, type TlsStats } from './network-listener.js';
import { NodeLeaseLoop } from './node-lease.js';
import { NodePresence } from './node-presence.js';
import { Readiness } from './readiness.js';
import { WriteBatcher } from './write-batcher.js';
import { RouteFeed } from './route-feed.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { NetworkConfigInput, Store } from './store/store.js';

export interface ControllerOptions {
  /** host:port to listen on (TLS); port 0 picks a free one. */
  readonly listen: string;
  /** Path of the local admin socket (created 0600); undefined for none. */
  readonly adminSocket?: string;
  /** host:port for the metrics endpoint (HTTP: /metrics, /healthz, /readyz); undefined for none. */
  readonly metricsListen?: string;
  /** Extra DNS names or addresses for the TLS server certificate (this host's are always in). */
  readonly tlsNames?: readonly string[];
  /** Lifetime of node client certificates; agents renew them when two thirds have passed. */
  readonly nodeCertLifetimeMs?: number;
  readonly dataDir: string;
  /** Required on first start; later starts may omit it and use the stored one. */
  readonly network?: NetworkConfigInput;
  readonly heartbeatIntervalMs?: number;
  /** Changes kept for agents resuming from a revision; older ones get a snapshot. */
  readonly changelogRetention?: number;
  /** A node whose agent has been silent this long is not-ready (default 40 s). */
  readonly nodeNotReadyAfterMs?: number;
  /** How long a removed node's subnet stays out of the pool (default 24 h; 0: no quarantine). */
  readonly subnetQuarantineMs?: number;
  /** Remove nodes whose agent stayed away this long (default 0: never). */
  readonly nodeLeaseTtlMs?: number;
  /** Snapshot routes sent per second to agents starting without a table (see RouteFeedOptions). */
  readonly snapshotRoutesPerSecond?: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export const ADMIN_SERVICE = 'tunctl.v1.AdminService';
export const AGENT_SERVICE = 'tunctl.v1.AgentService';
export const DEFAULT_NOT_READY_AFTER_MS = 40_000;

interface Servers {
  readonly network: grpc.Server;
  readonly local: grpc.Server | undefined;
  readonly tls: ServerTls;
  /** Holds the count of refusals not itemized yet; flushed on stop. */
  readonly denials: DenialLog;
  /** Holds agents' sync status not stored yet; flushed on stop. */
  readonly presence: NodePresence;
  /** Expires long-gone nodes when a lease TTL is set. */
  readonly leases: NodeLeaseLoop | undefined;
  /** Accepts agents' and admin clients' TCP connections for `network`. */
  readonly listener: NetworkListener;
  /** The metrics endpoint, when --metrics-listen asked for one. */
  readonly metrics: MetricsServer | undefined;
}

export class Controller {
  readonly port: number;
  readonly store: Store;
  readonly ca: CertificateAuthority;
  readonly adminSocket: string | undefined;
  private readonly servers: Servers;
  private readonly feed: RouteFeed;
  private readonly readiness: Readiness;
  private readonly logger: Logger;
  private stopping: Promise<void> | undefined;
  private compactTimer: NodeJS.Timeout | undefined;

  private constructor(servers: Servers, port: number, adminSocket: string | undefined, store: Store, ca: CertificateAuthority, feed: RouteFeed, readiness: Readiness, logger: Logger) {
    this.servers = servers;
    this.port = port;
    this.adminSocket = adminSocket;
    this.ca = ca;
    this.store = store;
    this.feed = feed;
    this.readiness = readiness;
    this.logger = logger;
  }

  /** True while it serves: after every listener came up, until stop() begins (as the health service says). */
  get ready(): boolean {
    return this.readiness.ready;
  }

  /** The metrics endpoint's port; undefined without --metrics-listen. */
  get metricsPort(): number | undefined {
    return this.servers.metrics?.port;
  }

  /** TLS handshakes on the network port since the start: all, resumed sessions, failed. */
  get tlsStats(): TlsStats {
    return { ...this.servers.listener.stats };
  }

  static async start(options: ControllerOptions): Promise<Controller> {
    const { logger } = options;
    const now = options.now ?? (() => new Date());
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5000;
    const controllerStartedAt = now();
    const store = SqliteStore.open(options.dataDir, logger, { now, subnetQuarantineMs: options.subnetQuarantineMs });
    let tls: ServerTls | undefined;
    let feed: RouteFeed | undefined;
    let presence: NodePresence | undefined;
    let leases: NodeLeaseLoop | undefined;
    let listener: NetworkListener | undefined;
    let metricsServer: MetricsServer | undefined;
    const started: grpc.Server[] = [];
    try {
      const network = options.network ? store.initNetwork(options.network) : store.network();
      const ca = CertificateAuthority.loadOrCreate(path.resolve(options.dataDir), logger, now());
      tls = controllerServerTls(ca, path.resolve(options.dataDir), options.tlsNames ?? [], logger, now);
      feed = new RouteFeed(store, { heartbeatIntervalMs, logger, snapshotRoutesPerSecond: options.snapshotRoutesPerSecond });
      const liveFeed = feed;
      const writes = new WriteBatcher({ commit: (batch, durable) => store.batchWrites(batch, durable) });
      const leaseTtlMs = options.nodeLeaseTtlMs ?? 0;
      presence = new NodePresence(store, {
        notReadyAfterMs: options.nodeNotReadyAfterMs ?? DEFAULT_NOT_READY_AFTER_MS,
        lease: leaseTtlMs > 0 ? { ttlMs: leaseTtlMs, controllerStartedAt } : undefined,
        isConnected: (name) => liveFeed.isConnected(name),
        logger,
        now: () => now().getTime(),
      });
      const livePresence = presence;
      if (leaseTtlMs > 0) {
        leases = new NodeLeaseLoop({
          store,
          presence: livePresence,
          ttlMs: leaseTtlMs,
          controllerStartedAt,
          now,
          logger,
          onRemoved: (name, revision, node) => {
            liveFeed.publish({ revision, op: 'remove', at: now(), route: { nodeName: node.name, subnet: node.subnet, underlayIp: node.underlayIp } });
            liveFeed.closeNode(
              name,
              `node "${name}" was removed: its agent stayed away longer than the node lease TTL; add it again with \`tunctl add-node ${name} --underlay-ip ${formatIpv4(node.underlayIp)}\` and join with the new token`,
            );
            livePresence.forget(name);
          },
        });
        leases.start();
      }
      const denials = new DenialLog(store);
      const { proto } = loadTunctlProto();
      const readiness = new Readiness(['', ADMIN_SERVICE, AGENT_SERVICE]);
      const reflection = new ReflectionService(loadTunctlDescriptorsForReflection());
      let interceptors: grpc.ServerInterceptor[] = [];
      if (options.metricsListen !== undefined) {
        const metrics = new ControllerMetrics({ store, feed, presence });
        metricsServer = await serveMetrics(options.metricsListen, { render: () => metrics.render(), ready: () => readiness.ready }, logger);
        interceptors = [metrics.interceptor];
      }

      const networkServer = new grpc.Server({
        // Find agents that vanished without closing their connection (cable cut, power loss).
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.http2.min_ping_interval_without_data_ms': 5_000,
        interceptors,
      });
      networkServer.addService(proto.tunctl.v1.AdminService.service, adminServiceHandlers({ store, feed, presence, writes, ca, guard: apiKeyGuard(store, denials, now), logger, now }));
      const agentService = proto.tunctl.v1.AgentService.service;
      networkServer.addService(
        agentServiceDefinition(agentService),
        agentServiceHandlers({
          store,
          feed,
          presence,
          writes,
          logger,
          now,
          heartbeatIntervalMs,
          ca,
          denials,
          nodeCertLifetimeMs: options.nodeCertLifetimeMs ?? DEFAULT_NODE_CERT_LIFETIME_MS,
          encodeWatchResponse: agentService.Watch.responseSerialize,
        }),
      );
      readiness.health.addToServer(networkServer);
      reflection.addToServer(networkServer);
      listener = await listenForServer(networkServer, options.listen, tls, logger);
      const port = listener.port;
      started.push(networkServer);

      let localServer: grpc.Server | undefined;
      if (options.adminSocket) {
        localServer = new grpc.Server({ interceptors });
        localServer.addService(proto.tunctl.v1.AdminService.service, adminServiceHandlers({ store, feed, presence, writes, ca, guard: localSocketGuard(), logger, now }));
        readiness.health.addToServer(localServer);
        reflection.addToServer(localServer);
        await bindUnixSocket(localServer, options.adminSocket);
        started.push(localServer);
      }

      const usage = store.poolUsage();
      logger.info('controller serving', {
        listen: options.listen.replace(/:\d+$/, `:${port}`),
        admin_socket: options.adminSocket,
        ca_fingerprint: ca.fingerprint,
        network: formatCidr(network.network),
        subnet_len: network.subnetLen,
        udp_port: network.udpPort,
        nodes: usage.used,
        subnets_free: usage.total - usage.used,
        revision: store.latestRevision(),
      });
      const servers = { network: networkServer, local: localServer, tls, denials, presence, leases, listener, metrics: metricsServer };
      const controller = new Controller(servers, port, options.adminSocket, store, ca, feed, readiness, logger);
      controller.startCompaction(options.changelogRetention ?? 10_000);
      readiness.serving();
      return controller;
    } catch (err) {
      await listener?.close(0);
      await metricsServer?.close();
      for (const server of started) server.forceShutdown();
      leases?.stop();
      feed?.close('the controller failed to start');
      presence?.close();
      tls?.close();
      store.close();
      throw err;
    }
  }

  /** Trims the changelog now and every 10 minutes, so it cannot grow without bound. */
  private startCompaction(keep: number): void {
    const compact = () => {
      const deleted = this.store.compactChanges(keep);
      if (deleted > 0) this.logger.info('changelog compacted', { deleted, kept: keep });
    };
    compact();
    this.compactTimer = setInterval(compact, 10 * 60_000);
    this.compactTimer.unref();
  }

  /** Stops accepting calls, ends watches, waits up to `graceMs` for calls in flight. */
  stop(graceMs = 5000): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info('controller shutting down');
      clearInterval(this.compactTimer);
      this.readiness.stopping();
      this.feed.close('the controller is shutting down; the agent will reconnect when it is back');
      const started = Date.now();
      const servers = [this.servers.network, ...(this.servers.local ? [this.servers.local] : [])];
      const [connections] = await Promise.all([this.servers.listener.close(graceMs), ...servers.map((server) => shutDown(server, graceMs))]);
      this.servers.tls.close();
      this.servers.denials.close();
      this.servers.leases?.stop();
      this.servers.presence.close();
      // Last before the store closes: /readyz says 503 through the whole shutdown.
      await this.servers.metrics?.close();
      this.store.close();
      this.logger.info('controller stopped', {
        took_ms: Date.now() - started,
        // Connections that ended within the grace, and those still open after it, cut.
        connections_closed: connections.closed,
        connections_cut: connections.destroyed,
        tls_handshakes: this.servers.listener.stats.handshakes,
        tls_resumed: this.servers.listener.stats.resumed,
      });
    })();
    return this.stopping;
  }
}

function shutDown(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

