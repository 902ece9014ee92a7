// tunctl's credential commands as an operator uses them, against a real controller: join
// tokens (add-node, create-join-token, list-join-tokens), API keys for remote admin access
// over TLS (apikey create|list|revoke), the audit log, and the CA fingerprint that both pin.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newSecret, parseSecret } from '../../common/secrets.js';
import { joinController } from '../../node-agent/identity/join.js';
import { startController, type ControllerFixture } from '../controller/controller-fixture.js';
import { tunctl, type Run } from './run-tunctl.js';

const JOIN_TOKEN = /tj1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}/g;
const API_KEY = /tk1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}/g;

/** The one secret of this shape in `text` (it may be repeated, e.g. in a usage hint); fails if there are none or several. */
function onlySecret(text: string, shape: RegExp): string {
  const found = new Set([...text.matchAll(shape)].map((m) => m[0]));
  assert.equal(found.size, 1, `exactly one distinct secret in:\n${text}`);
  return [...found][0]!;
}

/** `iso` is `ttlSeconds` after some moment in [beforeMs, afterMs] (the server's clock is this host's). */
function assertExpiry(iso: string, beforeMs: number, afterMs: number, ttlSeconds: number): void {
  const at = Date.parse(iso);
  assert.ok(
    at >= beforeMs + ttlSeconds * 1000 - 1000 && at <= afterMs + ttlSeconds * 1000 + 1000,
    `${iso} should be ${ttlSeconds} s after a time between ${new Date(beforeMs).toISOString()} and ${new Date(afterMs).toISOString()}`,
  );
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('tunctl credential commands against a real controller', () => {
  let fx: ControllerFixture;
  /** The local admin socket: the operator on the controller host. */
  let local: Record<string, string>;
  /** Over the network (TLS) with this API key. */
  const remote = (apiKey: string): Record<string, string> => ({ TUNCTL_CONTROLLER: fx.address, TUNCTL_API_KEY: apiKey });
  /** Every secret this file has been shown, to check that no list or log repeats one. */
  const secretsShown: string[] = [];

  before(async () => {
    fx = await startController();
    local = { TUNCTL_CONTROLLER: `unix:${fx.adminSocket}` };
  });
  after(() => fx.dispose());

  async function addNode(name: string, underlayIp: string, env = local): Promise<Run> {
    const res = await tunctl(['add-node', name, '--underlay-ip', underlayIp], env);
    assert.equal(res.code, 0, res.stderr);
    for (const m of res.stdout.matchAll(JOIN_TOKEN)) secretsShown.push(m[0]);
    return res;
  }

  /** `tunctl apikey create` on the socket; the key it printed and its parts. */
  async function createKey(args: string[]): Promise<{ text: string; id: string; secret: string; stdout: string }> {
    const res = await tunctl(['apikey', 'create', ...args], local);
    assert.equal(res.code, 0, res.stderr);
    const text = onlySecret(res.stdout, API_KEY);
    secretsShown.push(text);
    const { id, secret } = parseSecret('api-key', text);
    return { text, id, secret, stdout: res.stdout };
  }

  function assertNoSecretIn(text: string): void {
    for (const secret of secretsShown) {
      assert.ok(!text.includes(secret), `a secret shown once appears again:\n${text}`);
      assert.ok(!text.includes(parseSecret(secret.startsWith('tj1.') ? 'join-token' : 'api-key', secret).secret), `a secret part appears again:\n${text}`);
    }
  }

  describe('join tokens', () => {
    test('add-node prints a join token once with the `tunctl agent` hint; list-join-tokens shows its id and "unused", never the secret', async () => {
      const beforeMs = Date.now();
      const add = await addNode('db-1', '192.168.20.1');
      const afterMs = Date.now();
      assert.match(add.stdout, /^node db-1 added: subnet 10\.244\.\d+\.0\/24, underlay 192\.168\.20\.1 \(revision \d+\)$/m);
      const token = onlySecret(add.stdout, JOIN_TOKEN);
      const parsed = parseSecret('join-token', token);
      assert.equal(parsed.caFingerprint, fx.controller.ca.fingerprint, 'the token pins this controller');
      const header = /^join token for db-1 \(shown once, valid until (\S+), works once\):$/m.exec(add.stdout);
      assert.ok(header, add.stdout);
      assertExpiry(header[1]!, beforeMs, afterMs, 24 * 3600); // the default lifetime
      assert.ok(add.stdout.includes(`  ${token}\n`), 'the token on a line of its own, to copy');
      assert.ok(add.stdout.includes(`TUNCTL_JOIN_TOKEN=${token} tunctl agent --controller `), add.stdout);

      const json = await tunctl(['add-node', 'db-2', '--underlay-ip', '192.168.20.2', '-o', 'json'], local);
      assert.equal(json.code, 0, json.stderr);
      const added = JSON.parse(json.stdout);
      assert.equal(added.node.name, 'db-2');
      assert.equal(added.joinToken.nodeName, 'db-2');
      assert.equal(parseSecret('join-token', added.joinToken.token).caFingerprint, fx.controller.ca.fingerprint);
      secretsShown.push(added.joinToken.token);

      const list = await tunctl(['list-join-tokens'], local);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^ID\s+NODE\s+STATE\s+EXPIRES\s+CREATED\s+BY$/m);
      assert.match(list.stdout, new RegExp(`^tj1\\.${parsed.id}\\s+db-1\\s+unused\\s+${escape(header[1]!)}\\s+\\S+\\s+local$`, 'm'));
      assert.match(list.stdout, new RegExp(`^tj1\\.${parseSecret('join-token', added.joinToken.token).id}\\s+db-2\\s+unused\\s`, 'm'));
      assertNoSecretIn(list.stdout);
      const listJson = await tunctl(['list-join-tokens', '-o', 'json'], local);
      assert.equal(listJson.code, 0, listJson.stderr);
      assert.equal(JSON.parse(listJson.stdout).joinTokens.length, 2);
      assertNoSecretIn(listJson.stdout);

      // The printed token is a real one: it joins once, and the list then says when it was used.
      const credentials = await joinController(fx.address, token);
      assert.equal(credentials.nodeName, 'db-1');
      await assert.rejects(joinController(fx.address, token), /already used/);
      const afterJoin = await tunctl(['list-join-tokens', '--node', 'db-1'], local);
      assert.match(afterJoin.stdout, new RegExp(`^tj1\\.${parsed.id}\\s+db-1\\s+used \\d{4}-\\d\\d-\\d\\dT\\S+Z\\s`, 'm'));
    });

    test('create-join-token issues another token; --ttl sets its expiry; --node filters the list', async () => {
      const issued: { id: string; ttl: number; beforeMs: number; afterMs: number }[] = [];
      for (const [flag, ttl] of [['90s', 90], ['30m', 1800], ['24h', 86400], ['7d', 7 * 86400]] as const) {
        const beforeMs = Date.now();
        const res = await tunctl(['create-join-token', 'db-1', '--ttl', flag], local);
        const afterMs = Date.now();
        assert.equal(res.code, 0, res.stderr);
        const token = onlySecret(res.stdout, JOIN_TOKEN);
        secretsShown.push(token);
        const header = /^join token for db-1 \(shown once, valid until (\S+), works once\):$/m.exec(res.stdout);
        assert.ok(header, res.stdout);
        assertExpiry(header[1]!, beforeMs, afterMs, ttl);
        assert.ok(res.stdout.includes(`TUNCTL_JOIN_TOKEN=${token} tunctl agent`), res.stdout);
        issued.push({ id: parseSecret('join-token', token).id, ttl, beforeMs, afterMs });
      }
      assert.equal(new Set(issued.map((t) => t.id)).size, issued.length, 'every token is new');

      const list = await tunctl(['list-join-tokens', '--node', 'db-1'], local);
      assert.equal(list.code, 0, list.stderr);
      for (const t of issued) {
        const row = new RegExp(`^tj1\\.${t.id}\\s+db-1\\s+unused\\s+(\\S+)\\s`, 'm').exec(list.stdout);
        assert.ok(row, `token ${t.id} in:\n${list.stdout}`);
        assertExpiry(row[1]!, t.beforeMs, t.afterMs, t.ttl);
      }
      assert.doesNotMatch(list.stdout, /\sdb-2\s/, '--node db-1 leaves out db-2');
      assert.equal(list.stdout.trim().split('\n').length, 1 + 1 + issued.length, "header, add-node's token, the new ones");
      assertNoSecretIn(list.stdout);

      const json = await tunctl(['create-join-token', 'db-2', '--ttl', '30m', '-o', 'json'], local);
      assert.equal(json.code, 0, json.stderr);
      const created = JSON.parse(json.stdout).joinToken;
      secretsShown.push(created.token);
      assert.equal(created.nodeName, 'db-2');
      assert.equal(parseSecret('join-token', created.token).id, created.id);
    });

    test('a bad --ttl is a usage error (exit 2) and creates nothing', async () => {
      const count = async () => JSON.parse((await tunctl(['list-join-tokens', '-o', 'json'], local)).stdout).joinTokens.length as number;
      const tokensBefore = await count();
      for (const ttl of ['5y', '0', '1.5h', '400d', 'soon']) {
        const res = await tunctl(['create-join-token', 'db-1', '--ttl', ttl], local);
        assert.equal(res.code, 2, `--ttl ${ttl}: ${res.stderr}`);
        assert.equal(res.stdout, '');
        assert.match(res.stderr, /--ttl must be a duration like 90s, 30m, 24h or 7d/);
        assert.match(res.stderr, /usage: tunctl create-join-token NODE/);
      }
      const addBadTtl = await tunctl(['add-node', 'db-9', '--underlay-ip', '192.168.20.9', '--ttl', '2w'], local);
      assert.equal(addBadTtl.code, 2, addBadTtl.stderr);
      assert.equal((await tunctl(['get-node', 'db-9'], local)).code, 1, 'the node was not added either');
      assert.equal(await count(), tokensBefore);
    });

    test('create-join-token for an unknown node exits 1 with "not found"', async () => {
      const res = await tunctl(['create-join-token', 'ghost'], local);
      assert.equal(res.code, 1, res.stderr);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /^Error: node "ghost" not found/);
    });

    test('revoke-join-token makes an unused token expire now; the list shows "expired"', async () => {
      await addNode('leak-1', '192.168.29.1');
      const created = await tunctl(['create-join-token', 'leak-1'], local);
      assert.equal(created.code, 0, created.stderr);
      const token = onlySecret(created.stdout, JOIN_TOKEN);
      secretsShown.push(token);
      const { id } = parseSecret('join-token', token);
      const revoked = await tunctl(['revoke-join-token', `tj1.${id}`], local);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, new RegExp(`^join token tj1\\.${id} for leak-1 expired at `));
      const list = await tunctl(['list-join-tokens', '--node', 'leak-1'], local);
      assert.match(list.stdout, new RegExp(`tj1\\.${id}\\s+leak-1\\s+expired`));
      await assert.rejects(joinController(fx.address, token), /expired at/);
      const unknown = await tunctl(['revoke-join-token', 'tj1.0000000000000000'], local);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /not found/);
    });
  });

  describe('API keys: remote admin access over TLS', () => {
    test('a read key, printed once, may read from another host but not write', async () => {
      await addNode('api-1', '192.168.30.1');
      const key = await createKey(['--scope', 'read', '--description', 'ci reader']);
      assert.match(key.stdout, new RegExp(`^API key tk1\\.${key.id} \\(scope read, never expires\\); shown once:$`, 'm'));
      assert.ok(key.stdout.includes(`  ${key.text}\n`), 'the key on a line of its own, to copy');
      assert.ok(key.stdout.includes(`TUNCTL_API_KEY=${key.text} tunctl list-nodes --controller `), key.stdout);
      assert.equal(parseSecret('api-key', key.text).caFingerprint, fx.controller.ca.fingerprint, 'the key pins this controller');

      const list = await tunctl(['list-nodes'], remote(key.text));
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^api-1\s+192\.168\.30\.1\s/m);

      const readScopeRefused = new RegExp(`^Error: API key tk1\\.${key.id} has scope "read", and AddNode changes the cluster: it needs a key with scope "admin"`);
      const write = await tunctl(['add-node', 'api-2', '--underlay-ip', '192.168.30.2'], remote(key.text));
      assert.equal(write.code, 1, write.stderr);
      assert.equal(write.stdout, '');
      assert.match(write.stderr, readScopeRefused);
      assert.equal((await tunctl(['get-node', 'api-2'], local)).code, 1, 'nothing was added');

      // A read key cannot mint itself an admin key either.
      const escalate = await tunctl(['apikey', 'create', '--scope', 'admin'], remote(key.text));
      assert.equal(escalate.code, 1, escalate.stderr);
      assert.match(escalate.stderr, /has scope "read", and CreateApiKey reads or manages credentials: it needs a key with scope "admin"/);

      // The same through --api-key-file (trailing newline as `echo KEY > file` leaves it), which wins over $TUNCTL_API_KEY.
      const dir = mkdtempSync(join(tmpdir(), 'tunctl-key-'));
      try {
        const file = join(dir, 'api-key');
        writeFileSync(file, `${key.text}\n`, { mode: 0o600 });
        const viaFile = ['--controller', fx.address, '--api-key-file', file];
        const fileList = await tunctl(['list-nodes', ...viaFile], { TUNCTL_API_KEY: newSecret('api-key', 'B'.repeat(43)).text });
        assert.equal(fileList.code, 0, fileList.stderr);
        assert.match(fileList.stdout, /^api-1\s/m);
        const fileWrite = await tunctl(['add-node', 'api-2', '--underlay-ip', '192.168.30.2', ...viaFile], {});
        assert.equal(fileWrite.code, 1, fileWrite.stderr);
        assert.match(fileWrite.stderr, readScopeRefused);
        const missing = await tunctl(['list-nodes', '--controller', fx.address, '--api-key-file', join(dir, 'nope')], {});
        assert.equal(missing.code, 2, missing.stderr);
        assert.match(missing.stderr, /cannot read the API key file .*nope: ENOENT/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('an admin key may change the cluster over TLS', async () => {
      const key = await createKey(['--scope', 'admin', '--description', 'deploy bot']);
      assert.match(key.stdout, /\(scope admin, never expires\)/);
      const add = await addNode('api-3', '192.168.30.3', remote(key.text));
      assert.match(add.stdout, /^node api-3 added: /m);
      assert.match(add.stdout, /^join token for api-3 /m);
      const get = await tunctl(['get-node', 'api-3', '-o', 'json'], local);
      assert.equal(get.code, 0, get.stderr);
      assert.equal(JSON.parse(get.stdout).node.underlayIp, '192.168.30.3');
    });

    test('a key with a known id and a wrong secret, or an unknown id, is "not valid here"', async () => {
      const key = await createKey(['--scope', 'admin']);
      const fingerprint = fx.controller.ca.fingerprint;
      const wrongSecret = `tk1.${key.id}.${newSecret('api-key', fingerprint).secret}.${fingerprint}`;
      const unknown = newSecret('api-key', fingerprint);
      for (const [text, id] of [[wrongSecret, key.id], [unknown.text, unknown.id]] as const) {
        const res = await tunctl(['list-nodes'], remote(text));
        assert.equal(res.code, 1, res.stderr);
        assert.equal(res.stdout, '');
        assert.match(res.stderr, new RegExp(`^Error: API key tk1\\.${id} is not valid here \\(no such key, or a wrong secret\\)`));
      }
    });

    test("a key pinning another controller's CA is refused before anything is sent", async () => {
      const key = await createKey(['--scope', 'admin']);
      const other = await startController();
      try {
        const otherFingerprint = other.controller.ca.fingerprint;
        assert.notEqual(otherFingerprint, fx.controller.ca.fingerprint);
        // This key's id and secret are valid here: had tunctl sent them, the node would be added.
        const misdirected = `tk1.${key.id}.${key.secret}.${otherFingerprint}`;
        const auditBefore = JSON.parse((await tunctl(['audit', '-o', 'json'], local)).stdout).events.length as number;
        const res = await tunctl(['add-node', 'api-4', '--underlay-ip', '192.168.30.4'], remote(misdirected));
        assert.equal(res.code, 1, res.stderr);
        assert.equal(res.stdout, '');
        assert.ok(res.stderr.startsWith(`Error: the controller at ${fx.address} is not the one this credential was made for`), res.stderr);
        assert.ok(res.stderr.includes(fx.controller.ca.fingerprint), 'names the CA it found');
        assert.ok(res.stderr.includes(`the credential pins ${otherFingerprint}`), res.stderr);
        assert.equal((await tunctl(['get-node', 'api-4'], local)).code, 1, 'the node was not added');
        const auditAfter = JSON.parse((await tunctl(['audit', '-o', 'json'], local)).stdout).events.length as number;
        assert.equal(auditAfter, auditBefore, 'the controller saw no call at all, not even a refused one');
      } finally {
        await other.dispose();
      }
    });

    test('apikey revoke (tk1.<id> or the bare id) takes effect at once: "revoked"', async () => {
      for (const form of ['tk1.<id>', '<id>']) {
        const key = await createKey(['--scope', 'admin', '--description', 'to revoke']);
        assert.equal((await tunctl(['list-nodes'], remote(key.text))).code, 0, 'works before');
        const revoke = await tunctl(['apikey', 'revoke', form === '<id>' ? key.id : `tk1.${key.id}`], local);
        assert.equal(revoke.code, 0, revoke.stderr);
        assert.match(revoke.stdout, new RegExp(`^API key tk1\\.${key.id} revoked at \\d{4}-\\d\\d-\\d\\dT\\S+Z$`, 'm'));
        const use = await tunctl(['list-nodes'], remote(key.text));
        assert.equal(use.code, 1, use.stderr);
        assert.match(use.stderr, new RegExp(`^Error: API key tk1\\.${key.id} was revoked at `));
        const list = await tunctl(['apikey', 'list'], local);
        assert.match(list.stdout, new RegExp(`^tk1\\.${key.id}\\s+admin\\s+revoked \\d{4}-\\S+Z\\s+never\\s+\\S+\\s+local\\s+to revoke$`, 'm'));
      }
      const unknown = await tunctl(['apikey', 'revoke', 'tk1.0123456789abcdef'], local);
      assert.equal(unknown.code, 1, unknown.stderr);
      assert.match(unknown.stderr, /^Error: API key tk1\.0123456789abcdef not found/);
      const malformed = await tunctl(['apikey', 'revoke', 'not-a-key'], local);
      assert.equal(malformed.code, 1, malformed.stderr);
      assert.match(malformed.stderr, /^Error: id must be an API key id/);
    });

    test('apikey create --expires 1s: the key stops working once it expires', async () => {
      const beforeMs = Date.now();
      const key = await createKey(['--scope', 'read', '--expires', '1s']);
      const afterMs = Date.now();
      const header = /\(scope read, expires (\S+)\); shown once:$/m.exec(key.stdout);
      assert.ok(header, key.stdout);
      assertExpiry(header[1]!, beforeMs, afterMs, 1);
      await sleep(Math.max(0, Date.parse(header[1]!) - Date.now()) + 500);
      const use = await tunctl(['list-nodes'], remote(key.text));
      assert.equal(use.code, 1, use.stderr);
      assert.match(use.stderr, new RegExp(`^Error: API key tk1\\.${key.id} expired at ${escape(header[1]!)}`));
      const list = await tunctl(['apikey', 'list'], local);
      assert.match(list.stdout, new RegExp(`^tk1\\.${key.id}\\s+read\\s+expired\\s+${escape(header[1]!)}\\s`, 'm'));
    });

    test('apikey create usage errors exit 2 and create nothing', async () => {
      const count = async () => JSON.parse((await tunctl(['apikey', 'list', '-o', 'json'], local)).stdout).apiKeys.length as number;
      const keysBefore = await count();
      const cases: [string[], RegExp][] = [
        [[], /--scope must be "read" or "admin"/],
        [['--scope', 'root'], /--scope must be "read" or "admin"/],
        [['--scope', 'read', '--expires', 'forever'], /--expires must be a duration/],
        [['--scope', 'read', '--expires', '0'], /--expires must be a duration/],
      ];
      for (const [args, message] of cases) {
        const res = await tunctl(['apikey', 'create', ...args], local);
        assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
        assert.equal(res.stdout, '');
        assert.match(res.stderr, message);
        assert.match(res.stderr, /usage: tunctl apikey create --scope/);
      }
      assert.equal(await count(), keysBefore);
    });

    test('apikey list shows scope, state and description, never a secret', async () => {
      const reader = await createKey(['--scope', 'read', '--description', 'dashboards, read only']);
      const list = await tunctl(['apikey', 'list'], local);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^ID\s+SCOPE\s+STATE\s+EXPIRES\s+CREATED\s+BY\s+DESCRIPTION$/m);
      assert.match(list.stdout, new RegExp(`^tk1\\.${reader.id}\\s+read\\s+active\\s+never\\s+\\d{4}-\\S+Z\\s+local\\s+dashboards, read only$`, 'm'));
      assert.match(list.stdout, /\s+admin\s+active\s+never\s+\S+\s+local\s+deploy bot$/m);
      assert.match(list.stdout, /\s+read\s+active\s+never\s+\S+\s+local\s+ci reader$/m);
      assertNoSecretIn(list.stdout);

      const json = await tunctl(['apikey', 'list', '-o', 'json'], local);
      assert.equal(json.code, 0, json.stderr);
      const keys = JSON.parse(json.stdout).apiKeys as { id: string; scope: string; description: string; key?: string }[];
      const mine = keys.find((k) => k.id === reader.id);
      assert.equal(mine?.scope, 'API_KEY_SCOPE_READ');
      assert.equal(mine?.description, 'dashboards, read only');
      assert.ok(keys.every((k) => !k.key), 'no key text in the list');
      assertNoSecretIn(json.stdout);
    });
  });

  test('audit: changes and refusals with their actor, action and outcome; --since and -o json', async () => {
    await addNode('aud-0', '192.168.40.10');
    await sleep(50);
    const cut = new Date().toISOString();
    await sleep(50);
    await addNode('aud-1', '192.168.40.1');
    const admin = await createKey(['--scope', 'admin']);
    const reader = await createKey(['--scope', 'read']);
    await addNode('aud-2', '192.168.40.2', remote(admin.text));
    const denied = await tunctl(['add-node', 'aud-3', '--underlay-ip', '192.168.40.3'], remote(reader.text));
    assert.equal(denied.code, 1, denied.stderr);
    const fingerprint = fx.controller.ca.fingerprint;
    const badSecret = await tunctl(['list-nodes'], remote(`tk1.${admin.id}.${newSecret('api-key', fingerprint).secret}.${fingerprint}`));
    assert.equal(badSecret.code, 1, badSecret.stderr);

    const rows = {
      addLocal: /^\S+\s+local\s+add-node\s+aud-1\s+ok\s+underlay 192\.168\.40\.1, subnet /m,
      tokenLocal: /^\S+\s+local\s+create-join-token\s+aud-1\s+ok\s+token tj1\./m,
      createKey: new RegExp(`^\\S+\\s+local\\s+create-api-key\\s+tk1\\.${admin.id}\\s+ok\\s+scope admin, never expires$`, 'm'),
      addRemote: new RegExp(`^\\S+\\s+apikey:${admin.id}\\s+add-node\\s+aud-2\\s+ok\\s`, 'm'),
      tokenRemote: new RegExp(`^\\S+\\s+apikey:${admin.id}\\s+create-join-token\\s+aud-2\\s+ok\\s`, 'm'),
      // The refused call's target is what the caller asked for (aud-3), which was never added.
      deniedWrite: new RegExp(`^\\S+\\s+apikey:${reader.id}\\s+AddNode\\s+aud-3\\s+denied\\s+API key tk1\\.${reader.id} has scope "read"`, 'm'),
      deniedAnonymous: new RegExp(`^\\S+\\s+anonymous\\s+ListNodes\\s+-\\s+denied\\s+API key tk1\\.${admin.id} is not valid here`, 'm'),
    };
    const all = await tunctl(['audit'], local);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^TIME\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+DETAIL$/m);
    for (const [what, row] of Object.entries(rows)) assert.match(all.stdout, row, what);
    assert.match(all.stdout, /^\S+\s+local\s+add-node\s+aud-0\s/m);
    assert.ok(all.stdout.search(rows.addLocal) < all.stdout.search(rows.deniedWrite), 'oldest first');
    assert.doesNotMatch(all.stdout, /\saud-3\s+ok\s/, 'the refused add-node changed nothing');
    assertNoSecretIn(all.stdout);

    const lastHour = await tunctl(['audit', '--since', '1h'], local);
    assert.equal(lastHour.code, 0, lastHour.stderr);
    for (const [what, row] of Object.entries(rows)) assert.match(lastHour.stdout, row, `--since 1h: ${what}`);

    const sinceCut = await tunctl(['audit', '--since', cut], local);
    assert.equal(sinceCut.code, 0, sinceCut.stderr);
    for (const [what, row] of Object.entries(rows)) assert.match(sinceCut.stdout, row, `--since ${cut}: ${what}`);
    assert.doesNotMatch(sinceCut.stdout, /\saud-0\s/, 'events before --since are left out');

    const future = new Date(Date.now() + 3600_000).toISOString();
    const none = await tunctl(['audit', '--since', future], local);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout.trim().split('\n').length, 1, `only the header:\n${none.stdout}`);
    assert.deepEqual(JSON.parse((await tunctl(['audit', '--since', future, '-o', 'json'], local)).stdout).events, []);

    const json = await tunctl(['audit', '-o', 'json'], local);
    assert.equal(json.code, 0, json.stderr);
    type Event = { id: string; at: string; actor: string; action: string; target?: string; outcome: string; detail: string; peer?: string };
    const events = JSON.parse(json.stdout).events as Event[];
    assert.ok(Array.isArray(events) && events.length >= Object.keys(rows).length);
    const refusal = events.find((e) => e.actor === `apikey:${reader.id}` && e.action === 'AddNode');
    assert.equal(refusal?.outcome, 'denied');
    assert.match(refusal!.detail, /needs a key with scope "admin"/);
    assert.ok(refusal!.peer, 'the refusal records where the call came from');
    assert.match(refusal!.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(typeof events[0]!.id, 'string', 'uint64 is a string in proto3 JSON');
    assert.ok(Date.parse(events[0]!.at) >= Date.parse(events.at(-1)!.at), 'JSON is the API order: newest first');
    assertNoSecretIn(json.stdout);

    const limited = JSON.parse((await tunctl(['audit', '--limit', '2', '-o', 'json'], local)).stdout).events as Event[];
    assert.deepEqual(limited.map((e) => e.id), events.slice(0, 2).map((e) => e.id), '--limit keeps the newest');

    const remoteRead = await tunctl(['audit', '--since', '1h'], remote(reader.text));
    assert.equal(remoteRead.code, 0, remoteRead.stderr);
    assert.match(remoteRead.stdout, rows.deniedWrite, 'a read key may read the audit log');

    const badSince = await tunctl(['audit', '--since', 'yesterday'], local);
    assert.equal(badSince.code, 2, badSince.stderr);
    assert.match(badSince.stderr, /--since must be a duration like 1h or 7d, or a time like/);
  });

  test('network shows the CA fingerprint that join tokens and API keys pin', async () => {
    const table = await tunctl(['network'], local);
    assert.equal(table.code, 0, table.stderr);
    const shown = /^CA fingerprint \(pinned by join tokens and API keys\): (\S+)$/m.exec(table.stdout);
    assert.ok(shown, table.stdout);
    assert.equal(shown[1], fx.controller.ca.fingerprint);
    const json = JSON.parse((await tunctl(['network', '-o', 'json'], local)).stdout);
    assert.equal(json.caFingerprint, fx.controller.ca.fingerprint);

    const key = await createKey(['--scope', 'read']);
    const overTls = await tunctl(['network'], remote(key.text));
    assert.equal(overTls.code, 0, overTls.stderr);
    assert.ok(overTls.stdout.includes(`: ${parseSecret('api-key', key.text).caFingerprint}\n`), 'the same fingerprint the key pins');
  });
});
