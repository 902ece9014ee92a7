// The underlay UDP socket at the OS boundary, batch-shaped like wireguard-go's conn.Bind:
// caller-owned buffers, sizes and addresses, so a forwarding loop allocates nothing.
// Addresses are IPv4 as unsigned 32-bit integers (common/cidr.ts). Every node uses the
// same UDP port (flannel's udp backend does too), so only addresses travel per packet.
// OS failures that end the socket throw errors carrying `code` like Node's ErrnoException.

export interface Transport {
  /** Local IPv4 address the socket is bound to. */
  readonly localIp: number;
  /** Local UDP port (the kernel's choice when 0 was requested). */
  readonly localPort: number;
  /** Destination port of every datagram sent. */
  readonly peerPort: number;
  /** Underlying file descriptor for handing to worker threads; -1 for in-memory transports. */
  readonly fd: number;
  /** Most datagrams one recv or send call handles; never changes. */
  readonly batchSize: number;
  /**
   * Receives up to min(max, batchSize) datagrams into bufs[i], setting sizes[i] and srcAddrs[i];
   * waits up to the transport's poll timeout for the first one and returns how many arrived (0: none).
   */
  recv(bufs: readonly Uint8Array[], sizes: Int32Array, srcAddrs: Uint32Array, max: number): number;
  /**
   * Sends bufs[i][0, sizes[i]) to dstAddrs[i]:peerPort for i < count, skipping entries whose size is <= 0;
   * returns how many the kernel accepted. A refused datagram gets sizes[i] = -1 and its reason in lastSendError.
   */
  send(bufs: readonly Uint8Array[], sizes: Int32Array, dstAddrs: Uint32Array, count: number): number;
  /** Error code (e.g. "ENETUNREACH") of the last datagram refused, '' if none yet; for logs. */
  readonly lastSendError: string;
  /** Releases the socket and its port. Idempotent. */
  close(): void;
}
