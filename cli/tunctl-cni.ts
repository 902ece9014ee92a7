#!/usr/bin/env node
// tunctl-cni: the CNI plugin (spec 1.0) a container runtime runs to put a container on
// tunctl's network. Install it where the runtime looks for plugins (CNI_PATH) under the
// name the network configuration's "type" gives, e.g. /opt/cni/bin/tunctl-cni. The agent on
// this host does the work; the plugin only talks to its local socket.
import { callAgent } from './agent-client.js';
import { CniError, cniErrorJson, runCni, CNI_AGENT_REFUSED, type AgentCall } from './cni-plugin.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const call: AgentCall = (socket, method, request) => callAgent(socket, method, request);

try {
  // VERSION may come with an empty stdin.
  const stdin = process.env.CNI_COMMAND === 'VERSION' ? '' : await readStdin();
  process.stdout.write(await runCni({ env: process.env, stdin }, call));
} catch (err) {
  const failure = err instanceof CniError ? err : new CniError(CNI_AGENT_REFUSED, err instanceof Error ? err.message : String(err));
  process.stdout.write(cniErrorJson(failure));
  process.exitCode = 1;
}
