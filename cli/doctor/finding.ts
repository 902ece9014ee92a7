// What doctor says about one thing on the host: how bad it is, in one plain sentence why it
// matters, and the command that fixes it.

/** skip: the check could not look (it needs something that is missing, named in the message). */
export type Level = 'ok' | 'warn' | 'fail' | 'skip';

export interface Finding {
  /** The check's name, e.g. "ip-forward". */
  readonly check: string;
  readonly level: Level;
  readonly message: string;
  /** A command (or two, separated by "; ") that fixes it; empty when nothing needs fixing. */
  readonly fix: string;
}

const SEVERITY: Record<Level, number> = { skip: 0, ok: 1, warn: 2, fail: 3 };

/** The worst level among findings (ok for none). */
export function worstLevel(findings: readonly Finding[]): Level {
  let worst: Level = findings.length === 0 ? 'ok' : 'skip';
  for (const f of findings) if (SEVERITY[f.level] > SEVERITY[worst]) worst = f.level;
  return worst;
}

export function ok(check: string, message: string): Finding {
  return { check, level: 'ok', message, fix: '' };
}

export function skip(check: string, message: string): Finding {
  return { check, level: 'skip', message, fix: '' };
}

export function warn(check: string, message: string, fix: string): Finding {
  return { check, level: 'warn', message, fix };
}

export function fail(check: string, message: string, fix: string): Finding {
  return { check, level: 'fail', message, fix };
}

/** `sysctl -w` for an interface's IPv4 setting; names with a dot need the slash form of the key. */
export function sysctlWrite(ifname: string, key: string, value: number): string {
  return ifname.includes('.') ? `sysctl -w net/ipv4/conf/${ifname}/${key}=${value}` : `sysctl -w net.ipv4.conf.${ifname}.${key}=${value}`;
}

/** "1 peer", "2 peers". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "45s", "3m 12s", "2h 5m", "3d 4h": how long, for messages. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
