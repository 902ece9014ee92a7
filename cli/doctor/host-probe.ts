// The OS boundary of `tunctl doctor`: what it reads from the host's network namespace.
// linux-host-probe.ts reads it with /proc/sys, ip, nsenter, nft and iptables-save;
// fake-host-probe.ts holds it in memory for tests.

export interface LinkInfo {
  readonly ifname: string;
  readonly mtu: number;
  /** IPv4 addresses, dotted quads without prefix length. */
  readonly addresses: readonly string[];
}

export interface RouteInfo {
  /** CIDR ("default" is 0.0.0.0/0, a host route a.b.c.d/32). */
  readonly dst: string;
  readonly dev: string;
  /** Empty when the route has no gateway. */
  readonly gateway: string;
  /** The route's protocol as ip prints it ("kernel", "static", "147", ...). */
  readonly protocol: string;
}

/** A packet to `dst`; with `from` and `iif`, one that arrived on `iif` from `from`. */
export interface RouteQuery {
  readonly dst: string;
  readonly from?: string;
  readonly iif?: string;
}

/** The kernel's decision for one packet: where it goes, or the error it refuses it with. */
export type RouteLookup = { readonly dev: string; readonly type: string } | { readonly error: string };

/** Text a tool printed, or why there is none (not installed, not permitted). */
export type ToolText = { readonly text: string } | { readonly unavailable: string };

/** Legacy iptables rules, with the command that changes them (iptables-legacy, or iptables where that is legacy). */
export type LegacyIptables = { readonly text: string; readonly command: string } | { readonly unavailable: string };

export interface HostProbe {
  /** A value under /proc/sys/net/ipv4 ("ip_forward", "conf/all/rp_filter"), trimmed; null if it does not exist. */
  ipv4Sysctl(key: string): Promise<string | null>;
  /** Every interface with its MTU and IPv4 addresses. */
  links(): Promise<LinkInfo[]>;
  /** The IPv4 routes of the main table. */
  routes(): Promise<RouteInfo[]>;
  /**
   * Where the kernel sends each packet, in the order asked: all in one look, since a check
   * asks once or twice per peer and a cluster may have thousands.
   */
  routeGet(queries: readonly RouteQuery[]): Promise<RouteLookup[]>;
  /** The MTU of `ifname` inside a namespace (a name under /run/netns or a path); null when it has no such interface. */
  containerMtu(netns: string, ifname: string): Promise<number | null>;
  /** `nft -j list ruleset`. */
  nftRuleset(): Promise<ToolText>;
  /** `iptables-save` of the legacy (non-nftables) iptables, when this host has it. */
  legacyIptables(): Promise<LegacyIptables>;
}
