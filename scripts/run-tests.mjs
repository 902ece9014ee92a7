// Runs every compiled *.test.js under dist/test with node:test, one file at a time
// (namespace tests and timing-sensitive gRPC tests do not share the 2 cores well).
// Node 20's `--test DIR` would also run helper files in a folder named test, so the
// list is built here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../dist/test', import.meta.url).pathname;
const list = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? list(join(dir, f)) : [join(dir, f)]));
const filter = process.argv.slice(2);
const files = list(root)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filter.length === 0 || filter.some((pattern) => f.includes(pattern)))
  .sort();
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
