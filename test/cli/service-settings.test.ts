// Settings files and logging of the long-running commands (controller, agent): the file's
// lines are flags, the command line wins, mistakes are refused with their line; logs as text
// or JSON at the level asked for; metrics-listen from the file opens the metrics endpoint.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { formatJsonLine } from '../../common/logger.js';
import { UsageError } from '../../cli/output.js';
import { metricsListenFlag, serviceLogger, withSettingsFile } from '../../cli/service-settings.js';
import { agent } from '../../cli/commands/agent-command.js';
import { controller } from '../../cli/commands/controller-command.js';
import { waitFor } from '../netns/netns.js';
import { sample, scrape } from '../common/prometheus-text.js';
import { TUNCTL, tunctl } from './run-tunctl.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function settings(t: TestContext, text: string): string {
  const file = join(tempDir(t), 'agent.conf');
  writeFileSync(file, text);
  return file;
}

test('a settings file supplies flags; the command line wins; comments and quotes are fine', (t) => {
  const file = settings(t, '# the agent on host-1\ncontroller = 10.0.0.5:7400\nstate-dir = "/srv/tunctl agent"\n\nworkers=2\n');
  const values = withSettingsFile('agent', { config: file, workers: '4' }, agent.options, '/nonexistent');
  assert.equal(values.controller, '10.0.0.5:7400');
  assert.equal(values['state-dir'], '/srv/tunctl agent');
  assert.equal(values.workers, '4', 'the command line wins');
});

test('a settings file refuses what it cannot mean, naming the line', (t) => {
  const refuse = (text: string, message: RegExp) =>
    assert.throws(() => withSettingsFile('agent', { config: settings(t, text) }, agent.options, '/nonexistent'), (err: Error) => err instanceof UsageError && message.test(err.message));
  refuse('controler = 10.0.0.5:7400\n', /agent\.conf:1: "controler" is not a setting of tunctl agent; settings are its flags without "--"/);
  refuse('tun = tun0\ntun = tun1\n', /agent\.conf:2: "tun" is set twice/);
  refuse('just words\n', /agent\.conf:1: expected "flag = value"/);
  refuse('config = /etc/other.conf\n', /"config" is not a setting/);
  assert.throws(() => withSettingsFile('agent', { config: '/nonexistent/agent.conf' }, agent.options, '/x'), /cannot read the settings file \/nonexistent\/agent\.conf: ENOENT/);
  assert.deepEqual(withSettingsFile('agent', { tun: 'tun9' }, agent.options, '/nonexistent/default.conf'), { tun: 'tun9' }, 'a missing default file is no error');
});

test('log level and format come from the flags, else the environment; unknown values are usage errors', () => {
  assert.throws(() => serviceLogger('agent', { 'log-level': 'verbose' }, {}), /--log-level must be debug, info, warn or error, not "verbose"/);
  assert.throws(() => serviceLogger('agent', {}, { TUNCTL_LOG_LEVEL: 'loud' }), /TUNCTL_LOG_LEVEL must be/);
  assert.throws(() => serviceLogger('agent', { 'log-format': 'xml' }, {}), /--log-format must be text or json, not "xml"/);
  assert.ok(serviceLogger('agent', { 'log-level': 'debug', 'log-format': 'json' }, {}));
});

test('a JSON log line holds time, level, component, message and the fields, never overwritten by a field', () => {
  const line = JSON.parse(formatJsonLine('warn', 'agent', 'route stream ended', { retry_in_ms: 290, big: 12n, msg: 'field', gone: undefined })) as Record<string, unknown>;
  assert.equal(line.level, 'warn');
  assert.equal(line.component, 'agent');
  assert.equal(line.msg, 'route stream ended');
  assert.equal(line.retry_in_ms, 290);
  assert.equal(line.big, '12');
  assert.equal(line.field_msg, 'field');
  assert.ok(!('gone' in line));
  assert.ok(!Number.isNaN(Date.parse(line.time as string)));
});

test('tunctl controller reads its settings file and logs JSON when it says so', async (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, `listen = 127.0.0.1:0\ndata-dir = ${dir}/data\nsubnet-len = 26\n`);
  const refused = await tunctl(['controller', '--config', bad]);
  assert.equal(refused.code, 2, 'the file\'s subnet-len reached the command, which refuses it without --network');
  assert.match(refused.stderr, /--subnet-len only applies with --network/);

  const good = join(dir, 'controller.conf');
  writeFileSync(good, `listen = 127.0.0.1:0\ndata-dir = ${dir}/data\nadmin-socket = ${dir}/admin.sock\nnetwork = 10.250.0.0/16\nlog-format = json\n`);
  const child = spawn(process.execPath, [TUNCTL, 'controller', '--config', good], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const first = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no log line in 15 s: ${text}`)), 15_000);
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, nl));
      }
    });
  });
  const record = JSON.parse(first) as { component: string; level: string; msg: string };
  assert.equal(record.component, 'controller');
  assert.equal(record.level, 'info');
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
});

test('--metrics-listen: off unless given, host:port or a usage error, in both commands\' help', (t) => {
  assert.equal(metricsListenFlag({}), undefined);
  assert.equal(metricsListenFlag({ 'metrics-listen': '127.0.0.1:9464' }), '127.0.0.1:9464');
  assert.equal(metricsListenFlag({ 'metrics-listen': '[::1]:0' }), '[::1]:0');
  assert.throws(() => metricsListenFlag({ 'metrics-listen': '9464' }), (err: Error) => err instanceof UsageError && /--metrics-listen must be host:port, like 127\.0\.0\.1:9464/.test(err.message));
  const values = withSettingsFile('agent', { config: settings(t, 'metrics-listen = 127.0.0.1:9465\n') }, agent.options, '/nonexistent');
  assert.equal(metricsListenFlag(values), '127.0.0.1:9465', 'a setting like any flag');
  for (const command of [agent, controller]) assert.match(command.help, /--metrics-listen HOST:PORT/, command.name);
});

/** A loopback port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('tunctl controller with metrics-listen in its settings file serves /metrics and /readyz', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const file = join(dir, 'controller.conf');
  writeFileSync(file, `listen = 127.0.0.1:0\ndata-dir = ${dir}/data\nadmin-socket = ${dir}/admin.sock\nnetwork = 10.250.0.0/16\nmetrics-listen = 127.0.0.1:${port}\n`);
  const child = spawn(process.execPath, [TUNCTL, 'controller', '--config', file], { stdio: ['ignore', 'ignore', 'ignore'] });
  t.after(() => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the controller to be ready', async () => (await fetch(`${base}/readyz`)).status === 200, 15_000, 100);
  const { samples } = await scrape(`${base}/metrics`);
  assert.equal(sample(samples, 'tunctl_controller_nodes'), 0);
  assert.equal(sample(samples, 'tunctl_controller_revision'), 0);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(child.exitCode, 0);
});
