// In-memory UDP for tests: a MemoryNetwork delivers datagrams between the transports bound
// on it, like hosts on one link. Datagrams to an address nobody bound vanish, as with UDP.
import { formatIpv4 } from '../../common/cidr.js';
import { FailedPreconditionError } from '../../common/errors.js';
import type { Transport } from './transport.js';

interface Datagram {
  readonly src: number;
  readonly payload: Buffer;
}

function coded(err: Error, code: string): Error {
  (err as Error & { code: string }).code = code;
  return err;
}

export class MemoryNetwork {
  private readonly endpoints = new Map<string, MemoryTransport>();
  private readonly refused = new Map<number, string>();
  private nextPort = 40000;

  /** Binds a transport at ip:port (port 0: pick one); fails like EADDRINUSE when taken. */
  bind(localIp: number, port: number, options: { peerPort?: number; batchSize?: number } = {}): MemoryTransport {
    let actual = port;
    if (actual === 0) {
      while (this.endpoints.has(`${localIp}:${this.nextPort}`)) this.nextPort++;
      actual = this.nextPort++;
    }
    const key = `${localIp}:${actual}`;
    if (this.endpoints.has(key)) {
      throw coded(new FailedPreconditionError(`UDP port ${actual} on ${formatIpv4(localIp)} is already in use: stop the other process using it or configure another port`), 'EADDRINUSE');
    }
    const t = new MemoryTransport(this, localIp, actual, options.peerPort ?? actual, options.batchSize ?? 64, () => this.endpoints.delete(key));
    this.endpoints.set(key, t);
    return t;
  }

  /** Puts a datagram from any source address in front of the transport at dstIp:dstPort (to fake senders). */
  deliver(srcIp: number, dstIp: number, dstPort: number, payload: Uint8Array): boolean {
    const t = this.endpoints.get(`${dstIp}:${dstPort}`);
    if (!t) return false;
    t.enqueue(srcIp, Buffer.from(payload));
    return true;
  }

  /** Makes every send to `dstIp` fail with `code` (e.g. "ENETUNREACH"), like a missing underlay route. */
  refuseSendsTo(dstIp: number, code: string): void {
    this.refused.set(dstIp, code);
  }

  /** Routing decision for one datagram: an error code, or '' when it goes out. */
  route(dstIp: number): string {
    return this.refused.get(dstIp) ?? '';
  }
}

const MAX_UDP_PAYLOAD = 65_507;

export class MemoryTransport implements Transport {
  readonly localIp: number;
  readonly localPort: number;
  readonly peerPort: number;
  readonly fd = -1;
  readonly batchSize: number;
  lastSendError = '';
  private readonly network: MemoryNetwork;
  private readonly queue: Datagram[] = [];
  private head = 0;
  private closed = false;
  private readonly onClose: () => void;

  constructor(network: MemoryNetwork, localIp: number, localPort: number, peerPort: number, batchSize: number, onClose: () => void) {
    this.network = network;
    this.localIp = localIp;
    this.localPort = localPort;
    this.peerPort = peerPort;
    this.batchSize = batchSize;
    this.onClose = onClose;
  }

  /** Datagrams waiting to be received. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  enqueue(src: number, payload: Buffer): void {
    if (!this.closed) this.queue.push({ src, payload });
  }

  recv(bufs: readonly Uint8Array[], sizes: Int32Array, srcAddrs: Uint32Array, max: number): number {
    this.checkOpen();
    const vlen = Math.min(max, this.batchSize, bufs.length, sizes.length, srcAddrs.length);
    let n = 0;
    while (n < vlen && this.head < this.queue.length) {
      const d = this.queue[this.head++]!;
      // Like the kernel, a buffer that is too small gets the datagram truncated.
      const len = Math.min(d.payload.length, bufs[n]!.length);
      bufs[n]!.set(d.payload.subarray(0, len));
      sizes[n] = len;
      srcAddrs[n] = d.src;
      n++;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return n;
  }

  send(bufs: readonly Uint8Array[], sizes: Int32Array, dstAddrs: Uint32Array, count: number): number {
    this.checkOpen();
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const size = sizes[i]!;
      if (size <= 0) continue;
      if (size > bufs[i]!.length) throw new RangeError(`send: sizes[${i}] = ${size} exceeds its buffer (${bufs[i]!.length} bytes)`);
      // As the kernel: an IPv4 UDP payload is at most 65,535 - 20 - 8 bytes.
      const refusal = size > MAX_UDP_PAYLOAD ? 'EMSGSIZE' : this.network.route(dstAddrs[i]!);
      if (refusal !== '') {
        this.lastSendError = refusal;
        sizes[i] = -1;
        continue;
      }
      this.network.deliver(this.localIp, dstAddrs[i]!, this.peerPort, bufs[i]!.subarray(0, size));
      sent++;
    }
    return sent;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
    this.onClose();
  }

  private checkOpen(): void {
    if (this.closed) throw coded(new FailedPreconditionError(`UDP transport ${formatIpv4(this.localIp)}:${this.localPort} is closed`), 'EBADF');
  }
}
