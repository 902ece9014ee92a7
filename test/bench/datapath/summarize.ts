// node dist/test/bench/datapath/summarize.js RUN_DIR NAME REP
// node dist/test/bench/datapath/summarize.js --failed STAGE --rc RC RUN_DIR NAME REP
//
// Prints the run's RunRecord as one JSON line (run.sh appends it to runs.jsonl). With
// --failed: the record of a run that stopped at STAGE, with the telling line of the log of
// every process listed in RUN_DIR/dead.txt.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { failedRun, summarizeRun, type RawRun } from './summarize-run.js';

function readRunDir(dir: string): RawRun {
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  const logs = new Map<string, string>();
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.log')) logs.set(basename(file, '.log'), read(file) ?? '');
  }
  return { read, logs };
}

const { values, positionals } = parseArgs({
  options: { failed: { type: 'string' }, rc: { type: 'string' } },
  allowPositionals: true,
});
const [dir, name, rep] = positionals;
if (!dir || !name || !rep || !/^\d+$/.test(rep)) {
  console.error('usage: summarize.js [--failed STAGE --rc RC] RUN_DIR NAME REP');
  process.exit(2);
}
const raw = readRunDir(dir);
const record = values.failed !== undefined ? failedRun(raw, name, Number(rep), values.failed, values.rc ?? '?') : summarizeRun(raw, name, Number(rep));
process.stdout.write(`${JSON.stringify(record)}\n`);
