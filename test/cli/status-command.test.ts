// tunctl status's text form: what an operator reads first when something is wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytes, renderStatus } from '../../cli/commands/status-command.js';
import { formatDuration } from '../../cli/output.js';
import type { AgentStatus } from '../../node-agent/status/agent-status.js';
import { agentStatus } from '../node-agent/fixtures/agent-status.js';
import { statusFromProto, statusToProto } from '../../node-agent/status/status-proto.js';
import type { GetStatusResponse__Output } from '../../proto/gen/tunctl/v1/GetStatusResponse.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function sample(): AgentStatus {
  return agentStatus(NOW, {
    controller: { target: '192.168.77.100:7400', state: 'connected', since: NOW - 125_000, lastError: 'stream reset', reconnects: 1 },
    routes: { desired: 2, rounds: 40, failures: 0, added: 2, removed: 1, lastRoundAt: NOW - 3_000, lastError: '' },
    totals: { txPackets: 3000, txBytes: 4_500_000, rxPackets: 2000, rxBytes: 1_048_576, drops: { unknown_peer: 5, no_route: 2 } },
    peers: [
      {
        nodeName: 'h2',
        underlayIp: '192.168.77.2',
        subnet: '10.244.2.0/24',
        traffic: { txPackets: 3000, txBytes: 4_500_000, rxPackets: 1995, rxBytes: 1_000_000, drops: { spoofed_source: 4 } },
        lastRxAt: NOW - 2_000,
        lastTxAt: NOW - 1_000,
      },
      { nodeName: 'h3', underlayIp: '192.168.77.3', subnet: '10.244.3.0/24', traffic: { txPackets: 0, txBytes: 0, rxPackets: 0, rxBytes: 0, drops: {} }, lastRxAt: 0, lastTxAt: 0 },
    ],
  });
}

test('status text: the node, the controller, the data path, route sync, then each peer as wg show does', () => {
  assert.equal(
    renderStatus(sample(), NOW),
    [
      'node: h1',
      '  subnet: 10.244.1.0/24 (network 10.244.0.0/16)',
      '  underlay: 192.168.77.1:7000 (mtu 1500)',
      '  tun: tun0 (mtu 1472)',
      '  data path: superpackets (TSO, USO, UDP GSO, UDP GRO), 2 workers',
      '  controller: connected to 192.168.77.100:7400 for 2m 5s (1 reconnect; last error: stream reset)',
      '  routes: revision 12 of cluster c1, 2 on tun0, checked 3s ago (2 added, 1 removed, 0 failed checks since start)',
      '  containers: 2 of 253 addresses leased',
      '  transfer: 1.00 MiB received (2000 packets), 4.29 MiB sent (3000 packets)',
      '  drops: no_route 2, unknown_peer 5',
      '',
      'peer: h2',
      '  underlay: 192.168.77.2:7000',
      '  subnet: 10.244.2.0/24',
      '  last received: 2s ago',
      '  last sent: 1s ago',
      '  transfer: 976.56 KiB received (1995 packets), 4.29 MiB sent (3000 packets)',
      '  drops: spoofed_source 4',
      '',
      'peer: h3',
      '  underlay: 192.168.77.3:7000',
      '  subnet: 10.244.3.0/24',
      '  last received: never',
      '  last sent: never',
      '  transfer: 0 B received (0 packets), 0 B sent (0 packets)',
      '  drops: none',
      '',
    ].join('\n'),
  );
});

test('status text: a lost controller, a failing route check and the per-packet path stand out', () => {
  const s = sample();
  s.controller = { ...s.controller, state: 'connecting', since: NOW - 95_000, lastError: 'connect ECONNREFUSED 192.168.77.100:7400' };
  s.routes = { ...s.routes, lastError: 'RTNETLINK answers: Operation not permitted', failures: 3 };
  s.dataPath = { mode: 'per-packet', workers: 1, tso: false, uso: false, gso: false, gro: false, reason: 'turned off with --offload off' };
  s.peers = [];
  const text = renderStatus(s, NOW);
  assert.match(text, /^ {2}controller: NOT CONNECTED to 192\.168\.77\.100:7400, for 1m 35s \(1 reconnect; last error: connect ECONNREFUSED/m);
  assert.match(text, /^ {2}routes: .*LAST CHECK FAILED 3s ago: RTNETLINK answers: Operation not permitted \(2 added, 1 removed, 3 failed checks/m);
  assert.match(text, /^ {2}data path: per-packet \(turned off with --offload off\), 1 worker$/m);
  assert.match(text, /\nno peers in the route table yet\n$/);
});

test('status survives the trip through the API unchanged', () => {
  // proto-loader hands int64 fields over as numbers (--longs=Number), Timestamps as objects.
  const wire = JSON.parse(JSON.stringify(statusToProto(sample()))) as GetStatusResponse__Output;
  assert.deepEqual(statusFromProto(wire), sample());
});

test('sizes and durations read as wg show prints them', () => {
  assert.deepEqual([bytes(0), bytes(1023), bytes(1024), bytes(1536 * 1024), bytes(5 * 1024 ** 3)], ['0 B', '1023 B', '1.00 KiB', '1.50 MiB', '5.00 GiB']);
  assert.deepEqual([formatDuration(400), formatDuration(59_000), formatDuration(61_000), formatDuration(3_723_000), formatDuration(90_061_000)], ['0s', '59s', '1m 1s', '1h 2m', '1d 1h']);
});
