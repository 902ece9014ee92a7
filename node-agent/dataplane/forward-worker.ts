// Worker-thread entry point for one queue: it forwards both directions between the queue's
// TUN descriptor and its socket, attaching its own koffi bindings to the descriptors the
// main thread opened and blocking in poll() between bursts; route tables arrive on a
// MessagePort and are picked up synchronously between batches.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Ipv4Cidr } from '../../common/cidr.js';
import { errorMessage } from '../../common/errors.js';
import type { LogLevel } from '../../common/logger.js';
import { LinuxTun, TUN_F_USO4, type TunOffload } from '../tun/linux-tun.js';
import { LinuxUdpTransport } from '../udp/linux-udp.js';
import { C_SEND_ERRORS, C_TUN_WRITE_ERRORS, countersFrom } from './counters.js';
import {
  createPacketBatch,
  localSubnetFields,
  runDuplexLoop,
  tunToUdpSide,
  udpToTunSide,
  type LoopHooks,
  type LoopSide,
} from './forward.js';
import {
  OFFLOAD_READ_BUFFER,
  OFFLOAD_RECV_BUFFER,
  createCoalescer,
  createOffloadBatch,
  offloadTunToUdpSide,
  offloadUdpToTunSide,
} from './forward-offload.js';
import { ReadinessPoller } from './readiness.js';
import { RouteLookup, type RouteTableData } from './route-lookup.js';

export interface ForwardWorkerData {
  readonly tunFd: number;
  readonly tunName: string;
  readonly udpFd: number;
  readonly localUnderlayIp: number;
  readonly udpPort: number;
  readonly localSubnet: Ipv4Cidr;
  readonly batchSize: number;
  readonly bufferSize: number;
  readonly pollTimeoutMs: number;
  readonly counters: SharedArrayBuffer;
  /** This worker's per-peer counters (peer-counters.ts), until a table brings bigger ones. */
  readonly peerCounters: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly routes: RouteTableData;
  readonly generation: number;
  readonly routesPort: MessagePort;
  /** How the TUN descriptor was opened: with a virtio-net header, the superpacket loops run. */
  readonly offload: TunOffload;
  /** The socket sends with UDP GSO (superpacket path only). */
  readonly gso: boolean;
  /** Index of this worker's queue and socket, for logs. */
  readonly queue: number;
}

export interface RoutesMessage {
  readonly generation: number;
  readonly routes: RouteTableData;
  /** Set when the table outgrew the per-peer counters: count into these from now on. */
  readonly peerCounters?: SharedArrayBuffer;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly queue: number }
  | { readonly type: 'log'; readonly level: LogLevel; readonly msg: string; readonly fields: Record<string, string | number> };

const REPORT_INTERVAL_MS = 1000;

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

function main(data: ForwardWorkerData): void {
  const counters = countersFrom(data.counters);
  const control = new Int32Array(data.control);
  // Reads never wait: the loop polls both descriptors at once.
  const tun = LinuxTun.attach(data.tunFd, data.tunName, { batchSize: data.batchSize, waitForPackets: false, offload: data.offload });
  const transport = LinuxUdpTransport.attach(data.udpFd, {
    localIp: data.localUnderlayIp,
    port: data.udpPort,
    batchSize: data.batchSize,
    waitForPackets: false,
  });
  const poller = new ReadinessPoller(data.tunFd, data.udpFd, data.pollTimeoutMs);
  const port = data.routesPort;

  // Rate-limited reporting, so a persistent failure logs once a second, not once a packet.
  let lastReport = 0;
  let suppressed = 0;
  const report = (msg: string, fields: Record<string, string | number>): void => {
    const now = Date.now();
    if (now - lastReport < REPORT_INTERVAL_MS) {
      suppressed++;
      return;
    }
    lastReport = now;
    post({ type: 'log', level: 'warn', msg, fields: { ...fields, queue: data.queue, suppressed } });
    suppressed = 0;
  };

  // Refused packets are counted by the forwarder; notice a changed counter and say why.
  let sendRefusedSeen = counters[C_SEND_ERRORS]!;
  let writeRefusedSeen = counters[C_TUN_WRITE_ERRORS]!;

  const hooks: LoopHooks = {
    control,
    generation: data.generation,
    takeRoutes() {
      let latest: RoutesMessage | undefined;
      // Bigger per-peer counters may come with a table that a newer one replaced before we looked.
      let peerCounters: Float64Array | undefined;
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        latest = m.message as RoutesMessage;
        if (latest.peerCounters) peerCounters = new Float64Array(latest.peerCounters);
      }
      return latest && { routes: RouteLookup.fromData(latest.routes), generation: latest.generation, ...(peerCounters && { peerCounters }) };
    },
    reportError(err) {
      report('data path I/O error; continuing', { error: errorMessage(err) });
    },
    afterBatch() {
      const sendRefused = counters[C_SEND_ERRORS]!;
      if (sendRefused !== sendRefusedSeen) {
        sendRefusedSeen = sendRefused;
        report('UDP send refused by the kernel', { error: transport.lastSendError, total: sendRefused });
      }
      const writeRefused = counters[C_TUN_WRITE_ERRORS]!;
      if (writeRefused !== writeRefusedSeen) {
        writeRefusedSeen = writeRefused;
        report('TUN write refused by the kernel', { error: tun.lastWriteError, total: writeRefused });
      }
    },
  };

  post({ type: 'ready', queue: data.queue });
  const routes = RouteLookup.fromData(data.routes);
  const peerCounters = new Float64Array(data.peerCounters);
  const local = localSubnetFields(data.localSubnet);
  let out: LoopSide;
  let into: LoopSide;
  if (data.offload.vnetHeader) {
    out = offloadTunToUdpSide({ tun, transport, routes, peerCounters, counters, batch: createOffloadBatch(data.batchSize, OFFLOAD_READ_BUFFER), gso: data.gso });
    const batch = createOffloadBatch(data.batchSize, OFFLOAD_RECV_BUFFER);
    const coalescer = createCoalescer(batch, (data.offload.flags & TUN_F_USO4) !== 0);
    into = offloadUdpToTunSide({ transport, tun, routes, peerCounters, counters, batch, coalescer, ...local });
  } else {
    out = tunToUdpSide({ tun, transport, routes, peerCounters, counters, batch: createPacketBatch(data.batchSize, data.bufferSize) });
    into = udpToTunSide({ transport, tun, routes, peerCounters, counters, batch: createPacketBatch(data.batchSize, data.bufferSize), ...local });
  }
  try {
    runDuplexLoop(out, into, () => poller.wait(), counters, hooks);
  } finally {
    port.close();
  }
}

main(workerData as ForwardWorkerData);
