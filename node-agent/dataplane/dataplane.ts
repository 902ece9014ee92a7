// The data path as the agent sees it: one TUN device with a queue per worker, a UDP socket
// per worker sharing the port (SO_REUSEPORT), and a worker thread per queue forwarding
// both directions in a batch loop with sync koffi calls, blocking in poll() between
// bursts. The kernel spreads flows over the queues and sockets. With offloads, the TUN device hands
// over 64 KB superpackets and the sockets send with UDP GSO and receive with UDP GRO;
// without, packets move one by one in recvmmsg/sendmmsg batches. The main thread only
// hands over route tables, reads counters and stops the workers.
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { formatCidr, formatIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import { InvalidArgumentError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { MAX_WORKERS } from './limits.js';
import { LinuxTun, TUN_F_TSO4, TUN_F_USO4 } from '../tun/linux-tun.js';
import { LinuxUdpTransport } from '../udp/linux-udp.js';
import { COUNTER_SLOTS, createCounters, snapshotCounters, type DataplaneStats } from './counters.js';
import { CONTROL_GENERATION, CONTROL_SLOTS, CONTROL_STOP, DEFAULT_BATCH_SIZE, DEFAULT_PACKET_BUFFER } from './forward.js';
import type { ForwardWorkerData, RoutesMessage, WorkerMessage } from './forward-worker.js';
import { PeerCounterBook, type PeerTraffic } from './peer-counters.js';
import { RouteLookup, type PeerRoute } from './route-lookup.js';
import { describePath, type DataplanePath } from './data-path.js';

export type { PeerRoute } from './route-lookup.js';
export type { DataplaneStats, RxDrops, TxDrops } from './counters.js';
export type { PeerTraffic } from './peer-counters.js';
export { describePath, type DataplanePath } from './data-path.js';

export interface DataplaneOptions {
  /** Requested TUN name ("tun%d" lets the kernel number it). */
  tunName: string;
  localUnderlayIp: number;
  udpPort: number;
  /** This node's subnet: the only inner destinations accepted from peers. */
  localSubnet: Ipv4Cidr;
  /** MTU the agent configures on the TUN device; recorded and logged (buffers hold 64 KB packets regardless). */
  mtu: number;
  logger: Logger;
  /** Called once if a worker dies: forwarding has stopped and the agent should exit non-zero. */
  onFailure?: (err: Error) => void;
  /** Reads per batch (default 16 superpackets, or 64 packets on the per-packet path). */
  batchSize?: number;
  /** How long a worker blocks waiting for packets before checking the stop flag (default 200 ms). */
  pollTimeoutMs?: number;
  /** Worker threads, each with its own TUN queue and socket (default: the number of cores). */
  workers?: number;
  /** Try superpackets (TUN offloads, UDP GSO/GRO); false forces the per-packet path (default true). */
  offload?: boolean;
}

/** Superpacket reads are 64 KB each: a smaller batch keeps a burst from delaying the first segments. */
const OFFLOAD_BATCH_SIZE = 16;

interface Queue {
  readonly tun: LinuxTun;
  readonly transport: LinuxUdpTransport;
  /** Written by this queue's worker only, so the hot path adds without atomics. */
  readonly counters: Float64Array;
}

const WORKER_URL = new URL('./forward-worker.js', import.meta.url);
const START_TIMEOUT_MS = 10_000;
/** How often the main thread looks for peers whose counts moved ("last packet seen"). */
const PEER_SAMPLE_INTERVAL_MS = 1_000;
const STOP_TIMEOUT_MS = 5_000;

interface WorkerHandle {
  readonly worker: Worker;
  readonly routesPort: MessagePort;
  readonly exited: Promise<number>;
}

export class Dataplane {
  /** Kernel-assigned TUN name. */
  readonly tunName: string;
  readonly mtu: number;
  readonly localUnderlayIp: number;
  readonly udpPort: number;
  readonly path: DataplanePath;
  private readonly queues: readonly Queue[];
  private readonly control: Int32Array;
  private readonly peerCounters: PeerCounterBook;
  private readonly peerSampler: NodeJS.Timeout;
  private readonly logger: Logger;
  private readonly workers: WorkerHandle[] = [];
  private readonly onFailure: ((err: Error) => void) | undefined;
  private failure: Error | undefined;
  private generation = 0;
  private stopping = false;
  private closing: Promise<void> | undefined;

  private constructor(queues: readonly Queue[], path: DataplanePath, opts: DataplaneOptions) {
    this.queues = queues;
    this.path = path;
    this.tunName = queues[0]!.tun.name;
    this.mtu = opts.mtu;
    this.localUnderlayIp = opts.localUnderlayIp;
    this.udpPort = queues[0]!.transport.localPort;
    this.logger = opts.logger;
    this.onFailure = opts.onFailure;
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
    this.peerCounters = new PeerCounterBook(queues.length);
    this.peerSampler = setInterval(() => this.peerCounters.sample(), PEER_SAMPLE_INTERVAL_MS);
    this.peerSampler.unref();
  }

  /**
   * Creates the TUN device (left unconfigured: the agent sets MTU, address and link state)
   * with a queue per worker, binds a socket per worker, picks the data path the kernel
   * supports and starts the workers with an empty peer table.
   */
  static async open(opts: DataplaneOptions): Promise<Dataplane> {
    if (!Number.isInteger(opts.mtu) || opts.mtu < 576 || opts.mtu > 65535) {
      throw new InvalidArgumentError(`MTU ${opts.mtu} is out of range (576-65535)`);
    }
    if (!Number.isInteger(opts.udpPort) || opts.udpPort < 0 || opts.udpPort > 65535) {
      throw new InvalidArgumentError(`UDP port ${opts.udpPort} is out of range (0-65535)`);
    }
    const workers = opts.workers ?? Math.min(availableParallelism(), MAX_WORKERS);
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
      throw new InvalidArgumentError(`worker count ${workers} is out of range (1-${MAX_WORKERS})`);
    }
    const wantOffload = opts.offload ?? true;
    const pollTimeoutMs = opts.pollTimeoutMs ?? 200;
    const queues: Queue[] = [];
    const closeAll = () => {
      for (const q of queues) {
        q.transport.close();
        q.tun.close();
      }
    };
    let path: DataplanePath;
    try {
      const first = LinuxTun.open(opts.tunName, { offload: wantOffload, multiQueue: workers > 1 });
      let tun = first;
      for (let i = 0; i < workers; i++) {
        if (i > 0) tun = first.openQueue();
        let transport: LinuxUdpTransport;
        try {
          transport = LinuxUdpTransport.open({
            localIp: opts.localUnderlayIp,
            // Every socket shares the first one's port (the kernel's choice when 0 was asked).
            port: i === 0 ? opts.udpPort : queues[0]!.transport.localPort,
            reusePort: workers > 1,
          });
        } catch (err) {
          tun.close();
          throw err;
        }
        queues.push({ tun, transport, counters: createCounters() });
      }
      path = choosePath(first, queues, wantOffload, workers);
    } catch (err) {
      closeAll();
      throw err;
    }
    const batchSize = opts.batchSize ?? (path.mode === 'superpackets' ? OFFLOAD_BATCH_SIZE : DEFAULT_BATCH_SIZE);
    const dp = new Dataplane(queues, path, opts);
    try {
      await dp.startWorkers(opts, batchSize, pollTimeoutMs);
    } catch (err) {
      await dp.close();
      throw err;
    }
    const buffers = queues[0]!.transport.bufferSizes();
    opts.logger.info('dataplane started', {
      tun: dp.tunName,
      underlay: `${formatIpv4(opts.localUnderlayIp)}:${dp.udpPort}`,
      subnet: formatCidr(opts.localSubnet),
      mtu: opts.mtu,
      path: describePath(path),
      workers,
      batch: batchSize,
      rcvbuf: buffers.receive,
      sndbuf: buffers.send,
    });
    // Only a refusal is worth a warning; --offload off is the operator's choice.
    if (path.mode === 'per-packet' && wantOffload) opts.logger.warn('superpackets are off: packets move one by one', { reason: path.reason });
    return dp;
  }

  /** Replaces the peer table in every worker; throws InvalidArgumentError (and changes nothing) on a bad table. */
  setPeers(peers: readonly PeerRoute[]): void {
    if (this.stopping) throw new Error('dataplane is closed');
    // Checked before any slot is given out, so a refused table changes nothing.
    RouteLookup.build(peers);
    const { slots, grown } = this.peerCounters.assign(peers.map((p) => p.nodeName));
    const routes = RouteLookup.build(peers, slots).toData();
    const generation = ++this.generation;
    this.workers.forEach((w, i) => {
      const message: RoutesMessage = { generation, routes, ...(grown && { peerCounters: this.peerCounters.current(i).buffer as SharedArrayBuffer }) };
      w.routesPort.postMessage(message);
    });
    // Publish after posting, so a worker that sees the new generation finds the message.
    Atomics.store(this.control, CONTROL_GENERATION, generation);
  }

  /** Counters snapshot, including drops by reason. */
  stats(): DataplaneStats {
    const sum = new Float64Array(COUNTER_SLOTS);
    for (const q of this.queues) for (let i = 0; i < COUNTER_SLOTS; i++) sum[i]! += q.counters[i]!;
    return snapshotCounters(sum);
  }

  /** Each peer in the table: its traffic and drops since it joined the table, and when it was last heard from. */
  peerTraffic(): PeerTraffic[] {
    return this.peerCounters.read();
  }

  /** Stops every worker, then closes the sockets and the TUN queues (the interface disappears). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.peerSampler);
    Atomics.store(this.control, CONTROL_STOP, 1);
    await Promise.all(
      this.workers.map(async (w) => {
        // A worker notices the flag within one poll timeout; terminate is the backstop.
        const timer = setTimeout(() => void w.worker.terminate(), STOP_TIMEOUT_MS);
        await w.exited;
        clearTimeout(timer);
        w.routesPort.close();
      }),
    );
    for (const q of this.queues) {
      q.transport.close();
      q.tun.close();
    }
  }

  private async startWorkers(opts: DataplaneOptions, batchSize: number, pollTimeoutMs: number): Promise<void> {
    const empty = RouteLookup.empty().toData();
    const readies: Promise<void>[] = [];
    this.queues.forEach((q, queue) => {
      const channel = new MessageChannel();
      const data: ForwardWorkerData = {
        tunFd: q.tun.fd,
        tunName: q.tun.name,
        udpFd: q.transport.fd,
        localUnderlayIp: opts.localUnderlayIp,
        udpPort: q.transport.localPort,
        localSubnet: { base: opts.localSubnet.base, prefixLen: opts.localSubnet.prefixLen },
        batchSize,
        bufferSize: DEFAULT_PACKET_BUFFER,
        pollTimeoutMs,
        counters: q.counters.buffer as SharedArrayBuffer,
        peerCounters: this.peerCounters.current(queue).buffer as SharedArrayBuffer,
        control: this.control.buffer as SharedArrayBuffer,
        routes: empty,
        generation: 0,
        routesPort: channel.port2,
        offload: q.tun.offload,
        gso: this.path.gso,
        queue,
      };
      const worker = new Worker(WORKER_URL, { workerData: data, transferList: [channel.port2], name: `tunctl-queue-${queue}` });
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      this.workers.push({ worker, routesPort: channel.port1, exited });
      readies.push(this.watch(queue, worker, exited));
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`dataplane workers did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.all(readies), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Relays a worker's logs and turns an unexpected exit into a failure; resolves once it is ready. */
  private watch(queue: number, worker: Worker, exited: Promise<number>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let lastError: Error | undefined;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          ready = true;
          resolve();
        } else if (m.type === 'log') {
          this.logger[m.level](m.msg, m.fields);
        }
      });
      worker.on('error', (err) => {
        lastError = err;
      });
      void exited.then((code) => {
        if (this.stopping && code === 0 && !lastError) return;
        const reason = new Error(
          `dataplane worker for queue ${queue} stopped${this.stopping ? ' during shutdown' : ' unexpectedly'} (exit code ${code})${lastError ? `: ${errorMessage(lastError)}` : ''}`,
        );
        if (!ready) {
          reject(reason);
          return;
        }
        this.fail(reason);
      });
    });
  }

  private fail(err: Error): void {
    // A worker killed by the stop backstop is not a failure of a running data path.
    if (this.stopping) {
      this.logger.warn('data path worker did not stop cleanly', { error: err.message });
      return;
    }
    if (this.failure) return;
    this.failure = err;
    this.logger.error('data path failed: packets are no longer forwarded', { error: err.message });
    this.onFailure?.(err);
  }
}

/** Decides the data path from what the device and sockets accepted, enabling GRO on every socket. */
function choosePath(tun: LinuxTun, queues: readonly Queue[], wanted: boolean, workers: number): DataplanePath {
  if (!tun.offload.vnetHeader) {
    const reason = wanted ? 'the TUN device refused offloads (IFF_VNET_HDR/TUNSETOFFLOAD)' : 'turned off with --offload off';
    return { mode: 'per-packet', workers, tso: false, uso: false, gso: false, gro: false, reason };
  }
  const gso = queues[0]!.transport.supportsGso();
  let gro = true;
  for (const q of queues) gro = q.transport.enableGro() && gro;
  return {
    mode: 'superpackets',
    workers,
    tso: (tun.offload.flags & TUN_F_TSO4) !== 0,
    uso: (tun.offload.flags & TUN_F_USO4) !== 0,
    gso,
    gro,
    reason: '',
  };
}
