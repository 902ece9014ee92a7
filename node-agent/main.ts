// Wiring only: the real controller client, `ip`, and the koffi data path.
import type { Logger } from '../common/logger.js';
import { runAgent, type AgentOptions } from './agent.js';
import { ControllerClient } from './controller-client.js';
import { Dataplane } from './dataplane/dataplane.js';
import { checkIpForwarding, checkTunAvailable } from './host/host-checks.js';
import { IpRouteInstaller } from './routes/ip-route-installer.js';

export function startAgent(options: AgentOptions & { controller: string }, logger: Logger, signal: AbortSignal): Promise<void> {
  return runAgent(
    options,
    {
      client: new ControllerClient(options.controller),
      host: new IpRouteInstaller(),
      openDataplane: (dataplaneOptions) => Dataplane.open(dataplaneOptions),
      checkTun: () => checkTunAvailable(),
      checkForwarding: () => checkIpForwarding(),
      logger,
    },
    signal,
  );
}
