// doctor's output: per check one line with its status, what is wrong and its fix indented
// under it; or (-o json) every finding as {check, level, message, fix}. Exit status 1 when
// anything failed.
import { printable } from '../../common/errors.js';
import { worstLevel, type Finding, type Level } from './finding.js';

const LABEL: Record<Level, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function renderTable(findings: readonly Finding[]): string {
  const checks = [...new Set(findings.map((f) => f.check))];
  const width = Math.max(0, ...checks.map((c) => c.length));
  const indent = ' '.repeat(6 + width + 2);
  const lines: string[] = [];
  for (const check of checks) {
    const mine = findings.filter((f) => f.check === check);
    const level = worstLevel(mine);
    const head = `${LABEL[level].padEnd(4)}  ${check.padEnd(width)}  `;
    const problems = mine.filter((f) => f.level === 'warn' || f.level === 'fail');
    if (problems.length === 0) {
      lines.push(head + mine.map((f) => clean(f.message)).join('; '));
      continue;
    }
    problems.forEach((f, i) => {
      lines.push((i === 0 ? head : indent) + (problems.length > 1 ? `${LABEL[f.level]}: ` : '') + clean(f.message));
      if (f.fix) lines.push(`${indent}  fix: ${clean(f.fix)}`);
    });
  }
  lines.push(summary(findings));
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}

export function renderJson(findings: readonly Finding[]): string {
  return JSON.stringify(findings.map(({ check, level, message, fix }) => ({ check, level, message, fix })), null, 2) + '\n';
}

/** 1 when any check failed, else 0 (warnings alone do not fail the run). */
export function exitCode(findings: readonly Finding[]): number {
  return findings.some((f) => f.level === 'fail') ? 1 : 0;
}

function summary(findings: readonly Finding[]): string {
  const byCheck = new Map<string, Level>();
  for (const check of new Set(findings.map((f) => f.check))) byCheck.set(check, worstLevel(findings.filter((f) => f.check === check)));
  const n = (level: Level) => [...byCheck.values()].filter((l) => l === level).length;
  const parts = [`${n('fail')} failed`, `${n('warn')} warned`, `${n('ok')} ok`, ...(n('skip') > 0 ? [`${n('skip')} skipped`] : [])];
  return `${byCheck.size} checks: ${parts.join(', ')}`;
}

/** Messages carry names from the host (interfaces, rules): no control characters reach the terminal. */
function clean(text: string): string {
  return printable(text, 2000);
}
