// Is the agent on this host answering? Everything else doctor says about the overlay comes
// from its status; without it only the host's own settings can be checked.
import { answered, type AgentFacts, type AgentSilence, type DoctorCheck } from '../doctor.js';
import { fail, ok, warn, type Finding } from '../finding.js';

const CHECK = 'agent';

export interface AgentCheckFacts {
  readonly agent: AgentFacts | AgentSilence;
  readonly tunName: string;
  /** Whether the TUN device exists: an agent whose socket we cannot reach may still run. */
  readonly tunExists: boolean;
}

export function evaluateAgent(facts: AgentCheckFacts): Finding[] {
  const { agent, tunName } = facts;
  if ('status' in agent) {
    const s = agent.status;
    const findings = [ok(CHECK, `agent ${s.nodeName} (tunctl ${s.agentVersion}) answers on ${agent.socket}: subnet ${s.subnet}, ${s.tunName}, udp/${s.udpPort}`)];
    if (typeof agent.containers === 'string') {
      findings.push(
        warn(CHECK, `the agent cannot list its containers (${agent.containers}), so their proxy ARP and MTU are not checked`, 'repair or remove the file it names; systemctl restart tunctl-agent'),
      );
    }
    return findings;
  }
  switch (agent.reason) {
    case 'missing':
      if (facts.tunExists) {
        return [
          fail(
            CHECK,
            `the agent's socket ${agent.socket} does not exist, but ${tunName} does: an agent runs with its local API elsewhere (its --socket) or off, and doctor cannot read its status`,
            `tunctl doctor --agent-socket PATH (the agent's --socket)`,
          ),
        ];
      }
      return [
        fail(CHECK, `the agent is not running: its socket ${agent.socket} and ${tunName} do not exist, so this host forwards no overlay traffic`, 'systemctl start tunctl-agent; journalctl -u tunctl-agent (why it stopped)'),
      ];
    case 'denied':
      return [fail(CHECK, `permission denied on the agent's socket ${agent.socket} (it is root-only), so doctor cannot read the agent's status`, 'sudo tunctl doctor')];
    case 'unreachable':
      return [
        fail(CHECK, `the agent does not answer on ${agent.socket} (${agent.detail}): it is not running or hangs, and nothing repairs routes meanwhile`, 'systemctl restart tunctl-agent; journalctl -u tunctl-agent'),
      ];
    case 'refused':
      return [
        fail(CHECK, `the agent on ${agent.socket} refused to give its status (${agent.detail}): it is probably older than this tunctl`, 'install this tunctl version on the host; systemctl restart tunctl-agent'),
      ];
  }
}

export const agentCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    const tunExists = answered(ctx) !== null || (await ctx.probe.links()).some((l) => l.ifname === ctx.tunName);
    return evaluateAgent({ agent: ctx.agent, tunName: ctx.tunName, tunExists });
  },
};
