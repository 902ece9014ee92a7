// The agent's state file on disk: read once at start (anything wrong with it means "no stored
// state", with a warning, never a crash), and rewritten after changes, each time atomically
// (writeFileAtomicSync: a crash leaves the old file or the new one) and coalesced: a storm of
// deltas costs one write per interval, not one per delta.
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../common/atomic-file.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { parseAgentState, serializeAgentState, STATE_FILE, type AgentState } from './agent-state.js';

/** A state file larger than this is not ours (a million routes take about 100 MB). */
const MAX_STATE_FILE_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MIN_WRITE_INTERVAL_MS = 200;

/** Reads the state in `stateDir`; undefined (after a warning, if there was a file) when there is none we can use. */
export function loadAgentState(stateDir: string, logger: Logger): AgentState | undefined {
  const file = join(stateDir, STATE_FILE);
  removeLeftoverTemporaryFiles(stateDir, logger);
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_STATE_FILE_BYTES) throw new Error(`${size} bytes is more than a state file can be`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    logger.warn('cannot read the stored agent state; starting without it', { file, error: errorMessage(err) });
    return undefined;
  }
  try {
    return parseAgentState(text);
  } catch (err) {
    logger.warn('the stored agent state is damaged; ignoring it (the controller will send a fresh one)', { file, error: errorMessage(err) });
    return undefined;
  }
}

/** Removes the state file: for a node the controller no longer knows, whose subnet is no longer its own. */
export function discardAgentState(stateDir: string, logger: Logger): void {
  const file = join(stateDir, STATE_FILE);
  try {
    rmSync(file, { force: true });
  } catch (err) {
    logger.warn('cannot remove the stored agent state', { file, error: errorMessage(err) });
  }
}

/**
 * A write cut short by a crash leaves `state.json.<random>.tmp` behind (the rename never
 * happened, so state.json itself is whole); nobody else writes such names in our folder.
 */
function removeLeftoverTemporaryFiles(stateDir: string, logger: Logger): void {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^state\.json\.[0-9a-f]+\.tmp$/.test(name)) continue;
    try {
      rmSync(join(stateDir, name), { force: true });
      logger.info('removed a state file left half-written by an earlier crash', { file: join(stateDir, name) });
    } catch (err) {
      logger.warn('cannot remove a leftover temporary state file', { file: join(stateDir, name), error: errorMessage(err) });
    }
  }
}

export interface AgentStateWriterOptions {
  readonly logger: Logger;
  /** Least time between two writes (default 200 ms). */
  readonly minIntervalMs?: number;
  /** Replaces the atomic file write; for tests that count writes. */
  readonly writeFile?: (file: string, text: string) => void;
}

export class AgentStateWriter {
  readonly file: string;
  private readonly logger: Logger;
  private readonly minIntervalMs: number;
  private readonly writeFile: (file: string, text: string) => void;
  private pending: (() => AgentState) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAt = Number.NEGATIVE_INFINITY;

  constructor(stateDir: string, options: AgentStateWriterOptions) {
    this.file = join(stateDir, STATE_FILE);
    this.logger = options.logger;
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_WRITE_INTERVAL_MS;
    this.writeFile = options.writeFile ?? ((file, text) => writeFileAtomicSync(file, text, 0o600));
  }

  /**
   * Writes `state()` soon: at once (on the next tick) if the last write is at least the
   * interval ago, else when it is. Changes scheduled meanwhile ride along: `state` is called
   * at write time, so the newest one is written.
   */
  schedule(state: () => AgentState): void {
    this.pending = state;
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writePending();
    }, wait);
  }

  /** Writes what is scheduled now (at shutdown, or before exiting on an error). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writePending();
  }

  private writePending(): void {
    const state = this.pending;
    if (!state) return;
    this.pending = undefined;
    this.lastWriteAt = Date.now();
    try {
      this.writeFile(this.file, serializeAgentState(state()));
    } catch (err) {
      // Forwarding does not depend on the file; the next change tries again.
      this.logger.warn('cannot write the agent state file', { file: this.file, error: errorMessage(err) });
    }
  }
}
