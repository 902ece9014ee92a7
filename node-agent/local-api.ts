// The agent's local API (AgentLocalService) on a unix socket: `tunctl attach/detach/
// containers` and the CNI plugin talk to it. The socket's file mode (0600) is the
// credential, as for the controller's admin socket. Handlers stay thin: convert, call the
// container service, convert back; domain errors become status codes in common/rpc-errors.
import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { formatCidr, formatIpv4 } from '../common/cidr.js';
import type { Logger } from '../common/logger.js';
import { loadTunctlProto } from '../common/proto.js';
import { unary } from '../common/rpc-errors.js';
import { bindUnixSocket } from '../common/unix-socket.js';
import type { AgentLocalServiceHandlers } from '../proto/gen/tunctl/v1/AgentLocalService.js';
import type { Container } from '../proto/gen/tunctl/v1/Container.js';
import type { ContainerService, ContainerView } from './containers/container-service.js';
import type { AgentStatus } from './status/agent-status.js';
import { statusToProto } from './status/status-proto.js';

const STATE: Record<ContainerView['state'], Container['state']> = { attached: 'STATE_ATTACHED', gone: 'STATE_GONE', outside: 'STATE_OUTSIDE_SUBNET' };

export function containerToProto(view: ContainerView): Container {
  const { lease } = view;
  return {
    netns: lease.netns,
    ifname: lease.ifname,
    address: `${formatIpv4(lease.address)}/${lease.prefixLen}`,
    gateway: formatIpv4(view.gateway),
    hostInterface: lease.hostInterface,
    mtu: view.mtu,
    containerId: lease.containerId,
    attachedAt: { seconds: Math.floor(lease.attachedAt / 1000), nanos: (lease.attachedAt % 1000) * 1e6 },
    state: STATE[view.state],
  };
}

/**
 * `containers` is an Error when the leases could not be loaded: every container call then
 * fails with it (status still answers).
 */
export function localApiHandlers(service: ContainerService | Error, status: () => AgentStatus, logger: Logger): AgentLocalServiceHandlers {
  const containersOrThrow = (): ContainerService => {
    if (service instanceof Error) throw service;
    return service;
  };
  return {
    Attach: unary('Attach', logger, async (req) => ({
      container: containerToProto(await containersOrThrow().attach({ netns: req.netns, address: req.address, ifname: req.ifname, containerId: req.containerId })),
    })),
    Detach: unary('Detach', logger, async (req) => ({
      container: containerToProto(await containersOrThrow().detach({ netns: req.netns, containerId: req.containerId })),
    })),
    ListContainers: unary('ListContainers', logger, async () => {
      const containers = containersOrThrow();
      return { containers: (await containers.list()).map(containerToProto), subnet: formatCidr(containers.subnet), capacity: containers.usage().capacity };
    }),
    GetStatus: unary('GetStatus', logger, async () => statusToProto(status())),
  };
}

export interface LocalApi {
  readonly path: string;
  close(): Promise<void>;
}

/** Serves the local API on `path` until closed; rejects (FailedPreconditionError) when it cannot listen. */
export async function serveLocalApi(path: string, containers: ContainerService | Error, status: () => AgentStatus, logger: Logger): Promise<LocalApi> {
  const { proto } = loadTunctlProto();
  const server = new grpc.Server();
  server.addService(proto.tunctl.v1.AgentLocalService.service, localApiHandlers(containers, status, logger));
  await bindUnixSocket(server, path, { what: 'agent socket', server: 'agent', flag: '--socket PATH' });
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          // Nobody answers on it any more; the next start would replace it anyway.
          rmSync(path, { force: true });
          resolve();
        });
        // A client holding a call open must not keep the agent from stopping.
        setTimeout(() => server.forceShutdown(), 2_000).unref();
      }),
  };
}
