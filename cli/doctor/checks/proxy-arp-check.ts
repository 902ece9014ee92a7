// Proxy ARP on each container's host-side veth: a container ARPs for every address it thinks
// is on its link (its gateway, its subnet neighbours on other hosts), and only the host can
// answer for them.
import { answered, needsAgent, type DoctorCheck } from '../doctor.js';
import { count, fail, ok, skip, sysctlWrite, type Finding } from '../finding.js';

const CHECK = 'proxy-arp';

export interface ProxyArpFacts {
  readonly netns: string;
  readonly address: string;
  readonly hostInterface: string;
  /** conf/<veth>/proxy_arp as read; null when the veth is gone. */
  readonly proxyArp: string | null;
}

export function evaluateProxyArp(veths: readonly ProxyArpFacts[]): Finding[] {
  const present = veths.filter((v) => v.proxyArp !== null);
  const findings: Finding[] = [];
  for (const v of present) {
    if (v.proxyArp === '1') continue;
    findings.push(
      fail(
        CHECK,
        `proxy ARP is off on ${v.hostInterface}, the host side of container ${v.netns} (${v.address}): its ARP requests for its gateway and for other hosts' containers go unanswered, so it reaches nothing off its veth`,
        sysctlWrite(v.hostInterface, 'proxy_arp', 1),
      ),
    );
  }
  if (findings.length === 0) findings.push(ok(CHECK, present.length === 0 ? 'no containers attached' : `proxy ARP is on for ${count(present.length, 'container veth')}`));
  return findings;
}

export const proxyArpCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    const agent = answered(ctx);
    if (!agent) return needsAgent(CHECK);
    if (typeof agent.containers === 'string') return [skip(CHECK, 'not checked: the agent cannot list its containers (see the agent check)')];
    const facts: ProxyArpFacts[] = [];
    for (const c of agent.containers.filter((c) => c.attached)) {
      facts.push({ netns: c.netns, address: c.address, hostInterface: c.hostInterface, proxyArp: await ctx.probe.ipv4Sysctl(`conf/${c.hostInterface}/proxy_arp`) });
    }
    return evaluateProxyArp(facts);
  },
};
