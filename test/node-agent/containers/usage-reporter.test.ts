import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLogger } from '../../../common/logger.js';
import { UsageReporter } from '../../../node-agent/containers/usage-reporter.js';

/** A controller stand-in whose answers the test releases one by one. */
function controller() {
  const calls: Array<{ leased: number; capacity: number; answer: (err?: Error) => void }> = [];
  const send = (leased: number, capacity: number) =>
    new Promise<void>((resolve, reject) => calls.push({ leased, capacity, answer: (err) => (err ? reject(err) : resolve()) }));
  return { calls, send };
}

test('usage reporter: one report in flight; what changed meanwhile goes next, only the latest', async () => {
  const c = controller();
  const reporter = new UsageReporter(c.send, new MemoryLogger());
  reporter.update(1, 253);
  reporter.update(2, 253);
  reporter.update(3, 253);
  assert.deepEqual(c.calls.map((x) => x.leased), [1], 'the first goes at once, the others wait');
  c.calls[0]!.answer();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(c.calls.map((x) => x.leased), [1, 3], 'then only the latest');
  c.calls[1]!.answer();
  await reporter.settled();
  reporter.update(3, 253);
  assert.equal(c.calls.length, 2, 'figures the controller has are not sent again');
});

test('usage reporter: a failure is logged once and retried on the next change or resend', async () => {
  const c = controller();
  const logger = new MemoryLogger();
  const reporter = new UsageReporter(c.send, logger);
  reporter.update(1, 253);
  c.calls[0]!.answer(new Error('cannot reach the controller'));
  await reporter.settled();
  assert.equal(c.calls.length, 1, 'no retry loop while the controller is away');
  reporter.resend();
  assert.equal(c.calls.length, 2);
  c.calls[1]!.answer(new Error('cannot reach the controller'));
  await reporter.settled();
  assert.equal(logger.lines.filter((l) => l.includes('could not report address usage')).length, 1, 'the same failure is logged once');
  reporter.update(2, 253);
  assert.deepEqual([c.calls[2]!.leased, c.calls[2]!.capacity], [2, 253]);
  c.calls[2]!.answer();
  await reporter.settled();
  reporter.resend();
  assert.equal(c.calls.length, 4, 'resend after reconnecting sends even unchanged figures');
  c.calls[3]!.answer();
  await reporter.settled();
});
