// The tunctl binary as an operator runs it: output formats, exit codes, messages.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newSecret } from '../../common/secrets.js';
import { startController, type ControllerFixture } from '../controller/controller-fixture.js';
import { tunctl } from './run-tunctl.js';

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
    assert.match(lines[0]!, /^NAME\s+UNDERLAY IP\s+SUBNET\s+AGENT/);
    assert.match(table.stdout, /web-1\s+192\.168\.10\.1\s+10\.244\.0\.0\/24\s+disconnected/);

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
    assert.match(rm.stdout, /node web-2 removed: subnet 10\.244\.7\.0\/24 released/);
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
