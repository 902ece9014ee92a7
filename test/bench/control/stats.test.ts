// Nearest-rank percentiles, checked against values worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMs, percentile, summarize } from './stats.js';

test('nearest-rank percentile of sorted values', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 50), 50);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile(hundred, 100), 100);
  assert.equal(percentile([7], 1), 7);
  assert.equal(percentile([1, 2, 3], 50), 2);
  // 99% of 1,000 samples: the 990th smallest.
  assert.equal(percentile(Array.from({ length: 1000 }, (_, i) => i), 99), 989);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 0), RangeError);
  assert.throws(() => percentile([1], 101), RangeError);
});

test('summarize sorts numerically, not as text', () => {
  const s = summarize([100, 9, 20, 3, 1000]);
  assert.equal(s.count, 5);
  assert.equal(s.p50, 20);
  assert.equal(s.max, 1000);
  assert.equal(s.p99, 1000);
  assert.equal(s.mean, 226.4);
  const empty = summarize([]);
  assert.equal(empty.count, 0);
  assert.ok(Number.isNaN(empty.p99));
  assert.equal(formatMs(empty.p99), '-');
  assert.equal(formatMs(12.345), '12.3');
});
