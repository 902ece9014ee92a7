// What a tunctl subcommand is: a name, its help, its flags and what it runs.
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage line(s) and flag descriptions shown by --help. */
  readonly help: string;
  readonly options: OptionSpec;
  /** How many positional arguments the command takes (names shown in help). */
  readonly positionals: readonly string[];
  /** Runs the command; resolves to the process exit code. */
  run(values: Values, positionals: string[]): Promise<number>;
}

export const CONTROLLER_OPTION: OptionSpec = {
  controller: { type: 'string' },
  'api-key-file': { type: 'string' },
};

/** The connection flags of a command that talks to the controller. */
export function connectionFlags(values: Values): { controller?: string; apiKeyFile?: string } {
  return { controller: values.controller as string | undefined, apiKeyFile: values['api-key-file'] as string | undefined };
}

export const OUTPUT_OPTION: OptionSpec = {
  output: { type: 'string', short: 'o' },
};

export const CONTROLLER_HELP = [
  '  --controller ADDR       unix:/path or HOST:PORT (default: $TUNCTL_CONTROLLER, else the local',
  '                          admin socket unix:/run/tunctl/controller.sock)',
  '  --api-key-file FILE     API key for HOST:PORT (default: $TUNCTL_API_KEY)',
].join('\n');
export const OUTPUT_HELP = '  -o, --output table|json  output format (default table; json is the API objects in proto3 JSON)';
