// What the long-running commands (controller, agent) share: a settings file whose lines are
// their flags ("flag = value", flags on the command line win), the log level and format, and
// the metrics endpoint.
import { existsSync, readFileSync } from 'node:fs';
import { ConsoleLogger, isLogFormat, isLogLevel } from '../common/logger.js';
import { parseMetricsListen } from '../common/metrics-server.js';
import type { OptionSpec, Values } from './command.js';
import { UsageError } from './output.js';

export const SERVICE_OPTIONS: OptionSpec = {
  config: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  'metrics-listen': { type: 'string' },
};

export function serviceHelp(defaultConfig: string): string {
  return [
    `  --config FILE             settings, one "flag = value" per line ("state-dir = /srv/tunctl"); flags`,
    `                            given on the command line win (default ${defaultConfig}, if it exists)`,
    '  --log-level LEVEL         debug, info, warn or error (default: $TUNCTL_LOG_LEVEL, else info)',
    '  --log-format text|json    a line of text or a JSON object per event (default: $TUNCTL_LOG_FORMAT, else text)',
    '  --metrics-listen HOST:PORT',
    '                            serve Prometheus metrics on http://HOST:PORT/metrics, with /healthz and /readyz',
    '                            (default: none; plain HTTP without authentication: bind to loopback or an internal address)',
  ].join('\n');
}

/**
 * The command's flags with the settings file's under them. The file named by --config must
 * exist; the default one is read only if it does. A line naming no flag of the command is
 * refused with its line number, so a typo never passes silently.
 */
export function withSettingsFile(command: string, values: Values, options: OptionSpec, defaultPath: string): Values {
  const explicit = values.config as string | undefined;
  const path = explicit ?? (existsSync(defaultPath) ? defaultPath : undefined);
  if (path === undefined) return values;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the settings file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const fromFile: Values = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${path}:${i + 1}`;
    const m = /^([a-z][a-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`${where}: expected "flag = value", got "${line}"`);
    const [, key, rawValue] = m as unknown as [string, string, string];
    const spec = options[key];
    if (!spec || key === 'config') {
      throw new UsageError(`${where}: "${key}" is not a setting of tunctl ${command}; settings are its flags without "--" (see tunctl ${command} --help)`);
    }
    if (key in fromFile) throw new UsageError(`${where}: "${key}" is set twice`);
    const value = rawValue.replace(/^"(.*)"$/, '$1');
    if (spec.type === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new UsageError(`${where}: "${key}" is true or false, not "${value}"`);
      fromFile[key] = value === 'true';
    } else {
      fromFile[key] = value;
    }
  });
  const merged: Values = { ...fromFile };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) merged[key] = value;
  return merged;
}

/** The process's logger, from --log-level / --log-format, else the environment; UsageError for a value it does not know. */
export function serviceLogger(component: string, values: Values, env: NodeJS.ProcessEnv = process.env): ConsoleLogger {
  const levelSource = values['log-level'] !== undefined ? '--log-level' : 'TUNCTL_LOG_LEVEL';
  const level = (values['log-level'] as string | undefined) ?? env.TUNCTL_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) throw new UsageError(`${levelSource} must be debug, info, warn or error, not "${level}"`);
  const formatSource = values['log-format'] !== undefined ? '--log-format' : 'TUNCTL_LOG_FORMAT';
  const format = (values['log-format'] as string | undefined) ?? env.TUNCTL_LOG_FORMAT ?? 'text';
  if (!isLogFormat(format)) throw new UsageError(`${formatSource} must be text or json, not "${format}"`);
  return new ConsoleLogger(component, level, undefined, format);
}

/** --metrics-listen, checked: undefined when not given. */
export function metricsListenFlag(values: Values): string | undefined {
  const listen = values['metrics-listen'];
  if (listen === undefined) return undefined;
  try {
    parseMetricsListen(String(listen));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return String(listen);
}
