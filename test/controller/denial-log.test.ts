// Anonymous refusals are itemized up to a budget per minute, then summarized; refusals
// by known callers are always itemized.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryLogger } from '../../common/logger.js';
import { DenialLog } from '../../controller/auth/denial-log.js';
import { SqliteStore } from '../../controller/store/sqlite-store.js';

test('a flood of anonymous refusals writes at most the budget plus one summary row per minute', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-denials-'));
  const store = SqliteStore.open(dir, new MemoryLogger());
  try {
    const log = new DenialLog(store, 5);
    const t0 = Date.parse('2026-11-25T10:00:00Z');
    for (let i = 0; i < 1000; i++) log.record({ at: new Date(t0 + i), actor: 'anonymous', action: 'join', target: '', detail: 'wrong token' });
    for (let i = 0; i < 3; i++) log.record({ at: new Date(t0 + 2000 + i), actor: 'apikey:0123456789abcdef', action: 'AddNode', target: 'x', detail: 'read key' });
    // The next minute: the summary of the last one is written first, then a fresh budget.
    log.record({ at: new Date(t0 + 61_000), actor: 'anonymous', action: 'join', target: '', detail: 'wrong token' });
    log.close();
    const rows = store.listAuditEvents(null, 10_000);
    assert.equal(rows.filter((r) => r.action === 'join').length, 6, '5 itemized in the first minute, 1 in the second');
    assert.equal(rows.filter((r) => r.actor.startsWith('apikey:')).length, 3, 'known callers are always itemized');
    const summaries = rows.filter((r) => r.action === 'refusals-not-itemized');
    assert.equal(summaries.length, 1);
    assert.match(summaries[0]!.detail, /^995 more refused anonymous calls/);
    assert.ok(rows.every((r) => r.outcome === 'denied'));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
