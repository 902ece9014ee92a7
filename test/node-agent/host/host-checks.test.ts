import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  IP_FORWARD_PATH,
  TUN_DEVICE_PATH,
  checkIpForwarding,
  checkTunAvailable,
} from '../../../node-agent/host/host-checks.js';

const OFF_HINT =
  'IPv4 forwarding is off: run `sysctl -w net.ipv4.ip_forward=1` (and persist it in /etc/sysctl.d/) or containers on this host cannot reach other hosts';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

test('ip forwarding on', async () => {
  const paths: string[] = [];
  const result = await checkIpForwarding(async (path) => {
    paths.push(path);
    return '1\n';
  });
  assert.deepEqual(result, { enabled: true, hint: '' });
  assert.deepEqual(paths, [IP_FORWARD_PATH]);
  assert.equal(IP_FORWARD_PATH, '/proc/sys/net/ipv4/ip_forward');
});

test('ip forwarding off gives the sysctl hint', async () => {
  assert.deepEqual(await checkIpForwarding(async () => '0\n'), { enabled: false, hint: OFF_HINT });
});

test('unreadable ip_forward counts as off and says why', async () => {
  const result = await checkIpForwarding(async () => {
    throw errno('ENOENT');
  });
  assert.equal(result.enabled, false);
  assert.ok(result.hint.includes(IP_FORWARD_PATH) && result.hint.includes('ENOENT') && result.hint.includes('sysctl -w net.ipv4.ip_forward=1'), result.hint);
});

test('ip forwarding check reads the real file of this namespace', async () => {
  const result = await checkIpForwarding();
  assert.equal(typeof result.enabled, 'boolean');
  assert.equal(result.hint === '', result.enabled);
});

test('/dev/net/tun present, missing, or forbidden', async () => {
  const seen: Array<{ path: string; mode: number }> = [];
  assert.deepEqual(await checkTunAvailable(async (path, mode) => { seen.push({ path, mode }); }), { available: true, hint: '' });
  assert.equal(seen[0]?.path, TUN_DEVICE_PATH);

  const missing = await checkTunAvailable(async () => { throw errno('ENOENT'); });
  assert.equal(missing.available, false);
  assert.match(missing.hint, /modprobe tun/);

  const forbidden = await checkTunAvailable(async () => { throw errno('EACCES'); });
  assert.equal(forbidden.available, false);
  assert.match(forbidden.hint, /root or with CAP_NET_ADMIN/);
});
