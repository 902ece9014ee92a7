// The agent: registers with the controller, opens the TUN device and the data path,
// keeps routes and the forwarding table in step with the controller's route stream, and
// cleans up after itself. Dependencies are passed in by main.ts.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Backoff, sleep } from '../common/backoff.js';
import { formatCidr, formatIpv4, parseIpv4 } from '../common/cidr.js';
import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { VERSION } from '../common/version.js';
import { ControllerCallError, type AgentController, type Registration } from './controller-client.js';
import type { Dataplane, DataplaneOptions } from './dataplane/dataplane.js';
import type { ForwardingCheck, TunCheck } from './host/host-checks.js';
import { AgentRouteTable } from './route-table.js';
import { RouteReconciler, runRouteReconcileLoop } from './routes/route-reconciler.js';
import type { LinkConfigurator, RouteInstaller } from './routes/route-installer.js';
import { runWatchLoop } from './watch-loop.js';

export interface AgentOptions {
  readonly nodeName: string;
  /** Underlay address to use; empty means "the one the node was added with". */
  readonly underlayIp: string;
  readonly tunName: string;
  readonly stateDir: string;
  readonly routeCheckIntervalMs: number;
  readonly statsIntervalMs: number;
}

/** The part of the data path the agent drives; Dataplane is the real one. */
export type AgentDataplane = Pick<Dataplane, 'tunName' | 'setPeers' | 'stats' | 'close'>;

export interface AgentDeps {
  readonly client: AgentController;
  readonly host: RouteInstaller & LinkConfigurator;
  readonly openDataplane: (options: DataplaneOptions) => Promise<AgentDataplane>;
  readonly checkTun: () => Promise<TunCheck>;
  readonly checkForwarding: () => Promise<ForwardingCheck>;
  readonly logger: Logger;
}

/** Runs until `signal` aborts (clean shutdown) or something fatal happens (rejects). */
export async function runAgent(options: AgentOptions, deps: AgentDeps, signal: AbortSignal): Promise<void> {
  try {
    const tun = await deps.checkTun();
    if (!tun.available) throw new Error(tun.hint);
    const registration = await registerUntilAccepted(options, deps, signal);
    if (!registration) return;
    const forwarding = await deps.checkForwarding();
    if (!forwarding.enabled) deps.logger.error(forwarding.hint);
    // An abort during the awaits above fired before anyone listened for it.
    if (signal.aborted) return;
    await runRegistered(options, deps, registration, signal);
  } finally {
    deps.client.close();
  }
}

async function runRegistered(options: AgentOptions, deps: AgentDeps, registration: Registration, signal: AbortSignal): Promise<void> {
  const { client, host, logger } = deps;
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
    const statsFile = join(options.stateDir, 'stats.json');
    let statsTimer: NodeJS.Timeout | undefined;
    try {
      await host.configureTun(dataplane.tunName, { mtu: registration.tunMtu, address: registration.subnet.base });
      await writeSubnetEnv(options.stateDir, registration, dataplane.tunName);
      logger.info('data path up', {
        tun: dataplane.tunName,
        address: `${formatIpv4(registration.subnet.base)}/32`,
        mtu: registration.tunMtu,
        udp: `${formatIpv4(registration.underlayIp)}:${registration.udpPort}`,
      });

      const routesLoop = runRouteReconcileLoop(reconciler, { intervalMs: options.routeCheckIntervalMs, signal: stop.signal, logger });
      const onTableChanged = () => {
        const peers = table.peers(options.nodeName);
        dataplane.setPeers(peers);
        reconciler.setDesired(peers.map((p) => p.subnet));
      };
      const watchLoop = runWatchLoop({
        source: client,
        nodeName: options.nodeName,
        table,
        heartbeatIntervalMs: () => heartbeatIntervalMs,
        onTableChanged,
        beforeReconnect: async () => {
          const underlayMtu = registration.tunMtu + registration.encapOverhead;
          let again: Registration;
          try {
            again = await client.register(options.nodeName, formatIpv4(registration.underlayIp), underlayMtu, VERSION, { signal: stop.signal });
          } catch (err) {
            // Removed, or re-added with another address: retrying cannot help, and our routes are stale.
            if (err instanceof ControllerCallError && err.isPermanent) {
              fail(new Error(`the controller refused this agent: ${err.message}`));
              return;
            }
            throw err;
          }
          if (again.subnet.base !== registration.subnet.base || again.subnet.prefixLen !== registration.subnet.prefixLen) {
            fail(new Error(`the controller now assigns subnet ${formatCidr(again.subnet)} to this node instead of ${formatCidr(registration.subnet)}; restart the agent to move to it`));
            return;
          }
          heartbeatIntervalMs = again.heartbeatIntervalMs;
        },
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
          writeJsonAtomic(statsFile, { node: options.nodeName, revision: table.revision, routes: table.size, updatedAt: new Date().toISOString(), ...stats })
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
      stop.abort();
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
async function registerUntilAccepted(options: AgentOptions, deps: AgentDeps, signal: AbortSignal): Promise<Registration | undefined> {
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
      logger.info('registered', {
        node: registration.nodeName,
        subnet: formatCidr(registration.subnet),
        network: formatCidr(registration.network),
        underlay_ip: underlayIp,
        tun_mtu: registration.tunMtu,
        controller: client.target,
      });
      return registration;
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
