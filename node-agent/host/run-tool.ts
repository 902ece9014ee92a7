// Runs a host tool (ip, nsenter) with a deadline and optional stdin, for the files that own
// those tools. A non-zero exit is a result, not an error: callers read stderr and decide.
import { execFile } from 'node:child_process';
import { FailedPreconditionError } from '../../common/errors.js';

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A tool that could not run to the end (killed at its deadline, or failed to start). */
export class ToolRunError extends Error {
  override name = 'ToolRunError';
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

export interface RunToolOptions {
  readonly input?: string;
  readonly timeoutMs: number;
  /** Said when the binary is missing, e.g. "install iproute2 (apt-get install iproute2)". */
  readonly installHint: string;
}

export function runTool(path: string, args: readonly string[], options: RunToolOptions): Promise<ToolResult> {
  const describe = [path, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile(
      path,
      args,
      { encoding: 'utf8', timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
        if (e.code === 'ENOENT') {
          reject(new FailedPreconditionError(`cannot run "${path}": not found; ${options.installHint}`));
        } else if (typeof e.code === 'number') {
          resolve({ code: e.code, stdout, stderr });
        } else if (e.killed && e.code == null) {
          reject(new ToolRunError(`${describe} did not finish within ${options.timeoutMs} ms and was killed`, stderr));
        } else {
          reject(new ToolRunError(`${describe} failed: ${e.message}${stderr ? `: ${stderr.trim()}` : ''}`, stderr));
        }
      },
    );
    if (options.input !== undefined && child.stdin) {
      // The tool may exit before reading everything (e.g. killed); the exit callback reports that.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}
