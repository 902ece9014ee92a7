// Parsing of flag values shared by commands.
import { UsageError } from './output.js';

export function intFlag(name: string, value: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${String(value)}"`);
  }
  return n;
}

export function requiredString(name: string, value: string | boolean | undefined): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90s", "30m", "24h", "7d" (or a bare number of seconds) as seconds, from 1 s to `maxSeconds`. */
export function durationFlag(name: string, value: string | boolean | undefined, fallback: number, maxSeconds: number): number {
  if (value === undefined) return fallback;
  const match = typeof value === 'string' ? /^([0-9]+)([smhd]?)$/.exec(value) : null;
  const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2] || 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > maxSeconds) {
    throw new UsageError(`--${name} must be a duration like 90s, 30m, 24h or 7d, at most ${Math.floor(maxSeconds / 86400)}d; not "${String(value)}"`);
  }
  return seconds;
}
