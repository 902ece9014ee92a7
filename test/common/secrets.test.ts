// The text format of join tokens and API keys: what parses, what is refused and how,
// and that only hashes are compared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../common/errors.js';
import { hashSecret, newSecret, parseSecret, secretMatches } from '../../common/secrets.js';

const FP = 'F'.repeat(43);

test('a new secret round-trips through its text and matches only its own hash', () => {
  const token = newSecret('join-token', FP);
  assert.match(token.text, /^tj1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\.F{43}$/);
  const parsed = parseSecret('join-token', ` ${token.text}\n`);
  assert.deepEqual([parsed.id, parsed.secret, parsed.caFingerprint], [token.id, token.secret, FP]);
  assert.equal(token.secretHash, hashSecret(token.secret));
  assert.ok(secretMatches(token.secret, token.secretHash));
  assert.ok(!secretMatches(newSecret('join-token', FP).secret, token.secretHash));
  assert.ok(!secretMatches(token.secret, 'abcd'), 'a malformed stored hash never matches');
  assert.notEqual(newSecret('api-key', FP).id, newSecret('api-key', FP).id);
  assert.match(newSecret('api-key', FP).text, /^tk1\./);
});

test('malformed secrets are refused with the expected shape, and a key is not a token', () => {
  const key = newSecret('api-key', FP).text;
  assert.throws(() => parseSecret('join-token', key), (err: unknown) => err instanceof InvalidArgumentError && /this looks like an? API key/.test(err.message));
  for (const bad of ['', 'tj1', 'tj1.abc.def.ghi', `tj1.${'g'.repeat(16)}.${'a'.repeat(43)}.${FP}`, `tj1.${'a'.repeat(16)}.${'a'.repeat(42)}.${FP}`, `tj1.${'a'.repeat(16)}.${'a'.repeat(43)}.${FP}.x`]) {
    assert.throws(() => parseSecret('join-token', bad), /malformed join token: expected tj1\.<id>\.<secret>\.<ca-fingerprint>/, bad);
  }
});
