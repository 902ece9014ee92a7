#!/usr/bin/env node
// tunctl: one binary for operators (add-node, list-nodes, ...), the controller and the agent.
import { parseArgs } from 'node:util';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, PoolExhaustedError } from '../common/errors.js';
import { ControllerTrustError } from '../common/controller-tls.js';
import { ControllerCallError } from '../common/controller-call-error.js';
import type { Command } from './command.js';
import { agent } from './commands/agent-command.js';
import { controller } from './commands/controller-command.js';
import { addNode, getNode, listNodes, removeNode } from './commands/node-commands.js';
import { network, routes } from './commands/read-commands.js';
import { apikeyCreate, apikeyList, apikeyRevoke, createJoinToken, listJoinTokens, revokeJoinToken } from './commands/credential-commands.js';
import { audit } from './commands/audit-command.js';
import { doctor } from './commands/doctor-command.js';
import { attach, containers, detach } from './commands/container-commands.js';
import { status } from './commands/status-command.js';
import { quarantine, quarantineRelease, reservations, reserve, unreserve } from './commands/subnet-commands.js';
import { UsageError } from './output.js';
import { VERSION } from '../common/version.js';

const COMMANDS: readonly Command[] = [
  addNode,
  removeNode,
  getNode,
  listNodes,
  routes,
  network,
  reserve,
  reservations,
  unreserve,
  quarantine,
  quarantineRelease,
  createJoinToken,
  listJoinTokens,
  revokeJoinToken,
  apikeyCreate,
  apikeyList,
  apikeyRevoke,
  audit,
  controller,
  agent,
  attach,
  detach,
  containers,
  status,
  doctor,
];
/** Commands with a second word ("apikey create"); "quarantine" alone is also a command (the list). */
const GROUPS = new Set(['apikey', 'quarantine']);

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: tunctl COMMAND [flags]',
    '',
    'Overlay network for containers across hosts: a controller owns the address plan,',
    'an agent on every host forwards packets over TUN + UDP.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `tunctl COMMAND --help` for the flags of one command; `tunctl version` for the version.',
  ].join('\n');
}

function groupUsage(group: string): string {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...members.map((c) => c.name.length));
  return [
    `usage: tunctl ${group} SUBCOMMAND [flags]`,
    '',
    ...members.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`tunctl ${group} SUBCOMMAND --help\` for its flags.`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (name !== undefined && GROUPS.has(name)) {
    const sub = rest[0] !== undefined && !rest[0].startsWith('-') ? `${name} ${rest[0]}` : undefined;
    const standalone = COMMANDS.some((c) => c.name === name);
    if (sub !== undefined && (!standalone || COMMANDS.some((c) => c.name === sub))) {
      name = sub;
      rest = rest.slice(1);
    } else if (!standalone) {
      // `tunctl apikey` or `tunctl apikey --help`: the group's commands.
      const help = rest.includes('--help') || rest.includes('-h');
      (help ? process.stdout : process.stderr).write(groupUsage(name) + '\n');
      return help ? 0 : 2;
    }
  }
  if (!name) {
    process.stderr.write(usage() + '\n');
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`tunctl ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`tunctl: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(command.help + '\n');
      return 0;
    }
    if (positionals.length !== command.positionals.length) {
      const want = command.positionals.length === 0 ? 'no arguments' : command.positionals.join(' ');
      throw new UsageError(`${command.name} takes ${want}, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
    }
    return await command.run(values, positionals);
  } catch (err) {
    return reportError(command, err);
  }
}

function reportError(command: Command, err: unknown): number {
  if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`tunctl ${command.name}: ${err.message}\n\n${command.help}\n`);
    return 2;
  }
  if (err instanceof ControllerCallError || err instanceof ControllerTrustError) {
    process.stderr.write(`Error: ${err.message}\n`);
    return 1;
  }
  const known = [InvalidArgumentError, AlreadyExistsError, NotFoundError, FailedPreconditionError, PoolExhaustedError];
  if (known.some((cls) => err instanceof cls) || (err instanceof Error && err.name !== 'Error')) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`Error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`Error: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
