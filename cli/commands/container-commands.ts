// attach, detach, containers: the host's containers, through the agent's local socket.
import type { AttachResponse__Output } from '../../proto/gen/tunctl/v1/AttachResponse.js';
import type { Container__Output } from '../../proto/gen/tunctl/v1/Container.js';
import type { DetachResponse__Output } from '../../proto/gen/tunctl/v1/DetachResponse.js';
import type { ListContainersResponse__Output } from '../../proto/gen/tunctl/v1/ListContainersResponse.js';
import { AGENT_SOCKET_HELP, AGENT_SOCKET_OPTION, callAgent, resolveAgentSocket } from '../agent-client.js';
import { OUTPUT_HELP, OUTPUT_OPTION, type Command, type Values } from '../command.js';
import { formatAge, formatTable, parseOutputFormat, printResponse } from '../output.js';

const STATE_TEXT: Record<string, string> = {
  STATE_ATTACHED: 'attached',
  STATE_GONE: 'gone',
  STATE_OUTSIDE_SUBNET: 'outside-subnet',
};

/** One agent call, its answer printed as proto3 JSON (-o json) or as `render` makes it. */
async function agentCallAndPrint<Res>(values: Values, method: 'Attach' | 'Detach' | 'ListContainers', request: object, render: (res: Res) => string): Promise<number> {
  parseOutputFormat(values.output as string | undefined); // a bad -o fails before the call
  return printResponse(values, await callAgent<object, Res>(resolveAgentSocket(values), method, request), render);
}

function describe(c: Container__Output): string {
  return `${c.address} on ${c.ifname} (gateway ${c.gateway}, mtu ${c.mtu}, host side ${c.hostInterface})`;
}

export const attach: Command = {
  name: 'attach',
  summary: 'attach a network namespace (a container) to this node\'s subnet',
  positionals: ['NETNS'],
  help: [
    'usage: tunctl attach NETNS [--ip IP] [--ifname NAME] [--agent-socket PATH] [-o table|json]',
    '',
    'Gives the namespace an address from this node\'s subnet (the lowest free one, or --ip) on a',
    'veth pair to the host, a default route via the host and proxy ARP on the host side, and',
    'records the lease in the agent\'s state dir: no two containers ever get one address, across',
    'agent restarts too. NETNS is a name from `ip netns list` or a path such as /proc/PID/ns/net.',
    'Needs the agent running on this host.',
    '',
    '  --ip IP           the address to use (from the node\'s subnet, not the gateway, not leased)',
    '  --ifname NAME     the interface inside the namespace (default eth0)',
    AGENT_SOCKET_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ip: { type: 'string' }, ifname: { type: 'string' }, ...AGENT_SOCKET_OPTION, ...OUTPUT_OPTION },
  run(values, [netns]) {
    return agentCallAndPrint<AttachResponse__Output>(
      values,
      'Attach',
      { netns, address: values.ip ?? '', ifname: values.ifname ?? '' },
      (res) => `attached ${res.container!.netns}: ${describe(res.container!)}\n`,
    );
  },
};

export const detach: Command = {
  name: 'detach',
  summary: 'detach a network namespace: remove its veth and release its address',
  positionals: ['NETNS'],
  help: [
    'usage: tunctl detach NETNS [--agent-socket PATH] [-o table|json]',
    '',
    'Removes the veth pair (the container loses its interface, route and address) and releases',
    'the address. NETNS as given to attach, or another name or path of the same namespace.',
    '',
    AGENT_SOCKET_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ...AGENT_SOCKET_OPTION, ...OUTPUT_OPTION },
  run(values, [netns]) {
    return agentCallAndPrint<DetachResponse__Output>(values, 'Detach', { netns }, (res) => `detached ${res.container!.netns}: released ${res.container!.address}\n`);
  },
};

export const containers: Command = {
  name: 'containers',
  summary: 'list the containers attached to this node',
  positionals: [],
  help: [
    'usage: tunctl containers [--agent-socket PATH] [-o table|json]',
    '',
    'One line per attached namespace. STATE is attached, gone (its veth was deleted with its',
    'namespace; the address is released at the next attach or agent start) or outside-subnet',
    '(the node was given another subnet: detach and attach it again).',
    '',
    AGENT_SOCKET_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ...AGENT_SOCKET_OPTION, ...OUTPUT_OPTION },
  run(values) {
    return agentCallAndPrint<ListContainersResponse__Output>(values, 'ListContainers', {}, (res) => {
      const table = formatTable(
        ['NETNS', 'IFNAME', 'ADDRESS', 'HOST IF', 'STATE', 'ATTACHED', 'CONTAINER ID'],
        res.containers.map((c) => [c.netns, c.ifname, c.address, c.hostInterface, STATE_TEXT[c.state] ?? '-', formatAge(c.attachedAt), c.containerId || '-']),
      );
      return `${table}${res.containers.length} of ${res.capacity} container addresses in ${res.subnet} leased\n`;
    });
  },
};
