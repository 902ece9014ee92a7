// Every check together over an in-memory host: a healthy host and agent give one ok line per
// check and exit 0; an agent that does not answer leaves the host checks running and the rest
// skipped; a check that throws becomes a warning and the others still run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCTOR_CHECKS } from '../../../cli/commands/doctor-command.js';
import { runDoctor, type AgentFacts, type DoctorContext } from '../../../cli/doctor/doctor.js';
import { FakeHostProbe } from '../../../cli/doctor/fake-host-probe.js';
import { exitCode, renderJson, renderTable } from '../../../cli/doctor/report.js';

const NOW = Date.parse('2026-11-26T08:00:00Z');

function healthyHost(): FakeHostProbe {
  const probe = new FakeHostProbe();
  for (const [key, value] of [['ip_forward', '1'], ['conf/all/rp_filter', '1'], ['conf/tun0/rp_filter', '0'], ['conf/tc1/proxy_arp', '1']] as const) probe.sysctls.set(key, value);
  probe.interfaces = [
    { ifname: 'lo', mtu: 65536, addresses: ['127.0.0.1'] },
    { ifname: 'ul0', mtu: 1500, addresses: ['192.168.77.1'] },
    { ifname: 'tun0', mtu: 1472, addresses: ['10.244.0.0'] },
    { ifname: 'tc1', mtu: 1472, addresses: [] },
  ];
  probe.mainTable = [
    { dst: '192.168.77.0/24', dev: 'ul0', gateway: '', protocol: 'kernel' },
    { dst: '10.244.0.2/32', dev: 'tc1', gateway: '', protocol: '147' },
    { dst: '10.244.1.0/24', dev: 'tun0', gateway: '', protocol: '147' },
  ];
  probe.containerMtus.set('web eth0', 1472);
  return probe;
}

function healthyAgent(): AgentFacts {
  return {
    socket: '/run/tunctl/agent.sock',
    status: {
      nodeName: 'h1',
      agentVersion: '0.1.0',
      startedAt: NOW - 600_000,
      subnet: '10.244.0.0/24',
      underlayIp: '192.168.77.1',
      udpPort: 7000,
      tunName: 'tun0',
      tunMtu: 1472,
      controller: { target: '192.168.77.254:7400', state: 'connected', since: NOW - 600_000, lastError: '', reconnects: 0 },
      routes: { lastError: '' },
      peers: [{ nodeName: 'h2', underlayIp: '192.168.77.2', subnet: '10.244.1.0/24', traffic: { txPackets: 5, rxPackets: 5 }, lastRxAt: NOW - 2000, lastTxAt: NOW - 2000 }],
    },
    containers: [{ netns: 'web', ifname: 'eth0', address: '10.244.0.2/24', hostInterface: 'tc1', mtu: 1472, attached: true }],
  };
}

function context(probe: FakeHostProbe, agent: DoctorContext['agent']): DoctorContext {
  return { probe, now: NOW, agent, tunName: 'tun0', udpPort: 7000, peerSilenceMs: 30_000 };
}

test('a healthy host: one ok line per check, exit 0; JSON is [{check, level, message, fix}]', async () => {
  const findings = await runDoctor(DOCTOR_CHECKS, context(healthyHost(), healthyAgent()));
  assert.deepEqual(findings.filter((f) => f.level !== 'ok'), []);
  assert.deepEqual(findings.map((f) => f.check), ['agent', 'ip-forward', 'proxy-arp', 'rp-filter', 'mtu', 'firewall', 'routes', 'controller', 'peers']);
  assert.equal(exitCode(findings), 0);
  const table = renderTable(findings);
  assert.match(table, /^ok {4}agent {7}agent h1 \(tunctl 0\.1\.0\) answers on \/run\/tunctl\/agent\.sock/m);
  assert.match(table, /^ok {4}rp-filter {3}packets from 1 peer subnet pass on tun0 \(rp_filter all=1 tun0=0, so strict\)$/m);
  assert.match(table, /^9 checks: 0 failed, 0 warned, 9 ok\n$/m);
  const json = JSON.parse(renderJson(findings)) as object[];
  assert.deepEqual(Object.keys(json[0]!), ['check', 'level', 'message', 'fix']);
});

test('faults show under their check with the fix indented; a fail exits 1, a warning alone 0', async () => {
  const probe = healthyHost();
  probe.sysctls.set('conf/tc1/proxy_arp', '0');
  probe.refusals.set('10.244.0.0 from 10.244.1.1 iif tun0', 'Invalid argument');
  probe.mainTable.push({ dst: '10.244.1.0/25', dev: 'ul0', gateway: '192.168.77.9', protocol: 'static' });
  const findings = await runDoctor(DOCTOR_CHECKS, context(probe, healthyAgent()));
  assert.deepEqual(findings.filter((f) => f.level === 'fail').map((f) => f.check), ['proxy-arp', 'rp-filter', 'routes']);
  assert.equal(exitCode(findings), 1);
  const table = renderTable(findings);
  assert.match(table, /^FAIL {2}proxy-arp {3}proxy ARP is off on tc1, .*\n {20}fix: sysctl -w net\.ipv4\.conf\.tc1\.proxy_arp=1\n/m);
  assert.match(table, /^FAIL {2}rp-filter {3}reverse-path filtering drops packets from h2 .* the route back to 10\.244\.1\.1 leaves by ul0, not tun0\n/m);
  assert.match(table, /^9 checks: 3 failed, 0 warned, 6 ok$/m);

  const reconnecting = healthyAgent();
  const warned = await runDoctor(DOCTOR_CHECKS, context(healthyHost(), { ...reconnecting, status: { ...reconnecting.status, controller: { ...reconnecting.status.controller, state: 'connecting', since: NOW - 2000 } } }));
  assert.deepEqual(warned.filter((f) => f.level !== 'ok').map((f) => [f.check, f.level]), [['controller', 'warn']]);
  assert.equal(exitCode(warned), 0);
});

test('no agent: it fails naming the socket, the host checks run, the rest are skipped', async () => {
  const findings = await runDoctor(DOCTOR_CHECKS, context(healthyHost(), { socket: '/run/tunctl/agent.sock', reason: 'missing', detail: '' }));
  assert.deepEqual(findings.map((f) => [f.check, f.level]), [
    ['agent', 'fail'],
    ['ip-forward', 'ok'],
    ['proxy-arp', 'skip'],
    ['rp-filter', 'skip'],
    ['mtu', 'skip'],
    ['firewall', 'ok'],
    ['routes', 'skip'],
    ['controller', 'skip'],
    ['peers', 'skip'],
  ]);
  assert.match(findings[0]!.message, /the agent's socket \/run\/tunctl\/agent\.sock does not exist, but tun0 does: an agent runs with its local API elsewhere/);
  assert.match(renderTable(findings), /^9 checks: 1 failed, 0 warned, 2 ok, 6 skipped$/m);
  const gone = healthyHost();
  gone.interfaces = gone.interfaces.filter((l) => l.ifname !== 'tun0');
  const [agent] = await runDoctor(DOCTOR_CHECKS, context(gone, { socket: '/run/tunctl/agent.sock', reason: 'unreachable', detail: 'ECONNREFUSED' }));
  assert.match(agent!.message, /the agent does not answer on \/run\/tunctl\/agent\.sock \(ECONNREFUSED\)/);
  assert.equal(agent!.fix, 'systemctl restart tunctl-agent; journalctl -u tunctl-agent');
});

test('a check that throws becomes a warning naming why, and the others still run', async () => {
  const probe = healthyHost();
  probe.nftRuleset = () => Promise.reject(new Error('nft crashed'));
  const findings = await runDoctor(DOCTOR_CHECKS, context(probe, healthyAgent()));
  assert.deepEqual(findings.filter((f) => f.level !== 'ok').map((f) => [f.check, f.level, f.message]), [['firewall', 'warn', 'could not check: nft crashed']]);
  assert.equal(findings.length, 9);
});
