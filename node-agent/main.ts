// Wiring only: the node identity (stored, or joined with a token), the real controller
// client over mTLS, certificate renewal, `ip`, container plumbing, and the koffi data path.
import { controllerChannelCredentials } from '../common/controller-tls.js';
import type { Logger } from '../common/logger.js';
import { runAgent, type AgentOptions } from './agent.js';
import { ControllerClient } from './controller-client.js';
import { Dataplane } from './dataplane/dataplane.js';
import { IpContainerLinks } from './containers/ip-container-links.js';
import { checkIpForwarding, checkTunAvailable } from './host/host-checks.js';
import { obtainCredentials } from './identity/join.js';
import { runCertificateRenewal } from './identity/renewal.js';
import { IpRouteInstaller } from './routes/ip-route-installer.js';

export interface AgentMainOptions extends Omit<AgentOptions, 'nodeName'> {
  readonly controller: string;
  /** --name: optional, the identity decides; if given it must match. */
  readonly nodeName?: string;
  readonly joinToken?: string;
}

export async function startAgent(options: AgentMainOptions, logger: Logger, signal: AbortSignal): Promise<void> {
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
        logger,
      },
      signal,
    );
  } finally {
    stopRenewal.abort();
    await renewal;
  }
}
