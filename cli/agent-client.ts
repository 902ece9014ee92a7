// The helper the host commands (attach, detach, containers) use to reach the agent on this
// host: its local socket (--agent-socket, else $TUNCTL_AGENT_SOCKET, else the default), a
// deadline, and a failure turned into a message for the operator.
import * as grpc from '@grpc/grpc-js';
import { loadTunctlProto } from '../common/proto.js';
import type { AgentLocalServiceClient } from '../proto/gen/tunctl/v1/AgentLocalService.js';
import type { OptionSpec, Values } from './command.js';
import { requireLocalSocket } from './output.js';

/** Where `tunctl agent` serves its local API unless told otherwise (its --socket). */
export const DEFAULT_AGENT_SOCKET = '/run/tunctl/agent.sock';

export const AGENT_SOCKET_OPTION: OptionSpec = { 'agent-socket': { type: 'string' } };
export const AGENT_SOCKET_HELP = `  --agent-socket PATH     the agent's local socket (default: $TUNCTL_AGENT_SOCKET, else ${DEFAULT_AGENT_SOCKET})`;

/** A call the agent refused or could not take; the message is for a person. */
export class AgentCallError extends Error {
  override name = 'AgentCallError';
  readonly code: grpc.status;
  constructor(code: grpc.status, message: string) {
    super(message);
    this.code = code;
  }
}

/** Where the agent's socket should be (--agent-socket, else $TUNCTL_AGENT_SOCKET, else the default), unchecked. */
export function agentSocketPath(values: Values, env: NodeJS.ProcessEnv = process.env): string {
  return (values['agent-socket'] as string | undefined) || env.TUNCTL_AGENT_SOCKET || DEFAULT_AGENT_SOCKET;
}

export function resolveAgentSocket(values: Values, env: NodeJS.ProcessEnv = process.env): string {
  const path = agentSocketPath(values, env);
  return requireLocalSocket(
    path,
    `the agent's socket ${path} does not exist: is \`tunctl agent\` running on this host (with --socket ${path})?`,
    `permission denied on the agent's socket ${path} (it is root-only): run tunctl as root (sudo)`,
  );
}

type UnaryMethod<Req, Res> = (request: Req, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

/** Calls one method of the agent's local API with a deadline; rejects with AgentCallError. */
export async function callAgent<Req, Res>(socketPath: string, method: keyof AgentLocalServiceClient & string, request: Req, timeoutMs = 30_000): Promise<Res> {
  const { proto } = loadTunctlProto();
  const client = new proto.tunctl.v1.AgentLocalService(`unix:${socketPath}`, grpc.credentials.createInsecure());
  try {
    const fn = (client[method] as unknown as UnaryMethod<Req, Res>).bind(client);
    return await new Promise<Res>((resolve, reject) => {
      fn(request, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(describe(err, socketPath));
        else resolve(res as Res);
      });
    });
  } finally {
    client.close();
  }
}

function describe(err: grpc.ServiceError, socketPath: string): AgentCallError {
  const details = err.details || err.message;
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
    const cause = /ECONNREFUSED|ENOENT|EACCES|Deadline exceeded/.exec(details)?.[0] ?? details;
    return new AgentCallError(err.code, `cannot reach the agent at ${socketPath} (${cause}): is \`tunctl agent\` running on this host?`);
  }
  return new AgentCallError(err.code, details);
}
