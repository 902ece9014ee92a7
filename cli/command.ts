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
};

export const OUTPUT_OPTION: OptionSpec = {
  output: { type: 'string', short: 'o' },
};

export const CONTROLLER_HELP = '  --controller HOST:PORT  controller address (default: $TUNCTL_CONTROLLER, else 127.0.0.1:7400)';
export const OUTPUT_HELP = '  -o, --output table|json  output format (default table; json is the API objects in proto3 JSON)';
