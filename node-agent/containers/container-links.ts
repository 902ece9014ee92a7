// The OS boundary for attaching containers: a veth pair between the host and a network
// namespace, each end configured. ip-container-links.ts is the real implementation.

export interface ContainerLinkSpec {
  /** Path of the namespace file (/run/netns/NAME, /proc/PID/ns/net, ...). */
  readonly netnsPath: string;
  /** The interface inside the container, e.g. eth0. */
  readonly ifname: string;
  /** The host side of the pair. */
  readonly hostInterface: string;
  readonly address: number;
  readonly prefixLen: number;
  /** The container's default gateway, which the host side holds as a /32. */
  readonly gateway: number;
  readonly mtu: number;
}

export interface ContainerLinks {
  /** Whether the namespace already has an interface called `ifname`. */
  hasInterface(netnsPath: string, ifname: string): Promise<boolean>;
  /**
   * Creates the pair and configures both ends: in the container the address, the link up
   * and the default route via the gateway; on the host the gateway /32, proxy ARP, the
   * link up and a /32 route to the container. On failure removes what it made and rejects.
   */
  create(spec: ContainerLinkSpec): Promise<void>;
  /** Removes the pair by its host side (the container end goes with it); fine if it is gone. */
  remove(hostInterface: string): Promise<void>;
  /** Which of these host sides of pairs exist: one look at the host, however many are asked about. */
  existing(hostInterfaces: readonly string[]): Promise<Set<string>>;
}
