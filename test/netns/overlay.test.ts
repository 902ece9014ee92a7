// End to end: a controller, hosts on an underlay, a container on each, tunctl agents,
// real pings between containers, and the agents refusing what they must refuse.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster, TUNCTL, type Host } from './cluster.js';
import { labFor, netnsTestOptions, waitFor } from './netns.js';

test('containers on different hosts talk through tunctl with no manual routes', { ...netnsTestOptions(), timeout: 240_000 }, async (t) => {
  const lab = labFor(t, 'e2e');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-e2e-'));
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: 500 });
  t.after(async () => {
    if (process.exitCode || t.signal.aborted) cluster.dumpLogs(['controller', 'agent-h1', 'agent-h2', 'agent-h3']);
    rmSync(workDir, { recursive: true, force: true });
  });
  try {
    await cluster.startController();
    const h1 = await cluster.addHost('h1', 1);
    const h2 = await cluster.addHost('h2', 2);
    assert.notEqual(h1.subnet, h2.subnet);
    cluster.startAgent(h1);
    cluster.startAgent(h2);

    await t.test('both agents install a route to the other host and containers ping each other', async () => {
      await cluster.waitForRoutes(h1, [h2.subnet]);
      await cluster.waitForRoutes(h2, [h1.subnet]);
      const ping = await cluster.ping(h1, h2, 3);
      assert.equal(ping.received, 3, ping.output);
      const back = await cluster.ping(h2, h1, 2);
      assert.equal(back.received, 2, back.output);
    });

    await t.test('an agent without a valid token, or with an address the host lacks, exits 1 saying what to do', async () => {
      const run = (args: string[], dir = 'bad-agent') =>
        lab.execStatus(h1.ns, process.execPath, [TUNCTL, 'agent', '--controller', cluster.controllerAddress, '--tun', 'tunx', '--state-dir', join(workDir, dir), ...args], 20_000);
      const noToken = await run([]);
      assert.equal(noToken.code, 1);
      assert.match(noToken.stderr, /no join token: run `tunctl create-join-token NODE`/);
      const used = await run(['--join-token', h1.joinToken]);
      assert.equal(used.code, 1);
      assert.match(used.stderr, /join token tj1\.[0-9a-f]{16} was already used at/);
      const ghost = await cluster.tunctl(['create-join-token', 'ghost']);
      assert.equal(ghost.code, 1);
      assert.match(ghost.stderr, /node "ghost" not found/);
      const fresh = await cluster.tunctl(['create-join-token', 'h1', '-o', 'json']);
      assert.equal(fresh.code, 0, fresh.stderr);
      const token = (JSON.parse(fresh.stdout) as { joinToken: { token: string } }).joinToken.token;
      const wrongIp = await run(['--join-token', token, '--underlay-ip', '192.168.77.200'], 'bad-agent-2');
      assert.equal(wrongIp.code, 1);
      assert.match(wrongIp.stderr, /underlay address 192\.168\.77\.200 is not configured on any interface of this host/);
      const link = await lab.execStatus(h1.ns, 'ip', ['link', 'show', 'tunx']);
      assert.notEqual(link.code, 0, 'a refused agent leaves no device behind');
    });

    await t.test('the TUN device has the MTU, address and state the agent promised', async () => {
      const res = await lab.exec(h1.ns, 'ip', ['-j', 'addr', 'show', 'dev', 'tun0']);
      const [link] = JSON.parse(res.stdout) as { mtu: number; flags: string[]; addr_info: { local: string; prefixlen: number }[] }[];
      assert.equal(link!.mtu, 1500 - 28);
      assert.ok(link!.flags.includes('UP'));
      assert.deepEqual(link!.addr_info.map((a) => `${a.local}/${a.prefixlen}`), [`${h1.subnet.split('/')[0]}/32`]);
      const env = readFileSync(join(h1.stateDir, 'subnet.env'), 'utf8');
      assert.match(env, /TUNCTL_MTU=1472/);
      assert.match(env, new RegExp(`TUNCTL_NETWORK=10\\.244\\.0\\.0/16`));
    });

    await t.test('list-nodes shows both agents connected', async () => {
      await waitFor('both connected', async () => {
        const res = await cluster.tunctl(['list-nodes', '-o', 'json']);
        const nodes = (JSON.parse(res.stdout) as { nodes: { name: string; connected?: boolean }[] }).nodes;
        return nodes.length === 2 && nodes.every((n) => n.connected === true);
      });
    });

    let h3: Host;
    await t.test('a third host added later is reachable from both without restarting anything', async () => {
      h3 = await cluster.addHost('h3', 3);
      cluster.startAgent(h3);
      await cluster.waitForRoutes(h1, [h2.subnet, h3.subnet]);
      await cluster.waitForRoutes(h2, [h1.subnet, h3.subnet]);
      await cluster.waitForRoutes(h3, [h1.subnet, h2.subnet]);
      assert.equal((await cluster.ping(h1, h3, 2)).received, 2);
      assert.equal((await cluster.ping(h2, h3, 2)).received, 2);
      assert.equal((await cluster.ping(h3, h1, 2)).received, 2);
    });

    await t.test('a datagram from an address that is not a known peer is dropped and counted', async () => {
      const rogue = await cluster.addRogue('rogue', 99);
      const before = await cluster.freshStats(h1);
      // A well-formed packet that claims to come from h2's container, sent from a stranger.
      await cluster.sendDatagram(rogue.ns, rogue.ip, h1, h2.containerIp, h1.containerIp, 5);
      const after = await waitFor('unknownPeer drops on h1', () => {
        const s = cluster.readStats(h1);
        return (s.rxDrops.unknownPeer ?? 0) >= (before.rxDrops.unknownPeer ?? 0) + 5 && s;
      });
      assert.equal(after.tunTxPackets, before.tunTxPackets, 'nothing from the stranger reached the TUN device');
    });

    await t.test('a datagram whose inner source lies outside the sender\'s subnet is dropped and counted', async () => {
      const before = await cluster.freshStats(h1);
      // From h2's own underlay address, but claiming a source in h3's subnet.
      await cluster.sendDatagram(h2.ns, h2.underlayIp, h1, h3!.containerIp, h1.containerIp, 4);
      const after = await waitFor('spoofedSource drops on h1', () => {
        const s = cluster.readStats(h1);
        return (s.rxDrops.spoofedSource ?? 0) >= (before.rxDrops.spoofedSource ?? 0) + 4 && s;
      });
      assert.equal(after.tunTxPackets, before.tunTxPackets, 'no spoofed packet reached the TUN device');
    });

    await t.test('tunctl status: per-peer counters move with traffic, drops are counted against the peer that sent them', async () => {
      const status = async (): Promise<StatusJson> => {
        const res = await cluster.hostTunctl(h1, ['status', '-o', 'json']);
        assert.equal(res.code, 0, res.stderr);
        return JSON.parse(res.stdout) as StatusJson;
      };
      const peer = (s: StatusJson, name: string) => {
        const p = s.peers.find((x) => x.nodeName === name);
        assert.ok(p, `peer ${name} in ${JSON.stringify(s.peers.map((x) => x.nodeName))}`);
        return p;
      };
      const before = await status();
      assert.equal(before.nodeName, 'h1');
      assert.equal(before.subnet, h1.subnet);
      assert.equal(before.controller.state, 'STATE_CONNECTED');
      assert.ok(Number(before.revision) > 0);
      assert.deepEqual(before.peers.map((p) => p.nodeName), ['h2', 'h3']);
      assert.equal(peer(before, 'h2').underlayIp, h2.underlayIp);
      assert.equal(peer(before, 'h2').subnet, h2.subnet);

      assert.equal((await cluster.ping(h1, h2, 5)).received, 5);
      // The spoof test before this one sent 4 from h2's address with h3's source.
      const after = await status();
      const was = peer(before, 'h2').traffic;
      const now = peer(after, 'h2').traffic;
      assert.ok(Number(now.txPackets) >= Number(was.txPackets) + 5, `sent to h2: ${was.txPackets} -> ${now.txPackets}`);
      assert.ok(Number(now.rxPackets) >= Number(was.rxPackets) + 5, `heard from h2: ${was.rxPackets} -> ${now.rxPackets}`);
      assert.ok(Number(now.rxBytes) >= Number(was.rxBytes) + 5 * 84, 'bytes too (84-byte echo replies)');
      assert.ok(Number(now.drops.spoofed_source ?? 0) >= 4, `h2's spoofed packets: ${JSON.stringify(now.drops)}`);
      assert.equal(peer(after, 'h3').traffic.drops.spoofed_source, undefined, 'not blamed on h3, whose source they claimed');
      const lastRx = Date.parse(peer(after, 'h2').lastRxAt ?? '');
      assert.ok(Date.now() - lastRx < 10_000, `last packet from h2 seen recently: ${peer(after, 'h2').lastRxAt}`);
      assert.ok(Number(after.totals.drops.unknown_peer ?? 0) >= 5, 'the stranger\'s datagrams are in the totals, no peer\'s');

      const text = await cluster.hostTunctl(h1, ['status']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^node: h1\n  subnet: ${h1.subnet.replace(/\./g, '\\.')}`));
      assert.match(text.stdout, /^  controller: connected to /m);
      assert.match(text.stdout, /^peer: h2\n  underlay: [\d.]+:7000\n  subnet: [\d./]+\n  last received: \d+s ago\n/m);
      assert.match(text.stdout, /^  drops: .*spoofed_source \d+/m);
    });

    await t.test('with the controller down, traffic keeps flowing; when it returns, agents resynchronise', async () => {
      assert.equal(await cluster.stopController(), 0, "controller exits 0 on SIGTERM");
      const during = await cluster.ping(h1, h2, 3);
      assert.equal(during.received, 3, during.output);
      await cluster.runController();
      await waitFor('all three agents reconnected', async () => {
        const res = await cluster.tunctl(['list-nodes', '-o', 'json']);
        const nodes = (JSON.parse(res.stdout) as { nodes: { connected?: boolean }[] }).nodes;
        return nodes.length === 3 && nodes.every((n) => n.connected === true);
      }, 20_000);
    });

    await t.test('a removed host is revoked: its routes go, its traffic is refused, its agent stops, the audit log says so', async () => {
      const removed = await cluster.tunctl(['remove-node', 'h3']);
      assert.equal(removed.code, 0, removed.stderr);
      await cluster.waitForRoutes(h1, [h2.subnet]);
      await cluster.waitForRoutes(h2, [h1.subnet]);
      assert.equal((await cluster.ping(h1, h2, 1)).received, 1, 'the others still talk');

      // Its agent's stream was closed and its certificate revoked: it exits 1, cleaning up.
      const h3Agent = h3!.agent!;
      await waitFor('the revoked agent to exit', () => h3Agent.exitCode !== null, 20_000);
      assert.equal(h3Agent.exitCode, 1);
      assert.match(readFileSync(cluster.logFile('agent-h3'), 'utf8'), /was removed from the cluster and its certificate revoked/);
      h3!.agent = undefined;

      // Packets from h3's address (well-formed, from its container's subnet) no longer reach h1's containers.
      const before = await cluster.freshStats(h1);
      await cluster.sendDatagram(h3!.ns, h3!.underlayIp, h1, h3!.containerIp, h1.containerIp, 5);
      const after = await waitFor('h3 traffic counted as unknown', () => {
        const s = cluster.readStats(h1);
        return (s.rxDrops.unknownPeer ?? 0) >= (before.rxDrops.unknownPeer ?? 0) + 5 && s;
      });
      assert.equal(after.tunTxPackets, before.tunTxPackets, 'nothing from the revoked node reached the TUN device');

      const audit = await cluster.tunctl(['audit', '-o', 'json']);
      const events = (JSON.parse(audit.stdout) as { events: { action: string; target: string; outcome: string; actor: string }[] }).events;
      for (const action of ['add-node', 'join', 'remove-node', 'revoke-certificate']) {
        assert.ok(events.some((e) => e.action === action && e.target === 'h3' && e.outcome === 'ok'), `audit has ${action} h3`);
      }
      assert.ok(events.some((e) => e.action === 'join' && e.outcome === 'denied'), 'the refused join attempt is on record');
    });

    await t.test('a clean agent shutdown removes its routes and its device', async () => {
      const code = await cluster.stopAgent(h2);
      assert.equal(code, 0, 'agent exits 0 on SIGTERM');
      assert.deepEqual(await cluster.routesOn(h2), []);
      const link = await lab.execStatus(h2.ns, 'ip', ['link', 'show', 'tun0']);
      assert.notEqual(link.code, 0, 'tun0 is gone');
    });

    await t.test('the controller shuts down gracefully on SIGTERM', async () => {
      assert.equal(await cluster.stopController(), 0);
      assert.match(readFileSync(cluster.logFile('controller'), 'utf8'), /controller stopped/);
    });
  } finally {
    for (const host of cluster.hosts.values()) await cluster.stopAgent(host);
    await cluster.stopController();
  }
});

/** `tunctl status -o json`: proto3 JSON of GetStatusResponse (64-bit counts as strings). */
interface StatusJson {
  nodeName: string;
  subnet: string;
  revision: string;
  controller: { state: string };
  totals: { drops: Record<string, string> };
  peers: Array<{
    nodeName: string;
    underlayIp: string;
    subnet: string;
    traffic: { txPackets: string; rxPackets: string; rxBytes: string; drops: Record<string, string> };
    lastRxAt?: string;
  }>;
}
