// routes and network: the route table and the address plan.
import type { GetNetworkResponse__Output } from '../../proto/gen/tunctl/v1/GetNetworkResponse.js';
import type { ListRoutesResponse__Output } from '../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import { callAndPrint } from '../admin-client.js';
import { CONTROLLER_HELP, CONTROLLER_OPTION, OUTPUT_HELP, OUTPUT_OPTION, type Command } from '../command.js';
import { formatTable } from '../output.js';

export const routes: Command = {
  name: 'routes',
  summary: 'show the route table the controller pushes to agents (or what one node should hold)',
  positionals: [],
  help: [
    'usage: tunctl routes [--node NAME] [--controller ADDR] [-o table|json]',
    '',
    '  --node NAME   only the routes that node\'s agent should have installed (all but its own subnet);',
    '                compare with `ip route show proto 147` on that host',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { node: { type: 'string' }, ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return callAndPrint<ListRoutesResponse__Output>(
      values,
      'ListRoutes',
      { nodeName: values.node ?? '' },
      (res) => formatTable(['SUBNET', 'VIA (UNDERLAY)', 'NODE'], res.routes.map((r) => [r.subnet, r.underlayIp, r.nodeName])) + `revision ${res.revision}\n`,
    );
  },
};

export const network: Command = {
  name: 'network',
  summary: 'show the cluster network and how full its subnet pool is',
  positionals: [],
  help: ['usage: tunctl network [--controller ADDR] [-o table|json]', '', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return callAndPrint<GetNetworkResponse__Output>(values, 'GetNetwork', {}, (res) => {
      const n = res.network!;
      const free = res.subnetsTotal - res.subnetsUsed - res.subnetsReserved - res.subnetsQuarantined;
      const counts = [res.subnetsUsed, res.subnetsReserved, res.subnetsQuarantined, free].map(String);
      return (
        formatTable(
          ['NETWORK', 'SUBNET LEN', 'POOL', 'USED', 'RESERVED', 'QUARANTINED', 'FREE', 'UDP PORT'],
          [[n.cidr, `/${n.subnetLen}`, `${n.subnetMin} - ${n.subnetMax}`, ...counts, String(n.udpPort)]],
        ) +
        `CA fingerprint (pinned by join tokens and API keys): ${res.caFingerprint}\n` +
        `cluster id: ${res.clusterId}\n`
      );
    });
  },
};
