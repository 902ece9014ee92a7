// Is the agent connected to the controller? Without it the host forwards with the routes it
// has, but it learns of no new node, removed node or changed subnet.
import { answered, needsAgent, type DoctorCheck, type StatusFacts } from '../doctor.js';
import { fail, formatDuration, ok, warn, type Finding } from '../finding.js';

const CHECK = 'controller';
/** A reconnect shorter than this is a blip (a controller restart), not yet a fault. */
const RECONNECT_GRACE_MS = 10_000;

export function evaluateController(controller: StatusFacts['controller'], now: number): Finding[] {
  const { target, since, lastError, reconnects } = controller;
  const forMs = since > 0 ? now - since : 0;
  if (controller.state === 'connected') {
    return [ok(CHECK, `connected to ${target}${since > 0 ? ` for ${formatDuration(forMs)}` : ''} (${reconnects} reconnects since the agent started)`)];
  }
  const [host, port] = splitTarget(target);
  const fix = `systemctl status tunctl-controller (on the controller's host); nc -zv ${host} ${port} (reachable from here?); journalctl -u tunctl-agent (a refused credential says so)`;
  const why = `${lastError ? ` (last error: ${lastError})` : ''}`;
  if (since > 0 && forMs < RECONNECT_GRACE_MS) {
    return [warn(CHECK, `the agent is reconnecting to the controller at ${target} since ${formatDuration(forMs)} ago${why}`, fix)];
  }
  return [
    fail(
      CHECK,
      `the agent has not reached the controller at ${target}${since > 0 ? ` for ${formatDuration(forMs)}` : ''}${why}: it forwards with the routes it has, but new, removed or changed nodes do not reach this host`,
      fix,
    ),
  ];
}

function splitTarget(target: string): [string, string] {
  const colon = target.lastIndexOf(':');
  return colon > 0 ? [target.slice(0, colon), target.slice(colon + 1)] : [target, '7400'];
}

export const controllerCheck: DoctorCheck = {
  name: CHECK,
  async run(ctx) {
    const agent = answered(ctx);
    if (!agent) return needsAgent(CHECK);
    return evaluateController(agent.status.controller, ctx.now);
  },
};
