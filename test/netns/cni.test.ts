// End to end: the CNI plugin binary invoked exactly as a container runtime invokes it
// (CNI_* environment variables, the network configuration on stdin, the result on stdout)
// inside host namespaces running real agents; pods on two hosts ping each other, and the
// ADD / CHECK / DEL round trip leaves nothing behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { agentSocketOf, Cluster, type Host } from './cluster.js';
import { labFor, netnsTestOptions } from './netns.js';

const PLUGIN = fileURLToPath(new URL('../../cli/tunctl-cni.js', import.meta.url));

interface PluginRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the plugin in `hostNs` as a runtime would: a clean environment with the CNI_* variables, the config on stdin. */
function runPlugin(hostNs: string, env: Record<string, string>, config: object): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const vars = Object.entries({ PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: '/opt/cni/bin', ...env }).map(([k, v]) => `${k}=${v}`);
    const child = spawn('ip', ['netns', 'exec', hostNs, 'env', '-i', ...vars, process.execPath, PLUGIN], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(JSON.stringify(config));
  });
}

test('the CNI plugin, invoked as a runtime does, puts pods on the overlay and takes them off again', { ...netnsTestOptions(), timeout: 240_000 }, async (t) => {
  const lab = labFor(t, 'cni');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-cni-'));
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: 500 });
  t.after(async () => {
    if (process.exitCode || t.signal.aborted) cluster.dumpLogs(['controller', 'agent-h1', 'agent-h2']);
    rmSync(workDir, { recursive: true, force: true });
  });
  const { h1, h2 } = await cluster.startPair({ handMadeContainer: false });

  const config = (host: Host, extra: object = {}) => ({ cniVersion: '1.0.0', name: 'tunctl', type: 'tunctl-cni', agentSocket: agentSocketOf(host), ...extra });
  const pod1 = await lab.addNamespace('pod1');
  const pod2 = await lab.addNamespace('pod2');
  const env = (command: string, id: string, ns: string) => ({ CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: 'eth0' });
  let result1: { ips: Array<{ address: string; gateway: string }> } | undefined;

  await t.test('VERSION answers the versions it speaks', async () => {
    const res = await runPlugin(h1.ns, { CNI_COMMAND: 'VERSION' }, {});
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.deepEqual((JSON.parse(res.stdout) as { supportedVersions: string[] }).supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0']);
  });

  await t.test('ADD gives each pod an address, gateway and default route; pods on two hosts ping each other', async () => {
    const add1 = await runPlugin(h1.ns, env('ADD', 'pod-one', pod1), config(h1));
    assert.equal(add1.code, 0, add1.stdout + add1.stderr);
    result1 = JSON.parse(add1.stdout) as { ips: Array<{ address: string; gateway: string }> };
    const prefix1 = h1.subnet.split('.').slice(0, 3).join('.');
    assert.deepEqual(result1.ips, [{ address: `${prefix1}.2/24`, gateway: `${prefix1}.1`, interface: 1 }]);
    const add2 = await runPlugin(h2.ns, env('ADD', 'pod-two', pod2), config(h2));
    assert.equal(add2.code, 0, add2.stdout + add2.stderr);
    const ip2 = (JSON.parse(add2.stdout) as { ips: Array<{ address: string }> }).ips[0]!.address.split('/')[0]!;
    const ping = await lab.execStatus(pod1, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', ip2], 20_000);
    assert.match(ping.stdout, /2 received/, ping.stdout + ping.stderr);
    const listed = await cluster.hostTunctl(h1, ['containers']);
    assert.match(listed.stdout, /pod-one/, 'tunctl containers shows the runtime\'s container id');
  });

  await t.test('CHECK passes with the result ADD gave, and fails naming the difference', async () => {
    const ok = await runPlugin(h1.ns, env('CHECK', 'pod-one', pod1), config(h1, { prevResult: result1 }));
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(ok.stdout, '');
    const wrong = await runPlugin(h1.ns, env('CHECK', 'pod-one', pod1), config(h1, { prevResult: { ips: [{ address: '10.244.99.9/24' }] } }));
    assert.equal(wrong.code, 1);
    const error = JSON.parse(wrong.stdout) as { cniVersion: string; code: number; msg: string };
    assert.equal(error.code, 101);
    assert.match(error.msg, /not 10\.244\.99\.9\/24 as the previous result says/);
  });

  await t.test('a second ADD for the same pod, or a namespace that does not exist, is a CNI error object on stdout', async () => {
    const again = await runPlugin(h1.ns, env('ADD', 'pod-one', pod1), config(h1));
    assert.equal(again.code, 1);
    assert.match((JSON.parse(again.stdout) as { msg: string }).msg, /already attached/);
    const missing = await runPlugin(h1.ns, env('ADD', 'pod-x', 'no-such-pod'), config(h1));
    assert.equal(missing.code, 1);
    const error = JSON.parse(missing.stdout) as { code: number; msg: string };
    assert.equal(error.code, 4);
    assert.match(error.msg, /does not exist/);
    const noAgent = await runPlugin(h1.ns, env('ADD', 'pod-y', pod1), config(h1, { agentSocket: join(workDir, 'none.sock') }));
    assert.equal((JSON.parse(noAgent.stdout) as { code: number }).code, 11, 'try again later: the agent is not there');
  });

  await t.test('DEL removes the veth, the route and the lease; DEL again is fine; nothing is left behind', async () => {
    const del = await runPlugin(h1.ns, { ...env('DEL', 'pod-one', pod1), CNI_NETNS: '' }, config(h1));
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.equal(del.stdout, '');
    const again = await runPlugin(h1.ns, env('DEL', 'pod-one', pod1), config(h1));
    assert.equal(again.code, 0, 'DEL of what is gone succeeds, as the spec asks');
    const hostLinks = await lab.exec(h1.ns, 'ip', ['-o', 'link', 'show']);
    assert.doesNotMatch(hostLinks.stdout, /: tc[0-9a-f]{11}@/, 'no veth left on the host');
    const routes = await lab.exec(h1.ns, 'ip', ['route', 'show', 'proto', '147']);
    assert.doesNotMatch(routes.stdout, /dev tc/, 'no route to the pod left');
    const podLinks = await lab.exec(pod1, 'ip', ['-o', 'link', 'show']);
    assert.doesNotMatch(podLinks.stdout, /eth0/, 'the pod lost its interface');
    const leases = JSON.parse(readFileSync(join(h1.stateDir, 'containers.json'), 'utf8')) as { leases: unknown[] };
    assert.deepEqual(leases.leases, []);
    const check = await runPlugin(h1.ns, env('CHECK', 'pod-one', pod1), config(h1));
    assert.equal((JSON.parse(check.stdout) as { code: number }).code, 3, 'CHECK after DEL: unknown container');
  });
});
