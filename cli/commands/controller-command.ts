// tunctl controller: run the controller until SIGTERM/SIGINT.
import { parseCidr } from '../../common/cidr.js';
import { ConsoleLogger } from '../../common/logger.js';
import type { NetworkConfigInput } from '../../controller/store/store.js';
import type { Command } from '../command.js';
import { DEFAULT_ADMIN_SOCKET } from '../admin-client.js';
import { durationFlag, intFlag } from '../flags.js';
import { UsageError } from '../output.js';

export const DEFAULT_LISTEN = '0.0.0.0:7400';
export const DEFAULT_DATA_DIR = '/var/lib/tunctl/controller';

export const controller: Command = {
  name: 'controller',
  summary: 'run the controller (address plan in SQLite, gRPC API)',
  positionals: [],
  help: [
    'usage: tunctl controller --network CIDR [--listen HOST:PORT] [--data-dir DIR] [--subnet-len N]',
    '                         [--subnet-min CIDR] [--subnet-max CIDR] [--udp-port N] [--heartbeat-interval MS]',
    '                         [--admin-socket PATH] [--tls-san NAME,...] [--node-cert-ttl DURATION]',
    '',
    'Serves the admin and agent gRPC APIs: over TLS on --listen (agents with their node',
    'certificates, admin calls with an API key) and on a local unix socket (admin calls, no key).',
    'First start creates the CA (ca.key, ca.crt) in the data directory. The network is fixed on',
    'first start; later starts may omit --network and refuse a different one.',
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
    '  --udp-port N              UDP port agents exchange packets on (default 7000)',
    '  --heartbeat-interval MS   heartbeat period on idle agent streams (default 5000)',
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
  },
  async run(values) {
    const logger = new ConsoleLogger('controller');
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
        udpPort: intFlag('udp-port', values['udp-port'], 7000, 1, 65535),
      };
    }
    const adminSocket = (values['admin-socket'] as string | undefined) ?? DEFAULT_ADMIN_SOCKET;
    // Loaded only here: admin commands never open SQLite.
    const { Controller } = await import('../../controller/controller.js');
    const instance = await Controller.start({
      listen: (values.listen as string | undefined) ?? DEFAULT_LISTEN,
      dataDir: (values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR,
      network,
      heartbeatIntervalMs: intFlag('heartbeat-interval', values['heartbeat-interval'], 5000, 100, 600_000),
      adminSocket: adminSocket === 'none' ? undefined : adminSocket,
      tlsNames: typeof values['tls-san'] === 'string' ? values['tls-san'].split(',').map((n) => n.trim()).filter(Boolean) : [],
      nodeCertLifetimeMs: durationFlag('node-cert-ttl', values['node-cert-ttl'], 30 * 86400, 3650 * 86400) * 1000,
      logger,
    });
    await waitForSignal(logger);
    await instance.stop();
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
