// Wiring only: the node identity (stored, or joined with a token), the real controller
// client over mTLS, certificate renewal, `ip`, container plumbing, the koffi data path, and
// the metrics endpoint when asked for.
import { controllerChannelCredentials } from '../common/controller-tls.js';
import type { Logger } from '../common/logger.js';
import { runAgent, type AgentDeps, type AgentOptions } from './agent.js';
import { ControllerClient } from './controller-client.js';
import { Dataplane } from './dataplane/dataplane.js';
import { IpContainerLinks } from './containers/ip-container-links.js';
import { checkIpForwarding, checkTunAvailable } from './host/host-checks.js';
import { obtainCredentials } from './identity/join.js';
import { runCertificateRenewal } from './identity/renewal.js';
import { serveAgentMetrics } from './metrics/agent-metrics.js';
import { IpRouteInstaller } from './routes/ip-route-installer.js';

export interface AgentMainOptions extends Omit<AgentOptions, 'nodeName'> {
  readonly controller: string;
  /** --name: optional, the identity decides; if given it must match. */
  readonly nodeName?: string;
  readonly joinToken?: string;
  /** --metrics-listen: host:port of the metrics endpoint; undefined for none. */
  readonly metricsListen?: string;
}

export async function startAgent(options: AgentMainOptions, logger: Logger, signal: AbortSignal): Promise<void> {
  // Up first: /healthz answers, and /readyz says 503, while the agent joins and starts.
  const metrics = options.metricsListen === undefined ? undefined : await serveAgentMetrics(options.metricsListen, logger);
  try {
    await runNodeAgent(options, metrics?.publish, logger, signal);
  } finally {
    await metrics?.close();
  }
}

async function runNodeAgent(options: AgentMainOptions, publishStatus: AgentDeps['publishStatus'], logger: Logger, signal: AbortSignal): Promise<void> {
  const tun = await checkTunAvailable();
  if (!tun.available) throw new Error(tun.hint);
  const credentials = await obtainCredentials({
    stateDir: options.stateDir,
    controller: options.controller,
    joinToken: options.joinToken,
    nodeName: options.nodeName,
    logger,
    signal,
  });
  if (!credentials) return;
  const client = new ControllerClient(options.controller, controllerChannelCredentials(credentials.caPem, credentials));
  // Renewal stops with the agent's signal, or when runAgent returns for any other reason (it
  // closes the client then); a renewal still out at that moment is dropped, not switched to.
  const stopRenewal = new AbortController();
  const renewal = runCertificateRenewal(credentials, {
    client,
    stateDir: options.stateDir,
    logger,
    signal: AbortSignal.any([signal, stopRenewal.signal]),
  });
  try {
    await runAgent(
      { ...options, nodeName: credentials.nodeName },
      {
        client,
        host: new IpRouteInstaller(),
        openDataplane: (dataplaneOptions) => Dataplane.open(dataplaneOptions),
        checkTun: () => Promise.resolve(tun),
        checkForwarding: () => checkIpForwarding(),
        containerLinks: new IpContainerLinks(),
        publishStatus,
        logger,
      },
      signal,
    );
  } finally {
    stopRenewal.abort();
    await renewal;
  }
}
