// Read commands print either an aligned table for people or the API's objects in the
// proto3 JSON mapping (camelCase names, 64-bit integers as strings, RFC 3339 times).
import { accessSync, constants, existsSync } from 'node:fs';
import { printable } from '../common/errors.js';

export type OutputFormat = 'table' | 'json';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table') return 'table';
  if (value === 'json') return 'json';
  throw new UsageError(`-o must be "table" or "json", not "${value}"`);
}

/**
 * A local unix socket the caller must be able to use: UsageError with `missing` when it is not
 * there, `denied` when this user may not open it.
 */
export function requireLocalSocket(path: string, missing: string, denied: string): string {
  if (!existsSync(path)) throw new UsageError(missing);
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new UsageError(denied);
  }
  return path;
}

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Proto fields of type (u)int64, rendered as strings in proto3 JSON. */
const INT64_FIELDS = new Set(['revision', 'baseRevision', 'subnetsTotal', 'subnetsUsed', 'subnetsReserved', 'subnetsQuarantined', 'appliedRevision', 'lag', 'id']);

function isTimestamp(value: unknown): value is { seconds: number; nanos: number } {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 2 && keys.includes('seconds') && keys.includes('nanos');
}

export function timestampToRfc3339(ts: { seconds: number; nanos: number }): string {
  return new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();
}

/** Converts a message as grpc-js decoded it into its proto3 JSON form. */
export function toProtoJson(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v) => toProtoJson(v));
  if (isTimestamp(value)) return timestampToRfc3339(value);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const converted = toProtoJson(v, k);
      if (converted !== undefined) out[k] = converted;
    }
    return out;
  }
  if (typeof value === 'number' && INT64_FIELDS.has(key)) return String(value);
  return value;
}

/** A response as -o asks: proto3 JSON, or the text `render` makes of it. Resolves to exit code 0. */
export function printResponse<Res>(values: Record<string, string | boolean | undefined>, res: Res, render: (res: Res) => string): number {
  if (parseOutputFormat(values.output as string | undefined) === 'json') printJson(res);
  else process.stdout.write(render(res));
  return 0;
}

export function printJson(value: unknown, write: (s: string) => void = (s) => process.stdout.write(s)): void {
  write(JSON.stringify(toProtoJson(value), null, 2) + '\n');
}

/** Left-aligned columns separated by two spaces, headers in capitals. Cells are printed escaped: no server text can drive the terminal. */
export function formatTable(headers: readonly string[], rawRows: readonly (readonly string[])[]): string {
  const rows = rawRows.map((r) => r.map((cell) => printable(cell, 10_000)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** "45s", "3m 12s", "2h 5m", "3d 4h": how long, for messages. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** "3m ago" style age for tables. */
export function formatAge(ts: { seconds: number; nanos: number } | null | undefined, nowMs = Date.now()): string {
  if (!ts) return '-';
  const s = Math.max(0, Math.round((nowMs - ts.seconds * 1000) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
