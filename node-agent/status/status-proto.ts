// AgentStatus to and from GetStatusResponse: the agent answers with the first, and
// `tunctl status` and `tunctl doctor` read the second back into the in-process form.
import type { ControllerConnection } from '../../proto/gen/tunctl/v1/ControllerConnection.js';
import type { GetStatusResponse, GetStatusResponse__Output } from '../../proto/gen/tunctl/v1/GetStatusResponse.js';
import type { Timestamp } from '../../proto/gen/google/protobuf/Timestamp.js';
import type { Traffic, Traffic__Output } from '../../proto/gen/tunctl/v1/Traffic.js';
import type { AgentStatus, DropReason, TrafficStatus } from './agent-status.js';

/** Unix milliseconds to a Timestamp; 0 ("never") leaves the field unset. */
function timestamp(ms: number): Timestamp | null {
  return ms > 0 ? { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } : null;
}

function millis(ts: { seconds: number | string; nanos: number } | null | undefined): number {
  return ts ? Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6) : 0;
}

function trafficToProto(t: TrafficStatus): Traffic {
  return { txPackets: t.txPackets, txBytes: t.txBytes, rxPackets: t.rxPackets, rxBytes: t.rxBytes, drops: { ...t.drops } };
}

function trafficFromProto(t: Traffic__Output | null): TrafficStatus {
  const drops: Partial<Record<DropReason, number>> = {};
  for (const [reason, count] of Object.entries(t?.drops ?? {})) drops[reason as DropReason] = Number(count);
  return { txPackets: Number(t?.txPackets ?? 0), txBytes: Number(t?.txBytes ?? 0), rxPackets: Number(t?.rxPackets ?? 0), rxBytes: Number(t?.rxBytes ?? 0), drops };
}

const STATE_TO_PROTO: Record<AgentStatus['controller']['state'], ControllerConnection['state']> = { connected: 'STATE_CONNECTED', connecting: 'STATE_CONNECTING' };

export function statusToProto(s: AgentStatus): GetStatusResponse {
  return {
    nodeName: s.nodeName,
    agentVersion: s.agentVersion,
    startedAt: timestamp(s.startedAt),
    subnet: s.subnet,
    network: s.network,
    underlayIp: s.underlayIp,
    udpPort: s.udpPort,
    underlayMtu: s.underlayMtu,
    tunName: s.tunName,
    tunMtu: s.tunMtu,
    controller: {
      target: s.controller.target,
      state: STATE_TO_PROTO[s.controller.state],
      since: timestamp(s.controller.since),
      lastError: s.controller.lastError,
      reconnects: s.controller.reconnects,
    },
    revision: s.revision,
    clusterId: s.clusterId,
    dataPath: { ...s.dataPath },
    routes: { ...s.routes, lastRoundAt: timestamp(s.routes.lastRoundAt) },
    totals: trafficToProto(s.totals),
    peers: s.peers.map((p) => ({
      nodeName: p.nodeName,
      underlayIp: p.underlayIp,
      subnet: p.subnet,
      traffic: trafficToProto(p.traffic),
      lastRxAt: timestamp(p.lastRxAt),
      lastTxAt: timestamp(p.lastTxAt),
    })),
    containersLeased: s.containersLeased,
    containersCapacity: s.containersCapacity,
  };
}

export function statusFromProto(r: GetStatusResponse__Output): AgentStatus {
  const c = r.controller;
  const d = r.dataPath;
  const routes = r.routes;
  return {
    nodeName: r.nodeName,
    agentVersion: r.agentVersion,
    startedAt: millis(r.startedAt),
    subnet: r.subnet,
    network: r.network,
    underlayIp: r.underlayIp,
    udpPort: r.udpPort,
    underlayMtu: r.underlayMtu,
    tunName: r.tunName,
    tunMtu: r.tunMtu,
    controller: {
      target: c?.target ?? '',
      state: c?.state === 'STATE_CONNECTED' ? 'connected' : 'connecting',
      since: millis(c?.since),
      lastError: c?.lastError ?? '',
      reconnects: Number(c?.reconnects ?? 0),
    },
    revision: Number(r.revision),
    clusterId: r.clusterId,
    dataPath: {
      mode: d?.mode === 'superpackets' ? 'superpackets' : 'per-packet',
      workers: d?.workers ?? 0,
      tso: d?.tso ?? false,
      uso: d?.uso ?? false,
      gso: d?.gso ?? false,
      gro: d?.gro ?? false,
      reason: d?.reason ?? '',
    },
    routes: {
      desired: routes?.desired ?? 0,
      rounds: Number(routes?.rounds ?? 0),
      failures: Number(routes?.failures ?? 0),
      added: Number(routes?.added ?? 0),
      removed: Number(routes?.removed ?? 0),
      lastRoundAt: millis(routes?.lastRoundAt),
      lastError: routes?.lastError ?? '',
    },
    totals: trafficFromProto(r.totals),
    peers: r.peers.map((p) => ({
      nodeName: p.nodeName,
      underlayIp: p.underlayIp,
      subnet: p.subnet,
      traffic: trafficFromProto(p.traffic),
      lastRxAt: millis(p.lastRxAt),
      lastTxAt: millis(p.lastTxAt),
    })),
    containersLeased: r.containersLeased,
    containersCapacity: r.containersCapacity,
  };
}
