// What the agent keeps on disk so that it can come back without the controller (static
// stability): its registration (subnet, network, UDP port, MTU, underlay address, heartbeat
// interval, cluster id) and the last route table it applied. This file only converts between
// that state and the file's text; reading the text back trusts nothing: a version, a checksum
// over the content and a check of every field, so a torn, truncated or edited file is refused
// as a whole instead of putting a half-valid table on the data path.
import { createHash } from 'node:crypto';
import { cidrContains, formatCidr, formatIpv4, parseCidr, parseIpv4, type Ipv4Cidr } from '../../common/cidr.js';
import { errorMessage } from '../../common/errors.js';
import { validateNodeName } from '../../common/names.js';
import type { Registration } from '../controller-client.js';
import type { RouteEntry } from '../route-table.js';

export const STATE_FILE = 'state.json';
export const STATE_VERSION = 1;

/** The route table as last applied; revisions are only meaningful within `clusterId`. */
export interface StoredTable {
  readonly revision: number;
  readonly clusterId: string;
  readonly routes: readonly RouteEntry[];
}

export interface AgentState {
  readonly registration: Registration;
  /** null until the agent has applied a complete table. */
  readonly table: StoredTable | null;
  /** When the state was written (ms since the epoch). */
  readonly savedAt: number;
}

/** The file is not a state this agent can use; the message says what is wrong with it. */
export class StateFileError extends Error {
  override name = 'StateFileError';
}

const MAX_ROUTES = 1 << 20;
const MAX_CLUSTER_ID_CHARS = 256;

export function serializeAgentState(state: AgentState): string {
  const body = {
    savedAt: new Date(state.savedAt).toISOString(),
    registration: {
      nodeName: state.registration.nodeName,
      underlayIp: formatIpv4(state.registration.underlayIp),
      subnet: formatCidr(state.registration.subnet),
      network: formatCidr(state.registration.network),
      udpPort: state.registration.udpPort,
      encapOverhead: state.registration.encapOverhead,
      tunMtu: state.registration.tunMtu,
      heartbeatIntervalMs: state.registration.heartbeatIntervalMs,
      clusterId: state.registration.clusterId,
    },
    table: state.table && {
      revision: state.table.revision,
      clusterId: state.table.clusterId,
      routes: state.table.routes.map((r) => ({ nodeName: r.nodeName, subnet: formatCidr(r.subnet), underlayIp: formatIpv4(r.underlayIp) })),
    },
  };
  return JSON.stringify({ version: STATE_VERSION, checksum: checksumOf(body), body }, null, 1) + '\n';
}

/** The state in `text`; throws StateFileError naming the first thing wrong with it. */
export function parseAgentState(text: string): AgentState {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(`not valid JSON (truncated?): ${errorMessage(err)}`);
  }
  const top = object(file, 'the file');
  if (top.version !== STATE_VERSION) throw new StateFileError(`version ${JSON.stringify(top.version)}, this agent reads version ${STATE_VERSION}`);
  const body = object(top.body, 'body');
  if (typeof top.checksum !== 'string' || top.checksum !== checksumOf(body)) throw new StateFileError('checksum does not match the content');
  const savedAt = Date.parse(string(body.savedAt, 'savedAt'));
  if (!Number.isFinite(savedAt)) throw new StateFileError('savedAt is not a time');
  return { registration: registrationFrom(object(body.registration, 'registration')), table: tableFrom(body.table), savedAt };
}

function checksumOf(body: unknown): string {
  // JSON.stringify keeps key order and round-trips what the writer produced, so the reader
  // recomputes exactly the bytes the writer hashed.
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

function registrationFrom(r: Record<string, unknown>): Registration {
  const subnet = cidr(r.subnet, 'registration.subnet');
  const network = cidr(r.network, 'registration.network');
  if (!cidrContains(network, subnet)) throw new StateFileError(`registration.subnet ${formatCidr(subnet)} is not inside registration.network ${formatCidr(network)}`);
  return {
    nodeName: nodeName(r.nodeName, 'registration.nodeName'),
    underlayIp: ipv4(r.underlayIp, 'registration.underlayIp'),
    subnet,
    network,
    udpPort: integer(r.udpPort, 'registration.udpPort', 1, 65_535),
    encapOverhead: integer(r.encapOverhead, 'registration.encapOverhead', 0, 65_535),
    tunMtu: integer(r.tunMtu, 'registration.tunMtu', 68, 65_535),
    heartbeatIntervalMs: integer(r.heartbeatIntervalMs, 'registration.heartbeatIntervalMs', 1, 86_400_000),
    clusterId: clusterId(r.clusterId, 'registration.clusterId'),
  };
}

function tableFrom(value: unknown): StoredTable | null {
  if (value === null) return null;
  const t = object(value, 'table');
  if (!Array.isArray(t.routes) || t.routes.length > MAX_ROUTES) throw new StateFileError(`table.routes is not a list of at most ${MAX_ROUTES} routes`);
  const seen = new Set<string>();
  const routes = t.routes.map((item: unknown, i: number): RouteEntry => {
    const r = object(item, `table.routes[${i}]`);
    const route = { nodeName: nodeName(r.nodeName, `table.routes[${i}].nodeName`), subnet: cidr(r.subnet, `table.routes[${i}].subnet`), underlayIp: ipv4(r.underlayIp, `table.routes[${i}].underlayIp`) };
    const key = formatCidr(route.subnet);
    if (seen.has(key)) throw new StateFileError(`table.routes has subnet ${key} twice`);
    seen.add(key);
    return route;
  });
  return { revision: integer(t.revision, 'table.revision', 0, Number.MAX_SAFE_INTEGER), clusterId: clusterId(t.clusterId, 'table.clusterId'), routes };
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StateFileError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new StateFileError(`${what} is not a string`);
  return value;
}

function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StateFileError(`${what} is ${JSON.stringify(value)}, not a whole number from ${min} to ${max}`);
  }
  return value;
}

function clusterId(value: unknown, what: string): string {
  const text = string(value, what);
  if (text.length > MAX_CLUSTER_ID_CHARS) throw new StateFileError(`${what} is longer than ${MAX_CLUSTER_ID_CHARS} characters`);
  return text;
}

/** Re-throws the parser's message as a StateFileError naming the field. */
function parsed<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new StateFileError(`${what}: ${errorMessage(err)}`);
  }
}

function nodeName(value: unknown, what: string): string {
  const text = string(value, what);
  return parsed(what, () => validateNodeName(text));
}

function ipv4(value: unknown, what: string): number {
  const text = string(value, what);
  return parsed(what, () => parseIpv4(text));
}

function cidr(value: unknown, what: string): Ipv4Cidr {
  const text = string(value, what);
  return parsed(what, () => parseCidr(text));
}
