// What doctor asks the agent on this host: its status and its containers, over the local
// socket. An agent that does not answer is a finding, not an error: the host checks still run.
import { accessSync, constants, existsSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { statusFromProto } from '../../node-agent/status/status-proto.js';
import type { GetStatusResponse__Output } from '../../proto/gen/tunctl/v1/GetStatusResponse.js';
import type { ListContainersResponse__Output } from '../../proto/gen/tunctl/v1/ListContainersResponse.js';
import { AgentCallError, callAgent } from '../agent-client.js';
import { errorMessage } from '../../common/errors.js';
import type { AgentFacts, AgentSilence } from './doctor.js';

/** A doctor run should not sit half a minute on a hung agent. */
const CALL_TIMEOUT_MS = 5_000;

export async function askAgent(socket: string): Promise<AgentFacts | AgentSilence> {
  if (!existsSync(socket)) return { socket, reason: 'missing', detail: '' };
  try {
    accessSync(socket, constants.R_OK | constants.W_OK);
  } catch (err) {
    return { socket, reason: 'denied', detail: errorMessage(err) };
  }
  let status: GetStatusResponse__Output;
  try {
    status = await callAgent<object, GetStatusResponse__Output>(socket, 'GetStatus', {}, CALL_TIMEOUT_MS);
  } catch (err) {
    const unreachable = err instanceof AgentCallError && (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED);
    const code = err instanceof AgentCallError ? grpc.status[err.code] : '';
    const detail = unreachable ? (/ECONNREFUSED|Deadline exceeded/.exec(errorMessage(err))?.[0] ?? code) : `${code}: ${errorMessage(err)}`;
    return { socket, reason: unreachable ? 'unreachable' : 'refused', detail };
  }
  let containers: AgentFacts['containers'];
  try {
    const listed = await callAgent<object, ListContainersResponse__Output>(socket, 'ListContainers', {}, CALL_TIMEOUT_MS);
    containers = listed.containers.map((c) => ({ netns: c.netns, ifname: c.ifname, address: c.address, hostInterface: c.hostInterface, mtu: c.mtu, attached: c.state === 'STATE_ATTACHED' }));
  } catch (err) {
    containers = errorMessage(err);
  }
  return { socket, status: statusFromProto(status), containers };
}
