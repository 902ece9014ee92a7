import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  IP_FORWARD_PATH,
  TUN_DEVICE_PATH,
  checkIpForwarding,
  checkTunAvailable,
  tunMtuForUnderlay,
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

test('TUN MTU is the underlay MTU minus 28 bytes of IPv4+UDP', () => {
  assert.equal(tunMtuForUnderlay(1500), 1472);
  assert.equal(tunMtuForUnderlay(9000), 8972);
  assert.equal(tunMtuForUnderlay(1400), 1372);
  assert.equal(tunMtuForUnderlay(604), 576);
  assert.equal(tunMtuForUnderlay(65535), 65507);
});

test('TUN MTU outside 576..65507 or a nonsense underlay MTU is refused with a clear error', () => {
  assert.throws(() => tunMtuForUnderlay(603), { name: 'InvalidArgumentError', message: /TUN MTU of 575 .*below the IPv4 minimum of 576.*MTU >= 604/ });
  assert.throws(() => tunMtuForUnderlay(65536), { name: 'InvalidArgumentError', message: /65508, above 65507/ });
  assert.throws(() => tunMtuForUnderlay(0), { name: 'InvalidArgumentError', message: /underlay MTU 0 is invalid/ });
  assert.throws(() => tunMtuForUnderlay(1500.5), { name: 'InvalidArgumentError' });
  assert.throws(() => tunMtuForUnderlay(Number.NaN), { name: 'InvalidArgumentError' });
});
