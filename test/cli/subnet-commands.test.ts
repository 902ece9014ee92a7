// tunctl reserve / reservations / unreserve / quarantine / quarantine release as an operator
// runs them, and the controller's --subnet-quarantine, --node-lease-ttl and
// --node-not-ready-after flags.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startController, type ControllerFixture } from '../controller/controller-fixture.js';
import { waitFor } from '../netns/netns.js';
import { TUNCTL, tunctl } from './run-tunctl.js';

describe('subnet commands against a real controller', () => {
  let fx: ControllerFixture;
  let env: Record<string, string>;
  before(async () => {
    fx = await startController();
    env = { TUNCTL_CONTROLLER: `unix:${fx.adminSocket}` };
  });
  after(() => fx.dispose());

  test('reserve, reservations, add-node gets the pin, quarantine, quarantine release, unreserve, network counts', async () => {
    const pin = await tunctl(['reserve', 'db-1', '--subnet', '10.244.60.0/24'], env);
    assert.equal(pin.code, 0, pin.stderr);
    assert.equal(pin.stdout, 'subnet 10.244.60.0/24 reserved for node db-1; `tunctl add-node db-1 --underlay-ip IP` will assign it\n');
    const auto = await tunctl(['reserve', 'db-2', '-o', 'json'], env);
    assert.equal(auto.code, 0, auto.stderr);
    const reservation = JSON.parse(auto.stdout).reservation;
    assert.equal(reservation.nodeName, 'db-2');
    assert.equal(reservation.subnet, '10.244.0.0/24');
    assert.match(reservation.createdAt, /^\d{4}-\d\d-\d\dT/);

    const table = await tunctl(['reservations'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NODE\s+SUBNET\s+CREATED\s+BY$/);
    assert.match(lines[1]!, /^db-1\s+10\.244\.60\.0\/24\s+\d{4}-\S+Z\s+local$/);
    assert.match(lines[2]!, /^db-2\s+10\.244\.0\.0\/24\s/);

    const added = await tunctl(['add-node', 'db-1', '--underlay-ip', '192.168.20.1'], env);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /node db-1 added: subnet 10\.244\.60\.0\/24/);
    assert.equal((await tunctl(['add-node', 'web-1', '--underlay-ip', '192.168.20.2'], env)).code, 0);
    assert.equal((await tunctl(['remove-node', 'web-1'], env)).code, 0);

    const held = await tunctl(['quarantine'], env);
    assert.equal(held.code, 0, held.stderr);
    assert.match(held.stdout, /^SUBNET\s+PREVIOUS NODE\s+RELEASED\s+AVAILABLE\n10\.244\.1\.0\/24\s+web-1\s+\S+Z\s+\S+Z\n$/);
    const heldJson = JSON.parse((await tunctl(['quarantine', '-o', 'json'], env)).stdout);
    assert.deepEqual(heldJson.subnets.map((q: { subnet: string }) => q.subnet), ['10.244.1.0/24']);

    const net = await tunctl(['network'], env);
    assert.match(net.stdout, /^NETWORK\s+SUBNET LEN\s+POOL\s+USED\s+RESERVED\s+QUARANTINED\s+FREE\s+UDP PORT\n10\.244\.0\.0\/16\s+\/24\s+10\.244\.0\.0\/24 - 10\.244\.255\.0\/24\s+1\s+1\s+1\s+253\s+7000\n/);
    assert.match(net.stdout, /cluster id: [0-9a-f]{32}\n/);

    const release = await tunctl(['quarantine', 'release', '10.244.1.0/24'], env);
    assert.equal(release.code, 0, release.stderr);
    assert.equal(release.stdout, "subnet 10.244.1.0/24 released from quarantine (it was node web-1's); the allocator may hand it out now\n");
    assert.equal((await tunctl(['quarantine'], env)).stdout, 'SUBNET  PREVIOUS NODE  RELEASED  AVAILABLE\n');

    const unpin = await tunctl(['unreserve', 'db-2'], env);
    assert.equal(unpin.code, 0, unpin.stderr);
    assert.equal(unpin.stdout, 'reservation of 10.244.0.0/24 for node db-2 deleted\n');
    const left = JSON.parse((await tunctl(['reservations', '-o', 'json'], env)).stdout);
    assert.deepEqual(left.reservations.map((r: { nodeName: string }) => r.nodeName), ['db-1']);
  });

  test('refusals: exit 1 with the controller\'s message on stderr; usage mistakes: exit 2 with the help', async () => {
    const cases: [string[], number, RegExp][] = [
      [['reserve', 'x', '--subnet', '10.9.0.0/24'], 1, /^Error: subnet 10\.9\.0\.0\/24 is outside the network 10\.244\.0\.0\/16\n$/],
      [['reserve', 'x', '--subnet', 'nonsense'], 1, /^Error: subnet "nonsense" is not a CIDR block/],
      [['reserve', 'db-1'], 1, /^Error: node name "db-1" already has subnet 10\.244\.60\.0\/24 reserved/],
      [['unreserve', 'nobody'], 1, /^Error: node name "nobody" has no reservation/],
      [['quarantine', 'release', '10.244.99.0/24'], 1, /^Error: subnet 10\.244\.99\.0\/24 is not in quarantine/],
      [['reserve'], 2, /reserve takes NODE, got none[\s\S]*usage: tunctl reserve NODE/],
      [['quarantine', 'release'], 2, /quarantine release takes SUBNET, got none[\s\S]*usage: tunctl quarantine release SUBNET/],
      [['quarantine', 'bogus'], 2, /quarantine takes no arguments, got bogus/],
      [['reservations', '-o', 'yaml'], 2, /-o must be "table" or "json"/],
    ];
    for (const [args, code, stderr] of cases) {
      const res = await tunctl(args, env);
      assert.equal(res.code, code, `${args.join(' ')}: ${res.stderr}`);
      assert.equal(res.stdout, '', args.join(' '));
      assert.match(res.stderr, stderr, args.join(' '));
    }
    const help = await tunctl(['quarantine', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: tunctl quarantine \[--controller ADDR\][\s\S]*tunctl quarantine release SUBNET/);
  });
});

describe('controller lifecycle flags', () => {
  test('bad --subnet-quarantine, --node-lease-ttl and --node-not-ready-after values are usage errors that say what is accepted', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tunctl-cli-'));
    try {
      const base = ['controller', '--listen', '127.0.0.1:0', '--admin-socket', 'none', '--data-dir', dataDir, '--network', '10.244.0.0/16'];
      const cases: [string[], RegExp][] = [
        [['--subnet-quarantine', 'soon'], /--subnet-quarantine must be a duration like 90s, 30m, 24h or 7d/],
        [['--subnet-quarantine', '-1h'], /--subnet-quarantine/],
        [['--node-lease-ttl', '5s'], /--node-lease-ttl must be at least 10s \(or 0 for off\), not "5s"/],
        [['--node-lease-ttl', '400d'], /--node-lease-ttl must be a duration .* at most 365d/],
        [['--node-not-ready-after', '0'], /--node-not-ready-after must be a duration/],
      ];
      for (const [flags, message] of cases) {
        const res = await tunctl([...base, ...flags]);
        assert.equal(res.code, 2, `${flags.join(' ')}: ${res.stderr}`);
        assert.match(res.stderr, message);
      }
      assert.ok(!existsSync(join(dataDir, 'tunctl.db')), 'refused before the controller opened its store');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  /** `tunctl controller` as a child process with these extra flags; resolves once its admin socket exists. */
  async function runController(dir: string, flags: string[]): Promise<{ child: ChildProcess; env: Record<string, string>; output: () => string }> {
    const socket = join(dir, 'admin.sock');
    const child = spawn(
      process.execPath,
      [TUNCTL, 'controller', '--listen', '127.0.0.1:0', '--admin-socket', socket, '--data-dir', join(dir, 'data'), '--network', '10.244.0.0/16', ...flags],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the controller\'s admin socket', () => existsSync(socket) || child.exitCode !== null, 15_000);
    assert.equal(child.exitCode, null, `the controller exited: ${output}`);
    return { child, env: { TUNCTL_CONTROLLER: `unix:${socket}` }, output: () => output };
  }

  async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  test('--subnet-quarantine 0 hands a removed node\'s subnet to the next node; --node-lease-ttl removes a node no agent claimed', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunctl-cli-'));
    const started = Date.now();
    const ctl = await runController(dir, ['--subnet-quarantine', '0', '--node-lease-ttl', '10s', '--node-not-ready-after', '15s']);
    try {
      const { env } = ctl;
      assert.equal((await tunctl(['add-node', 'a', '--underlay-ip', '192.168.30.1'], env)).code, 0);
      assert.equal((await tunctl(['remove-node', 'a'], env)).code, 0);
      const next = await tunctl(['add-node', 'b', '--underlay-ip', '192.168.30.2'], env);
      assert.match(next.stdout, /node b added: subnet 10\.244\.0\.0\/24/, 'no quarantine: the freed subnet is the lowest free one');
      assert.equal((await tunctl(['quarantine'], env)).stdout, 'SUBNET  PREVIOUS NODE  RELEASED  AVAILABLE\n');

      // b never gets an agent: 10 s after the controller started (plus one 1 s check) it is removed.
      await waitFor('b to expire', async () => {
        const nodes = JSON.parse((await tunctl(['list-nodes', '-o', 'json'], env)).stdout).nodes as unknown[];
        return nodes.length === 0;
      }, 30_000, 1000);
      assert.ok(Date.now() - started >= 10_000, 'not before a full TTL');
      const events = JSON.parse((await tunctl(['audit', '-o', 'json'], env)).stdout).events as { action: string; actor: string; target: string; detail: string }[];
      const expired = events.find((e) => e.action === 'expire-node');
      assert.ok(expired, `an expire-node audit row in ${JSON.stringify(events.map((e) => e.action))}`);
      assert.equal(expired.actor, 'controller');
      assert.equal(expired.target, 'b');
      assert.match(expired.detail, /no agent seen since the node was added for \d+s .*longer than the node lease TTL 10s; subnet 10\.244\.0\.0\/24 released/);
    } finally {
      await stop(ctl.child);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
