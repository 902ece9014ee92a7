// The data path as the agent sees it: one TUN device, one UDP socket and two worker
// threads (TUN->UDP and UDP->TUN), each running a blocking batch loop with sync koffi
// calls. The main thread only hands over route tables, reads counters and stops them.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { formatCidr, formatIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import { InvalidArgumentError, errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { LinuxTun } from '../tun/linux-tun.js';
import { LinuxUdpTransport } from '../udp/linux-udp.js';
import { createCounters, snapshotCounters, type DataplaneStats } from './counters.js';
import { CONTROL_GENERATION, CONTROL_SLOTS, CONTROL_STOP, DEFAULT_BATCH_SIZE, DEFAULT_PACKET_BUFFER } from './forward.js';
import type { ForwardDirection, ForwardWorkerData, RoutesMessage, WorkerMessage } from './forward-worker.js';
import { RouteLookup, type PeerRoute } from './route-lookup.js';

export type { PeerRoute } from './route-lookup.js';
export type { DataplaneStats, RxDrops, TxDrops } from './counters.js';

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
  /** Packets per batch (default 64). */
  batchSize?: number;
  /** How long a worker blocks waiting for packets before checking the stop flag (default 200 ms). */
  pollTimeoutMs?: number;
}

const WORKER_URL = new URL('./forward-worker.js', import.meta.url);
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

interface WorkerHandle {
  readonly direction: ForwardDirection;
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
  private readonly tun: LinuxTun;
  private readonly transport: LinuxUdpTransport;
  private readonly counters: Float64Array;
  private readonly control: Int32Array;
  private readonly logger: Logger;
  private readonly workers: WorkerHandle[] = [];
  private readonly onFailure: ((err: Error) => void) | undefined;
  private failure: Error | undefined;
  private generation = 0;
  private stopping = false;
  private closing: Promise<void> | undefined;

  private constructor(tun: LinuxTun, transport: LinuxUdpTransport, opts: DataplaneOptions) {
    this.tun = tun;
    this.transport = transport;
    this.tunName = tun.name;
    this.mtu = opts.mtu;
    this.localUnderlayIp = opts.localUnderlayIp;
    this.udpPort = transport.localPort;
    this.logger = opts.logger;
    this.onFailure = opts.onFailure;
    this.counters = createCounters();
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  }

  /**
   * Creates the TUN device (left unconfigured: the agent sets MTU, address and link state),
   * binds the UDP socket and starts both workers with an empty peer table.
   */
  static async open(opts: DataplaneOptions): Promise<Dataplane> {
    if (!Number.isInteger(opts.mtu) || opts.mtu < 576 || opts.mtu > 65535) {
      throw new InvalidArgumentError(`MTU ${opts.mtu} is out of range (576-65535)`);
    }
    if (!Number.isInteger(opts.udpPort) || opts.udpPort < 0 || opts.udpPort > 65535) {
      throw new InvalidArgumentError(`UDP port ${opts.udpPort} is out of range (0-65535)`);
    }
    const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    const pollTimeoutMs = opts.pollTimeoutMs ?? 200;
    const tun = LinuxTun.open(opts.tunName);
    let transport: LinuxUdpTransport;
    try {
      transport = LinuxUdpTransport.open({ localIp: opts.localUnderlayIp, port: opts.udpPort });
    } catch (err) {
      tun.close();
      throw err;
    }
    const dp = new Dataplane(tun, transport, opts);
    try {
      await dp.startWorkers(opts, batchSize, pollTimeoutMs);
    } catch (err) {
      await dp.close();
      throw err;
    }
    const buffers = transport.bufferSizes();
    opts.logger.info('dataplane started', {
      tun: tun.name,
      underlay: `${formatIpv4(opts.localUnderlayIp)}:${transport.localPort}`,
      subnet: formatCidr(opts.localSubnet),
      mtu: opts.mtu,
      batch: batchSize,
      rcvbuf: buffers.receive,
      sndbuf: buffers.send,
    });
    return dp;
  }

  /** Replaces the peer table in both workers; throws InvalidArgumentError (and changes nothing) on a bad table. */
  setPeers(peers: readonly PeerRoute[]): void {
    if (this.stopping) throw new Error('dataplane is closed');
    const table = RouteLookup.build(peers);
    const generation = ++this.generation;
    const message: RoutesMessage = { generation, routes: table.toData() };
    for (const w of this.workers) w.routesPort.postMessage(message);
    // Publish after posting, so a worker that sees the new generation finds the message.
    Atomics.store(this.control, CONTROL_GENERATION, generation);
  }

  /** Counters snapshot, including drops by reason. */
  stats(): DataplaneStats {
    return snapshotCounters(this.counters);
  }

  /** Stops both workers, then closes the socket and the TUN device (the interface disappears). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
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
    this.transport.close();
    this.tun.close();
  }

  private async startWorkers(opts: DataplaneOptions, batchSize: number, pollTimeoutMs: number): Promise<void> {
    const empty = RouteLookup.empty().toData();
    const readies: Promise<void>[] = [];
    for (const direction of ['tun-to-udp', 'udp-to-tun'] as const) {
      const channel = new MessageChannel();
      const data: ForwardWorkerData = {
        direction,
        tunFd: this.tun.fd,
        tunName: this.tun.name,
        udpFd: this.transport.fd,
        localUnderlayIp: opts.localUnderlayIp,
        udpPort: this.transport.localPort,
        localSubnet: { base: opts.localSubnet.base, prefixLen: opts.localSubnet.prefixLen },
        batchSize,
        bufferSize: DEFAULT_PACKET_BUFFER,
        pollTimeoutMs,
        counters: this.counters.buffer as SharedArrayBuffer,
        control: this.control.buffer as SharedArrayBuffer,
        routes: empty,
        generation: 0,
        routesPort: channel.port2,
      };
      const worker = new Worker(WORKER_URL, { workerData: data, transferList: [channel.port2], name: `tunctl-${direction}` });
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      this.workers.push({ direction, worker, routesPort: channel.port1, exited });
      readies.push(this.watch(direction, worker, exited));
    }
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
  private watch(direction: ForwardDirection, worker: Worker, exited: Promise<number>): Promise<void> {
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
          `dataplane worker ${direction} stopped${this.stopping ? ' during shutdown' : ' unexpectedly'} (exit code ${code})${lastError ? `: ${errorMessage(lastError)}` : ''}`,
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
