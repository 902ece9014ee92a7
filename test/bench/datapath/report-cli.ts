// node dist/test/bench/datapath/report-cli.js RESULTS_DIR
//
// Reads RESULTS_DIR/runs.jsonl and RESULTS_DIR/meta.txt (written by bench.sh), prints the
// Markdown report and writes it to RESULTS_DIR/report.md. Can be re-run on old results.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMeta, parseRuns, renderReport } from './report.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: report-cli.js RESULTS_DIR');
  process.exit(2);
}
const readOr = (file: string, fallback: string) => {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return fallback;
  }
};
const meta = parseMeta(readOr('meta.txt', ''));
const report = renderReport({
  records: parseRuns(readOr('runs.jsonl', '')),
  candidates: (meta.get('candidates') ?? '').split(/\s+/).filter((c) => c !== ''),
  meta,
});
writeFileSync(join(dir, 'report.md'), report);
process.stdout.write(report);
