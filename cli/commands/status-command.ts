// tunctl status: the agent's view of this host, in the manner of `wg show`: the node, the
// controller connection, the data path, route sync, then one block per peer with its
// traffic, drops and when it was last heard from. Read from the agent's local socket.
import { describePath } from '../../node-agent/dataplane/data-path.js';
import type { GetStatusResponse__Output } from '../../proto/gen/tunctl/v1/GetStatusResponse.js';
import type { AgentStatus, TrafficStatus } from '../../node-agent/status/agent-status.js';
import { statusFromProto } from '../../node-agent/status/status-proto.js';
import { AGENT_SOCKET_HELP, AGENT_SOCKET_OPTION, callAgent, resolveAgentSocket } from '../agent-client.js';
import { OUTPUT_HELP, OUTPUT_OPTION, type Command } from '../command.js';
import { formatDuration, parseOutputFormat, printResponse } from '../output.js';

export const status: Command = {
  name: 'status',
  summary: 'show this host\'s agent: subnet, controller connection, data path and per-peer traffic',
  positionals: [],
  help: [
    'usage: tunctl status [--agent-socket PATH] [-o table|json]',
    '',
    'The agent\'s view of the overlay, like `wg show`: its subnet and underlay address, the',
    'controller connection and the route table revision it applied, which data path runs,',
    'route sync, and for each peer its underlay address, subnet, packets and bytes each way,',
    'drops by reason and when a packet from it was last seen. Counts are since the agent',
    'started (or since the peer joined the table). Needs the agent running on this host.',
    '',
    AGENT_SOCKET_HELP,
    OUTPUT_HELP,
  ].join('\n'),
  options: { ...AGENT_SOCKET_OPTION, ...OUTPUT_OPTION },
  async run(values) {
    parseOutputFormat(values.output as string | undefined); // a bad -o fails before the call
    const res = await callAgent<object, GetStatusResponse__Output>(resolveAgentSocket(values), 'GetStatus', {});
    return printResponse(values, res, (r) => renderStatus(statusFromProto(r)));
  },
};

/** The text form; `now` is injectable for tests. */
export function renderStatus(s: AgentStatus, now = Date.now()): string {
  const lines: string[] = [];
  const field = (name: string, value: string) => lines.push(`  ${name}: ${value}`);
  lines.push(`node: ${s.nodeName}`);
  field('subnet', `${s.subnet} (network ${s.network})`);
  field('underlay', `${s.underlayIp}:${s.udpPort} (mtu ${s.underlayMtu})`);
  field('tun', `${s.tunName} (mtu ${s.tunMtu})`);
  field('data path', describeDataPath(s));
  const c = s.controller;
  const state = c.state === 'connected' ? `connected to ${c.target} for ${formatDuration(now - c.since)}` : `NOT CONNECTED to ${c.target}, for ${formatDuration(now - c.since)}`;
  const extras = [c.reconnects > 0 && `${c.reconnects} reconnect${c.reconnects === 1 ? '' : 's'}`, c.lastError && `last error: ${c.lastError}`].filter(Boolean);
  field('controller', extras.length > 0 ? `${state} (${extras.join('; ')})` : state);
  field('routes', describeRoutes(s, now));
  if (s.containersCapacity > 0) field('containers', `${s.containersLeased} of ${s.containersCapacity} addresses leased`);
  field('transfer', transfer(s.totals));
  field('drops', drops(s.totals));
  for (const p of s.peers) {
    lines.push('', `peer: ${p.nodeName}`);
    field('underlay', `${p.underlayIp}:${s.udpPort}`);
    field('subnet', p.subnet);
    field('last received', p.lastRxAt > 0 ? `${formatDuration(now - p.lastRxAt)} ago` : 'never');
    field('last sent', p.lastTxAt > 0 ? `${formatDuration(now - p.lastTxAt)} ago` : 'never');
    field('transfer', transfer(p.traffic));
    field('drops', drops(p.traffic));
  }
  if (s.peers.length === 0) lines.push('', 'no peers in the route table yet');
  return lines.join('\n') + '\n';
}

function describeDataPath(s: AgentStatus): string {
  const workers = s.dataPath.workers;
  return `${describePath(s.dataPath)}, ${workers} worker${workers === 1 ? '' : 's'}`;
}

function describeRoutes(s: AgentStatus, now: number): string {
  const r = s.routes;
  const head = `revision ${s.revision}${s.clusterId ? ` of cluster ${s.clusterId}` : ''}, ${r.desired} on ${s.tunName}`;
  if (r.lastRoundAt === 0) return `${head}, not checked yet`;
  const sync = r.lastError ? `LAST CHECK FAILED ${formatDuration(now - r.lastRoundAt)} ago: ${r.lastError}` : `checked ${formatDuration(now - r.lastRoundAt)} ago`;
  return `${head}, ${sync} (${r.added} added, ${r.removed} removed, ${r.failures} failed checks since start)`;
}

function transfer(t: TrafficStatus): string {
  return `${bytes(t.rxBytes)} received (${t.rxPackets} packets), ${bytes(t.txBytes)} sent (${t.txPackets} packets)`;
}

function drops(t: TrafficStatus): string {
  const entries = Object.entries(t.drops).filter(([, n]) => (n ?? 0) > 0);
  if (entries.length === 0) return 'none';
  return entries
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
}

/** wg show style: "1.50 MiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(2)} ${units[unit]}`;
}
