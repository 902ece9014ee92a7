// What the agent knows about itself and its peers at one moment: the in-process form of
// GetStatusResponse, shared by the local API (`tunctl status`), the metrics endpoint and
// `tunctl doctor`. Times are Unix milliseconds; 0 means "never".
import type { DataplanePath } from '../dataplane/data-path.js';
import type { ReconcileStats } from '../routes/route-reconciler.js';

/** Drop reasons, as named in the API, metrics and logs (see Traffic in tunctl.proto). */
export const RX_DROP_REASONS = [
  'unknown_peer',
  'too_short',
  'not_ipv4',
  'bad_header_length',
  'truncated',
  'bad_checksum',
  'spoofed_source',
  'wrong_destination',
] as const;
export const TX_DROP_REASONS = ['no_route', 'tx_invalid'] as const;
export const ERROR_REASONS = ['send_error', 'recv_error', 'tun_read_error', 'tun_write_error'] as const;
export type DropReason = (typeof RX_DROP_REASONS)[number] | (typeof TX_DROP_REASONS)[number] | (typeof ERROR_REASONS)[number];

export interface TrafficStatus {
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
  /** Reasons with no drops are left out. */
  drops: Partial<Record<DropReason, number>>;
}

export interface PeerStatusView {
  nodeName: string;
  /** Dotted quad. */
  underlayIp: string;
  /** CIDR notation. */
  subnet: string;
  traffic: TrafficStatus;
  lastRxAt: number;
  lastTxAt: number;
}

export interface ControllerConnectionView {
  target: string;
  state: 'connected' | 'connecting';
  since: number;
  lastError: string;
  reconnects: number;
}

/** The data path as the agent opened it. */
export type DataPathView = DataplanePath;

/** Route sync: the reconciler's counts since start, and how many routes it wants. */
export interface RouteSyncView extends ReconcileStats {
  desired: number;
}

export interface AgentStatus {
  nodeName: string;
  agentVersion: string;
  startedAt: number;
  subnet: string;
  network: string;
  underlayIp: string;
  udpPort: number;
  underlayMtu: number;
  tunName: string;
  tunMtu: number;
  controller: ControllerConnectionView;
  revision: number;
  clusterId: string;
  dataPath: DataPathView;
  routes: RouteSyncView;
  totals: TrafficStatus;
  /** Sorted by node name. */
  peers: PeerStatusView[];
  containersLeased: number;
  containersCapacity: number;
}
