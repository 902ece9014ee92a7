// HostProbe in memory: a host described by its sysctls, links, main routing table, container
// MTUs and firewall text. Route lookups take the longest matching prefix, like the kernel's
// main table; a lookup the kernel would refuse (rp_filter, no forwarding) is set by hand.
import { cidrContainsIp, parseCidr, parseIpv4 } from '../../common/cidr.js';
import type { HostProbe, LegacyIptables, LinkInfo, RouteInfo, RouteLookup, RouteQuery, ToolText } from './host-probe.js';

export class FakeHostProbe implements HostProbe {
  /** Keys as under /proc/sys/net/ipv4 ("ip_forward", "conf/tun0/rp_filter"). */
  readonly sysctls = new Map<string, string>();
  interfaces: LinkInfo[] = [];
  mainTable: RouteInfo[] = [];
  /** "NETNS IFNAME" to MTU. */
  readonly containerMtus = new Map<string, number>();
  /** "DST from SRC iif DEV" to the error the kernel answers. */
  readonly refusals = new Map<string, string>();
  nft: ToolText = { text: '{"nftables": []}' };
  iptables: LegacyIptables = { unavailable: 'no legacy iptables on this host' };

  ipv4Sysctl(key: string): Promise<string | null> {
    return Promise.resolve(this.sysctls.get(key) ?? null);
  }

  links(): Promise<LinkInfo[]> {
    return Promise.resolve(this.interfaces);
  }

  routes(): Promise<RouteInfo[]> {
    return Promise.resolve(this.mainTable);
  }

  routeGet(queries: readonly RouteQuery[]): Promise<RouteLookup[]> {
    return Promise.resolve(queries.map((q) => this.lookup(q)));
  }

  private lookup({ dst, from, iif }: RouteQuery): RouteLookup {
    const refusal = from !== undefined && this.refusals.get(`${dst} from ${from} iif ${iif}`);
    if (refusal) return { error: refusal };
    if (this.interfaces.some((l) => l.addresses.includes(dst))) return { dev: 'lo', type: 'local' };
    const ip = parseIpv4(dst);
    const best = this.mainTable
      .filter((r) => cidrContainsIp(parseCidr(r.dst), ip))
      .sort((a, b) => parseCidr(b.dst).prefixLen - parseCidr(a.dst).prefixLen)[0];
    return best ? { dev: best.dev, type: 'unicast' } : { error: 'Network is unreachable' };
  }

  containerMtu(netns: string, ifname: string): Promise<number | null> {
    return Promise.resolve(this.containerMtus.get(`${netns} ${ifname}`) ?? null);
  }

  nftRuleset(): Promise<ToolText> {
    return Promise.resolve(this.nft);
  }

  legacyIptables(): Promise<LegacyIptables> {
    return Promise.resolve(this.iptables);
  }
}
