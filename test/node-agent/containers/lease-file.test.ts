// The container lease file: a round trip, a private human-readable file, and a damaged file
// refused loudly (guessing could hand one address to two containers).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseIpv4 } from '../../../common/cidr.js';
import { FailedPreconditionError } from '../../../common/errors.js';
import { loadLeases, saveLeases, type ContainerLease } from '../../../node-agent/containers/lease-file.js';

const web: ContainerLease = {
  netns: 'web',
  netnsId: '64769:4026532301',
  ifname: 'eth0',
  address: parseIpv4('10.244.3.2'),
  prefixLen: 24,
  hostInterface: 'tc0123456789a',
  containerId: '',
  attachedAt: Date.parse('2026-11-25T18:00:00.123Z'),
};
const pod: ContainerLease = {
  netns: '/proc/4242/ns/net',
  netnsId: '4:4026532999',
  ifname: 'net1',
  address: parseIpv4('10.244.3.17'),
  prefixLen: 24,
  hostInterface: 'tcfedcba98765',
  containerId: 'c0ffee',
  attachedAt: Date.parse('2026-11-26T06:00:00.000Z'),
};

function leaseFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-leases-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'containers.json');
}

const storedLease = {
  netns: 'web',
  netnsId: '64769:4026532301',
  ifname: 'eth0',
  address: '10.244.3.2',
  prefixLen: 24,
  hostInterface: 'tc0123456789a',
  containerId: '',
  attachedAt: '2026-11-25T18:00:00.123Z',
};

/** A valid file with one lease, whose stored fields `patch` overrides. */
function storedWith(patch: Record<string, unknown>): string {
  return JSON.stringify({ version: 1, leases: [{ ...storedLease, ...patch }] });
}

function assertRefused(file: string, detail: RegExp): void {
  assert.throws(
    () => loadLeases(file),
    (err: unknown) =>
      err instanceof FailedPreconditionError &&
      err.message.includes(file) &&
      /fix the file or move it away/.test(err.message) &&
      detail.test(err.message),
  );
}

test('a missing lease file means no leases', (t) => {
  assert.deepEqual(loadLeases(leaseFile(t)), []);
});

test('saved leases load back with every field, the address a number and attachedAt in ms', (t) => {
  const file = leaseFile(t);
  saveLeases(file, [web, pod]);
  const loaded = loadLeases(file);
  assert.deepEqual(loaded, [web, pod]);
  assert.equal(loaded[0]!.address, 0x0af40302);
  assert.equal(loaded[0]!.attachedAt, 1795629600123);
  assert.equal(loaded[1]!.containerId, 'c0ffee');
});

test('saving replaces what the file held', (t) => {
  const file = leaseFile(t);
  saveLeases(file, [web, pod]);
  saveLeases(file, [pod]);
  assert.deepEqual(loadLeases(file), [pod]);
  saveLeases(file, []);
  assert.deepEqual(loadLeases(file), []);
});

test('the file is private (0600) and readable JSON with dotted addresses and ISO times', (t) => {
  const file = leaseFile(t);
  saveLeases(file, [web]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes('\n  '), 'indented for people');
  const parsed = JSON.parse(text) as { version: number; leases: Array<Record<string, unknown>> };
  assert.equal(parsed.version, 1);
  assert.equal(parsed.leases[0]!.address, '10.244.3.2');
  assert.equal(parsed.leases[0]!.attachedAt, '2026-11-25T18:00:00.123Z');
  assert.equal(parsed.leases[0]!.netns, 'web');
});

test('a file written by hand in the stored form loads (the base of the refusal cases below)', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, storedWith({}));
  assert.deepEqual(loadLeases(file), [web]);
});

test('a lease without a containerId field loads with an empty one', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, storedWith({ containerId: undefined }));
  assert.equal(loadLeases(file)[0]!.containerId, '');
});

test('a file that is not JSON is refused, naming the file and telling the operator to fix or move it', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, '{"version": 1, "leases": [');
  assertRefused(file, /unreadable/);
});

test('a file of another version is refused', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, JSON.stringify({ version: 2, leases: [] }));
  assertRefused(file, /expected \{"version": 1/);
});

test('a file without a leases list is refused', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, JSON.stringify({ version: 1 }));
  assertRefused(file, /expected \{"version": 1/);
});

test('a lease with a bad address is refused', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, storedWith({ address: '10.244.3.300' }));
  assertRefused(file, /10\.244\.3\.300/);
});

test('a lease with an address that is not a string is refused', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, storedWith({ address: 0x0af40302 }));
  assertRefused(file, /no address/);
});

test('a lease with a bad prefixLen is refused', (t) => {
  const file = leaseFile(t);
  for (const prefixLen of [33, -1, 24.5, '24', null]) {
    writeFileSync(file, storedWith({ prefixLen }));
    assertRefused(file, /bad prefixLen/);
  }
});

test('a lease with a bad attachedAt is refused', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, storedWith({ attachedAt: 'yesterday' }));
  assertRefused(file, /bad attachedAt/);
});

test('a lease missing its namespace is refused', (t) => {
  const file = leaseFile(t);
  writeFileSync(file, storedWith({ netns: undefined }));
  assertRefused(file, /no netns/);
});
