// What a caller sent comes back in error messages only escaped and cut short: a message
// travels in a gRPC trailer, and one quoting a 100 KB field would never arrive.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIpv4 } from '../../common/cidr.js';
import { quoted } from '../../common/errors.js';
import { validateNodeName } from '../../common/names.js';

test('error messages quote at most 64 characters of what the caller sent, escaped', () => {
  assert.equal(quoted('Bad_Name'), '"Bad_Name"');
  assert.equal(quoted('a\u001b[2Jb'), '"a\\u001b[2Jb"', 'control characters are escaped, never printed');
  assert.throws(() => parseIpv4('9'.repeat(100_000)), (err: Error) => err.message.length < 250 && /… \(100000 characters\)/.test(err.message));
  assert.throws(() => validateNodeName('z'.repeat(100_000)), (err: Error) => err.message.length < 250);
});
