// Reverse-path filtering on the TUN device. With rp_filter strict (1), the kernel drops a
// packet whose source it would not route back out the interface it came in on: a more
// specific route for a peer's subnet elsewhere, or policy routing, silently eats that peer's
// traffic. Rather than second-guess the routing, doctor asks the kernel for each peer:
// `ip route get <our address> from <peer address> iif <tun>` fails exactly when the packet
// would be dropped (EXDEV, "Invalid cross-device link", on older kernels; EINVAL, "Invalid
// argument", on 6.18, seen in the namespace test). Our own TUN address is the destination:
// to a container's address the kernel answers EHOSTUNREACH when forwarding is off before it
// looks at rp_filter, and forwarding has its own check.
import { formatIpv4, parseCidr } from '../../../common/cidr.js';
import { answered, needsAgent, type DoctorCheck } from '../doctor.js';
import { count, fail, ok, skip, sysctlWrite, type Finding } from '../finding.js';
import type { RouteLookup } from '../host-probe.js';

const CHECK = 'rp-filter';

export interface RpFilterFacts {
  readonly tunName: string;
  /** conf/all/rp_filter and conf/<tun>/rp_filter; the kernel applies the higher one. */
  readonly all: number;
  readonly tun: number;
  /** The address packets were sent to (the TUN device's own). */
  readonly localAddress: string;
  readonly probes: readonly RpProbe[];
}

export interface RpProbe {
  readonly peer: string;
  readonly subnet: string;
  /** An address in the peer's subnet, the probe's source. */
  readonly from: string;
  readonly result: RouteLookup;
  /** Where the kernel routes packets to `from` (the way back). */
  readonly reverseDev: string;
}

const MODE: Record<number, string> = { 0: 'off', 1: 'strict', 2: 'loose' };

export function evaluateRpFilter(facts: RpFilterFacts): Finding[] {
  const { tunName, all, tun } = facts;
  const effective = Math.max(all, tun);
  const setting = `rp_filter all=${all} ${tunName}=${tun}, so ${MODE[effective] ?? effective}`;
  const findings: Finding[] = [];
  for (const p of facts.probes) {
    if (!('error' in p.result)) continue;
    const probe = `ip route get ${facts.localAddress} from ${p.from} iif ${tunName}`;
    if (effective > 0 && /cross-device|Invalid argument/.test(p.result.error)) {
      const back = p.reverseDev && p.reverseDev !== tunName ? `the route back to ${p.from} leaves by ${p.reverseDev}, not ${tunName}` : `there is no route back to ${p.from} by ${tunName}`;
      findings.push(
        fail(
          CHECK,
          `reverse-path filtering drops packets from ${p.peer} (${p.subnet}) arriving on ${tunName}: ${setting}, and ${back}`,
          `${sysctlWrite(tunName, 'rp_filter', 2)} (loose; or remove the route that sends ${p.subnet} elsewhere)`,
        ),
      );
    } else {
      findings.push(fail(CHECK, `the kernel refuses packets from ${p.peer} (${p.subnet}) arriving on ${tunName}: ${p.result.error} (${probe})`, `ip route get ${p.from}; ip rule show (see where ${p.subnet} is routed)`));
    }
  }
  if (findings.length === 0) {
    findings.push(ok(CHECK, facts.probes.length === 0 ? `no peers yet (${setting})` : `packets from ${count(facts.probes.length, 'peer subnet')} pass on ${tunName} (${setting})`));
  }
  return findings;
}

export const rpFilterCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    const agent = answered(ctx);
    if (!agent) return needsAgent(CHECK);
    const tunName = agent.status.tunName;
    const tunRp = await ctx.probe.ipv4Sysctl(`conf/${tunName}/rp_filter`);
    if (tunRp === null) return [skip(CHECK, `not checked: ${tunName} does not exist (see the mtu check)`)];
    const tunLink = (await ctx.probe.links()).find((l) => l.ifname === tunName);
    const localAddress = tunLink?.addresses[0] ?? formatIpv4(parseCidr(agent.status.subnet).base);
    const peers = agent.status.peers;
    const froms = peers.map((peer) => formatIpv4(parseCidr(peer.subnet).base + 1));
    // Each peer's probe, then the way back to it, in one look.
    const answers = await ctx.probe.routeGet([...froms.map((from) => ({ dst: localAddress, from, iif: tunName })), ...froms.map((from) => ({ dst: from }))]);
    const probes: RpProbe[] = peers.map((peer, i) => {
      const back = answers[peers.length + i]!;
      return { peer: peer.nodeName, subnet: peer.subnet, from: froms[i]!, result: answers[i]!, reverseDev: 'dev' in back ? back.dev : '' };
    });
    return evaluateRpFilter({ tunName, all: Number((await ctx.probe.ipv4Sysctl('conf/all/rp_filter')) ?? 0), tun: Number(tunRp), localAddress, probes });
  },
};
