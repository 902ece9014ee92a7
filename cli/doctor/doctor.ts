// The doctor: a list of checks, each looking at one thing on this host, run one after the
// other against what the agent reports and what the host shows.
import { errorMessage } from '../../common/errors.js';
import { skip, warn, type Finding } from './finding.js';
import type { HostProbe } from './host-probe.js';

/** What the checks read from the agent's GetStatus (the in-process AgentStatus fits it). */
export interface StatusFacts {
  readonly nodeName: string;
  readonly agentVersion: string;
  /** Unix ms. */
  readonly startedAt: number;
  readonly subnet: string;
  readonly underlayIp: string;
  readonly udpPort: number;
  readonly tunName: string;
  readonly tunMtu: number;
  readonly controller: { readonly target: string; readonly state: 'connected' | 'connecting'; readonly since: number; readonly lastError: string; readonly reconnects: number };
  readonly routes: { readonly lastError: string };
  readonly peers: readonly PeerFacts[];
}

export interface PeerFacts {
  readonly nodeName: string;
  readonly underlayIp: string;
  readonly subnet: string;
  readonly traffic: { readonly txPackets: number; readonly rxPackets: number };
  /** Unix ms; 0: never since the agent started. */
  readonly lastRxAt: number;
  readonly lastTxAt: number;
}

/** A container as ListContainers reports it (the fields the checks use). */
export interface ContainerFacts {
  readonly netns: string;
  readonly ifname: string;
  readonly address: string;
  readonly hostInterface: string;
  readonly mtu: number;
  /** Only attached containers are checked: a gone one has no veth left. */
  readonly attached: boolean;
}

/** The agent's answers. */
export interface AgentFacts {
  readonly socket: string;
  readonly status: StatusFacts;
  /** The list, or why the agent could not give it (e.g. unreadable leases). */
  readonly containers: readonly ContainerFacts[] | string;
}

/**
 * Why the agent gave no status: no socket, a socket this user may not open, nobody (or a
 * hung agent) behind it, or an agent that refused the call (e.g. one too old for GetStatus).
 */
export interface AgentSilence {
  readonly socket: string;
  readonly reason: 'missing' | 'denied' | 'unreachable' | 'refused';
  readonly detail: string;
}

export interface DoctorContext {
  readonly probe: HostProbe;
  /** Unix ms, the doctor's clock (the agent runs on the same host). */
  readonly now: number;
  readonly agent: AgentFacts | AgentSilence;
  /** The agent's, else the --tun / --udp-port fallbacks. */
  readonly tunName: string;
  readonly udpPort: number;
  /** How long a peer we keep sending to may stay silent before it is a fault. */
  readonly peerSilenceMs: number;
}

export interface DoctorCheck {
  readonly name: string;
  run(ctx: DoctorContext): Promise<Finding[]>;
}

/** The agent's answers, or null when it did not answer. */
export function answered(ctx: DoctorContext): AgentFacts | null {
  return 'status' in ctx.agent ? ctx.agent : null;
}

/** The finding of a check that needs the agent's status when the agent did not answer. */
export function needsAgent(check: string): Finding[] {
  return [skip(check, 'not checked: it needs the agent\'s status (see the agent check)')];
}

/**
 * Runs every check; a check that throws (a tool missing, a file unreadable) becomes a warning
 * naming what stopped it, and the others still run.
 */
export async function runDoctor(checks: readonly DoctorCheck[], ctx: DoctorContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const check of checks) {
    try {
      findings.push(...(await check.run(ctx)));
    } catch (err) {
      findings.push(warn(check.name, `could not check: ${errorMessage(err)}`, ''));
    }
  }
  return findings;
}
