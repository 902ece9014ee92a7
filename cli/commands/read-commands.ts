// routes and network: the route table and the address plan.
import type { GetNetworkResponse__Output } from '../../proto/gen/tunctl/v1/GetNetworkResponse.js';
import type { ListRoutesResponse__Output } from '../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import { withAdminClient } from '../admin-client.js';
import { connectionFlags, CONTROLLER_HELP, CONTROLLER_OPTION, OUTPUT_HELP, OUTPUT_OPTION, type Command } from '../command.js';
import { formatTable, parseOutputFormat, printJson } from '../output.js';

export const routes: Command = {
  name: 'routes',
  summary: 'show the route table the controller pushes to agents',
  positionals: [],
  help: ['usage: tunctl routes [--controller ADDR] [-o table|json]', '', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  async run(values) {
    const format = parseOutputFormat(values.output as string | undefined);
    const res = await withAdminClient(connectionFlags(values), (c) => c.call<object, ListRoutesResponse__Output>('ListRoutes', {}));
    if (format === 'json') printJson(res);
    else process.stdout.write(formatTable(['SUBNET', 'VIA (UNDERLAY)', 'NODE'], res.routes.map((r) => [r.subnet, r.underlayIp, r.nodeName])) + `revision ${res.revision}\n`);
    return 0;
  },
};

export const network: Command = {
  name: 'network',
  summary: 'show the cluster network and how full its subnet pool is',
  positionals: [],
  help: ['usage: tunctl network [--controller ADDR] [-o table|json]', '', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  async run(values) {
    const format = parseOutputFormat(values.output as string | undefined);
    const res = await withAdminClient(connectionFlags(values), (c) => c.call<object, GetNetworkResponse__Output>('GetNetwork', {}));
    if (format === 'json') {
      printJson(res);
      return 0;
    }
    const n = res.network!;
    process.stdout.write(
      formatTable(
        ['NETWORK', 'SUBNET LEN', 'POOL', 'USED', 'FREE', 'UDP PORT'],
        [[n.cidr, `/${n.subnetLen}`, `${n.subnetMin} - ${n.subnetMax}`, String(res.subnetsUsed), String(res.subnetsTotal - res.subnetsUsed), String(n.udpPort)]],
      ),
    );
    process.stdout.write(`CA fingerprint (pinned by join tokens and API keys): ${res.caFingerprint}\n`);
    return 0;
  },
};
