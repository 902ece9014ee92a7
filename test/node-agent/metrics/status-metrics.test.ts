// The agent's metrics rendered from a status snapshot: exactly these series with these values
// and types; counters mirror the snapshot (a second scrape does not add up, a peer that left
// is gone); label values are escaped; and the endpoint serves the agent's metrics and says
// ready only while a status reader is published.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentMetrics } from '../../../node-agent/metrics/agent-metrics.js';
import { StatusMetrics } from '../../../node-agent/metrics/status-metrics.js';
import type { AgentStatus, PeerStatusView } from '../../../node-agent/status/agent-status.js';
import { parseExposition } from '../../common/prometheus-text.js';
import { agentStatus } from '../fixtures/agent-status.js';

const NOW = 1_800_000_000_000;

function peer(nodeName: string, n: number, extra: Partial<PeerStatusView> = {}): PeerStatusView {
  return {
    nodeName,
    underlayIp: `192.168.77.${n}`,
    subnet: `10.244.${n}.0/24`,
    traffic: { txPackets: 60 * n, txBytes: 6000 * n, rxPackets: 50 * n, rxBytes: 5000 * n, drops: {} },
    lastRxAt: 0,
    lastTxAt: 0,
    ...extra,
  };
}

function status(peers: PeerStatusView[]): AgentStatus {
  return agentStatus(NOW, {
    startedAt: NOW - 60_000,
    controller: { target: '192.168.77.254:7400', state: 'connected', since: NOW - 50_000, lastError: '', reconnects: 2 },
    revision: 7,
    clusterId: '0123456789abcdef0123456789abcdef',
    dataPath: { mode: 'superpackets', workers: 2, tso: true, uso: true, gso: true, gro: false, reason: '' },
    routes: { desired: peers.length, rounds: 10, failures: 1, added: 3, removed: 2, lastRoundAt: NOW - 1000, lastError: '' },
    totals: { txPackets: 100, txBytes: 10_000, rxPackets: 90, rxBytes: 9000, drops: { unknown_peer: 4, no_route: 1 } },
    peers,
  });
}

const TWO_PEERS = [
  peer('h2', 2, { traffic: { txPackets: 120, txBytes: 12_000, rxPackets: 100, rxBytes: 10_000, drops: { spoofed_source: 3, send_error: 0 } }, lastRxAt: NOW - 2500, lastTxAt: NOW - 100 }),
  peer('h3', 3),
];

describe('agent metrics from a status snapshot', () => {
  test('exactly these series and values', async () => {
    const samples = parseExposition(await new StatusMetrics().render(status(TWO_PEERS), NOW));
    const zeroDrops = ['too_short', 'not_ipv4', 'bad_header_length', 'truncated', 'bad_checksum', 'spoofed_source', 'wrong_destination', 'tx_invalid', 'send_error', 'recv_error', 'tun_read_error', 'tun_write_error'];
    const expected = new Map<string, number>([
      ['tunctl_agent_info{node="h1",subnet="10.244.1.0/24",underlay_ip="192.168.77.1",version="0.1.0"}', 1],
      ['tunctl_agent_datapath_info{mode="superpackets",tso="true",uso="true",gso="true",gro="false"}', 1],
      ['tunctl_agent_datapath_workers', 2],
      ['tunctl_agent_controller_connected', 1],
      ['tunctl_agent_controller_reconnects_total', 2],
      ['tunctl_agent_revision', 7],
      ['tunctl_agent_routes_desired', 2],
      ['tunctl_agent_route_reconcile_rounds_total', 10],
      ['tunctl_agent_route_reconcile_failures_total', 1],
      ['tunctl_agent_routes_added_total', 3],
      ['tunctl_agent_routes_removed_total', 2],
      ['tunctl_agent_tx_packets_total', 100],
      ['tunctl_agent_tx_bytes_total', 10_000],
      ['tunctl_agent_rx_packets_total', 90],
      ['tunctl_agent_rx_bytes_total', 9000],
      ['tunctl_agent_drops_total{reason="unknown_peer"}', 4],
      ['tunctl_agent_drops_total{reason="no_route"}', 1],
      ...zeroDrops.map((reason): [string, number] => [`tunctl_agent_drops_total{reason="${reason}"}`, 0]),
      ['tunctl_agent_peer_tx_packets_total{peer="h2"}', 120],
      ['tunctl_agent_peer_tx_packets_total{peer="h3"}', 180],
      ['tunctl_agent_peer_tx_bytes_total{peer="h2"}', 12_000],
      ['tunctl_agent_peer_tx_bytes_total{peer="h3"}', 18_000],
      ['tunctl_agent_peer_rx_packets_total{peer="h2"}', 100],
      ['tunctl_agent_peer_rx_packets_total{peer="h3"}', 150],
      ['tunctl_agent_peer_rx_bytes_total{peer="h2"}', 10_000],
      ['tunctl_agent_peer_rx_bytes_total{peer="h3"}', 15_000],
      // Only reasons that counted something, per peer: 8 reasons for thousands of peers would be too many series.
      ['tunctl_agent_peer_drops_total{peer="h2",reason="spoofed_source"}', 3],
      // h3 never sent anything: no "seconds since".
      ['tunctl_agent_peer_seconds_since_rx{peer="h2"}', 2.5],
      ['tunctl_agent_containers_leased', 2],
      ['tunctl_agent_containers_capacity', 253],
    ]);
    assert.deepEqual(new Map([...samples].sort()), new Map([...expected].sort()));
  });

  test('counters are typed counter and gauges gauge', async () => {
    const text = await new StatusMetrics().render(status(TWO_PEERS), NOW);
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const [name, type] of types) assert.equal(type, name.endsWith('_total') ? 'counter' : 'gauge', name);
    assert.equal(types.size, 24);
  });

  test('each scrape mirrors the snapshot: nothing adds up, a peer that left is gone, a counter can only follow the agent', async () => {
    const metrics = new StatusMetrics();
    await metrics.render(status(TWO_PEERS), NOW);
    const again = parseExposition(await metrics.render(status(TWO_PEERS), NOW));
    assert.equal(again.get('tunctl_agent_peer_rx_packets_total{peer="h2"}'), 100, 'the same snapshot twice: the same values');
    assert.equal(again.get('tunctl_agent_route_reconcile_rounds_total'), 10);
    const later = status([peer('h2', 2, { traffic: { txPackets: 130, txBytes: 13_000, rxPackets: 111, rxBytes: 11_100, drops: {} } })]);
    later.controller = { ...later.controller, state: 'connecting' };
    later.dataPath = { ...later.dataPath, mode: 'per-packet', tso: false, uso: false, gso: false, gro: false };
    const next = parseExposition(await metrics.render(later, NOW));
    assert.equal(next.get('tunctl_agent_peer_rx_packets_total{peer="h2"}'), 111);
    assert.equal(next.has('tunctl_agent_peer_rx_packets_total{peer="h3"}'), false, 'h3 left the route table');
    assert.equal(next.has('tunctl_agent_peer_drops_total{peer="h2",reason="spoofed_source"}'), false);
    assert.equal(next.has('tunctl_agent_peer_seconds_since_rx{peer="h2"}'), false);
    assert.equal(next.get('tunctl_agent_controller_connected'), 0);
    const info = [...next.keys()].filter((k) => k.startsWith('tunctl_agent_datapath_info'));
    assert.deepEqual(info, ['tunctl_agent_datapath_info{mode="per-packet",tso="false",uso="false",gso="false",gro="false"}'], 'one info series, the current one');
  });

  test('label values are escaped: backslash, double quote and newline', async () => {
    const s = status([peer('we"ird\\node\nx', 4)]);
    s.agentVersion = '1.0 "beta"';
    const text = await new StatusMetrics().render(s, NOW);
    assert.ok(text.includes('tunctl_agent_peer_rx_packets_total{peer="we\\"ird\\\\node\\nx"} 200\n'), text);
    assert.ok(text.includes('version="1.0 \\"beta\\""} 1\n'));
    assert.equal(parseExposition(text).get('tunctl_agent_peer_rx_packets_total{peer="we\\"ird\\\\node\\nx"}'), 200);
  });
});

describe('agent metrics endpoint', () => {
  test('process metrics always; the agent\'s and readiness only while a status reader is published', async () => {
    const metrics = new AgentMetrics(() => NOW);
    const names = async () => new Set([...parseExposition(await metrics.render()).keys()].map((k) => k.split('{')[0]!));
    assert.equal(metrics.ready(), false);
    let before = await names();
    assert.ok(before.has('process_cpu_user_seconds_total'));
    assert.ok(![...before].some((n) => n.startsWith('tunctl_agent_')), 'no agent metrics before the data path is up');

    let reads = 0;
    metrics.publish(() => {
      reads++;
      return status(TWO_PEERS);
    });
    assert.equal(metrics.ready(), true);
    const during = parseExposition(await metrics.render());
    assert.equal(reads, 1, 'one snapshot per scrape');
    assert.equal(during.get('tunctl_agent_peer_seconds_since_rx{peer="h2"}'), 2.5, 'read at the endpoint\'s clock');
    assert.ok(during.has('process_cpu_user_seconds_total'));

    metrics.publish(undefined);
    assert.equal(metrics.ready(), false);
    before = await names();
    assert.ok(![...before].some((n) => n.startsWith('tunctl_agent_')), 'none after the data path stopped');
  });
});
