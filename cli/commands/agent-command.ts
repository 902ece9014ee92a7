// tunctl agent: run the node agent until SIGTERM/SIGINT.
import { validateNodeName } from '../../common/names.js';
import { parseIpv4 } from '../../common/cidr.js';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MAX_WORKERS } from '../../node-agent/dataplane/limits.js';
import { DEFAULT_PORT } from '../admin-client.js';
import { DEFAULT_AGENT_SOCKET } from '../agent-client.js';
import { SERVICE_OPTIONS, metricsListenFlag, serviceHelp, serviceLogger, withSettingsFile } from '../service-settings.js';
import type { Command } from '../command.js';
import { intFlag } from '../flags.js';
import { UsageError } from '../output.js';

export const DEFAULT_STATE_DIR = '/var/lib/tunctl/agent';
/** Read at start when it exists; --config names another. */
export const DEFAULT_AGENT_CONFIG = '/etc/tunctl/agent.conf';

export const agent: Command = {
  name: 'agent',
  summary: 'run the node agent (TUN device, UDP data path, routes)',
  positionals: [],
  help: [
    'usage: tunctl agent [--join-token TOKEN | --join-token-file FILE] [--controller HOST:PORT] [--name NAME]',
    '                    [--underlay-ip IP] [--tun NAME] [--state-dir DIR] [--socket PATH] [--workers N] [--offload auto|off]',
    '                    [--config FILE] [--log-level LEVEL] [--log-format text|json] [--metrics-listen HOST:PORT]',
    '',
    'Joins the controller with the node\'s one-time join token (printed by `tunctl add-node` or',
    '`tunctl create-join-token NODE`), keeping the certificate it gets in the state directory for',
    'every later start. Creates the TUN device, forwards packets to other nodes over UDP and keeps',
    'a route on the device for every other node\'s subnet. SIGTERM/SIGINT remove the routes and',
    'the device.',
    '',
    '  --join-token TOKEN        join token (default: $TUNCTL_JOIN_TOKEN); needed only to join',
    '  --join-token-file FILE    read the join token from FILE (keeps it out of `ps`)',
    '  --controller HOST:PORT    controller address (default: $TUNCTL_CONTROLLER, else 127.0.0.1:7400)',
    '  --name NAME               check that the identity is this node (default: the token decides)',
    '  --underlay-ip IP          local address to send and receive on (default: the node\'s, from add-node)',
    '  --tun NAME                TUN device name (default tun0)',
    `  --state-dir DIR           identity (credentials.json), subnet.env, stats.json, container leases`,
    `                            (containers.json) (default ${DEFAULT_STATE_DIR})`,
    `  --socket PATH             local API for tunctl attach/detach/containers, root only (default`,
    `                            ${DEFAULT_AGENT_SOCKET}; "none" serves none)`,
    '  --route-check-interval MS how often installed routes are re-checked (default 10000)',
    '  --workers N               data path worker threads, each with its own TUN queue and UDP socket',
    `                            (default: the number of cores, here ${Math.min(availableParallelism(), MAX_WORKERS)})`,
    '  --offload auto|off        auto: 64 KB superpackets (TUN offloads, UDP GSO/GRO) where the kernel',
    '                            offers them, else packet by packet; off: always packet by packet',
    serviceHelp(DEFAULT_AGENT_CONFIG),
  ].join('\n'),
  options: {
    name: { type: 'string' },
    controller: { type: 'string' },
    'join-token': { type: 'string' },
    'join-token-file': { type: 'string' },
    'underlay-ip': { type: 'string' },
    tun: { type: 'string' },
    'state-dir': { type: 'string' },
    socket: { type: 'string' },
    'route-check-interval': { type: 'string' },
    workers: { type: 'string' },
    offload: { type: 'string' },
    ...SERVICE_OPTIONS,
  },
  async run(flags) {
    const values = withSettingsFile('agent', flags, agent.options, DEFAULT_AGENT_CONFIG);
    const nodeName = typeof values.name === 'string' ? validateNodeName(values.name) : undefined;
    const joinToken = joinTokenFrom(values['join-token'] as string | undefined, values['join-token-file'] as string | undefined);
    const controller = (values.controller as string | undefined) || process.env.TUNCTL_CONTROLLER || `127.0.0.1:${DEFAULT_PORT}`;
    if (!/^[^/\s]+:\d+$/.test(controller)) {
      const source = values.controller ? '--controller' : 'TUNCTL_CONTROLLER';
      throw new UsageError(`the agent needs the controller's network address as HOST:PORT (agents always use TLS, never the admin socket); ${source} is "${controller}"`);
    }
    const underlayIp = typeof values['underlay-ip'] === 'string' ? values['underlay-ip'] : '';
    if (underlayIp) parseIpv4(underlayIp, '--underlay-ip');
    const offload = (values.offload as string | undefined) ?? 'auto';
    if (offload !== 'auto' && offload !== 'off') throw new UsageError(`--offload must be "auto" or "off", not "${offload}"`);
    const socket = (values.socket as string | undefined) || DEFAULT_AGENT_SOCKET;
    const workers = values.workers === undefined ? undefined : intFlag('workers', values.workers, 1, 1, MAX_WORKERS);
    const metricsListen = metricsListenFlag(values);
    const logger = serviceLogger('agent', values);
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
        joinToken,
        controller,
        underlayIp,
        tunName: (values.tun as string | undefined) ?? 'tun0',
        stateDir: (values['state-dir'] as string | undefined) ?? DEFAULT_STATE_DIR,
        routeCheckIntervalMs: intFlag('route-check-interval', values['route-check-interval'], 10_000, 100, 3_600_000),
        statsIntervalMs: 1000,
        workers,
        offload: offload === 'auto',
        socketPath: socket === 'none' ? '' : socket,
        metricsListen,
      },
      logger,
      stop.signal,
    );
    return 0;
  },
};

function joinTokenFrom(flag: string | undefined, file: string | undefined): string | undefined {
  if (flag && file) throw new UsageError('give --join-token or --join-token-file, not both');
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read the join token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return flag || process.env.TUNCTL_JOIN_TOKEN || undefined;
}
