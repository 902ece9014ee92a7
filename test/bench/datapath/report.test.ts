// The Markdown report: cells are median (min–max) of the runs that measured, failed and
// kernel columns say so, and every ratio reads "> 1: tunctl is better".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRecord } from './metrics.js';
import { median } from './metrics.js';
import { formatRatio, isTunctl, parseMeta, parseRuns, renderReport } from './report.js';

const run = (fw: string, rep: number, metrics: Record<string, number>, extra: Partial<RunRecord> = {}): RunRecord => ({
  fw,
  rep,
  failed: false,
  errors: [],
  metrics,
  ...extra,
});

/** The cells of the row whose first cell starts with `label`, in `lines`. */
function row(lines: readonly string[], label: string): string[] {
  const line = lines.find((l) => l.startsWith(`| ${label}`));
  assert.ok(line, `no row ${label}`);
  return line.split('|').slice(2, -1).map((c) => c.trim());
}

const records: RunRecord[] = [
  run('tunctl', 1, { tcp1_gbps: 2, ping_avg_ms: 0.3, tcp1_cpu_s: 4, rss_peak_mib: 90 }),
  run('tunctl', 2, { tcp1_gbps: 3, ping_avg_ms: 0.2, tcp1_cpu_s: 5, rss_peak_mib: 100 }),
  run('tunctl', 3, { tcp1_gbps: 2.5, ping_avg_ms: 0.25, tcp1_cpu_s: 6, rss_peak_mib: 110 }),
  run('socat', 1, { tcp1_gbps: 0.5, ping_avg_ms: 0.5, tcp1_cpu_s: 2.5, rss_peak_mib: 5 }),
  run('direct', 1, { tcp1_gbps: 20, ping_avg_ms: 0.05 }, { kernel: true }),
  { fw: 'tunctl-1w', rep: 1, failed: true, errors: ['failed at stage fw_up (rc=1): agent1 exited: bad flag'], metrics: {} },
];

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('one column per candidate in the given order, cells median (min–max)', () => {
  const lines = renderReport({ records, candidates: ['tunctl', 'tunctl-1w', 'socat', 'direct'], meta: new Map() }).split('\n');
  assert.deepEqual(row(lines, 'metric'), ['tunctl', 'tunctl-1w', 'socat', 'direct']);
  assert.deepEqual(row(lines, 'runs measured'), ['3/3', '0/1', '1/1', '1/1']);
  assert.deepEqual(row(lines, 'TCP 1 stream ctr1→ctr2'), ['2.50 (2.00–3.00)', 'failed', '0.50', '20.00']);
  assert.deepEqual(row(lines, 'ping RTT avg'), ['0.250 (0.200–0.300)', 'failed', '0.500', '0.050']);
  // a kernel path has no process to measure; a test nobody ran has no figure
  assert.deepEqual(row(lines, 'peak RSS'), ['100.0 (90.0–110.0)', 'failed', '5.0', '–']);
  assert.deepEqual(row(lines, 'TCP 4 streams ctr1→ctr2'), ['n/a', 'failed', 'n/a', 'n/a']);
  assert.ok(lines.includes('- tunctl-1w rep 1: failed at stage fw_up (rc=1): agent1 exited: bad flag'));
});

test('ratios: tunctl/other for throughput, other/tunctl for latency, CPU and RSS', () => {
  const text = renderReport({ records, candidates: ['tunctl', 'tunctl-1w', 'socat', 'direct'], meta: new Map([['cores', '2']]) });
  const ratios = text.slice(text.indexOf('#### tunctl against')).split('\n');
  // failed candidates get no column: there is nothing to compare with
  assert.deepEqual(row(ratios, 'metric'), ['vs socat', 'vs direct']);
  assert.deepEqual(row(ratios, 'TCP 1 stream ctr1→ctr2'), ['5.0×', '0.13×']);
  assert.deepEqual(row(ratios, 'ping RTT avg'), ['2.0×', '0.20×']);
  assert.deepEqual(row(ratios, 'forwarder CPU-s'), ['0.50×', '–']);
  assert.deepEqual(row(ratios, 'peak RSS'), ['0.050×', '–']);
  // the loss percentage has no ratio row (0 % would divide by zero)
  assert.ok(!ratios.some((l) => l.startsWith('| UDP 64 B loss')));
  assert.ok(!text.includes('#### tunctl-1w against'));
  assert.ok(text.includes('- cores: 2'));
});

test('tunctl is compared with its variants; a variant only with the references', () => {
  const withVariant = [...records.filter((r) => r.fw !== 'tunctl-1w'), run('tunctl-1w', 1, { tcp1_gbps: 1.25, ping_avg_ms: 0.25 })];
  const text = renderReport({ records: withVariant, candidates: ['tunctl', 'tunctl-1w', 'socat', 'direct'], meta: new Map() });
  const tunctl = text.slice(text.indexOf('#### tunctl against'), text.indexOf('#### tunctl-1w against')).split('\n');
  const variant = text.slice(text.indexOf('#### tunctl-1w against')).split('\n');
  assert.deepEqual(row(tunctl, 'metric'), ['vs tunctl-1w', 'vs socat', 'vs direct']);
  assert.deepEqual(row(tunctl, 'TCP 1 stream ctr1→ctr2'), ['2.0×', '5.0×', '0.13×']);
  assert.deepEqual(row(variant, 'metric'), ['vs socat', 'vs direct']);
  assert.deepEqual(row(variant, 'TCP 1 stream ctr1→ctr2'), ['2.5×', '0.063×']);
});

test('ratio formatting, tunctl candidates, meta and runs.jsonl parsing', () => {
  assert.equal(formatRatio(0.04237), '0.042×');
  assert.equal(formatRatio(3.14159), '3.1×');
  assert.equal(formatRatio(12.6), '13×');
  assert.equal(formatRatio(Number.NaN), '–');
  assert.ok(isTunctl('tunctl') && isTunctl('tunctl-pp') && !isTunctl('tunctlx') && !isTunctl('socat'));
  assert.deepEqual([...parseMeta('date: 2025-01-01T10:00:00+00:00\ncores: 2\nnot a pair\n')], [
    ['date', '2025-01-01T10:00:00+00:00'],
    ['cores', '2'],
  ]);
  const runs = parseRuns('{"fw":"socat","rep":1,"failed":false,"errors":[],"metrics":{"tcp1_gbps":0.5}}\n\n{"fw":"vxlan","rep":1,"errors":["fail\n');
  assert.equal(runs.length, 2);
  assert.equal(runs[0]!.metrics.tcp1_gbps, 0.5);
  assert.equal(runs[1]!.failed, true);
  assert.deepEqual(runs[1]!.errors, ['runs.jsonl line 3 is not a run record']);
});
