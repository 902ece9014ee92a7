// Group commit: writes queued in one turn share one transaction, each in its own savepoint;
// a refused write rolls back alone, a failed commit fails them all, and nobody hears back
// before the commit. Against a real SQLite store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCidr } from '../../common/cidr.js';
import { AlreadyExistsError } from '../../common/errors.js';
import { MemoryLogger } from '../../common/logger.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';
import { WriteBatcher } from '../../controller/write-batcher.js';

function openStore(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-batch-'));
  const store = SqliteStore.open(dir, new MemoryLogger());
  store.initNetwork({ network: parseCidr('10.244.0.0/16'), subnetLen: 24, udpPort: 7000 });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

test('writes queued together commit in one transaction; a refused one rolls back alone', async (t) => {
  const store = openStore(t);
  let transactions = 0;
  const batcher = new WriteBatcher({
    commit: (writes) => {
      transactions++;
      return store.batchWrites(writes);
    },
  });
  const add = (name: string, ip: number) => batcher.run(() => store.addNode({ name, underlayIp: 0xc0a80000 + ip }, new Date()));
  const results = await Promise.allSettled([add('a', 1), add('b', 2), add('a', 3), add('c', 4)]);
  assert.equal(transactions, 1);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.ok((results[2] as PromiseRejectedResult).reason instanceof AlreadyExistsError);
  assert.deepEqual(store.listNodes().map((n) => n.name).sort(), ['a', 'b', 'c']);
  const revisions = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ revision: number }>).value.revision);
  assert.deepEqual(revisions, [1, 2, 3], 'the refused write left no revision behind');
  assert.equal(store.changesSince(0)!.length, 3);
});

test('a failed commit fails every write of the batch, and nothing is stored', async (t) => {
  const store = openStore(t);
  // The commit fails as a full disk would make it: every write of the batch hears so.
  const batcher = new WriteBatcher({
    commit: () => {
      throw new Error('disk I/O error');
    },
  });
  const results = await Promise.allSettled([1, 2, 3].map((i) => batcher.run(() => store.addNode({ name: `n${i}`, underlayIp: 0xc0a80000 + i }, new Date()))));
  assert.ok(results.every((r) => r.status === 'rejected' && /disk I\/O error/.test(String((r as PromiseRejectedResult).reason))));
  assert.equal(store.listNodes().length, 0);
});

test('more writes than maxBatch go out in several transactions, in order', async (t) => {
  const store = openStore(t);
  let transactions = 0;
  const batcher = new WriteBatcher({ maxBatch: 4, commit: (writes) => (transactions++, store.batchWrites(writes)) });
  const added = await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.run(() => store.addNode({ name: `n${i}`, underlayIp: 0xc0a80100 + i }, new Date()))));
  assert.equal(transactions, 3);
  assert.deepEqual(added.map((a) => a.revision), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('a burst larger than a batch is answered batch by batch: the first callers hear back before the next batch commits', async (t) => {
  const store = openStore(t);
  const events: string[] = [];
  const batcher = new WriteBatcher({ commit: (writes) => (events.push(`commit ${writes.length}`), store.batchWrites(writes)) });
  await Promise.all(
    Array.from({ length: 256 }, (_, i) => batcher.run(() => store.addNode({ name: `b${i}`, underlayIp: 0xc0a80300 + i }, new Date())).then(() => void events.push('answer'))),
  );
  // A client with 256 calls in flight sends its next ones while the rest commit (see write-batcher.ts).
  const answers = (n: number) => Array<string>(n).fill('answer');
  assert.deepEqual(events, [...['commit 64', ...answers(64)], ...['commit 64', ...answers(64)], ...['commit 64', ...answers(64)], ...['commit 64', ...answers(64)]]);
});

test('a write made of several store calls is undone whole when a later call throws', async (t) => {
  const store = openStore(t);
  const batcher = new WriteBatcher({ commit: (writes) => store.batchWrites(writes) });
  const both = batcher.run(() => {
    store.addNode({ name: 'first', underlayIp: 0xc0a80201 }, new Date());
    store.getNode('missing'); // throws NotFoundError after the add above
  });
  const other = batcher.run(() => store.addNode({ name: 'other', underlayIp: 0xc0a80202 }, new Date()));
  await assert.rejects(both, /missing/);
  await other;
  assert.deepEqual(store.listNodes().map((n) => n.name), ['other'], 'the half-done write left nothing behind');
});

test('a batch is committed durably if any of its writes asks for it; bookkeeping alone skips the fsync', async (t) => {
  const store = openStore(t);
  const commits: boolean[] = [];
  const batcher = new WriteBatcher({ commit: (writes, durable) => (commits.push(durable), store.batchWrites(writes, durable)) });
  await Promise.all([batcher.run(() => store.addNode({ name: 'a', underlayIp: 0xc0a80301 }, new Date()), { durable: false })]);
  await Promise.all([
    batcher.run(() => store.addNode({ name: 'b', underlayIp: 0xc0a80302 }, new Date()), { durable: false }),
    batcher.run(() => store.addNode({ name: 'c', underlayIp: 0xc0a80303 }, new Date())),
  ]);
  assert.deepEqual(commits, [false, true]);
  assert.equal(store.pragmas().synchronous, 2, 'synchronous is back to FULL after a batch without fsync');
  assert.deepEqual(store.listNodes().map((n) => n.name), ['a', 'b', 'c']);
});
