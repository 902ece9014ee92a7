// tunctl agent: run the node agent until SIGTERM/SIGINT.
import { ConsoleLogger } from '../../common/logger.js';
import { validateNodeName } from '../../common/names.js';
import { parseIpv4 } from '../../common/cidr.js';
import { controllerAddress } from '../admin-client.js';
import type { Command } from '../command.js';
import { intFlag, requiredString } from '../flags.js';

export const DEFAULT_STATE_DIR = '/var/lib/tunctl/agent';

export const agent: Command = {
  name: 'agent',
  summary: 'run the node agent (TUN device, UDP data path, routes)',
  positionals: [],
  help: [
    'usage: tunctl agent --name NAME [--controller HOST:PORT] [--underlay-ip IP] [--tun NAME] [--state-dir DIR]',
    '',
    'Joins the controller as node NAME (added before with `tunctl add-node`), creates the TUN',
    'device, forwards packets to other nodes over UDP and keeps a route on the device for',
    'every other node\'s subnet. SIGTERM/SIGINT remove the routes and the device.',
    '',
    '  --name NAME               the node this host is (required)',
    '  --controller HOST:PORT    controller address (default: $TUNCTL_CONTROLLER, else 127.0.0.1:7400)',
    '  --underlay-ip IP          local address to send and receive on (default: the node\'s, from add-node)',
    '  --tun NAME                TUN device name (default tun0)',
    `  --state-dir DIR           where subnet.env and stats.json are written (default ${DEFAULT_STATE_DIR})`,
    '  --route-check-interval MS how often installed routes are re-checked (default 10000)',
  ].join('\n'),
  options: {
    name: { type: 'string' },
    controller: { type: 'string' },
    'underlay-ip': { type: 'string' },
    tun: { type: 'string' },
    'state-dir': { type: 'string' },
    'route-check-interval': { type: 'string' },
  },
  async run(values) {
    const nodeName = validateNodeName(requiredString('name', values.name));
    const underlayIp = typeof values['underlay-ip'] === 'string' ? values['underlay-ip'] : '';
    if (underlayIp) parseIpv4(underlayIp, '--underlay-ip');
    const logger = new ConsoleLogger('agent');
    const stop = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      if (stop.signal.aborted) process.exit(1);
      logger.info('signal received, stopping', { signal: sig });
      stop.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Loaded only here: admin commands never pay for koffi and the data path.
    const { startAgent } = await import('../../node-agent/main.js');
    await startAgent(
      {
        nodeName,
        controller: controllerAddress(values.controller as string | undefined),
        underlayIp,
        tunName: (values.tun as string | undefined) ?? 'tun0',
        stateDir: (values['state-dir'] as string | undefined) ?? DEFAULT_STATE_DIR,
        routeCheckIntervalMs: intFlag('route-check-interval', values['route-check-interval'], 10_000, 100, 3_600_000),
        statsIntervalMs: 1000,
      },
      logger,
      stop.signal,
    );
    return 0;
  },
};
