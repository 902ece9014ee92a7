// Admin calls the bench makes over the controller's local socket: adding many nodes with a
// bounded number in flight (each AddNode's return time is the t0 of its propagation), and
// reading the route table the agents must end up holding.
import { AdminClient } from '../../../cli/admin-client.js';
import type { AddNodeResponse__Output } from '../../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { ListRoutesResponse__Output } from '../../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import { wallClockMs } from './fleet-protocol.js';
import { forEachLimited } from './limited.js';
import type { MirrorRoute } from './route-mirror.js';

/** 198.18.0.0/15 (the benchmarking range): room for 131,070 distinct underlay addresses. */
const UNDERLAY_BASE = (198 << 24) | (18 << 16);
const UNDERLAY_COUNT = 2 * 65536 - 2;

export function underlayIpFor(index: number): string {
  if (!(index >= 0 && index < UNDERLAY_COUNT)) throw new RangeError(`underlay index ${index} out of range`);
  const ip = (UNDERLAY_BASE + index + 1) >>> 0;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

export interface AddedNode {
  readonly name: string;
  readonly revision: number;
  readonly joinToken: string;
  /** When the AddNode call was made (wall clock). */
  readonly calledAt: number;
  /** When AddNode returned (wall clock): t0 of this change's propagation. */
  readonly returnedAt: number;
}

export async function openAdmin(socketPath: string, timeoutMs = 30_000): Promise<AdminClient> {
  return AdminClient.connect({ kind: 'unix', path: socketPath }, timeoutMs);
}

export async function addNode(admin: AdminClient, name: string, underlayIndex: number): Promise<AddedNode> {
  const calledAt = wallClockMs();
  const res = await admin.call<object, AddNodeResponse__Output>('AddNode', { name, underlayIp: underlayIpFor(underlayIndex) });
  return { name, revision: res.revision, joinToken: res.joinToken?.token ?? '', calledAt, returnedAt: wallClockMs() };
}

/** Adds `count` nodes named `${prefix}${i}` with at most `inFlight` calls outstanding; in index order. */
export async function addNodes(admin: AdminClient, prefix: string, firstUnderlayIndex: number, count: number, inFlight: number): Promise<AddedNode[]> {
  const added = new Array<AddedNode>(count);
  const indexes = Array.from({ length: count }, (_, i) => i);
  await forEachLimited(indexes, inFlight, async (i) => {
    added[i] = await addNode(admin, `${prefix}${i}`, firstUnderlayIndex + i);
  });
  return added;
}

/** The whole route table and its revision, as the agents must hold it. */
export async function controllerRoutes(admin: AdminClient): Promise<{ routes: MirrorRoute[]; revision: number }> {
  const res = await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {});
  return { routes: res.routes.map((r) => ({ subnet: r.subnet, underlayIp: r.underlayIp, nodeName: r.nodeName })), revision: res.revision };
}
