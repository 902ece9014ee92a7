// Reading a /metrics answer in tests: each sample line of the Prometheus text format becomes
// an entry keyed by the series exactly as printed (`name{label="value",...}`), so a test
// asserts the label names, their order and their escaping along with the value.
import assert from 'node:assert/strict';
import { PROMETHEUS_CONTENT_TYPE } from '../../common/metrics-server.js';

export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    const series = line.slice(0, cut);
    const raw = line.slice(cut + 1);
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    // prom-client prints NaN as "Nan"; Prometheus reads NaN in any case.
    assert.ok(!Number.isNaN(value) || raw.toLowerCase() === 'nan', `a sample value: ${line}`);
    assert.ok(!samples.has(series), `series printed twice: ${series}`);
    samples.set(series, value);
  }
  return samples;
}

/** GET `url` (an endpoint's /metrics), checks the answer is the Prometheus text format, parses it. */
export async function scrape(url: string): Promise<{ samples: Map<string, number>; text: string }> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  assert.equal(res.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
  const text = await res.text();
  return { samples: parseExposition(text), text };
}

/** The value of one series; fails the test when the series is not there. */
export function sample(samples: Map<string, number>, series: string): number {
  const value = samples.get(series);
  assert.ok(value !== undefined, `series ${series} is exported; got:\n${[...samples.keys()].filter((k) => k.startsWith(series.split('{')[0]!)).join('\n')}`);
  return value;
}
