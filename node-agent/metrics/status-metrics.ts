// The agent's Prometheus metrics, rendered from one AgentStatus snapshot per scrape. The
// snapshot's counts are cumulative since the agent started (a peer's since it entered the
// route table), so they are exported as counters holding exactly those values, as an exporter
// does with kernel counters: Prometheus sees a reset when the agent restarts or a peer comes
// back, and rate() copes. Every metric is refilled from the snapshot, so a peer that left
// the table leaves the output too.
import { Counter, Gauge, Registry } from 'prom-client';
import { ERROR_REASONS, RX_DROP_REASONS, TX_DROP_REASONS, type AgentStatus, type DropReason } from '../status/agent-status.js';

const ALL_DROP_REASONS: readonly DropReason[] = [...RX_DROP_REASONS, ...TX_DROP_REASONS, ...ERROR_REASONS];

type PeerCounter = Counter<'peer'>;

export class StatusMetrics {
  readonly registry = new Registry();
  private readonly info: Gauge<'node' | 'subnet' | 'underlay_ip' | 'version'>;
  private readonly dataPathInfo: Gauge<'mode' | 'tso' | 'uso' | 'gso' | 'gro'>;
  private readonly workers: Gauge;
  private readonly controllerConnected: Gauge;
  private readonly reconnects: Counter;
  private readonly revision: Gauge;
  private readonly routesDesired: Gauge;
  private readonly reconcileRounds: Counter;
  private readonly reconcileFailures: Counter;
  private readonly routesAdded: Counter;
  private readonly routesRemoved: Counter;
  private readonly txPackets: Counter;
  private readonly txBytes: Counter;
  private readonly rxPackets: Counter;
  private readonly rxBytes: Counter;
  private readonly drops: Counter<'reason'>;
  private readonly peerTxPackets: PeerCounter;
  private readonly peerTxBytes: PeerCounter;
  private readonly peerRxPackets: PeerCounter;
  private readonly peerRxBytes: PeerCounter;
  private readonly peerDrops: Counter<'peer' | 'reason'>;
  private readonly peerSinceRx: Gauge<'peer'>;
  private readonly containersLeased: Gauge;
  private readonly containersCapacity: Gauge;

  constructor() {
    const registers = [this.registry];
    const gauge = (name: string, help: string) => new Gauge({ name: `tunctl_agent_${name}`, help, registers });
    const counter = (name: string, help: string) => new Counter({ name: `tunctl_agent_${name}`, help, registers });
    const peerCounter = (name: string, help: string): PeerCounter => new Counter({ name: `tunctl_agent_${name}`, help, labelNames: ['peer'], registers });
    this.info = new Gauge({ name: 'tunctl_agent_info', help: 'Always 1: the agent\'s node, subnet, underlay address and version.', labelNames: ['node', 'subnet', 'underlay_ip', 'version'], registers });
    this.dataPathInfo = new Gauge({
      name: 'tunctl_agent_datapath_info',
      help: 'Always 1: the data path mode (superpackets or per-packet) and which offloads are on.',
      labelNames: ['mode', 'tso', 'uso', 'gso', 'gro'],
      registers,
    });
    this.workers = gauge('datapath_workers', 'Data path worker threads.');
    this.controllerConnected = gauge('controller_connected', '1 while a route stream from the controller is up, else 0.');
    this.reconnects = counter('controller_reconnects_total', 'Times the route stream was lost after it had been up.');
    this.revision = gauge('revision', 'The route revision the agent holds.');
    this.routesDesired = gauge('routes_desired', 'Routes the agent wants on its TUN device (one per other node).');
    this.reconcileRounds = counter('route_reconcile_rounds_total', 'Route reconcile rounds.');
    this.reconcileFailures = counter('route_reconcile_failures_total', 'Route reconcile rounds that failed.');
    this.routesAdded = counter('routes_added_total', 'Routes the reconciler added.');
    this.routesRemoved = counter('routes_removed_total', 'Routes the reconciler removed.');
    this.txPackets = counter('tx_packets_total', 'Datagrams sent to other nodes.');
    this.txBytes = counter('tx_bytes_total', 'Bytes of datagrams sent to other nodes.');
    this.rxPackets = counter('rx_packets_total', 'Datagrams received from other nodes.');
    this.rxBytes = counter('rx_bytes_total', 'Bytes of datagrams received from other nodes.');
    this.drops = new Counter({ name: 'tunctl_agent_drops_total', help: 'Packets dropped and I/O errors, by reason.', labelNames: ['reason'], registers });
    this.peerTxPackets = peerCounter('peer_tx_packets_total', 'Datagrams sent to the peer.');
    this.peerTxBytes = peerCounter('peer_tx_bytes_total', 'Bytes sent to the peer.');
    this.peerRxPackets = peerCounter('peer_rx_packets_total', 'Datagrams received from the peer.');
    this.peerRxBytes = peerCounter('peer_rx_bytes_total', 'Bytes received from the peer.');
    this.peerDrops = new Counter({
      name: 'tunctl_agent_peer_drops_total',
      help: 'Packets from or to the peer dropped, by reason (reasons with no drops are left out).',
      labelNames: ['peer', 'reason'],
      registers,
    });
    this.peerSinceRx = new Gauge({
      name: 'tunctl_agent_peer_seconds_since_rx',
      help: 'Seconds since the last datagram from the peer (absent until one came).',
      labelNames: ['peer'],
      registers,
    });
    this.containersLeased = gauge('containers_leased', 'Container addresses leased on this node.');
    this.containersCapacity = gauge('containers_capacity', 'Container addresses this node\'s subnet holds.');
  }

  /** Fills every metric from `status` (read at `now`, Unix ms) and renders them. */
  render(status: AgentStatus, now: number): Promise<string> {
    this.registry.resetMetrics();
    this.info.set({ node: status.nodeName, subnet: status.subnet, underlay_ip: status.underlayIp, version: status.agentVersion }, 1);
    const path = status.dataPath;
    this.dataPathInfo.set({ mode: path.mode, tso: String(path.tso), uso: String(path.uso), gso: String(path.gso), gro: String(path.gro) }, 1);
    this.workers.set(path.workers);
    this.controllerConnected.set(status.controller.state === 'connected' ? 1 : 0);
    this.reconnects.inc(status.controller.reconnects);
    this.revision.set(status.revision);
    this.routesDesired.set(status.routes.desired);
    this.reconcileRounds.inc(status.routes.rounds);
    this.reconcileFailures.inc(status.routes.failures);
    this.routesAdded.inc(status.routes.added);
    this.routesRemoved.inc(status.routes.removed);
    const totals = status.totals;
    this.txPackets.inc(totals.txPackets);
    this.txBytes.inc(totals.txBytes);
    this.rxPackets.inc(totals.rxPackets);
    this.rxBytes.inc(totals.rxBytes);
    // Every reason, zeros too: a series that starts at 0 lets increase() see its first drops.
    for (const reason of ALL_DROP_REASONS) this.drops.inc({ reason }, totals.drops[reason] ?? 0);
    for (const p of status.peers) {
      const peer = { peer: p.nodeName };
      this.peerTxPackets.inc(peer, p.traffic.txPackets);
      this.peerTxBytes.inc(peer, p.traffic.txBytes);
      this.peerRxPackets.inc(peer, p.traffic.rxPackets);
      this.peerRxBytes.inc(peer, p.traffic.rxBytes);
      for (const [reason, count] of Object.entries(p.traffic.drops)) if (count) this.peerDrops.inc({ peer: p.nodeName, reason }, count);
      if (p.lastRxAt > 0) this.peerSinceRx.set(peer, Math.max(0, now - p.lastRxAt) / 1000);
    }
    this.containersLeased.set(status.containersLeased);
    this.containersCapacity.set(status.containersCapacity);
    return this.registry.metrics();
  }
}
