// A peer that sends nothing back: this host keeps sending to it and hears nothing, which is
// what a stopped agent or a firewall on the way (either side, udp/PORT) looks like from here.
// Peers nobody talks to are idle, not broken.
import { answered, needsAgent, type DoctorCheck, type PeerFacts } from '../doctor.js';
import { count, fail, formatDuration, ok, type Finding } from '../finding.js';

const CHECK = 'peers';
/** Only a peer we sent to within this long counts: older one-way traffic is history. */
export const RECENT_TX_MS = 60_000;

export interface PeersFacts {
  readonly peers: readonly PeerFacts[];
  readonly udpPort: number;
  readonly underlayIp: string;
  /** When the agent started (its counters and times start there). */
  readonly startedAt: number;
  readonly now: number;
  readonly silenceMs: number;
}

export function evaluatePeers(facts: PeersFacts): Finding[] {
  const { now, silenceMs, udpPort } = facts;
  const findings: Finding[] = [];
  let talking = 0;
  for (const p of facts.peers) {
    const sentRecently = p.traffic.txPackets > 0 && p.lastTxAt > 0 && now - p.lastTxAt <= RECENT_TX_MS;
    if (!sentRecently) continue;
    talking++;
    // Still sending longer than the threshold after the last thing it sent us (the times are
    // whole seconds, so a reply in the same second as the request is no silence).
    const silentSince = p.lastRxAt > 0 ? p.lastRxAt : facts.startedAt;
    if (p.lastTxAt - silentSince <= silenceMs) continue;
    const heard = p.lastRxAt > 0 ? `has sent nothing for ${formatDuration(now - p.lastRxAt)}` : `has sent nothing since the agent started ${formatDuration(now - facts.startedAt)} ago`;
    findings.push(
      fail(
        CHECK,
        `${p.nodeName} (${p.underlayIp}) ${heard}, while this host kept sending to it (${count(p.traffic.txPackets, 'datagram')}, the last ${formatDuration(now - p.lastTxAt)} ago): its agent is down, or a firewall on either host or between drops udp/${udpPort}`,
        `tunctl list-nodes (is ${p.nodeName}'s agent connected?); on ${p.nodeName}: systemctl status tunctl-agent, tunctl doctor (firewall); allow udp/${udpPort} between ${facts.underlayIp} and ${p.underlayIp} both ways`,
      ),
    );
  }
  if (findings.length === 0) {
    const idle = facts.peers.length - talking;
    findings.push(ok(CHECK, facts.peers.length === 0 ? 'no peers yet' : `${count(facts.peers.length, 'peer')}: ${talking} answering, ${idle} idle`));
  }
  return findings;
}

export const peersCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    const agent = answered(ctx);
    if (!agent) return needsAgent(CHECK);
    const s = agent.status;
    return evaluatePeers({ peers: s.peers, udpPort: s.udpPort, underlayIp: s.underlayIp, startedAt: s.startedAt, now: ctx.now, silenceMs: ctx.peerSilenceMs });
  },
};
