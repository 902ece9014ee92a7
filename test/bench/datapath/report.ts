// The benchmark's Markdown report: one row per metric, one column per candidate, each cell
// "median (min–max)" over the repetitions; then tunctl's ratio to every other candidate,
// the failures with their reasons, and the machine it ran on.
import { METRICS, median, type MetricSpec, type RunRecord } from './metrics.js';

export interface ReportInput {
  readonly records: readonly RunRecord[];
  /** Column order; candidates that only appear in the records follow, in order of appearance. */
  readonly candidates: readonly string[];
  /** "key: value" facts about the run (date, CPU, kernel, REPS, DURATION, versions...). */
  readonly meta: ReadonlyMap<string, string>;
}

/** Candidates measured with tunctl itself: they get ratio tables. */
export function isTunctl(candidate: string): boolean {
  return candidate === 'tunctl' || candidate.startsWith('tunctl-');
}

interface Column {
  readonly name: string;
  readonly runs: readonly RunRecord[];
  readonly ok: readonly RunRecord[];
  readonly kernel: boolean;
}

function columnsOf(input: ReportInput): Column[] {
  const names = [...input.candidates];
  for (const r of input.records) if (!names.includes(r.fw)) names.push(r.fw);
  return names.map((name) => {
    const runs = input.records.filter((r) => r.fw === name);
    const ok = runs.filter((r) => !r.failed);
    return { name, runs, ok, kernel: ok.some((r) => r.kernel === true) };
  });
}

function valuesOf(column: Column, metric: MetricSpec): number[] {
  return column.ok.map((r) => r.metrics[metric.key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** "median (min–max)", just the median for a single figure, or why there is none. */
function cell(column: Column, metric: MetricSpec): string {
  if (column.runs.length > 0 && column.ok.length === 0) return 'failed';
  if (metric.perProcess && column.kernel) return '–';
  const values = valuesOf(column, metric);
  if (values.length === 0) return 'n/a';
  const f = (v: number) => v.toFixed(metric.digits);
  const mid = f(median(values));
  return values.length === 1 ? mid : `${mid} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

/** A ratio with two significant digits below 10 (0.042×, 0.87×, 3.1×), whole above. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio) || ratio <= 0) return '–';
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toPrecision(2)}×`;
}

/** Oriented so that > 1 always means `subject` is better than `reference`. */
function ratio(subject: Column, reference: Column, metric: MetricSpec): string {
  if (metric.perProcess && (subject.kernel || reference.kernel)) return '–';
  const s = median(valuesOf(subject, metric));
  const r = median(valuesOf(reference, metric));
  if (!(s > 0 && r > 0)) return '–';
  return formatRatio(metric.better === 'higher' ? s / r : r / s);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

export function renderReport(input: ReportInput): string {
  const columns = columnsOf(input);
  const out: string[] = [];
  out.push('### Data path: tunctl against the reference tunnels', '');
  out.push(
    'Each cell: median (min–max) over the repetitions that produced the figure (one figure: just it). ' +
      '"failed": no repetition got as far as measuring (see Failures); "–": not applicable (a kernel path has no process ' +
      'whose CPU or memory could be counted); "n/a": the test gave no figure.',
    '',
  );
  const runsRow = ['runs measured', ...columns.map((c) => `${c.ok.length}/${c.runs.length}`)];
  out.push(...table(['metric', ...columns.map((c) => c.name)], [runsRow, ...METRICS.map((m) => [m.label, ...columns.map((c) => cell(c, m))])]));

  const ratioMetrics = METRICS.filter((m) => m.ratio);
  for (const subject of columns.filter((c) => isTunctl(c.name) && c.ok.length > 0)) {
    // `tunctl` is compared with everything, its variants too (what --workers buys); a variant
    // only with the references (against tunctl it would repeat tunctl's column inverted).
    const references = columns.filter((c) => c !== subject && c.ok.length > 0 && (subject.name === 'tunctl' || !isTunctl(c.name)));
    if (references.length === 0) continue;
    out.push('', `#### ${subject.name} against the other candidates`, '');
    out.push(
      `Ratio of medians, oriented so that > 1 means ${subject.name} is better: Gbit/s, kpps and Gbit per CPU-s rows are ` +
        `${subject.name}/other; ping, CPU-s and RSS rows are other/${subject.name}.`,
      '',
    );
    out.push(...table(['metric', ...references.map((c) => `vs ${c.name}`)], ratioMetrics.map((m) => [m.label, ...references.map((c) => ratio(subject, c, m))])));
  }

  const failures = input.records.flatMap((r) => r.errors.map((e) => `- ${r.fw} rep ${r.rep}: ${e}`));
  if (failures.length > 0) out.push('', '#### Failures and warnings', '', ...failures);

  const described = columns.map((c) => [c.name, c.runs.find((r) => r.desc)?.desc] as const).filter(([, d]) => d);
  if (described.length > 0) out.push('', '#### Candidates', '', ...described.map(([name, desc]) => `- ${name}: ${desc}`));
  if (input.meta.size > 0) out.push('', '#### Machine and run', '', ...[...input.meta].map(([k, v]) => `- ${k}: ${v}`));
  return `${out.join('\n')}\n`;
}

/** meta.txt: one "key: value" a line. */
export function parseMeta(text: string): Map<string, string> {
  const meta = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) meta.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return meta;
}

/** runs.jsonl: one RunRecord a line; a line that is not one becomes a failed record saying so. */
export function parseRuns(text: string): RunRecord[] {
  return text.split('\n').flatMap((line, i): RunRecord[] => {
    if (line.trim() === '') return [];
    try {
      const r = JSON.parse(line) as RunRecord;
      if (typeof r.fw !== 'string') throw new Error('no fw');
      return [{ ...r, errors: r.errors ?? [], metrics: r.metrics ?? {}, failed: r.failed === true }];
    } catch {
      return [{ fw: '(unreadable)', rep: 0, failed: true, errors: [`runs.jsonl line ${i + 1} is not a run record`], metrics: {} }];
    }
  });
}
