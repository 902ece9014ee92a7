// What tunctl prints: tables escape whatever a server or a caller put in a cell, so no
// terminal escape sequence from the audit log reaches an operator's terminal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from '../../cli/output.js';

test('table cells are printed with control characters escaped and columns aligned', () => {
  const out = formatTable(['ACTOR', 'TARGET'], [['anonymous', 'evil\u001b[2J\u001b]0;pwned\u0007'], ['local', 'h1']]);
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(out), 'no control character but newlines');
  assert.match(out, /evil\\u001b\[2J\\u001b\]0;pwned\\u0007/);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2]!.indexOf('h1'), lines[0]!.indexOf('TARGET'));
});
