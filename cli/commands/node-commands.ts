// add-node, remove-node, get-node, list-nodes.
import type { AddNodeResponse__Output } from '../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { GetNodeResponse__Output } from '../../proto/gen/tunctl/v1/GetNodeResponse.js';
import type { ListNodesResponse__Output } from '../../proto/gen/tunctl/v1/ListNodesResponse.js';
import type { Node__Output } from '../../proto/gen/tunctl/v1/Node.js';
import type { RemoveNodeResponse__Output } from '../../proto/gen/tunctl/v1/RemoveNodeResponse.js';
import { MAX_JOIN_TOKEN_TTL_SECONDS } from '../../common/secrets.js';
import { callAndPrint } from '../admin-client.js';
import { CONTROLLER_HELP, CONTROLLER_OPTION, OUTPUT_HELP, OUTPUT_OPTION, type Command } from '../command.js';
import { durationFlag, requiredString } from '../flags.js';
import { joinTokenInstructions, TTL_HELP } from './credential-commands.js';
import { formatAge, formatTable } from '../output.js';

const STATE_TEXT: Record<string, string> = {
  NODE_STATE_PENDING: 'pending',
  NODE_STATE_READY: 'ready',
  NODE_STATE_NOT_READY: 'not-ready',
};

/** The nodes, then one line per node whose agent reported a failed update. */
function nodeTable(nodes: readonly Node__Output[], latestRevision: number): string {
  const table = formatTable(
    ['NAME', 'UNDERLAY IP', 'SUBNET', 'ADDRESSES', 'STATE', 'AGENT', 'LAST SEEN', 'APPLIED', 'LAG', 'VERSION'],
    nodes.map((n) => [
      n.name,
      n.underlayIp,
      n.subnet,
      n.addressUsageReportedAt ? `${n.addressesLeased}/${n.addressCapacity}` : '-',
      STATE_TEXT[n.state] ?? '-',
      n.connected ? 'connected' : 'disconnected',
      formatAge(n.lastSeenAt),
      n.appliedRevision > 0 ? String(n.appliedRevision) : '-',
      n.appliedRevision > 0 ? String(n.lag) : '-',
      n.agentVersion || '-',
    ]),
  );
  const failures = nodes.filter((n) => n.applyError).map((n) => `node ${n.name}: last update failed: ${n.applyError}\n`);
  return table + (latestRevision > 0 ? `revision ${latestRevision}\n` : '') + failures.join('');
}

export const addNode: Command = {
  name: 'add-node',
  summary: 'add a node and assign it a subnet',
  positionals: ['NAME'],
  help: [
    'usage: tunctl add-node NAME --underlay-ip IP [--subnet CIDR] [--ttl DURATION] [--controller ADDR] [-o table|json]',
    '',
    'Adds a node to the cluster, assigns it the lowest free subnet (or the one given) and prints',
    'a one-time join token for it (once). Then start `tunctl agent` on that host with the token.',
    '',
    '  --underlay-ip IP   address other hosts reach this node on (required)',
    '  --subnet CIDR      pin this subnet instead of allocating one',
    TTL_HELP,
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { 'underlay-ip': { type: 'string' }, subnet: { type: 'string' }, ttl: { type: 'string' }, ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [name]) {
    const underlayIp = requiredString('underlay-ip', values['underlay-ip']);
    const joinTokenTtlSeconds = durationFlag('ttl', values.ttl, 0, MAX_JOIN_TOKEN_TTL_SECONDS);
    return callAndPrint<AddNodeResponse__Output>(
      values,
      'AddNode',
      { name, underlayIp, subnet: values.subnet ?? '', joinTokenTtlSeconds },
      (res) =>
        `node ${res.node!.name} added: subnet ${res.node!.subnet}, underlay ${res.node!.underlayIp} (revision ${res.revision})\n` +
        (res.joinToken ? joinTokenInstructions(res.joinToken) : ''),
    );
  },
};

export const removeNode: Command = {
  name: 'remove-node',
  summary: 'remove a node; every agent drops its route',
  positionals: ['NAME'],
  help: ['usage: tunctl remove-node NAME [--controller ADDR] [-o table|json]', '', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [name]) {
    return callAndPrint<RemoveNodeResponse__Output>(
      values,
      'RemoveNode',
      { name },
      (res) =>
        `node ${res.node!.name} removed: its certificates revoked (revision ${res.revision}); subnet ${res.node!.subnet} is held in quarantine ` +
        `for the same name (unless reserved for it or quarantine is off): \`tunctl quarantine\` lists it\n`,
    );
  },
};

export const getNode: Command = {
  name: 'get-node',
  summary: 'show one node',
  positionals: ['NAME'],
  help: ['usage: tunctl get-node NAME [--controller ADDR] [-o table|json]', '', CONTROLLER_HELP, OUTPUT_HELP].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values, [name]) {
    return callAndPrint<GetNodeResponse__Output>(values, 'GetNode', { name }, (res) => nodeTable([res.node!], 0));
  },
};

export const listNodes: Command = {
  name: 'list-nodes',
  summary: 'list nodes, their subnets and how full they are, and whether each agent is connected and up to date',
  positionals: [],
  help: [
    'usage: tunctl list-nodes [--controller ADDR] [-o table|json]',
    '',
    'ADDRESSES is how full the subnet is, as the agent last reported it: container addresses leased /',
    'addresses the subnet offers containers (- if it never reported). STATE is ready while the agent',
    'is connected (or was heard from within the controller\'s --node-not-ready-after), not-ready after',
    'that, pending before any agent joined. APPLIED is the route-table revision the agent last reported',
    'applied; LAG is how many revisions it is behind.',
    '',
    CONTROLLER_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ...CONTROLLER_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return callAndPrint<ListNodesResponse__Output>(values, 'ListNodes', {}, (res) => nodeTable(res.nodes, res.revision));
  },
};
