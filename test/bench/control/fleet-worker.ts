// A fleet worker process: hosts many simulated agents (see fleet.ts) and answers the
// runner's commands, one JSON line in on stdin, one JSON line out on stdout. When stdin
// closes (the runner is gone) it stops its agents and exits, so no orphan keeps connections.
import { createInterface } from 'node:readline';
import { Fleet } from './fleet.js';
import type { FleetCommand, FleetReply, FleetRequest } from './fleet-protocol.js';

const fleet = new Fleet();

async function handle(command: FleetCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'join':
      return fleet.join(command.target, command.agents, command.concurrency, command.timeoutMs);
    case 'start':
      fleet.start(command.rampMs);
      return { started: fleet.size };
    case 'status':
      return fleet.status(command.revision ?? 0);
    case 'reset-history':
      fleet.resetHistory();
      return {};
    case 'applied':
      return fleet.applied(command.revisions);
    case 'resync':
      return fleet.resync(command.since, command.revision);
    case 'verify':
      return fleet.verify(command.routes, command.revision);
    case 'stop':
      fleet.stop();
      setTimeout(() => process.exit(0), 100);
      return {};
  }
}

function reply(message: FleetReply): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let request: FleetRequest;
  try {
    request = JSON.parse(line) as FleetRequest;
  } catch (err) {
    process.stderr.write(`fleet worker: unreadable command ${JSON.stringify(line.slice(0, 200))}: ${(err as Error).message}\n`);
    return;
  }
  handle(request.command).then(
    (result) => reply({ id: request.id, ok: true, result }),
    (err: Error) => reply({ id: request.id, ok: false, error: err.stack ?? err.message }),
  );
});
lines.on('close', () => {
  fleet.stop();
  setTimeout(() => process.exit(0), 100);
});
