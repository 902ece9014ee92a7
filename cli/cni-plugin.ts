// The CNI plugin's logic (spec 1.0: ADD, DEL, CHECK, VERSION), kept apart from process I/O
// so tests can drive it: a container runtime's request in, the result or a CNI error out.
// The work itself is the agent's: ADD is `tunctl attach` with the runtime's container id,
// DEL is `tunctl detach` by that id, CHECK compares the agent's record with what ADD said.
import * as grpc from '@grpc/grpc-js';
import type { Container__Output } from '../proto/gen/tunctl/v1/Container.js';
import type { ListContainersResponse__Output } from '../proto/gen/tunctl/v1/ListContainersResponse.js';
import { AgentCallError, DEFAULT_AGENT_SOCKET } from './agent-client.js';

export const CNI_VERSION = '1.0.0';
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];

// Error codes of the CNI spec; 100 and up are the plugin's own.
export const CNI_INCOMPATIBLE_VERSION = 1;
export const CNI_UNKNOWN_CONTAINER = 3;
export const CNI_INVALID_ENVIRONMENT = 4;
export const CNI_DECODE_ERROR = 6;
export const CNI_INVALID_CONFIG = 7;
export const CNI_TRY_AGAIN_LATER = 11;
export const CNI_AGENT_REFUSED = 100;
export const CNI_CHECK_MISMATCH = 101;

export class CniError extends Error {
  override name = 'CniError';
  readonly code: number;
  readonly details: string;
  constructor(code: number, msg: string, details = '') {
    super(msg);
    this.code = code;
    this.details = details;
  }
}

export interface CniRequest {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: string;
}

/** What the plugin needs from the agent; callAgent over its socket in production. */
export type AgentCall = <Res>(socketPath: string, method: 'Attach' | 'Detach' | 'ListContainers', request: object) => Promise<Res>;

interface NetConf {
  cniVersion: string;
  name: string;
  /** Plugin option: the agent's local socket. */
  agentSocket?: string;
  prevResult?: { ips?: Array<{ address?: string }>; interfaces?: Array<{ name?: string; sandbox?: string }> };
}

/** Runs one CNI command; resolves to what goes to stdout ('' for none), rejects with CniError. */
export async function runCni(req: CniRequest, call: AgentCall): Promise<string> {
  const command = req.env.CNI_COMMAND;
  if (command === 'VERSION') return json({ cniVersion: CNI_VERSION, supportedVersions: SUPPORTED_VERSIONS });
  if (command !== 'ADD' && command !== 'DEL' && command !== 'CHECK') {
    throw new CniError(CNI_INVALID_ENVIRONMENT, `CNI_COMMAND must be ADD, DEL, CHECK or VERSION, not "${command ?? ''}"`);
  }
  const conf = parseConf(req.stdin);
  const socket = conf.agentSocket || DEFAULT_AGENT_SOCKET;
  const containerId = required(req.env, 'CNI_CONTAINERID');
  const ifname = required(req.env, 'CNI_IFNAME');
  try {
    if (command === 'ADD') {
      const netns = required(req.env, 'CNI_NETNS');
      const res = await call<{ container: Container__Output }>(socket, 'Attach', { netns, ifname, containerId });
      return json(resultOf(conf.cniVersion, res.container, netns));
    }
    if (command === 'DEL') {
      // DEL must succeed when there is nothing (left) to delete: runtimes retry it.
      try {
        await call(socket, 'Detach', { containerId });
      } catch (err) {
        if (!(err instanceof AgentCallError && err.code === grpc.status.NOT_FOUND)) throw err;
      }
      return '';
    }
    await check(conf, containerId, ifname, await call<ListContainersResponse__Output>(socket, 'ListContainers', {}));
    return '';
  } catch (err) {
    throw asCniError(err, socket);
  }
}

/** The error object CNI wants on stdout. */
export function cniErrorJson(err: CniError): string {
  return json({ cniVersion: CNI_VERSION, code: err.code, msg: err.message, ...(err.details && { details: err.details }) });
}

function resultOf(cniVersion: string, c: Container__Output, netns: string): object {
  return {
    cniVersion,
    interfaces: [{ name: c.hostInterface }, { name: c.ifname, sandbox: netns }],
    ips: [{ address: c.address, gateway: c.gateway, interface: 1 }],
    routes: [{ dst: '0.0.0.0/0', gw: c.gateway }],
    dns: {},
  };
}

async function check(conf: NetConf, containerId: string, ifname: string, list: ListContainersResponse__Output): Promise<void> {
  const c = list.containers.find((x) => x.containerId === containerId);
  if (!c) throw new CniError(CNI_UNKNOWN_CONTAINER, `container ${containerId} is not attached to this node`);
  if (c.state !== 'STATE_ATTACHED') {
    throw new CniError(CNI_CHECK_MISMATCH, `container ${containerId} is ${c.state === 'STATE_GONE' ? 'gone: its veth no longer exists' : 'outside the node\'s subnet'}; delete and add it again`);
  }
  if (c.ifname !== ifname) throw new CniError(CNI_CHECK_MISMATCH, `container ${containerId} is attached on ${c.ifname}, not ${ifname}`);
  const expected = conf.prevResult?.ips?.[0]?.address;
  if (expected !== undefined && expected !== c.address) {
    throw new CniError(CNI_CHECK_MISMATCH, `container ${containerId} has ${c.address}, not ${expected} as the previous result says`);
  }
}

function parseConf(stdin: string): NetConf {
  let conf: unknown;
  try {
    conf = JSON.parse(stdin);
  } catch (err) {
    throw new CniError(CNI_DECODE_ERROR, 'the network configuration on stdin is not JSON', (err as Error).message);
  }
  if (typeof conf !== 'object' || conf === null) throw new CniError(CNI_INVALID_CONFIG, 'the network configuration must be a JSON object');
  const c = conf as Partial<NetConf>;
  if (typeof c.cniVersion !== 'string') throw new CniError(CNI_INVALID_CONFIG, 'the network configuration has no cniVersion');
  if (!SUPPORTED_VERSIONS.includes(c.cniVersion)) {
    throw new CniError(CNI_INCOMPATIBLE_VERSION, `cniVersion ${c.cniVersion} is not supported`, `supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  if (c.agentSocket !== undefined && typeof c.agentSocket !== 'string') throw new CniError(CNI_INVALID_CONFIG, 'agentSocket must be a path');
  return { cniVersion: c.cniVersion, name: typeof c.name === 'string' ? c.name : '', ...(c.agentSocket && { agentSocket: c.agentSocket }), ...(c.prevResult && { prevResult: c.prevResult }) };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new CniError(CNI_INVALID_ENVIRONMENT, `${name} is not set`);
  return value;
}

function asCniError(err: unknown, socket: string): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof AgentCallError) {
    if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
      return new CniError(CNI_TRY_AGAIN_LATER, `the tunctl agent does not answer on ${socket}: is it running on this host?`, err.message);
    }
    if (err.code === grpc.status.INVALID_ARGUMENT) return new CniError(CNI_INVALID_CONFIG, err.message);
    if (err.code === grpc.status.NOT_FOUND) return new CniError(CNI_INVALID_ENVIRONMENT, err.message);
    return new CniError(CNI_AGENT_REFUSED, err.message);
  }
  return new CniError(CNI_AGENT_REFUSED, err instanceof Error ? err.message : String(err));
}

function json(value: object): string {
  return JSON.stringify(value) + '\n';
}
