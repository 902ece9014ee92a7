// The routes that steer traffic into the tunnel: one on the TUN device for every peer's
// subnet, nothing else there, and nothing more specific sending part of a peer's subnet
// another way.
import { cidrContains, cidrContainsIp, formatIpv4, parseCidr, parseIpv4 } from '../../../common/cidr.js';
import { TUNCTL_ROUTE_PROTOCOL } from '../../../node-agent/routes/route-installer.js';
import { answered, needsAgent, type DoctorCheck } from '../doctor.js';
import { count, fail, ok, type Finding } from '../finding.js';
import type { RouteInfo, RouteLookup } from '../host-probe.js';

const CHECK = 'routes';

export interface RoutesFacts {
  readonly tunName: string;
  readonly peers: readonly { readonly nodeName: string; readonly subnet: string }[];
  /** The main table's IPv4 routes. */
  readonly routes: readonly RouteInfo[];
  /** For each peer, where the kernel sends an address of its subnet. */
  readonly lookups: readonly { readonly nodeName: string; readonly address: string; readonly result: RouteLookup }[];
  /** Why the agent's last route check failed; empty when it worked. */
  readonly agentRouteError: string;
}

export function evaluateRoutes(facts: RoutesFacts): Finding[] {
  const { tunName } = facts;
  const findings: Finding[] = [];
  const onTun = facts.routes.filter((r) => r.dev === tunName);
  const elsewhere = facts.routes.filter((r) => r.dev !== tunName);
  const peerSubnets = new Set(facts.peers.map((p) => p.subnet));
  const agentSays = facts.agentRouteError ? ` (its last route check failed: ${facts.agentRouteError})` : '';

  for (const peer of facts.peers) {
    if (!onTun.some((r) => r.dst === peer.subnet)) {
      findings.push(
        fail(
          CHECK,
          `no route for ${peer.nodeName}'s subnet ${peer.subnet} on ${tunName}: nothing from this host reaches its containers until the agent re-adds it at its next route check${agentSays}`,
          `ip route replace ${peer.subnet} dev ${tunName} proto ${TUNCTL_ROUTE_PROTOCOL}`,
        ),
      );
    }
    const subnet = parseCidr(peer.subnet);
    for (const r of elsewhere) {
      if (!cidrContains(subnet, parseCidr(r.dst))) continue;
      // A route without a device is a blackhole, unreachable or prohibit route.
      const goes = r.dev ? `leaves by ${r.dev}${r.gateway ? ` via ${r.gateway}` : ''}` : 'is thrown away (a route without a device: blackhole, unreachable or prohibit)';
      findings.push(
        fail(
          CHECK,
          `traffic to ${r.dst}, in ${peer.nodeName}'s subnet ${peer.subnet}, ${goes}, not ${tunName}: this more specific route wins over the tunnel's`,
          r.dev ? `ip route del ${r.dst} dev ${r.dev}` : `ip route del ${r.dst}`,
        ),
      );
    }
  }
  for (const lookup of facts.lookups) {
    const peer = facts.peers.find((p) => p.nodeName === lookup.nodeName);
    if (!peer) continue;
    const address = parseIpv4(lookup.address);
    const explained = elsewhere.some((r) => cidrContains(parseCidr(peer.subnet), parseCidr(r.dst)) && cidrContainsIp(parseCidr(r.dst), address));
    const dev = 'dev' in lookup.result ? lookup.result.dev : '';
    if (dev === tunName || explained || !onTun.some((r) => r.dst === peer.subnet)) continue;
    const where = dev ? `out ${dev}` : `nowhere (${'error' in lookup.result ? lookup.result.error : 'no route'})`;
    findings.push(
      fail(
        CHECK,
        `the kernel sends ${lookup.address} (${peer.nodeName}'s subnet ${peer.subnet}) ${where}, not into ${tunName}, although the route is there: a policy rule or another table decides`,
        `ip rule show; ip route get ${lookup.address} (find the rule or table and remove it)`,
      ),
    );
  }
  for (const r of onTun) {
    if (peerSubnets.has(r.dst)) continue;
    findings.push(
      fail(
        CHECK,
        `${tunName} holds a route for ${r.dst} (protocol ${r.protocol}) that is no peer's subnet: traffic to it goes into the tunnel, where the agent drops it as routeless`,
        `ip route del ${r.dst} dev ${tunName}`,
      ),
    );
  }
  if (findings.length === 0) findings.push(ok(CHECK, `${tunName} routes ${count(facts.peers.length, 'peer subnet')}, and nothing else`));
  return findings;
}

export const routesCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    const agent = answered(ctx);
    if (!agent) return needsAgent(CHECK);
    const s = agent.status;
    const addresses = s.peers.map((peer) => formatIpv4(parseCidr(peer.subnet).base + 1));
    const results = await ctx.probe.routeGet(addresses.map((dst) => ({ dst })));
    const lookups = s.peers.map((peer, i) => ({ nodeName: peer.nodeName, address: addresses[i]!, result: results[i]! }));
    return evaluateRoutes({ tunName: s.tunName, peers: s.peers, routes: await ctx.probe.routes(), lookups, agentRouteError: s.routes.lastError });
  },
};
