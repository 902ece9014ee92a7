// The tunctl binary as a child process, the way an operator's shell runs it, with only the
// TUNCTL_* variables a test gives (none leak in from the developer's shell).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const TUNCTL = fileURLToPath(new URL('../../cli/tunctl.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function tunctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.TUNCTL_CONTROLLER;
  delete base.TUNCTL_API_KEY;
  delete base.TUNCTL_JOIN_TOKEN;
  return new Promise((resolve) => {
    execFile(process.execPath, [TUNCTL, ...args], { env: { ...base, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
