// End to end: `tunctl doctor` on host h1 of a two-host cluster says nothing is wrong on the
// healthy cluster, and names each fault broken on purpose inside the namespaces (forwarding,
// proxy ARP, rp_filter with an asymmetric route, MTUs, nftables and legacy iptables drops,
// routes on tun0, the controller gone, a peer that stops answering); where its fix is one
// command, running that command makes it quiet again.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster } from './cluster.js';
import { labFor, netnsTestOptions, stopChild, waitFor } from './netns.js';

interface Finding {
  check: string;
  level: 'ok' | 'warn' | 'fail' | 'skip';
  message: string;
  fix: string;
}

const CHECKS = ['agent', 'ip-forward', 'proxy-arp', 'rp-filter', 'mtu', 'firewall', 'routes', 'controller', 'peers'];

test('tunctl doctor is quiet on a healthy host and names each fault', { ...netnsTestOptions(), timeout: 240_000 }, async (t) => {
  const lab = labFor(t, 'doc');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-doctor-'));
  // Routes deleted on purpose stay deleted while doctor looks (the agent re-adds them at its next check).
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: 500, routeCheckIntervalMs: 600_000 });
  t.after(async () => {
    if (process.exitCode || t.signal.aborted) cluster.dumpLogs(['controller', 'agent-h1', 'agent-h2']);
    rmSync(workDir, { recursive: true, force: true });
  });
  const { h1, h2 } = await cluster.startPair({ handMadeContainer: false });
  await cluster.attachContainer(h1, 'a1');
  await cluster.attachContainer(h2, 'b1');
  const a1 = h1.containerNs;
  const a1Veth = (JSON.parse((await cluster.hostTunctl(h1, ['containers', '-o', 'json'])).stdout) as { containers: { hostInterface: string }[] }).containers[0]!.hostInterface;
  await cluster.waitForPing(h1, h2, 10_000);

  const doctor = async (...args: string[]): Promise<{ code: number; findings: Finding[]; stdout: string }> => {
    const res = await cluster.hostTunctl(h1, ['doctor', '-o', 'json', '--peer-silence', '3s', ...args]);
    assert.ok(res.code === 0 || res.code === 1, `doctor exited ${res.code}: ${res.stderr}`);
    return { code: res.code, findings: JSON.parse(res.stdout) as Finding[], stdout: res.stdout };
  };
  const problems = (findings: Finding[]) => findings.filter((f) => f.level === 'warn' || f.level === 'fail');
  const assertHealthy = async (why: string) => {
    const { code, findings } = await doctor();
    assert.deepEqual(problems(findings), [], why);
    assert.equal(code, 0, why);
  };
  /** Runs doctor, expects it to fail `check` with a message matching `message`, returns that finding. */
  const assertNames = async (check: string, message: RegExp): Promise<Finding> => {
    const { code, findings } = await doctor();
    assert.equal(code, 1, `doctor should fail: ${JSON.stringify(findings)}`);
    const found = findings.find((f) => f.check === check && f.level === 'fail' && message.test(f.message));
    assert.ok(found, `no ${check} failure matching ${message}: ${JSON.stringify(problems(findings), null, 1)}`);
    return found;
  };
  /** Runs a finding's fix, which is one command, in h1. */
  const applyFix = async (f: Finding) => {
    const [cmd, ...args] = f.fix.split(' ');
    await lab.exec(h1.ns, cmd!, args);
  };

  await t.test('a healthy host: every check ok, exit 0, a table with one line per check', async () => {
    const { code, findings } = await doctor();
    assert.equal(code, 0, JSON.stringify(findings));
    assert.deepEqual([...new Set(findings.map((f) => f.check))], CHECKS);
    assert.deepEqual(findings.filter((f) => f.level !== 'ok'), []);
    const table = await cluster.hostTunctl(h1, ['doctor']);
    assert.equal(table.code, 0);
    for (const check of CHECKS) assert.match(table.stdout, new RegExp(`^ok\\s+${check}\\s+\\S`, 'm'));
    assert.match(table.stdout, /^9 checks: 0 failed, 0 warned, 9 ok$/m);
    process.stdout.write(`# doctor on a healthy host:\n${table.stdout.replace(/^/gm, '#   ')}\n`);
  });

  await t.test('ip_forward=0', async () => {
    await lab.sysctl(h1.ns, 'net.ipv4.ip_forward', '0');
    const f = await assertNames('ip-forward', /IPv4 forwarding is off/);
    assert.match(f.fix, /^sysctl -w net\.ipv4\.ip_forward=1/);
    await lab.sysctl(h1.ns, 'net.ipv4.ip_forward', '1');
    await assertHealthy('forwarding back on');
  });

  await t.test('proxy_arp=0 on a container veth', async () => {
    await lab.sysctl(h1.ns, `net.ipv4.conf.${a1Veth}.proxy_arp`, '0');
    const f = await assertNames('proxy-arp', new RegExp(`proxy ARP is off on ${a1Veth}, the host side of container ${a1}`));
    await applyFix(f);
    await assertHealthy('after the fix');
  });

  await t.test('rp_filter strict with a route for part of a peer subnet via the underlay', async () => {
    await lab.sysctl(h1.ns, 'net.ipv4.conf.all.rp_filter', '1');
    await assertHealthy('strict mode alone drops nothing while routes are symmetric');
    const part = h2.subnet.replace(/\.0\/24$/, '.0/25');
    await lab.exec(h1.ns, 'ip', ['route', 'add', part, 'via', h2.underlayIp, 'dev', 'ul0']);
    const f = await assertNames('rp-filter', new RegExp(`reverse-path filtering drops packets from h2 \\(${esc(h2.subnet)}\\) arriving on tun0: rp_filter all=1 tun0=\\d, so strict, and the route back to \\S+ leaves by ul0`));
    assert.match(f.fix, /^sysctl -w net\.ipv4\.conf\.tun0\.rp_filter=2/);
    await assertNames('routes', new RegExp(`traffic to ${esc(part)}, in h2's subnet .* leaves by ul0`));
    await lab.exec(h1.ns, 'ip', ['route', 'del', part]);
    await lab.sysctl(h1.ns, 'net.ipv4.conf.all.rp_filter', '0');
    await assertHealthy('route removed, rp_filter off');
  });

  await t.test('a TUN MTU above the underlay, a container MTU above the TUN', async () => {
    const tunMtu = (await lab.exec(h1.ns, 'cat', ['/sys/class/net/tun0/mtu'])).stdout.trim();
    await lab.exec(h1.ns, 'ip', ['link', 'set', 'tun0', 'mtu', '1500']);
    const f = await assertNames('mtu', /tun0's MTU 1500 does not fit the underlay: ul0 \(holds 192\.168\.77\.1\) carries 1500 bytes/);
    assert.equal(f.fix, `ip link set tun0 mtu ${tunMtu}`);
    await applyFix(f);
    await lab.exec(a1, 'ip', ['link', 'set', 'eth0', 'mtu', '1500']);
    const g = await assertNames('mtu', new RegExp(`container ${a1}'s eth0 has MTU 1500, above tun0's ${tunMtu}`));
    await applyFix(g);
    await assertHealthy('after both fixes');
  });

  await t.test('an nftables rule dropping the UDP port', async () => {
    await lab.exec(h1.ns, 'nft', ['add table inet doctortest']);
    await lab.exec(h1.ns, 'nft', ['add chain inet doctortest input { type filter hook input priority 0 ; }']);
    await lab.exec(h1.ns, 'nft', ['add rule inet doctortest input udp dport 7000 counter drop']);
    const f = await assertNames('firewall', /^nftables inet doctortest input handle \d+ \(udp dport 7000 drop\) drops UDP to port 7000/);
    assert.match(f.fix, /^nft delete rule inet doctortest input handle \d+$/);
    await applyFix(f);
    await lab.exec(h1.ns, 'nft', ['delete table inet doctortest']);
    await assertHealthy('rule deleted');
  });

  // Legacy iptables rules live beside nftables and nft does not show them (CI installs iptables).
  const noLegacy = !existsSync('/usr/sbin/iptables-legacy') && process.env.CI !== 'true' ? 'needs iptables-legacy' : undefined;
  await t.test('a legacy iptables rule rejecting the UDP port', { skip: noLegacy }, async () => {
    await lab.exec(h1.ns, 'iptables-legacy', ['-A', 'INPUT', '-p', 'udp', '-m', 'udp', '--dport', '7000', '-j', 'REJECT']);
    const f = await assertNames('firewall', /^iptables \(legacy\) filter INPUT rule 1 \(-p udp -m udp --dport 7000 -j REJECT --reject-with icmp-port-unreachable\) drops UDP to port 7000/);
    assert.equal(f.fix, 'iptables-legacy -D INPUT -p udp -m udp --dport 7000 -j REJECT --reject-with icmp-port-unreachable');
    await applyFix(f);
    await assertHealthy('rule deleted');
  });

  await t.test('a peer route deleted and a foreign route on tun0', async () => {
    await lab.exec(h1.ns, 'ip', ['route', 'del', h2.subnet, 'dev', 'tun0']);
    await lab.exec(h1.ns, 'ip', ['route', 'add', '10.99.0.0/16', 'dev', 'tun0']);
    const { findings } = await doctor();
    const routes = findings.filter((f) => f.check === 'routes');
    assert.deepEqual(routes.map((f) => f.level), ['fail', 'fail'], JSON.stringify(routes));
    assert.match(routes[0]!.message, new RegExp(`no route for h2's subnet ${esc(h2.subnet)} on tun0`));
    assert.match(routes[1]!.message, /tun0 holds a route for 10\.99\.0\.0\/16 \(protocol boot\) that is no peer's subnet/);
    for (const f of routes) await applyFix(f);
    assert.deepEqual(await cluster.routesOn(h1), [h2.subnet], 'the fix put the agent\'s route back as its own (proto 147)');
    await assertHealthy('routes repaired');
  });

  await t.test('the controller stopped, and a peer whose firewall drops what it sends', async () => {
    await cluster.stopController();
    await lab.exec(h2.ns, 'nft', ['add table inet doctortest']);
    await lab.exec(h2.ns, 'nft', ['add chain inet doctortest output { type filter hook output priority 0 ; }']);
    await lab.exec(h2.ns, 'nft', ['add rule inet doctortest output udp dport 7000 drop']);
    // h1 keeps sending (pings) and hears nothing for longer than --peer-silence 3s and the 10 s reconnect grace.
    const ping = cluster.continuousPing(h1, h2, 60, 0.2);
    try {
      await sleep(11_000);
      await assertNames('controller', /has not reached the controller at 192\.168\.77\.254:7400 for 1\ds/);
      await assertNames('peers', /^h2 \(192\.168\.77\.2\) has sent nothing for \d+s, while this host kept sending to it .* drops udp\/7000/);
    } finally {
      await stopChild(ping.process);
    }
    await lab.exec(h2.ns, 'nft', ['delete table inet doctortest']);
    await cluster.runController();
    await cluster.waitForPing(h1, h2, 10_000);
    await waitFor('doctor quiet again', async () => problems((await doctor()).findings).length === 0, 20_000, 500);
  });

  await t.test('no agent: doctor says so, still checks the host, and exits 1', async () => {
    await cluster.stopAgent(h1);
    const { code, findings } = await doctor();
    assert.equal(code, 1);
    const agent = findings.find((f) => f.check === 'agent')!;
    assert.match(agent.message, /the agent is not running: its socket .*agent\.sock and tun0 do not exist/);
    assert.equal(agent.fix, 'systemctl start tunctl-agent; journalctl -u tunctl-agent (why it stopped)');
    assert.deepEqual(findings.filter((f) => f.level === 'ok').map((f) => f.check), ['ip-forward', 'firewall']);
    assert.deepEqual(findings.filter((f) => f.level === 'skip').map((f) => f.check), ['proxy-arp', 'rp-filter', 'mtu', 'routes', 'controller', 'peers']);
  });
});

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
