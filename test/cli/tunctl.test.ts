// The tunctl binary as an operator runs it: output formats, exit codes, messages.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newSecret } from '../../common/secrets.js';
import type { WatchEvent, WatchHandle } from '../../node-agent/controller-client.js';
import type { AddNodeResponse__Output } from '../../proto/gen/tunctl/v1/AddNodeResponse.js';
import type { ListNodesResponse__Output } from '../../proto/gen/tunctl/v1/ListNodesResponse.js';
import { startController, type ControllerFixture } from '../controller/controller-fixture.js';
import { waitFor } from '../netns/netns.js';
import { tunctl } from './run-tunctl.js';

const NODE_COLUMNS = ['NAME', 'UNDERLAY IP', 'SUBNET', 'ADDRESSES', 'STATE', 'AGENT', 'LAST SEEN', 'APPLIED', 'LAG', 'VERSION'];

/**
 * The rows of the table at the start of `stdout`, by column: formatTable pads every cell to
 * its column's width, so each column starts where its header does. The table ends at the
 * first line that does not start with a cell (the "revision N" line).
 */
function parseTable(stdout: string, columns: readonly string[]): Array<Record<string, string>> {
  const [header, ...lines] = stdout.split('\n');
  const starts = columns.map((c) => header!.indexOf(c));
  assert.ok(starts.every((at, i) => at >= 0 && (i === 0 || at > starts[i - 1]!)), `columns ${columns.join(', ')} in ${JSON.stringify(header)}`);
  const rows: Array<Record<string, string>> = [];
  for (const line of lines) {
    if (line.length <= starts.at(-1)! || line[starts[1]! - 1] !== ' ') break;
    rows.push(Object.fromEntries(columns.map((c, i) => [c, line.slice(starts[i], starts[i + 1]).trim()])));
  }
  return rows;
}

describe('tunctl CLI against a real controller', () => {
  let fx: ControllerFixture;
  let env: Record<string, string>;
  before(async () => {
    fx = await startController();
    // The local admin socket: the operator on the controller host, no key needed.
    env = { TUNCTL_CONTROLLER: `unix:${fx.adminSocket}` };
  });
  after(() => fx.dispose());

  test('add-node, list-nodes, get-node, routes and network in table and JSON form', async () => {
    const add = await tunctl(['add-node', 'web-1', '--underlay-ip', '192.168.10.1'], env);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /node web-1 added: subnet 10\.244\.0\.0\/24, underlay 192\.168\.10\.1/);
    // --controller wins over $TUNCTL_CONTROLLER (which here names a socket that does not exist).
    const addJson = await tunctl(['add-node', 'web-2', '--underlay-ip', '192.168.10.2', '--subnet', '10.244.7.0/24', '-o', 'json', '--controller', `unix:${fx.adminSocket}`], {
      TUNCTL_CONTROLLER: `unix:${join(fx.dataDir, 'no-such.sock')}`,
    });
    assert.equal(addJson.code, 0, addJson.stderr);
    const added = JSON.parse(addJson.stdout);
    assert.equal(added.node.subnet, '10.244.7.0/24');
    assert.equal(typeof added.revision, 'string', 'uint64 is a string in proto3 JSON');

    const table = await tunctl(['list-nodes'], env);
    assert.equal(table.code, 0);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+UNDERLAY IP\s+SUBNET\s+ADDRESSES\s+STATE\s+AGENT\s+LAST SEEN\s+APPLIED\s+LAG\s+VERSION$/);
    // No agent has joined yet: pending, never seen, nothing applied, no address usage reported.
    const row = parseTable(table.stdout, NODE_COLUMNS).find((r) => r.NAME === 'web-1');
    assert.deepEqual(row, {
      NAME: 'web-1', 'UNDERLAY IP': '192.168.10.1', SUBNET: '10.244.0.0/24', ADDRESSES: '-', STATE: 'pending', AGENT: 'disconnected', 'LAST SEEN': '-', APPLIED: '-', LAG: '-', VERSION: '-',
    });
    assert.equal(lines.at(-1), `revision ${added.revision}`, 'the table ends with the revision it shows');

    const json = JSON.parse((await tunctl(['list-nodes', '-o', 'json'], env)).stdout);
    const node = json.nodes.find((n: { name: string }) => n.name === 'web-1');
    assert.equal(node.underlayIp, '192.168.10.1');
    assert.equal(node.subnet, '10.244.0.0/24');
    assert.match(node.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(node.lastRegisteredAt, undefined);

    const one = JSON.parse((await tunctl(['get-node', 'web-2', '-o', 'json'], env)).stdout);
    assert.equal(one.node.name, 'web-2', 'the GetNodeResponse, like every other read command prints its response');

    const routes = await tunctl(['routes'], env);
    assert.match(routes.stdout, /10\.244\.7\.0\/24\s+192\.168\.10\.2\s+web-2/);
    const routesJson = JSON.parse((await tunctl(['routes', '-o', 'json'], env)).stdout);
    assert.equal(routesJson.routes.length, 2);

    const net = JSON.parse((await tunctl(['network', '-o', 'json'], env)).stdout);
    assert.equal(net.network.cidr, '10.244.0.0/16');
    assert.equal(net.subnetsUsed, '2');

    const rm = await tunctl(['remove-node', 'web-2'], env);
    assert.equal(rm.code, 0);
    assert.match(rm.stdout, /node web-2 removed: its certificates revoked \(revision \d+\); subnet 10\.244\.7\.0\/24 is held in quarantine/);
  });

  test('list-nodes shows what each agent applied: ready, last seen, applied revision, lag, a failed update', async () => {
    const admin = await fx.admin();
    await admin.call('AddNode', { name: 'sync-1', underlayIp: '192.168.12.1' });
    const agent = fx.agentClient(await fx.join(admin, 'sync-1'));
    const events: WatchEvent[] = [];
    let handle: WatchHandle | undefined;
    try {
      await agent.register('sync-1', '192.168.12.1', 1500, '0.1.0');
      handle = agent.watch('sync-1', 0, (e) => events.push(e), () => {});
      const snapshot = await waitFor('the snapshot', () => events.find((e) => e.kind === 'snapshot'), 5000);
      handle.ack({ appliedRevision: snapshot.revision });
      // A change the agent then fails to apply: it stays at the snapshot, one revision behind.
      const { revision: latest } = await admin.call<object, AddNodeResponse__Output>('AddNode', { name: 'sync-2', underlayIp: '192.168.12.2' });
      const delta = await waitFor('the delta', () => events.find((e) => e.kind === 'delta' && e.revision === latest), 5000);
      handle.ack({ appliedRevision: snapshot.revision, failedRevision: delta.revision, error: 'route 10.244.9.0/24: file exists' });
      await waitFor('the failure in ListNodes', async () => {
        const { nodes } = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
        return nodes.find((n) => n.name === 'sync-1')?.applyError;
      }, 5000);

      const table = await tunctl(['list-nodes'], env);
      assert.equal(table.code, 0, table.stderr);
      const rows = parseTable(table.stdout, NODE_COLUMNS);
      const synced = rows.find((r) => r.NAME === 'sync-1')!;
      assert.match(synced['LAST SEEN']!, /^\d+s ago$/);
      assert.deepEqual(
        { STATE: synced.STATE, AGENT: synced.AGENT, APPLIED: synced.APPLIED, LAG: synced.LAG, VERSION: synced.VERSION },
        { STATE: 'ready', AGENT: 'connected', APPLIED: String(snapshot.revision), LAG: String(latest - snapshot.revision), VERSION: '0.1.0' },
      );
      assert.equal(latest - snapshot.revision, 1);
      const waiting = rows.find((r) => r.NAME === 'sync-2')!;
      assert.deepEqual([waiting.STATE, waiting.APPLIED, waiting.LAG], ['pending', '-', '-']);
      assert.ok(table.stdout.includes(`revision ${latest}\n`), table.stdout);
      assert.ok(table.stdout.includes(`node sync-1: last update failed: revision ${delta.revision}: route 10.244.9.0/24: file exists\n`), table.stdout);
    } finally {
      handle?.cancel();
      agent.close();
      admin.close();
    }
  });

  test('list-nodes and get-node show the address usage an agent reported as leased/capacity, - before any; JSON has the fields', async () => {
    const admin = await fx.admin();
    await admin.call('AddNode', { name: 'use-1', underlayIp: '192.168.14.1' });
    await admin.call('AddNode', { name: 'use-2', underlayIp: '192.168.14.2' });
    const agent = fx.agentClient(await fx.join(admin, 'use-1'));
    try {
      await agent.reportAddressUsage(3, 253);
      const table = await tunctl(['list-nodes'], env);
      assert.equal(table.code, 0, table.stderr);
      const rows = parseTable(table.stdout, NODE_COLUMNS);
      assert.equal(rows.find((r) => r.NAME === 'use-1')?.ADDRESSES, '3/253', table.stdout);
      assert.equal(rows.find((r) => r.NAME === 'use-2')?.ADDRESSES, '-', 'never reported');
      const one = await tunctl(['get-node', 'use-1'], env);
      assert.equal(parseTable(one.stdout, NODE_COLUMNS)[0]?.ADDRESSES, '3/253', one.stdout);

      const json = JSON.parse((await tunctl(['list-nodes', '-o', 'json'], env)).stdout) as { nodes: Array<Record<string, unknown>> };
      const reported = json.nodes.find((n) => n.name === 'use-1')!;
      assert.equal(reported.addressesLeased, 3);
      assert.equal(reported.addressCapacity, 253);
      assert.match(String(reported.addressUsageReportedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      const never = json.nodes.find((n) => n.name === 'use-2')!;
      assert.deepEqual([never.addressesLeased, never.addressCapacity, never.addressUsageReportedAt], [0, 0, undefined]);

      // 0 leased is shown as such, not as never reported.
      await agent.reportAddressUsage(0, 253);
      const zero = parseTable((await tunctl(['list-nodes'], env)).stdout, NODE_COLUMNS).find((r) => r.NAME === 'use-1');
      assert.equal(zero?.ADDRESSES, '0/253');
    } finally {
      agent.close();
      admin.close();
    }
  });

  test('routes --node lists what that node should hold: every route but its own', async () => {
    for (const [name, ip] of [['rt-1', '192.168.13.1'], ['rt-2', '192.168.13.2']] as const) {
      const add = await tunctl(['add-node', name, '--underlay-ip', ip], env);
      assert.equal(add.code, 0, add.stderr);
    }
    const all = JSON.parse((await tunctl(['routes', '-o', 'json'], env)).stdout) as { routes: Array<{ subnet: string; nodeName: string }>; revision: string };
    const own = all.routes.find((r) => r.nodeName === 'rt-1')!;
    assert.ok(own && all.routes.some((r) => r.nodeName === 'rt-2'));

    const forNode = JSON.parse((await tunctl(['routes', '--node', 'rt-1', '-o', 'json'], env)).stdout);
    assert.deepEqual(forNode, { routes: all.routes.filter((r) => r.nodeName !== 'rt-1'), revision: all.revision });
    const table = await tunctl(['routes', '--node', 'rt-1'], env);
    assert.equal(table.code, 0, table.stderr);
    const rows = parseTable(table.stdout, ['SUBNET', 'VIA (UNDERLAY)', 'NODE']);
    assert.deepEqual(rows.map((r) => r.NODE).sort(), all.routes.map((r) => r.nodeName).filter((n) => n !== 'rt-1').sort());
    assert.ok(!table.stdout.includes(own.subnet), `rt-1's own subnet ${own.subnet} is not a route for rt-1:\n${table.stdout}`);

    const unknown = await tunctl(['routes', '--node', 'nobody'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /^Error: node "nobody" not found/);
    const invalid = await tunctl(['routes', '--node', 'Not_A_Name'], env);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^Error: node name "Not_A_Name" is invalid/);
  });

  test('server errors: non-zero exit, the server message on stderr, nothing on stdout', async () => {
    const dup = await tunctl(['add-node', 'dup', '--underlay-ip', '192.168.11.1'], env);
    assert.equal(dup.code, 0);
    const again = await tunctl(['add-node', 'dup', '--underlay-ip', '192.168.11.2'], env);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /^Error: node "dup" already exists/);
    const missing = await tunctl(['remove-node', 'ghost'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /node "ghost" not found/);
    const badIp = await tunctl(['add-node', 'x', '--underlay-ip', '1.2.3'], env);
    assert.equal(badIp.code, 1);
    assert.match(badIp.stderr, /not a valid IPv4 address/);
  });

  test('usage errors exit 2 with the command help', async () => {
    const unknownFlag = await tunctl(['list-nodes', '--bogus'], env);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /bogus/);
    assert.match(unknownFlag.stderr, /usage: tunctl list-nodes/);
    const noName = await tunctl(['add-node', '--underlay-ip', '192.168.1.1'], env);
    assert.equal(noName.code, 2);
    const badOutput = await tunctl(['list-nodes', '-o', 'yaml'], env);
    assert.equal(badOutput.code, 2);
    assert.match(badOutput.stderr, /-o must be "table" or "json"/);
    const noIp = await tunctl(['add-node', 'n9'], env);
    assert.equal(noIp.code, 2);
    assert.match(noIp.stderr, /--underlay-ip is required/);
    const bare = await tunctl([]);
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, '', 'usage for a missing command goes to stderr');
    assert.match(bare.stderr, /usage: tunctl COMMAND/);
    const group = await tunctl(['apikey']);
    assert.equal(group.code, 2);
    assert.match(group.stderr, /usage: tunctl apikey SUBCOMMAND/);
    assert.match(group.stderr, /apikey create .*\n.*apikey list .*\n.*apikey revoke /);
    const groupHelp = await tunctl(['apikey', '--help']);
    assert.equal(groupHelp.code, 0);
    assert.match(groupHelp.stdout, /apikey revoke/);
    const unknown = await tunctl(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  test('--help works on every command, the two-word ones ("apikey create") included', async () => {
    const top = await tunctl(['--help']);
    assert.equal(top.code, 0);
    // A command name is one or two words, then at least two spaces of padding before its summary.
    const commands = [...top.stdout.matchAll(/^  ([a-z-]+(?: [a-z-]+)?)  /gm)].map((m) => m[1]!);
    for (const expected of ['add-node', 'create-join-token', 'list-join-tokens', 'apikey create', 'apikey list', 'apikey revoke', 'audit', 'controller', 'agent']) {
      assert.ok(commands.includes(expected), `${expected} is listed in:\n${top.stdout}`);
    }
    for (const name of commands) {
      const res = await tunctl([...name.split(' '), '--help']);
      assert.equal(res.code, 0, `${name}: ${res.stderr}`);
      assert.match(res.stdout, new RegExp(`^usage: tunctl ${name} `), name);
    }
  });
});

describe('where tunctl connects, when it cannot', () => {
  test('a controller that is down: exit 1 and a message that says where it looked', async () => {
    // Well-formed, so tunctl gets as far as dialling; no controller has this CA, and none listens on port 1.
    const apiKey = newSecret('api-key', 'A'.repeat(43)).text;
    const res = await tunctl(['list-nodes'], { TUNCTL_CONTROLLER: '127.0.0.1:1', TUNCTL_API_KEY: apiKey });
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^Error: cannot reach the controller at 127\.0\.0\.1:1/);
  });

  test('a missing admin socket is a usage error naming the path and how to reach a remote controller', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunctl-cli-'));
    try {
      const socket = join(dir, 'controller.sock');
      const ways: { env: Record<string, string>; args: string[] }[] = [
        { env: { TUNCTL_CONTROLLER: `unix:${socket}` }, args: [] },
        { env: {}, args: ['--controller', `unix:${socket}`] },
      ];
      for (const how of ways) {
        const res = await tunctl(['list-nodes', ...how.args], how.env);
        assert.equal(res.code, 2, res.stderr);
        assert.equal(res.stdout, '');
        assert.ok(res.stderr.includes(`admin socket ${socket} does not exist`), res.stderr);
        assert.match(res.stderr, /--controller HOST:PORT/);
        assert.match(res.stderr, /TUNCTL_API_KEY/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('HOST:PORT without an API key is a usage error that says to set TUNCTL_API_KEY', async () => {
    // TUNCTL_API_KEY set but empty counts as absent.
    const envs: Record<string, string>[] = [{ TUNCTL_CONTROLLER: '127.0.0.1:1' }, { TUNCTL_CONTROLLER: '127.0.0.1:1', TUNCTL_API_KEY: '' }];
    for (const env of envs) {
      const res = await tunctl(['list-nodes'], env);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /controller at 127\.0\.0\.1:1 over the network needs an API key: set TUNCTL_API_KEY or pass --api-key-file/);
      assert.match(res.stderr, /usage: tunctl list-nodes/);
    }
  });
});

test('controller plan flags without --network are refused, not silently ignored', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunctl-cli-'));
  try {
    const res = await tunctl(['controller', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--subnet-len', '26']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--subnet-len only applies with --network/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
