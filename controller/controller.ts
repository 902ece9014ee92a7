// The controller process: opens the store, fixes the network, serves gRPC (admin, agent,
// health, reflection) and shuts down gracefully.
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { formatCidr } from '../common/cidr.js';
import type { Logger } from '../common/logger.js';
import { loadTunctlDescriptorsForReflection, loadTunctlProto } from '../common/proto.js';
import { adminServiceHandlers } from './admin-service.js';
import { agentServiceHandlers } from './agent-service.js';
import { RouteFeed } from './route-feed.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { NetworkConfigInput, Store } from './store/store.js';

export interface ControllerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  readonly listen: string;
  readonly dataDir: string;
  /** Required on first start; later starts may omit it and use the stored one. */
  readonly network?: NetworkConfigInput;
  readonly heartbeatIntervalMs?: number;
  /** Changes kept for agents resuming from a revision; older ones get a snapshot. */
  readonly changelogRetention?: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export const ADMIN_SERVICE = 'tunctl.v1.AdminService';
export const AGENT_SERVICE = 'tunctl.v1.AgentService';

export class Controller {
  readonly port: number;
  readonly store: Store;
  private readonly server: grpc.Server;
  private readonly feed: RouteFeed;
  private readonly health: HealthImplementation;
  private readonly logger: Logger;
  private stopping: Promise<void> | undefined;
  private compactTimer: NodeJS.Timeout | undefined;

  private constructor(server: grpc.Server, port: number, store: Store, feed: RouteFeed, health: HealthImplementation, logger: Logger) {
    this.server = server;
    this.port = port;
    this.store = store;
    this.feed = feed;
    this.health = health;
    this.logger = logger;
  }

  static async start(options: ControllerOptions): Promise<Controller> {
    const { logger } = options;
    const now = options.now ?? (() => new Date());
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5000;
    const store = SqliteStore.open(options.dataDir, logger);
    try {
      const network = options.network ? store.initNetwork(options.network) : store.network();
      const feed = new RouteFeed(store, { heartbeatIntervalMs, logger });
      const { proto } = loadTunctlProto();
      const server = new grpc.Server({
        // Find agents that vanished without closing their connection (cable cut, power loss).
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.http2.min_ping_interval_without_data_ms': 5_000,
      });
      server.addService(proto.tunctl.v1.AdminService.service, adminServiceHandlers({ store, feed, logger, now }));
      server.addService(
        proto.tunctl.v1.AgentService.service,
        agentServiceHandlers({ store, feed, logger, now, heartbeatIntervalMs }),
      );
      const health = new HealthImplementation({ '': 'SERVING', [ADMIN_SERVICE]: 'SERVING', [AGENT_SERVICE]: 'SERVING' });
      health.addToServer(server);
      new ReflectionService(loadTunctlDescriptorsForReflection()).addToServer(server);
      const port = await bind(server, options.listen);
      const usage = store.poolUsage();
      logger.info('controller serving', {
        listen: options.listen.replace(/:\d+$/, `:${port}`),
        network: formatCidr(network.network),
        subnet_len: network.subnetLen,
        udp_port: network.udpPort,
        nodes: usage.used,
        subnets_free: usage.total - usage.used,
        revision: store.latestRevision(),
      });
      const controller = new Controller(server, port, store, feed, health, logger);
      controller.startCompaction(options.changelogRetention ?? 10_000);
      return controller;
    } catch (err) {
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
      for (const service of ['', ADMIN_SERVICE, AGENT_SERVICE]) this.health.setStatus(service, 'NOT_SERVING');
      this.feed.close('the controller is shutting down; the agent will reconnect when it is back');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, graceMs);
        this.server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.store.close();
      this.logger.info('controller stopped');
    })();
    return this.stopping;
  }
}

function bind(server: grpc.Server, listen: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(new Error(`cannot listen on ${listen}: ${err.message}`));
      else resolve(port);
    });
  });
}
