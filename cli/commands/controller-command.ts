// tunctl controller: run the controller until SIGTERM/SIGINT.
import { parseCidr } from '../../common/cidr.js';
import { MIN_NODE_LEASE_TTL_MS } from '../../controller/node-lease.js';
import { DEFAULT_UDP_PORT } from '../../controller/network-config.js';
import type { NetworkConfigInput } from '../../controller/store/store.js';
import { SERVICE_OPTIONS, metricsListenFlag, serviceHelp, serviceLogger, withSettingsFile } from '../service-settings.js';
import type { Command } from '../command.js';
import { DEFAULT_ADMIN_SOCKET } from '../admin-client.js';
import { durationFlag, intFlag } from '../flags.js';
import { UsageError } from '../output.js';

export const DEFAULT_LISTEN = '0.0.0.0:7400';
export const DEFAULT_DATA_DIR = '/var/lib/tunctl/controller';
const DAY = 86400;

/** A duration flag in milliseconds that also takes 0 or "off" (disabled); a value below `minSeconds` is refused. */
function durationOrOffMs(name: string, value: string | boolean | undefined, fallbackSeconds: number, minSeconds: number, maxSeconds: number): number {
  if (value === '0' || value === 'off') return 0;
  const seconds = durationFlag(name, value, fallbackSeconds, maxSeconds);
  if (value !== undefined && seconds < minSeconds) {
    throw new UsageError(`--${name} must be at least ${minSeconds}s (or 0 for off), not "${String(value)}"`);
  }
  return seconds * 1000;
}

/** Read at start when it exists; --config names another. */
export const DEFAULT_CONTROLLER_CONFIG = '/etc/tunctl/controller.conf';

export const controller: Command = {
  name: 'controller',
  summary: 'run the controller (address plan in SQLite, gRPC API)',
  positionals: [],
  help: [
    'usage: tunctl controller --network CIDR [--listen HOST:PORT] [--data-dir DIR] [--subnet-len N]',
    '                         [--subnet-min CIDR] [--subnet-max CIDR] [--udp-port N] [--heartbeat-interval MS]',
    '                         [--admin-socket PATH] [--tls-san NAME,...] [--node-cert-ttl DURATION]',
    '                         [--subnet-quarantine DURATION] [--node-lease-ttl DURATION] [--node-not-ready-after DURATION]',
    '                         [--config FILE] [--log-level LEVEL] [--log-format text|json] [--metrics-listen HOST:PORT]',
    '',
    'Serves the admin and agent gRPC APIs: over TLS on --listen (agents with their node',
    'certificates, admin calls with an API key) and on a local unix socket (admin calls, no key).',
    'First start creates the CA (ca.key, ca.crt) in the data directory and stores the network.',
    'Later starts may omit --network (the stored one runs) or change it, as long as every node\'s',
    'and reservation\'s subnet still fits and, while nodes exist, --udp-port stays the same.',
    '',
    `  --listen HOST:PORT        where to serve gRPC over TLS (default ${DEFAULT_LISTEN})`,
    `  --admin-socket PATH       local admin socket, mode 0600 (default ${DEFAULT_ADMIN_SOCKET}; "none" for none)`,
    `  --data-dir DIR            where the SQLite database and the CA live (default ${DEFAULT_DATA_DIR})`,
    '  --tls-san NAME,...        extra DNS names or IPs for the TLS certificate (this host\'s are always in)',
    '  --node-cert-ttl DURATION  lifetime of node certificates, renewed by agents (default 30d)',
    '  --network CIDR            cluster network, e.g. 10.244.0.0/16 (required on first start)',
    '  --subnet-len N            prefix length of each node subnet (default 24)',
    '  --subnet-min CIDR         first subnet to hand out (default: the first in the network)',
    '  --subnet-max CIDR         last subnet to hand out (default: the last in the network)',
    `  --udp-port N              UDP port agents exchange packets on (default ${DEFAULT_UDP_PORT})`,
    '  --heartbeat-interval MS   heartbeat period on idle agent streams (default 5000)',
    '  --subnet-quarantine DURATION',
    '                            how long a removed node\'s subnet is withheld from other nodes (default 24h;',
    '                            0 hands it out again at once); the same node name gets it back meanwhile',
    '  --node-lease-ttl DURATION remove a node whose agent stays away this long, e.g. 7d (default off; at least',
    `                            ${MIN_NODE_LEASE_TTL_MS / 1000}s); after a controller restart every agent gets a full TTL to return`,
    '  --node-not-ready-after DURATION',
    '                            a silent agent\'s node shows NOT_READY after this long (default 40s)',
    serviceHelp(DEFAULT_CONTROLLER_CONFIG),
  ].join('\n'),
  options: {
    listen: { type: 'string' },
    'data-dir': { type: 'string' },
    network: { type: 'string' },
    'subnet-len': { type: 'string' },
    'subnet-min': { type: 'string' },
    'subnet-max': { type: 'string' },
    'udp-port': { type: 'string' },
    'heartbeat-interval': { type: 'string' },
    'admin-socket': { type: 'string' },
    'tls-san': { type: 'string' },
    'node-cert-ttl': { type: 'string' },
    'subnet-quarantine': { type: 'string' },
    'node-lease-ttl': { type: 'string' },
    'node-not-ready-after': { type: 'string' },
    ...SERVICE_OPTIONS,
  },
  async run(flags) {
    const values = withSettingsFile('controller', flags, controller.options, DEFAULT_CONTROLLER_CONFIG);
    const logger = serviceLogger('controller', values);
    let network: NetworkConfigInput | undefined;
    const planFlags = ['subnet-len', 'subnet-min', 'subnet-max', 'udp-port'].filter((flag) => values[flag] !== undefined);
    if (typeof values.network !== 'string' && planFlags.length > 0) {
      // Without --network these would be silently ignored: the stored plan is what runs.
      throw new UsageError(
        `--${planFlags[0]} only applies with --network: the address plan is fixed on first start; ` +
          'give --network (and the same flags as then) or drop it to use the stored plan',
      );
    }
    if (typeof values.network === 'string') {
      network = {
        network: parseCidr(values.network, '--network'),
        subnetLen: intFlag('subnet-len', values['subnet-len'], 24, 1, 32),
        subnetMin: typeof values['subnet-min'] === 'string' ? parseCidr(values['subnet-min'], '--subnet-min') : undefined,
        subnetMax: typeof values['subnet-max'] === 'string' ? parseCidr(values['subnet-max'], '--subnet-max') : undefined,
        udpPort: intFlag('udp-port', values['udp-port'], DEFAULT_UDP_PORT, 1, 65535),
      };
    }
    const subnetQuarantineMs = durationOrOffMs('subnet-quarantine', values['subnet-quarantine'], DAY, 1, 365 * DAY);
    const nodeLeaseTtlMs = durationOrOffMs('node-lease-ttl', values['node-lease-ttl'], 0, MIN_NODE_LEASE_TTL_MS / 1000, 365 * DAY);
    const nodeNotReadyAfterMs = durationFlag('node-not-ready-after', values['node-not-ready-after'], 40, DAY) * 1000;
    const adminSocket = (values['admin-socket'] as string | undefined) ?? DEFAULT_ADMIN_SOCKET;
    const metricsListen = metricsListenFlag(values);
    // Loaded only here: admin commands never open SQLite.
    const { Controller } = await import('../../controller/controller.js');
    const instance = await Controller.start({
      listen: (values.listen as string | undefined) ?? DEFAULT_LISTEN,
      dataDir: (values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR,
      network,
      heartbeatIntervalMs: intFlag('heartbeat-interval', values['heartbeat-interval'], 5000, 100, 600_000),
      adminSocket: adminSocket === 'none' ? undefined : adminSocket,
      metricsListen,
      tlsNames: typeof values['tls-san'] === 'string' ? values['tls-san'].split(',').map((n) => n.trim()).filter(Boolean) : [],
      nodeCertLifetimeMs: durationFlag('node-cert-ttl', values['node-cert-ttl'], 30 * 86400, 3650 * 86400) * 1000,
      subnetQuarantineMs,
      nodeLeaseTtlMs,
      nodeNotReadyAfterMs,
      logger,
    });
    await waitForSignal(logger);
    // Watches are ended at once; 2 s is for add-node calls in flight. Agents reconnect sooner
    // (their backoff is still short) the sooner a restarted controller is back.
    await instance.stop(2000);
    return 0;
  },
};

/** Resolves on the first SIGTERM or SIGINT; a second one exits at once. */
export function waitForSignal(logger: { info(msg: string, fields?: Record<string, string>): void }): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info('signal received, stopping', { signal });
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(1));
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
