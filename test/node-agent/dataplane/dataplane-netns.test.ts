// The real data path end to end, without the controller: two host namespaces joined by
// an underlay veth, a container namespace behind each, a Dataplane in each host. A ping
// crosses the tunnel; datagrams from a stranger or with a forged inner source do not.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseIpv4 } from '../../../common/cidr.js';
import type { DataplaneStats } from '../../../node-agent/dataplane/counters.js';
import { labFor, netnsTestOptions, waitFor, type NetnsLab } from '../../netns/netns.js';
import { ipv4Packet } from '../fixtures/ipv4-packets.js';

const NODE_FIXTURE = fileURLToPath(new URL('../fixtures/dataplane-node.js', import.meta.url));
const SEND_FIXTURE = fileURLToPath(new URL('../fixtures/send-datagram.js', import.meta.url));
const PORT = 8472;

interface FixtureMessage {
  type: string;
  tunName?: string;
  stats?: DataplaneStats;
  error?: string;
}

/** Line-oriented JSON client for the dataplane-node fixture. */
class NodeClient {
  readonly child: ChildProcess;
  private readonly lines: FixtureMessage[] = [];
  private waiter: (() => void) | undefined;
  stderr = '';

  constructor(child: ChildProcess) {
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as FixtureMessage);
      this.waiter?.();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  /** Next message of `type`, within `timeoutMs`. */
  async next(type: string, timeoutMs = 10_000): Promise<FixtureMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((m) => m.type === type || m.type === 'error' || m.type === 'failed');
      if (i >= 0) {
        const [m] = this.lines.splice(i, 1);
        if (m!.type !== type) throw new Error(`fixture answered ${JSON.stringify(m)}; stderr: ${this.stderr}`);
        return m!;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(`no "${type}" from the dataplane fixture (exit ${this.child.exitCode}); stderr: ${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async stats(): Promise<DataplaneStats> {
    this.child.stdin!.write('stats\n');
    return (await this.next('stats')).stats!;
  }

  async close(): Promise<void> {
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdin!.write('close\n');
    await this.next('closed');
    assert.equal(await exited, 0, `fixture exit; stderr: ${this.stderr}`);
  }
}

interface Site {
  host: string;
  container: string;
  underlay: string;
  subnet: string;
  hostSide: string;
  containerIp: string;
}

async function buildSite(lab: NetnsLab, index: number, host: string): Promise<Site> {
  const container = await lab.addNamespace(`c${index}`);
  const subnet = `10.250.${index}.0/24`;
  const hostSide = `10.250.${index}.1`;
  const containerIp = `10.250.${index}.2`;
  await lab.veth(host, `vc${index}`, container, 'eth0');
  await lab.addAddress(host, `vc${index}`, `${hostSide}/24`);
  await lab.addAddress(container, 'eth0', `${containerIp}/24`);
  await lab.exec(container, 'ip', ['route', 'add', 'default', 'via', hostSide]);
  await lab.sysctl(host, 'net.ipv4.ip_forward', '1');
  await lab.sysctl(host, `net.ipv4.conf.vc${index}.proxy_arp`, '1');
  return { host, container, underlay: `192.168.200.${index}`, subnet, hostSide, containerIp };
}

function startNode(lab: NetnsLab, t: TestContext, site: Site, peer: Site): NodeClient {
  const config = {
    tunName: 'tun0',
    localUnderlayIp: site.underlay,
    udpPort: PORT,
    localSubnet: site.subnet,
    mtu: 1472,
    peers: [{ nodeName: `node-${peer.underlay}`, subnet: peer.subnet, underlayIp: peer.underlay }],
  };
  const child = lab.spawn(site.host, process.execPath, [NODE_FIXTURE, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const client = new NodeClient(child);
  t.after(() => {
    if (client.stderr) t.diagnostic(`${site.host} fixture stderr:\n${client.stderr}`);
  });
  return client;
}

/** What the agent does with the device the Dataplane created: MTU, up, an address, the overlay route. */
async function configureTun(lab: NetnsLab, site: Site, peer: Site, tunName: string): Promise<void> {
  await lab.exec(site.host, 'ip', ['link', 'set', 'dev', tunName, 'mtu', '1472', 'up']);
  await lab.exec(site.host, 'ip', ['addr', 'add', `${site.subnet.replace('/24', '/32')}`, 'dev', tunName]);
  await lab.exec(site.host, 'ip', ['route', 'add', peer.subnet, 'dev', tunName]);
}

/** An IPv4/ICMP echo request as the inner packet of a forged datagram. */
function innerEcho(src: string, dst: string): string {
  const icmp = Buffer.alloc(16, 0x5a);
  icmp[0] = 8;
  return ipv4Packet({ src: parseIpv4(src), dst: parseIpv4(dst), protocol: 1, payload: icmp }).toString('hex');
}

test('two nodes: ping crosses the tunnel, a stranger and a forged inner source are dropped and counted', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'dp');
  const h1 = await lab.addNamespace('h1');
  const h2 = await lab.addNamespace('h2');
  await lab.veth(h1, 'ul0', h2, 'ul0');
  await lab.addAddress(h1, 'ul0', '192.168.200.1/24');
  await lab.addAddress(h2, 'ul0', '192.168.200.2/24');
  // A second address on h2's underlay that belongs to no node: the stranger.
  await lab.addAddress(h2, 'ul0', '192.168.200.9/24');
  const s1 = await buildSite(lab, 1, h1);
  const s2 = await buildSite(lab, 2, h2);

  const n1 = startNode(lab, t, s1, s2);
  const n2 = startNode(lab, t, s2, s1);
  const ready1 = await n1.next('ready', 15_000);
  const ready2 = await n2.next('ready', 15_000);
  assert.equal(ready1.tunName, 'tun0');
  await configureTun(lab, s1, s2, ready1.tunName!);
  await configureTun(lab, s2, s1, ready2.tunName!);

  const ping = await lab.execStatus(s1.container, 'ping', ['-c', '3', '-W', '2', '-i', '0.2', s2.containerIp], 20_000);
  if (!/3 packets transmitted, 3 received/.test(ping.stdout)) {
    assert.fail(`ping: ${ping.stdout}${ping.stderr}\nnode 1: ${JSON.stringify(await n1.stats())}\nnode 2: ${JSON.stringify(await n2.stats())}`);
  }

  const afterPing = await n1.stats();
  assert.ok(afterPing.udpTxPackets >= 3 && afterPing.tunRxPackets >= 3, JSON.stringify(afterPing));
  assert.ok(afterPing.tunTxPackets >= 3, 'the replies came back through node 1');
  const afterPing2 = await n2.stats();
  assert.ok(afterPing2.udpRxPackets >= 3 && afterPing2.tunTxPackets >= 3, JSON.stringify(afterPing2));
  assert.equal(afterPing.rxDrops.unknownPeer + afterPing.rxDrops.spoofedSource, 0);

  // A well-formed packet for container 1, but from an address that is no node.
  await lab.exec(h2, process.execPath, [SEND_FIXTURE, '192.168.200.9', s1.underlay, String(PORT), innerEcho(s2.containerIp, s1.containerIp)]);
  // From the real peer's address, but with an inner source outside the peer's subnet.
  await lab.exec(h2, process.execPath, [SEND_FIXTURE, s2.underlay, s1.underlay, String(PORT), innerEcho('10.250.7.7', s1.containerIp)]);

  const dropped = await waitFor('both forged datagrams to be counted on node 1', async () => {
    const s = await n1.stats();
    return s.udpRxPackets >= afterPing.udpRxPackets + 2 ? s : undefined;
  });
  assert.equal(dropped.rxDrops.unknownPeer, 1);
  assert.equal(dropped.rxDrops.spoofedSource, 1);
  assert.equal(dropped.tunTxPackets, afterPing.tunTxPackets, 'nothing forged reached container 1');

  // A bad table is refused as a whole; the running one stays.
  n1.child.stdin!.write(`peers ${JSON.stringify([
    { nodeName: 'x', subnet: s2.subnet, underlayIp: s2.underlay },
    { nodeName: 'y', subnet: s2.subnet, underlayIp: '192.168.200.3' },
  ])}\n`);
  await assert.rejects(n1.next('ok'), /both claim subnet/);

  // Removing the peer reaches both workers: its traffic has no route out and is a stranger's coming in.
  n1.child.stdin!.write('peers []\n');
  await n1.next('ok');
  const before = await n1.stats();
  const lost = await lab.execStatus(s1.container, 'ping', ['-c', '1', '-W', '1', s2.containerIp], 10_000);
  assert.notEqual(lost.code, 0, 'no route once the peer is gone');
  await lab.exec(h2, process.execPath, [SEND_FIXTURE, s2.underlay, s1.underlay, String(PORT), innerEcho(s2.containerIp, s1.containerIp)]);
  const after = await waitFor('node 1 to count the removed peer as a stranger', async () => {
    const s = await n1.stats();
    return s.rxDrops.unknownPeer > before.rxDrops.unknownPeer ? s : undefined;
  });
  assert.ok(after.txDrops.noRoute > before.txDrops.noRoute, JSON.stringify(after));
  assert.equal(after.tunTxPackets, before.tunTxPackets);

  await n1.close();
  await n2.close();
  for (const site of [s1, s2]) {
    const link = await lab.execStatus(site.host, 'ip', ['link', 'show', 'tun0']);
    assert.notEqual(link.code, 0, `tun0 in ${site.host} is gone after close`);
  }
});

test('a TUN device deleted under a running dataplane is reported as a failure', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'dpf');
  const h = await lab.addNamespace('h');
  // The underlay socket only needs a local address; loopback will do.
  const site: Site = { host: h, container: '', underlay: '127.0.0.1', subnet: '10.250.1.0/24', hostSide: '', containerIp: '' };
  const peer: Site = { host: '', container: '', underlay: '192.168.200.2', subnet: '10.250.2.0/24', hostSide: '', containerIp: '' };
  const node = startNode(lab, t, site, peer);
  const ready = await node.next('ready', 15_000);
  const exited = new Promise<number | null>((resolve) => node.child.once('exit', (code) => resolve(code)));
  await lab.exec(h, 'ip', ['link', 'del', ready.tunName!]);
  const failed = await node.next('failed', 10_000).catch((err: Error) => err);
  assert.ok(!(failed instanceof Error), `no failure reported: ${String(failed)}`);
  assert.match(failed.error ?? '', /worker for queue \d+ stopped unexpectedly.*reading TUN device/);
  assert.equal(await exited, 1);
  assert.match(node.stderr, /ERROR .*data path failed/);
});
