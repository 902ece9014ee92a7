// MTUs along the tunnel: every packet from the TUN device gains 28 bytes (IPv4 + UDP) on the
// underlay, so the TUN MTU + 28 must fit the underlay interface; and a container whose MTU is
// above the TUN MTU sends packets the tunnel cannot carry whole.
import { ENCAP_OVERHEAD } from '../../../controller/proto-convert.js';
import { answered, needsAgent, type DoctorCheck } from '../doctor.js';
import { count, fail, ok, type Finding } from '../finding.js';

const CHECK = 'mtu';

export interface MtuFacts {
  readonly tunName: string;
  /** The TUN device's MTU as the kernel has it; null when the device does not exist. */
  readonly tunMtu: number | null;
  /** The MTU the agent was given for it. */
  readonly agentTunMtu: number;
  readonly underlayIp: string;
  /** Interfaces packets to peers leave by: the one holding the underlay address, and the one each peer is routed through. */
  readonly paths: readonly UnderlayPath[];
  readonly containers: readonly ContainerMtu[];
}

export interface UnderlayPath {
  readonly ifname: string;
  readonly mtu: number;
  /** e.g. "holds 192.168.77.1", "the route to h2 (192.168.77.2)". */
  readonly role: string;
}

export interface ContainerMtu {
  readonly netns: string;
  readonly ifname: string;
  /** As the kernel has it inside the namespace; null when the interface is gone. */
  readonly mtu: number | null;
}

export function evaluateMtu(facts: MtuFacts): Finding[] {
  const { tunName, tunMtu } = facts;
  if (tunMtu === null) {
    return [fail(CHECK, `${tunName} does not exist although the agent answers: nothing carries overlay traffic`, 'systemctl restart tunctl-agent')];
  }
  const findings: Finding[] = [];
  if (facts.paths.length === 0) {
    findings.push(fail(CHECK, `no interface holds the underlay address ${facts.underlayIp}: peers' packets cannot arrive here`, `ip address add ${facts.underlayIp}/PREFIX dev IFACE (or re-add the node with the address this host has)`));
  }
  const narrowest = [...facts.paths].sort((a, b) => a.mtu - b.mtu)[0];
  if (narrowest && tunMtu + ENCAP_OVERHEAD > narrowest.mtu) {
    const fits = narrowest.mtu - ENCAP_OVERHEAD;
    findings.push(
      fail(
        CHECK,
        `${tunName}'s MTU ${tunMtu} does not fit the underlay: ${narrowest.ifname} (${narrowest.role}) carries ${narrowest.mtu} bytes and each packet gains ${ENCAP_OVERHEAD} bytes of IPv4 and UDP headers, so packets over ${fits} bytes are lost (large transfers stall while ping works)`,
        `ip link set ${tunName} mtu ${Math.min(fits, facts.agentTunMtu)}`,
      ),
    );
  }
  for (const c of facts.containers) {
    if (c.mtu === null || c.mtu <= tunMtu) continue;
    findings.push(
      fail(
        CHECK,
        `container ${c.netns}'s ${c.ifname} has MTU ${c.mtu}, above ${tunName}'s ${tunMtu}: its packets to other hosts over ${tunMtu} bytes are fragmented or refused with ICMP "fragmentation needed", and lost where that is filtered`,
        c.netns.includes('/') ? `nsenter --net=${c.netns} ip link set ${c.ifname} mtu ${tunMtu}` : `ip -n ${c.netns} link set ${c.ifname} mtu ${tunMtu}`,
      ),
    );
  }
  if (findings.length === 0) {
    const under = narrowest ? `${narrowest.ifname} ${narrowest.mtu}` : 'the underlay';
    const containers = facts.containers.filter((c) => c.mtu !== null).length;
    findings.push(ok(CHECK, `${tunName} ${tunMtu} + ${ENCAP_OVERHEAD} fits ${under}${containers > 0 ? `; ${count(containers, 'container MTU')} at most ${tunMtu}` : ''}`));
  }
  return findings;
}

export const mtuCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    const agent = answered(ctx);
    if (!agent) return needsAgent(CHECK);
    const s = agent.status;
    const links = await ctx.probe.links();
    const mtuOf = (ifname: string) => links.find((l) => l.ifname === ifname)?.mtu;
    const paths: UnderlayPath[] = [];
    const holder = links.find((l) => l.addresses.includes(s.underlayIp));
    if (holder) paths.push({ ifname: holder.ifname, mtu: holder.mtu, role: `holds ${s.underlayIp}` });
    const routes = await ctx.probe.routeGet(s.peers.map((peer) => ({ dst: peer.underlayIp })));
    for (const [i, peer] of s.peers.entries()) {
      const route = routes[i]!;
      const mtu = 'dev' in route ? mtuOf(route.dev) : undefined;
      if ('dev' in route && mtu !== undefined && route.dev !== holder?.ifname) paths.push({ ifname: route.dev, mtu, role: `the route to ${peer.nodeName} (${peer.underlayIp})` });
    }
    const containers: ContainerMtu[] = [];
    for (const c of typeof agent.containers === 'string' ? [] : agent.containers.filter((c) => c.attached)) {
      containers.push({ netns: c.netns, ifname: c.ifname, mtu: await ctx.probe.containerMtu(c.netns, c.ifname) });
    }
    return evaluateMtu({ tunName: s.tunName, tunMtu: mtuOf(s.tunName) ?? null, agentTunMtu: s.tunMtu, underlayIp: s.underlayIp, paths, containers });
  },
};
