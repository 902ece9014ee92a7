// The files an operator installs: the systemd units pass `systemd-analyze verify`, and the
// example settings files are accepted by the commands they are for.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { agent } from '../../cli/commands/agent-command.js';
import { controller } from '../../cli/commands/controller-command.js';
import { withSettingsFile } from '../../cli/service-settings.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TUNCTL = fileURLToPath(new URL('../../cli/tunctl.js', import.meta.url));

test('the systemd units verify, pointed at this build of tunctl', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tunctl-units-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const units = ['tunctl-agent.service', 'tunctl-controller.service'];
  for (const unit of units) {
    // Only the binary's path changes: verify checks that ExecStart can run.
    const text = readFileSync(join(ROOT, 'deploy/systemd', unit), 'utf8');
    assert.match(text, /^ExecStart=\/usr\/local\/bin\/tunctl (agent|controller) --config \/etc\/tunctl\/(agent|controller)\.conf$/m);
    writeFileSync(join(dir, unit), text.replaceAll('/usr/local/bin/tunctl', TUNCTL));
  }
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) =>
    execFile('systemd-analyze', ['verify', ...units.map((u) => join(dir, u))], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
  assert.equal(code, 0, output);
  assert.equal(output.trim(), '', 'no warnings');
});

test('the example settings files name only flags of their commands', () => {
  const agentValues = withSettingsFile('agent', { config: join(ROOT, 'deploy/config/agent.conf') }, agent.options, '/nonexistent');
  assert.equal(agentValues.controller, '10.0.0.5:7400');
  assert.equal(agentValues['log-format'], 'json');
  const controllerValues = withSettingsFile('controller', { config: join(ROOT, 'deploy/config/controller.conf') }, controller.options, '/nonexistent');
  assert.equal(controllerValues.network, '10.244.0.0/16');
  assert.equal(controllerValues['data-dir'], '/var/lib/tunctl/controller');
});
