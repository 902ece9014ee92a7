// A firewall on this host dropping the agents' UDP port: peers' packets never reach the agent.
// Both nftables (iptables-nft included) and legacy iptables are read; a rule counts when a
// datagram to the port that starts a flow would meet it on its way in.
import type { DoctorCheck } from '../doctor.js';
import { count, fail, ok, skip, warn, type Finding } from '../finding.js';
import { chainsFromIptablesSave } from '../firewall/iptables-save.js';
import { chainsFromNft } from '../firewall/nft-ruleset.js';
import { findDrops, type Chain } from '../firewall/rule-walk.js';
import type { LegacyIptables, ToolText } from '../host-probe.js';

const CHECK = 'firewall';

export interface FirewallFacts {
  readonly udpPort: number;
  readonly nft: ToolText;
  readonly legacyIptables: LegacyIptables;
}

export function evaluateFirewall(facts: FirewallFacts): Finding[] {
  const port = facts.udpPort;
  const chains: Chain[] = [];
  const read: string[] = [];
  if ('text' in facts.nft) {
    chains.push(...chainsFromNft(facts.nft.text, port));
    read.push('nftables');
  }
  if ('text' in facts.legacyIptables) {
    chains.push(...chainsFromIptablesSave(facts.legacyIptables.text, port, facts.legacyIptables.command));
    read.push('legacy iptables');
  }
  if (read.length === 0) return [skip(CHECK, `not checked: the nftables ruleset cannot be read (${'unavailable' in facts.nft ? facts.nft.unavailable : ''})`)];
  const findings: Finding[] = [];
  for (const drop of findDrops(chains)) {
    const what = drop.text === 'policy drop' ? `${drop.where} drops UDP to port ${port} by its policy (no rule accepts it first)` : `${drop.where} (${drop.text}) drops UDP to port ${port}`;
    if (drop.unless.length === 0) {
      findings.push(fail(CHECK, `${what}: peers' packets never reach the agent, so this host receives no overlay traffic`, drop.fix));
    } else {
      findings.push(warn(CHECK, `${what} when ${drop.unless.join(' and ')}: check that peers' packets are not among them`, drop.fix));
    }
  }
  if (findings.length === 0) {
    findings.push(ok(CHECK, `nothing drops udp/${port} (${read.join(' and ')}, ${count(chains.filter((c) => c.base).length, 'input chain')})`));
  }
  return findings;
}

export const firewallCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    return evaluateFirewall({ udpPort: ctx.udpPort, nft: await ctx.probe.nftRuleset(), legacyIptables: await ctx.probe.legacyIptables() });
  },
};
