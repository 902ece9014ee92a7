// writeFileAtomicSync: the exact mode whatever the umask, the target replaced (a symlink at
// the target is replaced, never followed), and no temporary file left behind on success or failure.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { writeFileAtomicSync } from '../../common/atomic-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunctl-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('writes the content with exactly the mode asked for, even under a restrictive umask, and leaves only the file', () => {
  const previous = process.umask(0o077);
  try {
    writeFileAtomicSync(join(dir, 'public.crt'), 'certificate\n', 0o644);
    writeFileAtomicSync(join(dir, 'secret.key'), Buffer.from([1, 2, 3]), 0o600);
  } finally {
    process.umask(previous);
  }
  assert.equal(readFileSync(join(dir, 'public.crt'), 'utf8'), 'certificate\n');
  assert.equal(statSync(join(dir, 'public.crt')).mode & 0o777, 0o644);
  assert.deepEqual([...readFileSync(join(dir, 'secret.key'))], [1, 2, 3]);
  assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ['public.crt', 'secret.key']);
});

test('replaces an existing file, and a file of a different mode gets the new mode', () => {
  const file = join(dir, 'credentials.json');
  writeFileSync(file, 'old contents that are longer than the new ones', { mode: 0o666 });
  writeFileAtomicSync(file, 'new', 0o600);
  assert.equal(readFileSync(file, 'utf8'), 'new');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['credentials.json']);
});

test('a symlink planted at the target is replaced by the file, and what it pointed to is untouched', () => {
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious');
  const file = join(dir, 'credentials.json');
  symlinkSync(victim, file);
  writeFileAtomicSync(file, 'secret', 0o600);
  assert.equal(readFileSync(victim, 'utf8'), 'precious');
  assert.ok(lstatSync(file).isFile(), 'the target is now a regular file, not the link');
  assert.equal(readFileSync(file, 'utf8'), 'secret');
});

test('every write uses a fresh temporary name: many writes in a row leave one file with the last content', () => {
  const file = join(dir, 'state');
  for (let i = 0; i < 50; i++) writeFileAtomicSync(file, `version ${i}`, 0o600);
  assert.equal(readFileSync(file, 'utf8'), 'version 49');
  assert.deepEqual(readdirSync(dir), ['state']);
});

test('when the rename fails (the target is a non-empty folder), the error surfaces and no temporary file is left', () => {
  const target = join(dir, 'taken');
  mkdirSync(target);
  writeFileSync(join(target, 'inside'), 'x');
  assert.throws(() => writeFileAtomicSync(target, 'data', 0o600), /EISDIR|ENOTEMPTY|EEXIST/);
  assert.deepEqual(readdirSync(dir), ['taken']);
  assert.deepEqual(readdirSync(target), ['inside']);
});

test('a missing folder is an error naming the path, not a silent success', () => {
  assert.throws(() => writeFileAtomicSync(join(dir, 'no-such-folder', 'file'), 'data', 0o600), /ENOENT.*no-such-folder/);
});
