// Starts a real controller on a free loopback port with a temporary data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCidr } from '../../common/cidr.js';
import { MemoryLogger } from '../../common/logger.js';
import { Controller } from '../../controller/controller.js';
import type { NetworkConfigInput } from '../../controller/store/store.js';

export interface ControllerFixture {
  controller: Controller;
  address: string;
  dataDir: string;
  logger: MemoryLogger;
  /** Stops the controller (keeps the data directory). */
  stop(): Promise<void>;
  /** Starts a new controller on the same data directory and port. */
  restart(): Promise<void>;
  /** Stops and deletes the data directory. */
  dispose(): Promise<void>;
}

export function networkInput(cidr = '10.244.0.0/16', subnetLen = 24): NetworkConfigInput {
  return { network: parseCidr(cidr), subnetLen, udpPort: 7000 };
}

export async function startController(
  options: { network?: NetworkConfigInput; heartbeatIntervalMs?: number; changelogRetention?: number } = {},
): Promise<ControllerFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunctl-ctl-'));
  const logger = new MemoryLogger();
  const network = options.network ?? networkInput();
  const start = (listen: string) =>
    Controller.start({ listen, dataDir, network, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000, changelogRetention: options.changelogRetention, logger });
  let controller = await start('127.0.0.1:0');
  const port = controller.port;
  const fixture: ControllerFixture = {
    controller,
    address: `127.0.0.1:${port}`,
    dataDir,
    logger,
    stop: () => controller.stop(500),
    restart: async () => {
      controller = await start(`127.0.0.1:${port}`);
      fixture.controller = controller;
    },
    dispose: async () => {
      await controller.stop(500);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}
