// Worker-thread entry point for one forwarding direction. It attaches its own koffi
// bindings to the descriptors the main thread opened and runs a blocking packet loop;
// route tables arrive on a MessagePort and are picked up synchronously between batches.
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
  runTunToUdpLoop,
  runUdpToTunLoop,
  type LoopHooks,
} from './forward.js';
import {
  OFFLOAD_READ_BUFFER,
  OFFLOAD_RECV_BUFFER,
  createCoalescer,
  createOffloadBatch,
  runOffloadTunToUdpLoop,
  runOffloadUdpToTunLoop,
} from './forward-offload.js';
import { RouteLookup, type RouteTableData } from './route-lookup.js';

export type ForwardDirection = 'tun-to-udp' | 'udp-to-tun';

export interface ForwardWorkerData {
  readonly direction: ForwardDirection;
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
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly direction: ForwardDirection }
  | { readonly type: 'log'; readonly level: LogLevel; readonly msg: string; readonly fields: Record<string, string | number> };

const REPORT_INTERVAL_MS = 1000;

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

function main(data: ForwardWorkerData): void {
  const counters = countersFrom(data.counters);
  const control = new Int32Array(data.control);
  const tun = LinuxTun.attach(data.tunFd, data.tunName, { batchSize: data.batchSize, pollTimeoutMs: data.pollTimeoutMs, offload: data.offload });
  const transport = LinuxUdpTransport.attach(data.udpFd, {
    localIp: data.localUnderlayIp,
    port: data.udpPort,
    batchSize: data.batchSize,
    pollTimeoutMs: data.pollTimeoutMs,
  });
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
    post({ type: 'log', level: 'warn', msg, fields: { ...fields, direction: data.direction, queue: data.queue, suppressed } });
    suppressed = 0;
  };

  // Refused packets are counted by the forwarder; notice a changed counter and say why.
  const refusedSlot = data.direction === 'tun-to-udp' ? C_SEND_ERRORS : C_TUN_WRITE_ERRORS;
  let refusedSeen = counters[refusedSlot]!;

  const hooks: LoopHooks = {
    control,
    generation: data.generation,
    takeRoutes() {
      let latest: RoutesMessage | undefined;
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
        latest = m.message as RoutesMessage;
      }
      return latest && { routes: RouteLookup.fromData(latest.routes), generation: latest.generation };
    },
    reportError(err) {
      report('data path I/O error; continuing', { error: errorMessage(err) });
    },
    afterBatch() {
      const refused = counters[refusedSlot]!;
      if (refused !== refusedSeen) {
        refusedSeen = refused;
        const reason = data.direction === 'tun-to-udp' ? transport.lastSendError : tun.lastWriteError;
        report(data.direction === 'tun-to-udp' ? 'UDP send refused by the kernel' : 'TUN write refused by the kernel', { error: reason, total: refused });
      }
    },
  };

  post({ type: 'ready', direction: data.direction });
  const routes = RouteLookup.fromData(data.routes);
  try {
    if (data.offload.vnetHeader) {
      if (data.direction === 'tun-to-udp') {
        const batch = createOffloadBatch(data.batchSize, OFFLOAD_READ_BUFFER);
        runOffloadTunToUdpLoop({ tun, transport, routes, counters, batch, gso: data.gso }, hooks);
      } else {
        const batch = createOffloadBatch(data.batchSize, OFFLOAD_RECV_BUFFER);
        const coalescer = createCoalescer(batch, (data.offload.flags & TUN_F_USO4) !== 0);
        runOffloadUdpToTunLoop({ transport, tun, routes, counters, batch, coalescer, ...localSubnetFields(data.localSubnet) }, hooks);
      }
    } else if (data.direction === 'tun-to-udp') {
      runTunToUdpLoop({ tun, transport, routes, counters, batch: createPacketBatch(data.batchSize, data.bufferSize) }, hooks);
    } else {
      const batch = createPacketBatch(data.batchSize, data.bufferSize);
      runUdpToTunLoop({ transport, tun, routes, counters, batch, ...localSubnetFields(data.localSubnet) }, hooks);
    }
  } finally {
    port.close();
  }
}

main(workerData as ForwardWorkerData);
