// The agent: registers with the controller, opens the TUN device and the data path,
// keeps routes and the forwarding table in step with the controller's route stream, and
// cleans up after itself. Dependencies are passed in by main.ts.
//
// Static stability: the registration and the last applied route table live in the state
// dir (state/). An agent that starts while the controller is unreachable comes up from them
// and keeps trying the controller in the background; one that reaches the controller still
// installs the stored routes at once and resumes the stream from the stored revision.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Backoff, sleep } from '../common/backoff.js';
import { formatCidr, formatIpv4, parseIpv4 } from '../common/cidr.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { VERSION } from '../common/version.js';
import { ControllerTrustError } from '../common/controller-tls.js';
import { ControllerCallError, isUnknownNode, type AgentController, type Registration } from './controller-client.js';
import type { Dataplane, DataplaneOptions } from './dataplane/dataplane.js';
import type { ForwardingCheck, TunCheck } from './host/host-checks.js';
import type { ContainerLinks } from './containers/container-links.js';
import { ContainerService } from './containers/container-service.js';
import { UsageReporter } from './containers/usage-reporter.js';
import { serveLocalApi, type LocalApi } from './local-api.js';
import { AgentRouteTable } from './route-table.js';
import { RouteReconciler, runRouteReconcileLoop } from './routes/route-reconciler.js';
import type { LinkConfigurator, RouteInstaller } from './routes/route-installer.js';
import type { AgentState, StoredTable } from './state/agent-state.js';
import { AgentStateWriter, discardAgentState, loadAgentState } from './state/state-store.js';
import { runWatchLoop, type ConnectionChange } from './watch-loop.js';
import type { AgentStatus, ControllerConnectionView, DropReason, PeerStatusView, TrafficStatus } from './status/agent-status.js';
import type { DataplanePath, DataplaneStats } from './dataplane/dataplane.js';
import type { RouteEntry } from './route-table.js';

export interface AgentOptions {
  readonly nodeName: string;
  /** Underlay address to use; empty means "the one the node was added with". */
  readonly underlayIp: string;
  readonly tunName: string;
  readonly stateDir: string;
  readonly routeCheckIntervalMs: number;
  readonly statsIntervalMs: number;
  /** Data path worker threads (default: the core count). */
  readonly workers?: number;
  /** false forces the per-packet data path (default: superpackets where the kernel offers them). */
  readonly offload?: boolean;
  /** Where the local API (attach, detach, containers) listens; '' serves none. */
  readonly socketPath?: string;
}

/** The part of the data path the agent drives; Dataplane is the real one. */
export type AgentDataplane = Pick<Dataplane, 'tunName' | 'setPeers' | 'stats' | 'peerTraffic' | 'close'> & Partial<Pick<Dataplane, 'path'>>;

export interface AgentDeps {
  readonly client: AgentController;
  readonly host: RouteInstaller & LinkConfigurator;
  readonly openDataplane: (options: DataplaneOptions) => Promise<AgentDataplane>;
  readonly checkTun: () => Promise<TunCheck>;
  readonly checkForwarding: () => Promise<ForwardingCheck>;
  /** The host plumbing for attaching containers. */
  readonly containerLinks: ContainerLinks;
  readonly logger: Logger;
  /**
   * Handed the agent's status reader once the data path is up, and undefined when it stops
   * (the metrics endpoint reads it; the local API has its own).
   */
  readonly publishStatus?: (status: (() => AgentStatus) | undefined) => void;
}

/** How long the first registration may take when a stored state could run the node meanwhile. */
export const QUICK_REGISTER_TIMEOUT_MS = 1_500;

/** How the agent starts: the registration the data path runs with, and the routes it installs at once. */
interface AgentStart {
  readonly registration: Registration;
  /** The underlay interface's MTU, sent with every registration. */
  readonly underlayMtu: number;
  /** The stored table, installed before the controller sends anything; null: none usable. */
  readonly table: StoredTable | null;
  /** True: the controller did not answer; the agent runs from its stored state until it does. */
  readonly fromStore: boolean;
}

/** Runs until `signal` aborts (clean shutdown) or something fatal happens (rejects). */
export async function runAgent(options: AgentOptions, deps: AgentDeps, signal: AbortSignal): Promise<void> {
  const startedAt = Date.now();
  try {
    const tun = await deps.checkTun();
    if (!tun.available) throw new Error(tun.hint);
    const stored = storedStateFor(options, deps.logger);
    const start = stored ? await registerOrRunFromStore(options, deps, stored, signal) : await registerUntilAccepted(options, deps, signal);
    if (!start) return;
    const forwarding = await deps.checkForwarding();
    if (!forwarding.enabled) deps.logger.error(forwarding.hint);
    // An abort during the awaits above fired before anyone listened for it.
    if (signal.aborted) return;
    await runRegistered(options, deps, start, signal, startedAt);
  } finally {
    deps.client.close();
  }
}

/** The stored state, if there is one this agent may start from. */
function storedStateFor(options: AgentOptions, logger: Logger): AgentState | undefined {
  const stored = loadAgentState(options.stateDir, logger);
  if (!stored) return undefined;
  if (stored.registration.nodeName !== options.nodeName) {
    logger.warn('the stored agent state is for another node; ignoring it', { stored_node: stored.registration.nodeName, node: options.nodeName });
    return undefined;
  }
  if (options.underlayIp && options.underlayIp !== formatIpv4(stored.registration.underlayIp)) {
    logger.warn('the stored agent state is for another underlay address; ignoring it', { stored_underlay_ip: formatIpv4(stored.registration.underlayIp), underlay_ip: options.underlayIp });
    return undefined;
  }
  return stored;
}

/**
 * With a stored state: one quick registration. If the controller answers, the stored table
 * is installed at once and the stream resumes from its revision (a stored registration that
 * no longer matches is dropped: a fresh start). If it does not answer (a transient failure),
 * the agent starts from the stored state and keeps trying in the background.
 */
async function registerOrRunFromStore(options: AgentOptions, deps: AgentDeps, stored: AgentState, signal: AbortSignal): Promise<AgentStart | undefined> {
  const { client, host, logger } = deps;
  const underlayMtu = await underlayMtuFor(host, formatIpv4(stored.registration.underlayIp));
  let registration: Registration;
  try {
    // The address as the operator gave it ('' = the node's), as a fresh start would send it.
    registration = await client.register(options.nodeName, options.underlayIp, underlayMtu, VERSION, { signal, timeoutMs: QUICK_REGISTER_TIMEOUT_MS });
  } catch (err) {
    if (signal.aborted) return undefined;
    if (!isTransient(err)) {
      if (isUnknownNode(err)) discardAgentState(options.stateDir, logger);
      throw err;
    }
    logger.warn('the controller is not reachable: running from the stored state until it is', {
      controller: client.target,
      error: errorMessage(err),
      subnet: formatCidr(stored.registration.subnet),
      revision: stored.table?.revision ?? 0,
      routes: stored.table?.routes.length ?? 0,
      state_age_s: Math.max(0, Math.round((Date.now() - stored.savedAt) / 1000)),
      saved_at: new Date(stored.savedAt).toISOString(),
    });
    return { registration: stored.registration, underlayMtu, table: stored.table, fromStore: true };
  }
  const stale = mismatch(stored.registration, registration);
  if (stale) {
    logger.warn('the stored agent state no longer matches the controller; starting from the controller\'s answer', { difference: stale });
    const fresh = await registerUntilAccepted(options, deps, signal);
    // The routes are the cluster's, not this node's: still good within the same cluster.
    return fresh && { ...fresh, table: tableOfCluster(stored.table, fresh.registration.clusterId, logger) };
  }
  logRegistered(logger, client, registration);
  return { registration, underlayMtu, table: tableOfCluster(stored.table, registration.clusterId, logger), fromStore: false };
}

/** The stored table, unless it belongs to another cluster than the controller's (its revisions mean nothing there). */
function tableOfCluster(table: StoredTable | null, clusterId: string, logger: Logger): StoredTable | null {
  if (!table || !clusterId || !table.clusterId || table.clusterId === clusterId) return table;
  logger.warn('the stored route table is from another cluster; waiting for the controller\'s', { stored_cluster: table.clusterId, cluster: clusterId });
  return null;
}

/** What differs between the registration the data path runs with and the controller's answer, or '' if nothing that matters. */
function mismatch(running: Registration, answer: Registration): string {
  const differences: string[] = [];
  const compare = (what: string, ours: string | number, theirs: string | number) => {
    if (ours !== theirs) differences.push(`${what} ${theirs} instead of ${ours}`);
  };
  compare('subnet', formatCidr(running.subnet), formatCidr(answer.subnet));
  compare('network', formatCidr(running.network), formatCidr(answer.network));
  compare('udp port', running.udpPort, answer.udpPort);
  compare('underlay address', formatIpv4(running.underlayIp), formatIpv4(answer.underlayIp));
  compare('tun mtu', running.tunMtu, answer.tunMtu);
  return differences.join(', ');
}

/** Failures that may pass (controller down, network, timeout), as opposed to refusals an operator must fix. */
function isTransient(err: unknown): boolean {
  if (err instanceof ControllerCallError) return !err.isPermanent;
  if (err instanceof ControllerTrustError) return err.transient;
  return false;
}

async function runRegistered(options: AgentOptions, deps: AgentDeps, start: AgentStart, signal: AbortSignal, startedAt: number): Promise<void> {
  const { client, host, logger } = deps;
  // The registration the data path runs with: fixed for the life of the process.
  const registration = start.registration;
  // Internal stop: clean shutdown, or a fatal error that must end the agent.
  const stop = new AbortController();
  let fatal: Error | undefined;
  const fail = (err: Error) => {
    fatal ??= err;
    logger.error('agent stopping on error', { error: err.message });
    stop.abort();
  };
  const onOuterAbort = () => stop.abort();
  signal.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const dataplane = await deps.openDataplane({
      tunName: options.tunName,
      localUnderlayIp: registration.underlayIp,
      udpPort: registration.udpPort,
      localSubnet: registration.subnet,
      mtu: registration.tunMtu,
      logger,
      onFailure: fail,
      ...(options.workers !== undefined && { workers: options.workers }),
      ...(options.offload !== undefined && { offload: options.offload }),
    });
    await runDataplane(dataplane);
  } finally {
    signal.removeEventListener('abort', onOuterAbort);
  }
  if (fatal) throw fatal;

  async function runDataplane(dataplane: AgentDataplane): Promise<void> {
    const reconciler = new RouteReconciler({ installer: host, dev: dataplane.tunName, logger });
    const table = new AgentRouteTable();
    let heartbeatIntervalMs = registration.heartbeatIntervalMs;
    let clusterId = registration.clusterId;
    let fromStore = start.fromStore;
    // What the state file records as our registration: the controller's latest answer.
    let storedRegistration = registration;
    const writer = new AgentStateWriter(options.stateDir, { logger });
    const currentState = (): AgentState => {
      const { revision, clusterId: tableCluster, synced, routes } = table.state();
      return { registration: storedRegistration, table: synced ? { revision, clusterId: tableCluster, routes } : null, savedAt: Date.now() };
    };
    const statsFile = join(options.stateDir, 'stats.json');
    let statsTimer: NodeJS.Timeout | undefined;
    let localApi: LocalApi | undefined;
    try {
      await host.configureTun(dataplane.tunName, { mtu: registration.tunMtu, address: registration.subnet.base });
      await writeSubnetEnv(options.stateDir, registration, dataplane.tunName);
      logger.info('data path up', {
        tun: dataplane.tunName,
        address: `${formatIpv4(registration.subnet.base)}/32`,
        mtu: registration.tunMtu,
        udp: `${formatIpv4(registration.underlayIp)}:${registration.udpPort}`,
      });

      // How full the subnet is, for `tunctl list-nodes`; a subnet too small for containers
      // (a /31 or /32) has nothing to report.
      const usage = new UsageReporter(async (leased, capacity) => {
        try {
          await client.reportAddressUsage(leased, capacity, { signal: stop.signal });
        } catch (err) {
          // A report cut short by shutdown is no failure worth a warning.
          if (!stop.signal.aborted) throw err;
        }
      }, logger);
      const reportUsage = (leased: number, capacity: number) => {
        if (capacity > 0) usage.update(leased, capacity);
      };
      // Containers stay attached while the agent is down; their leases are read back here.
      // Leases it cannot read stop attach and detach (each call says why), not the data path.
      let containers: ContainerService | Error;
      try {
        containers = new ContainerService({
          leaseFile: join(options.stateDir, 'containers.json'),
          subnet: registration.subnet,
          mtu: registration.tunMtu,
          links: deps.containerLinks,
          logger,
          onLeasesChanged: reportUsage,
        });
        await containers.reclaim();
        const { leased, capacity } = containers.usage();
        reportUsage(leased, capacity);
      } catch (err) {
        containers = err instanceof Error ? err : new Error(String(err));
        logger.error('containers cannot be attached or detached until the lease file is fixed; forwarding goes on', { error: containers.message });
      }
      // The controller connection as `tunctl status` shows it: connecting until a stream delivers.
      const connection: ControllerConnectionView = { target: client.target, state: 'connecting', since: Date.now(), lastError: '', reconnects: 0 };
      const onConnection = (change: ConnectionChange) => {
        if (change.connected) {
          if (connection.state === 'connected') return;
          connection.state = 'connected';
          connection.since = Date.now();
          return;
        }
        if (connection.state === 'connected') {
          connection.reconnects++;
          connection.since = Date.now();
        }
        connection.state = 'connecting';
        connection.lastError = change.reason;
      };
      const status = (): AgentStatus => {
        const leases = containers instanceof Error ? { leased: 0, capacity: 0 } : containers.usage();
        return {
          nodeName: options.nodeName,
          agentVersion: VERSION,
          startedAt,
          subnet: formatCidr(registration.subnet),
          network: formatCidr(registration.network),
          underlayIp: formatIpv4(registration.underlayIp),
          udpPort: registration.udpPort,
          underlayMtu: start.underlayMtu,
          tunName: dataplane.tunName,
          tunMtu: registration.tunMtu,
          controller: { ...connection },
          revision: table.revision,
          clusterId: table.clusterId || clusterId,
          dataPath: dataplane.path ?? UNKNOWN_PATH,
          routes: { desired: reconciler.desired().length, ...reconciler.stats() },
          ...peerStatus(table.peers(options.nodeName), dataplane),
          containersLeased: leases.leased,
          containersCapacity: leases.capacity,
        };
      };
      deps.publishStatus?.(status);
      if (options.socketPath) {
        localApi = await serveLocalApi(options.socketPath, containers, status, logger);
        logger.info('local API listening', { socket: localApi.path, ...(!(containers instanceof Error) && { containers: containers.usage().leased }) });
      }

      const routesLoop = runRouteReconcileLoop(reconciler, { intervalMs: options.routeCheckIntervalMs, signal: stop.signal, logger });
      const onTableChanged = () => {
        const peers = table.peers(options.nodeName);
        dataplane.setPeers(peers);
        reconciler.setDesired(peers.map((p) => p.subnet));
        writer.schedule(currentState);
      };
      if (start.table) {
        // Traffic resumes now, not when the controller gets round to us.
        table.applySnapshot(start.table.revision, start.table.routes, start.table.clusterId);
        try {
          onTableChanged();
          logger.info('stored route table installed', { revision: table.revision, routes: table.size });
        } catch (err) {
          table.reset();
          logger.warn('the stored route table was refused; waiting for the controller\'s', { error: errorMessage(err) });
        }
      }
      if (!fromStore) writer.schedule(currentState);
      /** The controller's answer to a re-registration: still ours, or the agent must restart with it. */
      const registrationAccepted = (again: Registration) => {
        const stale = mismatch(registration, again);
        if (stale) {
          // Forwarding on with a subnet or port that is no longer ours would be silently wrong. The
          // controller's answer goes into the state file, so the restart starts from it.
          storedRegistration = again;
          const sameCluster = !again.clusterId || !table.clusterId || again.clusterId === table.clusterId;
          writer.schedule(() => ({ ...currentState(), table: sameCluster ? currentState().table : null }));
          writer.flush();
          fail(new Error(`the controller's registration differs from the one this agent runs with (${stale}); exiting so that a restart uses the controller's`));
          return;
        }
        if (fromStore) {
          logger.info('the controller answers again: leaving the stored state, resuming the route stream', { controller: client.target, revision: table.revision });
          fromStore = false;
        }
        heartbeatIntervalMs = again.heartbeatIntervalMs;
        clusterId = again.clusterId;
        storedRegistration = again;
        writer.schedule(currentState);
        // A report that failed while the controller was away goes now.
        usage.resend();
      };
      /** Removed, or re-added with another address: retrying cannot help, and our routes are stale. */
      const registrationRefused = (err: ControllerCallError) => {
        if (isUnknownNode(err)) discardAgentState(options.stateDir, logger);
        fail(new Error(`the controller refused this agent: ${err.message}`));
      };
      const watchLoop = runWatchLoop({
        source: client,
        nodeName: options.nodeName,
        table,
        heartbeatIntervalMs: () => heartbeatIntervalMs,
        clusterId: () => clusterId,
        onTableChanged,
        // Started from the stored state: register (and check it still holds) before watching.
        beforeFirstStream: fromStore,
        onSilentStream: () => client.resetConnection(),
        // Registration sends the address as the operator gave it ('' = the node's): a node re-added with
        // another address then shows up as a difference, with the state file updated for the restart.
        beforeReconnect: async () => {
          let again: Registration;
          try {
            again = await client.register(options.nodeName, options.underlayIp, start.underlayMtu, VERSION, { signal: stop.signal });
          } catch (err) {
            if (err instanceof ControllerCallError && err.isPermanent) return registrationRefused(err);
            throw err;
          }
          registrationAccepted(again);
        },
        // Each reconnect registers on the stream itself: one call instead of two.
        registerOnStream: {
          request: () => ({ underlayIp: options.underlayIp, underlayMtu: start.underlayMtu, agentVersion: VERSION }),
          accepted: registrationAccepted,
          refused: registrationRefused,
        },
        onConnection,
        logger,
        signal: stop.signal,
      });
      let lastDrops = '';
      let writing = false;
      statsTimer = setInterval(() => {
        const stats = dataplane.stats();
        // One write at a time: two would race on the same temporary file.
        if (!writing) {
          writing = true;
          writeJsonAtomic(statsFile, { node: options.nodeName, revision: table.revision, routes: table.size, path: dataplane.path, updatedAt: new Date().toISOString(), ...stats })
            .catch((err: unknown) => logger.warn('cannot write stats file', { file: statsFile, error: errorMessage(err) }))
            .finally(() => {
              writing = false;
            });
        }
        const drops = JSON.stringify([stats.rxDrops, stats.txDrops]);
        if (drops !== lastDrops) {
          logger.info('packets dropped (totals by reason)', { ...flattenDrops({ ...stats.rxDrops, ...stats.txDrops }), udp_rx: stats.udpRxPackets, tun_rx: stats.tunRxPackets });
          lastDrops = drops;
        }
      }, options.statsIntervalMs);

      await Promise.all([routesLoop, watchLoop]);
    } finally {
      clearInterval(statsTimer);
      deps.publishStatus?.(undefined);
      stop.abort();
      await localApi?.close();
      // The last table applied, for the next start.
      writer.flush();
      try {
        await reconciler.removeAll();
      } catch (err) {
        logger.warn('could not remove routes on shutdown (they go away with the device)', { error: errorMessage(err) });
      }
      await dataplane.close();
      logger.info('agent stopped; routes and device removed', { tun: dataplane.tunName });
    }
  }
}

/**
 * Registers with the controller, retrying with backoff while it is unreachable.
 * Permanent refusals (unknown node, wrong address) end the agent with the server's message.
 */
async function registerUntilAccepted(options: AgentOptions, deps: AgentDeps, signal: AbortSignal): Promise<AgentStart | undefined> {
  const { client, host, logger } = deps;
  const backoff = new Backoff({ initialMs: 500, maxMs: 15_000 });
  let underlayIp = options.underlayIp;
  let underlayMtu = 0;
  if (underlayIp) underlayMtu = await underlayMtuFor(host, underlayIp);
  while (!signal.aborted) {
    try {
      const registration = await client.register(options.nodeName, underlayIp, underlayMtu, VERSION, { signal });
      if (!underlayIp) {
        // The admin gave the address at add-node; make sure this host really has it.
        underlayIp = formatIpv4(registration.underlayIp);
        underlayMtu = await underlayMtuFor(host, underlayIp);
        continue;
      }
      logRegistered(logger, client, registration);
      return { registration, underlayMtu, table: null, fromStore: false };
    } catch (err) {
      if (signal.aborted) break;
      if (!(err instanceof ControllerCallError) || err.isPermanent) throw err;
      const delay = backoff.next();
      logger.warn('controller not reachable; retrying', { controller: client.target, error: err.message, retry_in_ms: delay });
      await sleep(delay, signal);
    }
  }
  return undefined;
}

function logRegistered(logger: Logger, client: AgentController, registration: Registration): void {
  logger.info('registered', {
    node: registration.nodeName,
    subnet: formatCidr(registration.subnet),
    network: formatCidr(registration.network),
    underlay_ip: formatIpv4(registration.underlayIp),
    tun_mtu: registration.tunMtu,
    controller: client.target,
  });
}

async function underlayMtuFor(host: LinkConfigurator, underlayIp: string): Promise<number> {
  const link = await host.findUnderlay(parseIpv4(underlayIp, '--underlay-ip'));
  if (!link) {
    throw new Error(`underlay address ${underlayIp} is not configured on any interface of this host (see \`ip -4 addr\`); pass --underlay-ip with one that is`);
  }
  return link.mtu;
}

/** flannel's subnet.env, for CNI-style tooling that wants the node's network facts. */
async function writeSubnetEnv(stateDir: string, registration: Registration, tunName: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const lines = [
    `TUNCTL_NETWORK=${formatCidr(registration.network)}`,
    `TUNCTL_SUBNET=${formatIpv4(registration.subnet.base + 1)}/${registration.subnet.prefixLen}`,
    `TUNCTL_MTU=${registration.tunMtu}`,
    `TUNCTL_TUN=${tunName}`,
    `TUNCTL_NODE=${registration.nodeName}`,
  ];
  await writeTextAtomic(join(stateDir, 'subnet.env'), lines.join('\n') + '\n');
}

async function writeTextAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, file);
}

function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeTextAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function flattenDrops(drops: { [reason: string]: number }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, count] of Object.entries(drops)) if (count > 0) out[`drop_${reason}`] = count;
  return out;
}

/** What a data path that names none reports (a test double's). */
const UNKNOWN_PATH: DataplanePath = { mode: 'per-packet', workers: 0, tso: false, uso: false, gso: false, gro: false, reason: 'no data path details (a test double)' };

/** Each drop reason of the API (TrafficStatus) and the device-wide counter behind it. */
const TOTAL_DROPS: ReadonlyArray<readonly [DropReason, (s: DataplaneStats) => number]> = [
  ['unknown_peer', (s) => s.rxDrops.unknownPeer],
  ['too_short', (s) => s.rxDrops.tooShort],
  ['not_ipv4', (s) => s.rxDrops.notIpv4],
  ['bad_header_length', (s) => s.rxDrops.badHeaderLength],
  ['truncated', (s) => s.rxDrops.truncated],
  ['bad_checksum', (s) => s.rxDrops.badChecksum],
  ['spoofed_source', (s) => s.rxDrops.spoofedSource],
  ['wrong_destination', (s) => s.rxDrops.wrongDestination],
  ['no_route', (s) => s.txDrops.noRoute],
  ['tx_invalid', (s) => s.txDrops.txInvalid],
  ['send_error', (s) => s.sendErrors],
  ['recv_error', (s) => s.recvErrors],
  ['tun_read_error', (s) => s.tunReadErrors],
  ['tun_write_error', (s) => s.tunWriteErrors],
];

/** Device-wide traffic, with every drop reason that has counted something. */
function totalTraffic(stats: DataplaneStats): TrafficStatus {
  const drops: TrafficStatus['drops'] = {};
  for (const [reason, count] of TOTAL_DROPS) if (count(stats) > 0) drops[reason] = count(stats);
  return { txPackets: stats.udpTxPackets, txBytes: stats.udpTxBytes, rxPackets: stats.udpRxPackets, rxBytes: stats.udpRxBytes, drops };
}

/** The totals, and one entry per peer in the table with the data path's counts for it. */
function peerStatus(peers: readonly RouteEntry[], dataplane: AgentDataplane): { totals: TrafficStatus; peers: PeerStatusView[] } {
  const traffic = new Map(dataplane.peerTraffic().map((t) => [t.nodeName, t]));
  const none: TrafficStatus = { txPackets: 0, txBytes: 0, rxPackets: 0, rxBytes: 0, drops: {} };
  const views = peers
    .map((p): PeerStatusView => {
      const t = traffic.get(p.nodeName);
      return {
        nodeName: p.nodeName,
        underlayIp: formatIpv4(p.underlayIp),
        subnet: formatCidr(p.subnet),
        traffic: t?.traffic ?? none,
        lastRxAt: t?.lastRxAt ?? 0,
        lastTxAt: t?.lastTxAt ?? 0,
      };
    })
    .sort((a, b) => (a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0));
  return { totals: totalTraffic(dataplane.stats()), peers: views };
}
