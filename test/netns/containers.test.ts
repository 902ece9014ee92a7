// End to end: containers attached with `tunctl attach` on two hosts ping each other across
// hosts and on one host; the leases hold across an agent restart; detach and a deleted
// namespace give their addresses back; the refusals say what to do.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster, TUNCTL, type Host } from './cluster.js';
import { labFor, netnsTestOptions, waitFor, type NetnsLab } from './netns.js';

interface AttachedJson {
  container: { netns: string; ifname: string; address: string; gateway: string; hostInterface: string; mtu: number; state: string };
}

test('containers attached with tunctl attach reach each other across hosts', { ...netnsTestOptions(), timeout: 240_000 }, async (t) => {
  const lab = labFor(t, 'att');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-attach-'));
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: 500 });
  t.after(async () => {
    if (process.exitCode || t.signal.aborted) cluster.dumpLogs(['controller', 'agent-h1', 'agent-h2']);
    rmSync(workDir, { recursive: true, force: true });
  });
  const { h1, h2 } = await cluster.startPair({ handMadeContainer: false });

  const attach = async (host: Host, ns: string, ...flags: string[]): Promise<AttachedJson['container']> => {
    const res = await cluster.hostTunctl(host, ['attach', ns, '-o', 'json', ...flags]);
    assert.equal(res.code, 0, `attach ${ns} on ${host.name}: ${res.stderr}`);
    return (JSON.parse(res.stdout) as AttachedJson).container;
  };
  const prefixOf = (host: Host) => host.subnet.split('.').slice(0, 3).join('.');
  const [a1, a2, b1, b2] = [await lab.addNamespace('a1'), await lab.addNamespace('a2'), await lab.addNamespace('b1'), await lab.addNamespace('b2')];

  await t.test('attach hands out the lowest free addresses, with the gateway, the MTU and proxy ARP on the host side', async () => {
    const c = await attach(h1, a1);
    assert.equal(c.address, `${prefixOf(h1)}.2/24`);
    assert.equal(c.gateway, `${prefixOf(h1)}.1`);
    assert.equal(c.ifname, 'eth0');
    assert.ok(c.mtu > 1000 && c.mtu < 1500, `the container MTU leaves room for the tunnel: ${c.mtu}`);
    assert.equal((await attach(h1, a2)).address, `${prefixOf(h1)}.3/24`);
    assert.equal((await attach(h2, b1)).address, `${prefixOf(h2)}.2/24`);
    assert.equal((await attach(h2, `/run/netns/${b2}`, '--ip', `${prefixOf(h2)}.77`)).address, `${prefixOf(h2)}.77/24`);

    const proxyArp = await lab.exec(h1.ns, 'cat', [`/proc/sys/net/ipv4/conf/${c.hostInterface}/proxy_arp`]);
    assert.equal(proxyArp.stdout.trim(), '1');
    const route = await lab.exec(a1, 'ip', ['-4', 'route', 'show', 'default']);
    assert.match(route.stdout, new RegExp(`default via ${prefixOf(h1)}\\.1 dev eth0`));
    const mtu = await lab.exec(a1, 'cat', ['/sys/class/net/eth0/mtu']);
    assert.equal(Number(mtu.stdout.trim()), c.mtu);
  });

  await t.test('attached containers ping each other across hosts, on one host, and their gateway', async () => {
    await pingOk(lab, a1, `${prefixOf(h2)}.2`);
    await pingOk(lab, b2, `${prefixOf(h1)}.3`);
    await pingOk(lab, a1, `${prefixOf(h1)}.3`);
    await pingOk(lab, a2, `${prefixOf(h1)}.1`);
  });

  await t.test('tunctl containers lists them with their state, as a table and as JSON', async () => {
    const table = await cluster.hostTunctl(h1, ['containers']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NETNS\s+IFNAME\s+ADDRESS\s+HOST IF\s+STATE/m);
    assert.match(table.stdout, new RegExp(`${a1}\\s+eth0\\s+${prefixOf(h1)}\\.2/24\\s+tc[0-9a-f]{11}\\s+attached`));
    assert.match(table.stdout, new RegExp(`2 of 253 container addresses in ${h1.subnet.replace(/\./g, '\\.')} leased`));
    const json = JSON.parse((await cluster.hostTunctl(h2, ['containers', '-o', 'json'])).stdout) as { containers: Array<{ netns: string; state: string }>; capacity: number };
    assert.deepEqual(json.containers.map((c) => [c.netns, c.state]), [[b1, 'STATE_ATTACHED'], [b2, 'STATE_ATTACHED']]);
    assert.equal(json.capacity, 253);
  });

  await t.test('the controller learns how full each subnet is: list-nodes shows leased/capacity', async () => {
    const usageOf = async () => {
      const out = (await cluster.tunctl(['list-nodes'])).stdout;
      return ['h1', 'h2'].map((n) => new RegExp(`^${n}\\s+\\S+\\s+\\S+\\s+(\\S+)`, 'm').exec(out)?.[1]);
    };
    await waitFor('usage reports', async () => (await usageOf()).join(' ') === '2/253 2/253', 10_000, 100);
    assert.match((await cluster.tunctl(['list-nodes'])).stdout, /^NAME\s+UNDERLAY IP\s+SUBNET\s+ADDRESSES/m);
  });

  await t.test('refusals: an unknown namespace, one attached twice, a leased or reserved --ip, no agent', async () => {
    const spare = await lab.addNamespace('spare');
    const cases: Array<[Host, string[], number, RegExp]> = [
      [h1, ['attach', 'no-such-ns'], 1, /the network namespace no-such-ns does not exist/],
      [h1, ['attach', a1], 1, /is already attached with .*\.2\/24 on eth0; detach it first/],
      [h1, ['attach', spare, '--ip', `${prefixOf(h1)}.3`], 1, new RegExp(`${prefixOf(h1)}\\.3 is already leased to namespace ${a2}`)],
      [h1, ['attach', spare, '--ip', `${prefixOf(h1)}.1`], 1, /is the containers' gateway/],
      [h1, ['attach', spare, '--ip', '10.9.9.9'], 1, /is not in this node's subnet/],
      [h1, ['detach', spare], 1, /is not attached to this node/],
    ];
    for (const [host, args, code, message] of cases) {
      const res = await cluster.hostTunctl(host, args);
      assert.equal(res.code, code, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message, args.join(' '));
    }
    const noAgent = await lab.execStatus(h1.ns, process.execPath, [TUNCTL, 'containers', '--agent-socket', join(workDir, 'nothing.sock')]);
    assert.equal(noAgent.code, 2);
    assert.match(noAgent.stderr, /the agent's socket .*nothing\.sock does not exist: is `tunctl agent` running on this host/);
    const leases = JSON.parse(readFileSync(join(h1.stateDir, 'containers.json'), 'utf8')) as { leases: unknown[] };
    assert.equal(leases.leases.length, 2, 'no refusal left a lease behind');
  });

  await t.test('an agent restart keeps the leases: old containers still talk, a new one gets a fresh address', async () => {
    await cluster.stopAgent(h1);
    cluster.startAgent(h1);
    await cluster.waitForRoutes(h1, [h2.subnet]);
    const a3 = await lab.addNamespace('a3');
    assert.equal((await attach(h1, a3)).address, `${prefixOf(h1)}.4/24`);
    await pingOk(lab, a1, `${prefixOf(h2)}.77`);
    await pingOk(lab, a3, `${prefixOf(h2)}.2`);
  });

  await t.test('detach removes the veth and the lease; a deleted namespace gives its address back', async () => {
    const before = await attach(h1, await lab.addNamespace('a4'));
    assert.equal(before.address, `${prefixOf(h1)}.5/24`);
    const res = await cluster.hostTunctl(h1, ['detach', a2]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`detached ${a2}: released ${prefixOf(h1)}\\.3/24`));
    const a2Links = await lab.exec(a2, 'ip', ['-o', 'link', 'show']);
    assert.doesNotMatch(a2Links.stdout, /eth0/, 'the container lost its interface');
    const hostLinks = await lab.exec(h1.ns, 'ip', ['-o', 'link', 'show']);
    assert.equal(hostLinks.stdout.split('\n').filter((l) => /: tc[0-9a-f]{11}@/.test(l)).length, 3, 'three veths left on h1 (a1, a3, a4)');

    // A namespace deleted without detach: its veth goes with it and the next attach takes its address back.
    await lab.exec(h1.ns, 'ip', ['netns', 'del', a1]);
    const listed = await cluster.hostTunctl(h1, ['containers']);
    assert.match(listed.stdout, new RegExp(`${a1}\\s+eth0\\s+\\S+\\s+\\S+\\s+gone`));
    const a5 = await lab.addNamespace('a5');
    assert.equal((await attach(h1, a5)).address, `${prefixOf(h1)}.2/24`, 'the lowest free address again: a1\'s');
    const after = JSON.parse(readFileSync(join(h1.stateDir, 'containers.json'), 'utf8')) as { leases: Array<{ netns: string }> };
    assert.deepEqual(after.leases.map((l) => l.netns).sort(), [a5, `${lab.prefix}-a3`, `${lab.prefix}-a4`].sort());
    assert.ok(existsSync(join(h1.stateDir, 'agent.sock')));
  });
});

async function pingOk(lab: NetnsLab, fromNs: string, to: string): Promise<void> {
  const res = await lab.execStatus(fromNs, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', to], 20_000);
  assert.match(res.stdout, /2 received/, `ping ${to} from ${fromNs}: ${res.stdout}${res.stderr}`);
}
