// The real data path in every mode it can run in, end to end without the controller: two
// host namespaces joined by an underlay veth (MTU 1500), a container namespace behind each,
// a Dataplane in each host with superpackets on or off and one or two worker pairs, and a
// mixed pair (superpackets on one side, per-packet on the other) that must interoperate.
// In each mode: the path is the one asked for, ping works, ICMP at the MTU edge passes
// whole or is refused with "frag needed" (never lost, never fragmented), TCP and UDP
// content arrives byte for byte, several flows at once all complete, and the counters
// moved with no drops.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DataplanePath, DataplaneStats } from '../../../node-agent/dataplane/dataplane.js';
import { labFor, netnsTestOptions, type NetnsLab } from '../../netns/netns.js';
import type { NodeConfig } from '../fixtures/dataplane-node.js';

const NODE_FIXTURE = fileURLToPath(new URL('../fixtures/dataplane-node.js', import.meta.url));
const TRAFFIC = fileURLToPath(new URL('../fixtures/overlay-traffic.js', import.meta.url));
const PORT = 8472;
/** The TUN MTU the agent sets for a 1500-byte underlay: 1500 - 20 (IP) - 8 (UDP). */
const TUN_MTU = 1472;
/** ICMP echo payload for an IP packet of `size` bytes: 20 bytes of IP header, 8 of ICMP. */
const pingPayload = (size: number): number => size - 28;
/** Bytes per TCP transfer. */
const TCP_BYTES = 20 * 1024 * 1024;
/** Datagram sizes sent one by one: the odd ones and the two largest that fit in one packet. */
const UDP_SINGLES = [1, 7, 1001, TUN_MTU - 28 - 1, TUN_MTU - 28];
const UDP_BURST = 1000;
/** Generous bounds for each traffic run on a shared 2-core machine. */
const TRANSFER_TIMEOUT_MS = 60_000;
const UDP_TIMEOUT_MS = 20_000;
/** A UDP sink reports this long after the last datagram, whatever it counted. */
const UDP_QUIET_MS = 3000;

interface NodeMode {
  offload: boolean;
  workers: number;
}

interface Mode {
  name: string;
  nodes: [NodeMode, NodeMode];
}

const MODES: Mode[] = [
  { name: 'superpackets, 1 worker pair', nodes: [{ offload: true, workers: 1 }, { offload: true, workers: 1 }] },
  { name: 'superpackets, 2 worker pairs', nodes: [{ offload: true, workers: 2 }, { offload: true, workers: 2 }] },
  { name: 'per-packet, 1 worker pair', nodes: [{ offload: false, workers: 1 }, { offload: false, workers: 1 }] },
  { name: 'per-packet, 2 worker pairs', nodes: [{ offload: false, workers: 2 }, { offload: false, workers: 2 }] },
  { name: 'mixed: superpackets with 2 worker pairs against per-packet with 1', nodes: [{ offload: true, workers: 2 }, { offload: false, workers: 1 }] },
];

interface JsonMessage {
  type: string;
  tunName?: string;
  path?: DataplanePath;
  stats?: DataplaneStats;
  error?: string;
  bytes?: number;
  sha256?: string;
  ms?: number;
  datagrams?: string[];
}

/** JSON lines from a child's stdout, taken by type; an error, failure or timeout line fails the wait. */
class JsonLines {
  readonly child: ChildProcess;
  private readonly lines: JsonMessage[] = [];
  private waiter: (() => void) | undefined;
  stderr = '';

  constructor(child: ChildProcess) {
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as JsonMessage);
      this.waiter?.();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  async next(type: string, timeoutMs = 10_000): Promise<JsonMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((m) => m.type === type || ['error', 'failed', 'timeout', 'socket-error'].includes(m.type));
      if (i >= 0) {
        const [m] = this.lines.splice(i, 1);
        if (m!.type !== type) throw new Error(`expected "${type}", got ${JSON.stringify(m)}; stderr: ${this.stderr}`);
        return m!;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(`no "${type}" line (exit ${this.child.exitCode}); stderr: ${this.stderr}`);
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
}

/** A Dataplane in a host namespace, driven over the fixture's stdin. */
class Node {
  readonly out: JsonLines;
  constructor(child: ChildProcess) {
    this.out = new JsonLines(child);
  }

  async stats(): Promise<DataplaneStats> {
    this.out.child.stdin!.write('stats\n');
    return (await this.out.next('stats')).stats!;
  }

  async close(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.out.child.once('exit', (code) => resolve(code)));
    this.out.child.stdin!.write('close\n');
    await this.out.next('closed');
    return exited;
  }
}

interface Site {
  host: string;
  container: string;
  underlay: string;
  subnet: string;
  containerIp: string;
}

async function buildSite(lab: NetnsLab, index: number): Promise<Site> {
  const host = await lab.addNamespace(`h${index}`);
  const container = await lab.addNamespace(`c${index}`);
  const hostSide = `10.250.${index}.1`;
  await lab.veth(host, `vc${index}`, container, 'eth0');
  await lab.addAddress(host, `vc${index}`, `${hostSide}/24`);
  await lab.addAddress(container, 'eth0', `10.250.${index}.2/24`);
  await lab.exec(container, 'ip', ['route', 'add', 'default', 'via', hostSide]);
  await lab.sysctl(host, 'net.ipv4.ip_forward', '1');
  await lab.sysctl(host, `net.ipv4.conf.vc${index}.proxy_arp`, '1');
  return { host, container, underlay: `192.168.200.${index}`, subnet: `10.250.${index}.0/24`, containerIp: `10.250.${index}.2` };
}

function startNode(lab: NetnsLab, t: TestContext, site: Site, peer: Site, mode: NodeMode): Node {
  const config: NodeConfig = {
    tunName: 'tun0',
    localUnderlayIp: site.underlay,
    udpPort: PORT,
    localSubnet: site.subnet,
    mtu: TUN_MTU,
    offload: mode.offload,
    workers: mode.workers,
    peers: [{ nodeName: `node-${peer.underlay}`, subnet: peer.subnet, underlayIp: peer.underlay }],
  };
  const child = lab.spawn(site.host, process.execPath, [NODE_FIXTURE, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const node = new Node(child);
  t.after(() => {
    if (node.out.stderr) t.diagnostic(`${site.host} dataplane log:\n${node.out.stderr}`);
  });
  return node;
}

/** What the agent does with the device: MTU, up, its address, the route to the peer's subnet. */
async function configureTun(lab: NetnsLab, site: Site, peer: Site, tunName: string): Promise<void> {
  await lab.exec(site.host, 'ip', ['link', 'set', 'dev', tunName, 'mtu', String(TUN_MTU), 'up']);
  await lab.exec(site.host, 'ip', ['addr', 'add', site.subnet.replace('/24', '/32'), 'dev', tunName]);
  await lab.exec(site.host, 'ip', ['route', 'add', peer.subnet, 'dev', tunName]);
}

/** The last JSON line a finished fixture printed. */
function lastLine(stdout: string): JsonMessage {
  const lines = stdout.trim().split('\n').filter(Boolean);
  return JSON.parse(lines[lines.length - 1] ?? '{}') as JsonMessage;
}

/** A traffic fixture that listens (a sink), once it says so. */
async function startSink(lab: NetnsLab, ns: string, args: string[]): Promise<JsonLines> {
  const sink = new JsonLines(lab.spawn(ns, process.execPath, [TRAFFIC, ...args]));
  await sink.next('listening');
  return sink;
}

/** Sends TCP_BYTES from one container to a tcp-sink in another; resolves with what was sent. */
async function tcpSend(lab: NetnsLab, from: Site, to: Site, port: number, seed: number): Promise<JsonMessage> {
  const res = await lab.execStatus(from.container, process.execPath, [TRAFFIC, 'tcp-source', to.containerIp, String(port), String(TCP_BYTES), String(seed), String(TRANSFER_TIMEOUT_MS)], TRANSFER_TIMEOUT_MS + 5000);
  assert.equal(res.code, 0, `tcp-source ${from.containerIp} -> ${to.containerIp}:${port}: ${res.stdout}${res.stderr}`);
  const sent = lastLine(res.stdout);
  assert.equal(sent.type, 'tcp-sent');
  assert.equal(sent.bytes, TCP_BYTES);
  return sent;
}

async function udpSend(lab: NetnsLab, from: Site, to: Site, port: number, seed: number, sizes: string, every: number, gapMs: number): Promise<string[]> {
  const res = await lab.execStatus(from.container, process.execPath, [TRAFFIC, 'udp-source', to.containerIp, String(port), String(seed), sizes, String(every), String(gapMs)], UDP_TIMEOUT_MS);
  assert.equal(res.code, 0, `udp-source ${from.containerIp} -> ${to.containerIp}:${port}: ${res.stdout}${res.stderr}`);
  return lastLine(res.stdout).datagrams!;
}

/** One TCP transfer, checked byte for byte: the sink's length and sha256 equal the source's. */
async function tcpTransfer(lab: NetnsLab, from: Site, to: Site, seed: number): Promise<JsonMessage> {
  const port = 5000 + seed;
  const sink = await startSink(lab, to.container, ['tcp-sink', to.containerIp, String(port), '1', String(TRANSFER_TIMEOUT_MS)]);
  const sent = await tcpSend(lab, from, to, port, seed);
  const got = await sink.next('tcp-received', 5000);
  assert.deepEqual({ bytes: got.bytes, sha256: got.sha256 }, { bytes: sent.bytes, sha256: sent.sha256 }, `TCP ${from.containerIp} -> ${to.containerIp}: what arrived is what was sent`);
  return sent;
}

function udpSink(lab: NetnsLab, to: Site, port: number, expected: number): Promise<JsonLines> {
  return startSink(lab, to.container, ['udp-sink', to.containerIp, String(port), String(expected), String(UDP_QUIET_MS), String(UDP_TIMEOUT_MS)]);
}

/**
 * Datagrams sent and received, as "SIZE:HASH" multisets: equal means none lost, duplicated or
 * altered. At this low rate nothing may be lost; if something is, the kernel's drop counters
 * go into the message.
 */
async function udpRun(lab: NetnsLab, sites: readonly Site[], from: Site, to: Site, port: number, seed: number, sizes: string, every: number, gapMs: number): Promise<void> {
  const before = await kernelDrops(lab, sites);
  const sink = await udpSink(lab, to, port, expectedCount(sizes));
  const sent = await udpSend(lab, from, to, port, seed, sizes, every, gapMs);
  const got = (await sink.next('udp-received', UDP_TIMEOUT_MS + 5000)).datagrams!;
  const { missing, extra } = compareDatagrams(got, sent);
  if (missing.length + extra.length > 0) {
    const drops = dropsSince(await kernelDrops(lab, sites), before);
    assert.fail(`UDP ${sizes} ${from.containerIp} -> ${to.containerIp}: ${describeComparison(got, sent, missing, extra)}; kernel drops meanwhile: ${JSON.stringify(drops)}`);
  }
}

function expectedCount(sizes: string): number {
  return sizes.split(',').reduce((n, part) => n + (part.startsWith('mixed:') ? Number(part.slice(6)) : 1), 0);
}

function compareDatagrams(got: string[], sent: string[]): { missing: string[]; extra: string[] } {
  return { missing: difference(sent, got), extra: difference(got, sent) };
}

function describeComparison(got: string[], sent: string[], missing: string[], extra: string[]): string {
  return `sent ${sent.length}, received ${got.length}; missing ${missing.length} (${missing.slice(0, 10).join(' ')}), unexpected ${extra.length} (${extra.slice(0, 10).join(' ')})`;
}

/** Items of `a` not matched one for one in `b`. */
function difference(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

/** `after - before` for the packet counters. */
function delta(after: DataplaneStats, before: DataplaneStats): { tunRx: number; udpTx: number; udpRx: number; tunTx: number } {
  return {
    tunRx: after.tunRxPackets - before.tunRxPackets,
    udpTx: after.udpTxPackets - before.udpTxPackets,
    udpRx: after.udpRxPackets - before.udpRxPackets,
    tunTx: after.tunTxPackets - before.tunTxPackets,
  };
}

/** Every drop and error counter of a node, by name, when non-zero. */
function troubles(s: DataplaneStats): Record<string, number> {
  const all: Record<string, number> = {
    sendErrors: s.sendErrors,
    recvErrors: s.recvErrors,
    tunReadErrors: s.tunReadErrors,
    tunWriteErrors: s.tunWriteErrors,
    ...Object.fromEntries(Object.entries(s.rxDrops).map(([k, v]) => [`rx.${k}`, v])),
    ...Object.fromEntries(Object.entries(s.txDrops).map(([k, v]) => [`tx.${k}`, v])),
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== 0));
}

/** IP fragmentation counters of a namespace (/proc/net/snmp is per namespace). */
async function fragmentCounters(lab: NetnsLab, ns: string): Promise<{ fragCreates: number; reasmReqds: number }> {
  const ip = await snmpLine(lab, ns, 'Ip');
  // FragFails is left out: it counts the oversized ping the host refused, as it should.
  return { fragCreates: ip.FragCreates!, reasmReqds: ip.ReasmReqds! };
}

/**
 * Where the kernel drops a datagram without the data path seeing it, by namespace: packets
 * the TUN device or a veth had no room for (a queue full because its reader fell behind)
 * and datagrams refused by a full socket buffer. Only non-zero counters are listed.
 */
async function kernelDrops(lab: NetnsLab, sites: readonly Site[]): Promise<Record<string, number>> {
  const drops: Record<string, number> = {};
  const add = (key: string, n: number) => {
    if (n > 0) drops[key] = n;
  };
  for (const site of sites) {
    for (const ns of [site.host, site.container]) {
      const { stdout } = await lab.exec(ns, 'ip', ['-s', '-j', 'link', 'show']);
      for (const link of JSON.parse(stdout) as { ifname: string; stats64?: { rx: { dropped: number }; tx: { dropped: number } } }[]) {
        add(`${ns}/${link.ifname}.rxDropped`, link.stats64?.rx.dropped ?? 0);
        add(`${ns}/${link.ifname}.txDropped`, link.stats64?.tx.dropped ?? 0);
      }
      const udp = await snmpLine(lab, ns, 'Udp');
      for (const name of ['InErrors', 'RcvbufErrors', 'SndbufErrors']) add(`${ns}/Udp.${name}`, udp[name] ?? 0);
    }
  }
  return drops;
}

function dropsSince(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
}

/** One protocol's counters from /proc/net/snmp, which is per namespace. */
async function snmpLine(lab: NetnsLab, ns: string, proto: string): Promise<Record<string, number>> {
  const { stdout } = await lab.exec(ns, 'cat', ['/proc/net/snmp']);
  const [names, values] = stdout.split('\n').filter((l) => l.startsWith(`${proto}:`)).map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries(names!.map((name, i) => [name, Number(values![i])]));
}

interface TunLinkInfo {
  vnet_hdr?: boolean;
  multi_queue?: boolean;
  numqueues?: number;
}

async function tunLinkInfo(lab: NetnsLab, ns: string): Promise<TunLinkInfo> {
  const { stdout } = await lab.exec(ns, 'ip', ['-d', '-j', 'link', 'show', 'dev', 'tun0']);
  const [link] = JSON.parse(stdout) as { linkinfo?: { info_kind?: string; info_data?: TunLinkInfo } }[];
  assert.equal(link?.linkinfo?.info_kind, 'tun', stdout);
  return link.linkinfo.info_data ?? {};
}

async function pingSize(lab: NetnsLab, from: Site, to: Site, ipSize: number, count: number): Promise<{ code: number; output: string; received: number }> {
  const res = await lab.execStatus(from.container, 'ping', ['-M', 'do', '-s', String(pingPayload(ipSize)), '-c', String(count), '-i', '0.2', '-W', '2', to.containerIp], 20_000);
  const match = /(\d+) received/.exec(res.stdout);
  return { code: res.code, output: res.stdout + res.stderr, received: match ? Number(match[1]) : 0 };
}

for (const mode of MODES) {
  test(`data path mode: ${mode.name}`, { ...netnsTestOptions(), timeout: 240_000 }, async (t) => {
    const lab = labFor(t, 'dm');
    const s1 = await buildSite(lab, 1);
    const s2 = await buildSite(lab, 2);
    await lab.veth(s1.host, 'ul0', s2.host, 'ul0', 1500);
    await lab.addAddress(s1.host, 'ul0', `${s1.underlay}/24`);
    await lab.addAddress(s2.host, 'ul0', `${s2.underlay}/24`);
    const sites = [s1, s2] as const;
    const nodes = [startNode(lab, t, s1, s2, mode.nodes[0]), startNode(lab, t, s2, s1, mode.nodes[1])] as const;
    const ready = [await nodes[0].out.next('ready', 15_000), await nodes[1].out.next('ready', 15_000)] as const;
    await configureTun(lab, s1, s2, ready[0].tunName!);
    await configureTun(lab, s2, s1, ready[1].tunName!);
    const counters = async () => `node 1: ${JSON.stringify(await nodes[0].stats())}\nnode 2: ${JSON.stringify(await nodes[1].stats())}`;

    await t.test('each node runs the path it was asked for', async () => {
      for (const i of [0, 1] as const) {
        const asked = mode.nodes[i];
        const path = ready[i].path!;
        const what = `node ${i + 1} asked for offload=${asked.offload} workers=${asked.workers}, got ${JSON.stringify(path)}`;
        assert.equal(path.workers, asked.workers, what);
        if (asked.offload) {
          assert.equal(path.mode, 'superpackets', what);
          assert.equal(path.reason, '', what);
          assert.ok(path.tso && path.gso && path.gro, `TSO, UDP GSO and UDP GRO on: ${what}`);
        } else {
          assert.equal(path.mode, 'per-packet', what);
          assert.match(path.reason, /--offload off/, what);
          assert.ok(!path.tso && !path.uso && !path.gso && !path.gro, what);
        }
        // The device as the kernel sees it: a virtio-net header only with offloads, a queue per worker pair.
        const info = await tunLinkInfo(lab, sites[i].host);
        assert.equal(info.vnet_hdr, asked.offload, `vnet_hdr on node ${i + 1}: ${JSON.stringify(info)}`);
        assert.equal(info.multi_queue, asked.workers > 1, `multi_queue on node ${i + 1}: ${JSON.stringify(info)}`);
        if (asked.workers > 1) assert.equal(info.numqueues, asked.workers, `queues on node ${i + 1}: ${JSON.stringify(info)}`);
      }
    });

    await t.test('ping crosses the tunnel both ways', async () => {
      for (const [from, to] of [[s1, s2], [s2, s1]] as const) {
        const res = await lab.execStatus(from.container, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', to.containerIp], 20_000);
        assert.match(res.stdout, /3 packets transmitted, 3 received/, `${from.containerIp} -> ${to.containerIp}: ${res.stdout}${res.stderr}\n${await counters()}`);
      }
    });

    await t.test(`ICMP at the MTU edge: ${TUN_MTU - 1} and ${TUN_MTU} bytes pass whole, ${TUN_MTU + 1} is refused with "frag needed"`, async () => {
      for (const size of [TUN_MTU - 1, TUN_MTU]) {
        const before = await nodes[0].stats();
        const res = await pingSize(lab, s1, s2, size, 3);
        assert.equal(res.received, 3, `${size}-byte packets with DF: ${res.output}\n${await counters()}`);
        // Exactly one datagram per packet each way: the requests out, the replies in, nothing split.
        const d = delta(await nodes[0].stats(), before);
        assert.deepEqual(d, { tunRx: 3, udpTx: 3, udpRx: 3, tunTx: 3 }, `node 1 counters for three ${size}-byte pings`);
      }
      const before = await Promise.all([nodes[0].stats(), nodes[1].stats()]);
      const over = await pingSize(lab, s1, s2, TUN_MTU + 1, 2);
      assert.notEqual(over.code, 0, over.output);
      assert.equal(over.received, 0, over.output);
      // The host answers the first with ICMP "fragmentation needed"; the container then knows the path MTU.
      assert.match(over.output, new RegExp(`[Ff]rag needed.*mtu = ${TUN_MTU}|message too long, mtu=${TUN_MTU}`), over.output);
      const after = await Promise.all([nodes[0].stats(), nodes[1].stats()]);
      assert.equal(after[0].tunRxPackets, before[0].tunRxPackets, 'no oversized packet entered the tunnel');
      assert.equal(after[1].tunTxPackets, before[1].tunTxPackets, 'nothing came out at the other end');
    });

    await t.test(`a ${TCP_BYTES / 1024 / 1024} MB TCP stream arrives byte for byte, each way`, async (st) => {
      for (const [i, from, to] of [[0, s1, s2], [1, s2, s1]] as const) {
        const sender = nodes[i];
        const receiver = nodes[1 - i]!;
        const before = [await sender.stats(), await receiver.stats()] as const;
        const sent = await tcpTransfer(lab, from, to, 11 + i);
        const tx = delta(await sender.stats(), before[0]);
        const rx = delta(await receiver.stats(), before[1]);
        st.diagnostic(`${from.containerIp} -> ${to.containerIp}: ${sent.ms} ms; sender tunRx ${tx.tunRx} udpTx ${tx.udpTx}; receiver udpRx ${rx.udpRx} tunTx ${rx.tunTx}`);
        // At least the payload's worth of full-sized datagrams left the sender.
        assert.ok(tx.udpTx >= TCP_BYTES / TUN_MTU, `sender udpTx ${tx.udpTx}`);
        assert.ok(rx.udpRx >= TCP_BYTES / TUN_MTU && rx.tunTx > 0, `receiver udpRx ${rx.udpRx} tunTx ${rx.tunTx}`);
        if (mode.nodes[i].offload) {
          // TSO superpackets: one TUN read carries many segments.
          assert.ok(tx.udpTx > 2 * tx.tunRx, `superpackets: sender sent ${tx.udpTx} datagrams for ${tx.tunRx} TUN reads`);
        } else {
          assert.equal(tx.udpTx, tx.tunRx, 'per-packet: one datagram per packet read');
        }
        if (mode.nodes[1 - i]!.offload) {
          // Segments of the stream arriving together leave as one superpacket for the TUN device.
          assert.ok(rx.udpRx > 2 * rx.tunTx, `superpackets: receiver wrote ${rx.tunTx} TUN packets for ${rx.udpRx} datagrams`);
        } else {
          assert.equal(rx.tunTx, rx.udpRx, 'per-packet: one packet written per datagram');
        }
      }
    });

    await t.test(`UDP datagrams of ${UDP_SINGLES.join(', ')} bytes, then ${UDP_BURST} of mixed sizes, arrive intact, each way`, async () => {
      let port = 6000;
      for (const [from, to] of [[s1, s2], [s2, s1]] as const) {
        await udpRun(lab, sites, from, to, port++, 21, UDP_SINGLES.join(','), 1, 20);
        await udpRun(lab, sites, from, to, port++, 22, `mixed:${UDP_BURST}`, 50, 5);
      }
    });

    await t.test('two TCP streams (one each way) and a UDP flow at once all arrive intact', async (st) => {
      const dropsBefore = await kernelDrops(lab, sites);
      const sinks = await Promise.all([
        startSink(lab, s2.container, ['tcp-sink', s2.containerIp, '7001', '1', String(TRANSFER_TIMEOUT_MS)]),
        startSink(lab, s1.container, ['tcp-sink', s1.containerIp, '7002', '1', String(TRANSFER_TIMEOUT_MS)]),
        udpSink(lab, s2, 7003, UDP_BURST),
      ]);
      const [sent1, sent2, udpSent] = await Promise.all([
        tcpSend(lab, s1, s2, 7001, 31),
        tcpSend(lab, s2, s1, 7002, 32),
        udpSend(lab, s1, s2, 7003, 33, `mixed:${UDP_BURST}`, 10, 10),
      ]);
      const got1 = await sinks[0].next('tcp-received', 5000);
      const got2 = await sinks[1].next('tcp-received', 5000);
      assert.deepEqual([got1.bytes, got1.sha256], [sent1.bytes, sent1.sha256], 'TCP 1 -> 2');
      assert.deepEqual([got2.bytes, got2.sha256], [sent2.bytes, sent2.sha256], 'TCP 2 -> 1');
      const udpGot = (await sinks[2].next('udp-received', UDP_TIMEOUT_MS + 5000)).datagrams!;
      const { missing, extra } = compareDatagrams(udpGot, udpSent);
      const drops = dropsSince(await kernelDrops(lab, sites), dropsBefore);
      const what = `UDP 1 -> 2 alongside the TCP streams: ${describeComparison(udpGot, udpSent, missing, extra)}; kernel drops meanwhile: ${JSON.stringify(drops)}`;
      st.diagnostic(what);
      assert.equal(extra.length, 0, `nothing altered or duplicated: ${what}`);
      // The TCP streams fill the queues, so a datagram may be lost there (UDP has no retransmission),
      // but only where the kernel counts a drop: never silently in the data path.
      const counted = Object.values(drops).reduce((a, b) => a + b, 0);
      assert.ok(missing.length <= counted, `every lost datagram is a counted kernel drop: ${what}`);
      assert.ok(missing.length <= udpSent.length / 2, `most of the UDP flow got through: ${what}`);
    });

    await t.test('counters moved on both nodes; no drops, no errors, no fragments anywhere', async () => {
      for (const i of [0, 1] as const) {
        const s = await nodes[i].stats();
        assert.ok(s.tunRxPackets > 0 && s.udpTxPackets > 0 && s.udpRxPackets > 0 && s.tunTxPackets > 0, `node ${i + 1}: ${JSON.stringify(s)}`);
        assert.deepEqual(troubles(s), {}, `node ${i + 1} drops and errors`);
      }
      for (const ns of [s1.host, s2.host, s1.container, s2.container]) {
        const frags = await fragmentCounters(lab, ns);
        assert.deepEqual(frags, { fragCreates: 0, reasmReqds: 0 }, `IP fragmentation in ${ns}`);
      }
    });

    for (const i of [0, 1] as const) {
      assert.equal(await nodes[i].close(), 0, `node ${i + 1} exits 0; log: ${nodes[i].out.stderr}`);
      const link = await lab.execStatus(sites[i].host, 'ip', ['link', 'show', 'tun0']);
      assert.notEqual(link.code, 0, `tun0 on node ${i + 1} is gone after close`);
    }
  });
}
