// A whole tunctl cluster inside throwaway namespaces, as an operator would build it on
// real hosts: a switch namespace with the controller on a bridge, hosts joined to it by
// underlay veths, and a container namespace on each host set up by the hand-made recipe
// (veth, proxy_arp, default route via the host). Used by the end-to-end tests and the demo.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, waitFor, type NetnsLab } from './netns.js';

export const TUNCTL = fileURLToPath(new URL('../../cli/tunctl.js', import.meta.url));
export const SEND_UDP = fileURLToPath(new URL('./fixtures/send-udp.js', import.meta.url));
export const ADD_NODES = fileURLToPath(new URL('./fixtures/add-nodes.js', import.meta.url));

const UNDERLAY_PREFIX = '192.168.77';
const CONTROLLER_IP = `${UNDERLAY_PREFIX}.254`;
const CONTROLLER_PORT = 7400;
/** A locally administered MAC address no interface in the lab has: frames sent to it are lost. */
const NOWHERE_MAC = '02:00:00:00:de:ad';

export interface Host {
  readonly name: string;
  readonly ns: string;
  /**
   * The container pings go from and to: the hand-made one (.2 in the node's subnet), or
   * the last one attachContainer made; '' without one.
   */
  containerNs: string;
  readonly underlayIp: string;
  readonly subnet: string;
  containerIp: string;
  readonly stateDir: string;
  /** The one-time join token add-node printed for this node. */
  joinToken: string;
  agent?: ChildProcess;
}

export interface ClusterOptions {
  readonly lab: NetnsLab;
  /** Folder for the controller database, agent state and process logs. */
  readonly workDir: string;
  readonly network?: string;
  readonly heartbeatIntervalMs?: number;
  /** The agents' --route-check-interval (default 1000 ms); long, a route deleted on purpose stays deleted. */
  readonly routeCheckIntervalMs?: number;
}

export class Cluster {
  readonly controllerAddress = `${CONTROLLER_IP}:${CONTROLLER_PORT}`;
  /** The controller's local admin socket, which `tunctl` uses here as on a controller host. */
  readonly adminSocket: string;
  readonly hosts = new Map<string, Host>();
  private readonly lab: NetnsLab;
  private readonly workDir: string;
  private readonly options: ClusterOptions;
  private switchNs = '';
  private controller?: ChildProcess;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.lab = options.lab;
    this.workDir = options.workDir;
    mkdirSync(this.workDir, { recursive: true });
    this.adminSocket = join(this.workDir, 'controller.sock');
  }

  /** The switch namespace with its bridge, and the controller listening on it. */
  async startController(): Promise<void> {
    this.switchNs = await this.lab.addNamespace('sw');
    await this.lab.exec(this.switchNs, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await this.lab.exec(this.switchNs, 'ip', ['addr', 'add', `${CONTROLLER_IP}/24`, 'dev', 'br0']);
    await this.lab.exec(this.switchNs, 'ip', ['link', 'set', 'br0', 'up']);
    await this.runController();
  }

  /** Starts (again) the controller process on the same data directory and address. */
  async runController(): Promise<void> {
    this.controller = this.spawnLogged(this.switchNs, 'controller', [
      'controller',
      '--listen', this.controllerAddress,
      '--admin-socket', this.adminSocket,
      '--data-dir', join(this.workDir, 'controller'),
      '--network', this.options.network ?? '10.244.0.0/16',
      '--heartbeat-interval', String(this.options.heartbeatIntervalMs ?? 1000),
    ]);
    await waitFor('the controller to answer', async () => (await this.tunctl(['network'])).code === 0, 20_000, 200);
  }

  /** Runs `tunctl ...` in the switch namespace against the controller's admin socket. */
  tunctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.lab.execStatus(this.switchNs, process.execPath, [TUNCTL, ...args, ...(needsController(args[0]) ? ['--controller', `unix:${this.adminSocket}`] : [])]);
  }

  /**
   * A host on the underlay, its node added with `tunctl add-node`, and one container made by
   * hand (none with handMadeContainer: false, for tests that attach their own with tunctl).
   */
  async addHost(name: string, index: number, options: { handMadeContainer?: boolean } = {}): Promise<Host> {
    const ns = await this.lab.addNamespace(name);
    const underlayIp = `${UNDERLAY_PREFIX}.${index}`;
    await this.lab.veth(ns, 'ul0', this.switchNs, `p-${name}`);
    await this.lab.exec(this.switchNs, 'ip', ['link', 'set', `p-${name}`, 'master', 'br0']);
    await this.lab.addAddress(ns, 'ul0', `${underlayIp}/24`);
    await this.lab.sysctl(ns, 'net.ipv4.ip_forward', '1');

    const added = await this.tunctl(['add-node', name, '--underlay-ip', underlayIp, '-o', 'json']);
    if (added.code !== 0) throw new Error(`add-node ${name} failed: ${added.stderr}`);
    const response = JSON.parse(added.stdout) as { node: { subnet: string }; joinToken: { token: string } };
    const subnet = response.node.subnet;
    const [base, len] = subnet.split('/') as [string, string];
    const prefix = base.split('.').slice(0, 3).join('.');
    const gatewayIp = `${prefix}.1`;
    let containerIp = '';
    let containerNs = '';
    if (options.handMadeContainer !== false) {
      // The hand-made recipe: container veth, host side in the same subnet, proxy ARP, default route.
      containerIp = `${prefix}.2`;
      containerNs = await this.lab.addNamespace(`c-${name}`);
      await this.lab.veth(containerNs, 'eth0', ns, 'veth-c');
      await this.lab.addAddress(containerNs, 'eth0', `${containerIp}/${len}`);
      await this.lab.addAddress(ns, 'veth-c', `${gatewayIp}/${len}`);
      await this.lab.exec(containerNs, 'ip', ['route', 'add', 'default', 'via', gatewayIp]);
      await this.lab.sysctl(ns, 'net.ipv4.conf.veth-c.proxy_arp', '1');
    }

    const host: Host = { name, ns, containerNs, underlayIp, subnet, containerIp, stateDir: join(this.workDir, `agent-${name}`), joinToken: response.joinToken.token };
    this.hosts.set(name, host);
    return host;
  }

  /** The common start of a two-host test: controller, hosts h1 and h2, their agents, each with a route to the other. */
  async startPair(options: { handMadeContainer?: boolean } = {}): Promise<{ h1: Host; h2: Host }> {
    await this.startController();
    const h1 = await this.addHost('h1', 1, options);
    const h2 = await this.addHost('h2', 2, options);
    this.startAgent(h1);
    this.startAgent(h2);
    await this.waitForRoutes(h1, [h2.subnet]);
    await this.waitForRoutes(h2, [h1.subnet]);
    return { h1, h2 };
  }

  /** Runs tunctl on `host` against its agent's local socket (attach, detach, containers). */
  hostTunctl(host: Host, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.lab.execStatus(host.ns, process.execPath, [TUNCTL, ...args, '--agent-socket', agentSocketOf(host)], 30_000);
  }

  /**
   * A new namespace attached to `host` with `tunctl attach` (its agent must run); it becomes
   * the host's container for ping(). Returns what attach printed.
   */
  async attachContainer(host: Host, name: string): Promise<string> {
    const ns = await this.lab.addNamespace(name);
    const res = await this.hostTunctl(host, ['attach', ns]);
    if (res.code !== 0) throw new Error(`tunctl attach ${ns} on ${host.name} failed: ${res.stderr}`);
    const address = /: (\d+\.\d+\.\d+\.\d+)\/\d+ on /.exec(res.stdout)?.[1];
    if (!address) throw new Error(`tunctl attach printed no address: ${res.stdout}`);
    host.containerNs = ns;
    host.containerIp = address;
    return res.stdout;
  }

  /** Starts the host's agent; `extraArgs` go after the cluster's flags (e.g. --metrics-listen). */
  startAgent(host: Host, extraArgs: readonly string[] = []): ChildProcess {
    host.agent = this.spawnLogged(host.ns, `agent-${host.name}`, [
      'agent',
      '--name', host.name,
      '--join-token', host.joinToken,
      '--controller', this.controllerAddress,
      '--state-dir', host.stateDir,
      '--socket', agentSocketOf(host),
      '--route-check-interval', String(this.options.routeCheckIntervalMs ?? 1000),
      ...extraArgs,
    ]);
    return host.agent;
  }

  async stopAgent(host: Host): Promise<number | null> {
    const agent = host.agent;
    if (!agent) return null;
    await stopChild(agent, 5000);
    host.agent = undefined;
    return agent.exitCode;
  }

  /** SIGTERM to the controller; resolves with its exit code (null if it was not running). */
  async stopController(): Promise<number | null> {
    const controller = this.controller;
    if (!controller) return null;
    await stopChild(controller);
    this.controller = undefined;
    return controller.exitCode;
  }

  /** Whether a controller process started by this cluster is running. */
  get controllerRunning(): boolean {
    return this.controller !== undefined;
  }

  /** kill -9 of the controller by PID: no shutdown code runs. Resolves once it is gone. */
  async killController(): Promise<void> {
    const controller = this.controller;
    if (!controller) throw new Error('the controller is not running');
    await killNow(controller);
    this.controller = undefined;
  }

  /** kill -9 of a host's agent by PID: its TUN device goes with the process, its routes with the device. */
  async killAgent(host: Host): Promise<void> {
    const agent = host.agent;
    if (!agent) throw new Error(`the agent of ${host.name} is not running`);
    await killNow(agent);
    host.agent = undefined;
  }

  /** Starts a process in the controller's (switch) namespace, e.g. a client of the admin socket. */
  spawnOnController(cmd: string, args: string[]): ChildProcess {
    return this.lab.spawn(this.switchNs, cmd, args);
  }

  /** `tunctl list-nodes -o json`, with the 64-bit counters as numbers whichever way they were printed. */
  async listNodes(): Promise<{ nodes: NodeStatus[]; revision: number }> {
    const res = await this.tunctl(['list-nodes', '-o', 'json']);
    if (res.code !== 0) throw new Error(`list-nodes failed: ${res.stderr}`);
    const parsed = JSON.parse(res.stdout) as { nodes?: Record<string, unknown>[]; revision?: string | number };
    const nodes = (parsed.nodes ?? []).map((n) => ({
      ...(n as unknown as NodeStatus),
      connected: n.connected === true,
      appliedRevision: Number(n.appliedRevision ?? 0),
      lag: Number(n.lag ?? 0),
    }));
    return { nodes, revision: Number(parsed.revision ?? 0) };
  }

  /**
   * Cuts the control connection between a host's agent and the controller the way a dead
   * link does: silently, without a FIN, an RST or a local error. Each end's neighbour entry
   * for the other is pointed at a MAC address nobody has, so frames between them leave and
   * vanish (both directions: neither side hears anything, not even TCP acknowledgements, and
   * new connection attempts hang as they would on a real cut). Routes are not touched (a
   * blackhole route would fail sends locally, which a real cut does not) and the host-to-host
   * data path keeps its own neighbour entries, so container traffic keeps flowing.
   */
  async cutControlLink(host: Host): Promise<void> {
    await this.lab.exec(host.ns, 'ip', ['neigh', 'replace', CONTROLLER_IP, 'lladdr', NOWHERE_MAC, 'dev', 'ul0', 'nud', 'permanent']);
    await this.lab.exec(this.switchNs, 'ip', ['neigh', 'replace', host.underlayIp, 'lladdr', NOWHERE_MAC, 'dev', 'br0', 'nud', 'permanent']);
  }

  /** Undoes cutControlLink: the entries go and ARP finds the real addresses again (safe to call when not cut). */
  async restoreControlLink(host: Host): Promise<void> {
    await this.lab.execStatus(host.ns, 'ip', ['neigh', 'del', CONTROLLER_IP, 'dev', 'ul0']);
    await this.lab.execStatus(this.switchNs, 'ip', ['neigh', 'del', host.underlayIp, 'dev', 'br0']);
  }

  /** One echo request with a short wait: true if a reply came back. */
  async pingOnce(from: Host, to: Host, waitSeconds = 0.2): Promise<boolean> {
    const res = await this.lab.execStatus(from.containerNs, 'ping', ['-c', '1', '-W', String(waitSeconds), to.containerIp], 5_000);
    return res.code === 0;
  }

  /** Pings once at a time until a reply comes back; resolves with the ms it took, throws after `timeoutMs`. */
  async waitForPing(from: Host, to: Host, timeoutMs: number, since = Date.now()): Promise<number> {
    await waitFor(`a ping from ${from.name}'s container to ${to.name}'s`, () => this.pingOnce(from, to), timeoutMs, 20);
    return Date.now() - since;
  }

  /**
   * A ping from one container to another that runs in the background: COUNT requests every
   * `intervalSeconds`, and a hard deadline (ping -w) a little past the time that takes, so it
   * ends by itself whatever happens. `exited` resolves with its summary.
   */
  continuousPing(from: Host, to: Host, count: number, intervalSeconds: number): { process: ChildProcess; exited: Promise<PingSummary> } {
    const deadline = Math.ceil(count * intervalSeconds) + 10;
    const child = this.lab.spawn(from.containerNs, 'ping', ['-c', String(count), '-i', String(intervalSeconds), '-W', '1', '-w', String(deadline), to.containerIp]);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<PingSummary>((resolve) => {
      child.once('exit', () => {
        const match = /(\d+) packets transmitted, (\d+) received/.exec(output);
        resolve({ transmitted: match ? Number(match[1]) : 0, received: match ? Number(match[2]) : 0, output });
      });
    });
    return { process: child, exited };
  }

  /** The subnets with a tunctl route (proto 147) on the host's TUN device (its containers' /32 routes are on their veths). */
  async routesOn(host: Host): Promise<string[]> {
    const res = await this.lab.execStatus(host.ns, 'ip', ['-j', 'route', 'show', 'proto', '147', 'dev', 'tun0']);
    if (res.code !== 0) return [];
    return (JSON.parse(res.stdout || '[]') as { dst: string }[]).map((r) => r.dst).sort();
  }

  async waitForRoutes(host: Host, subnets: string[], timeoutMs = 15_000): Promise<void> {
    const want = [...subnets].sort().join(',');
    await waitFor(`routes ${want} on ${host.name}`, async () => (await this.routesOn(host)).join(',') === want, timeoutMs, 200);
  }

  /** `ping -c COUNT` from one host's container to another's; returns how many replies came back. */
  async ping(from: Host, to: Host, count = 3): Promise<{ received: number; output: string }> {
    const res = await this.lab.execStatus(from.containerNs, 'ping', ['-c', String(count), '-i', '0.2', '-W', '2', to.containerIp], 30_000);
    const match = /(\d+) received/.exec(res.stdout);
    return { received: match ? Number(match[1]) : 0, output: res.stdout + res.stderr };
  }

  /** The agent's stats.json (data path counters), written every second. */
  readStats(host: Host): AgentStats {
    return JSON.parse(readFileSync(join(host.stateDir, 'stats.json'), 'utf8')) as AgentStats;
  }

  /** Stats written after this call began, so they include every packet sent before it. */
  async freshStats(host: Host): Promise<AgentStats> {
    const since = Date.now();
    return waitFor(`fresh stats from ${host.name}`, () => {
      const stats = this.readStats(host);
      return Date.parse(stats.updatedAt) > since && stats;
    }, 5000, 100);
  }

  /** Sends datagrams from `bindIp` inside `ns` to a host's agent port. */
  async sendDatagram(ns: string, bindIp: string, to: Host, innerSrc: string, innerDst: string, count = 1): Promise<void> {
    await this.lab.exec(ns, process.execPath, [SEND_UDP, bindIp, to.underlayIp, '7000', innerSrc, innerDst, String(count)]);
  }

  /** A namespace on the underlay that is not a node: the place attacks come from. */
  async addRogue(name: string, index: number): Promise<{ ns: string; ip: string }> {
    const ns = await this.lab.addNamespace(name);
    const ip = `${UNDERLAY_PREFIX}.${index}`;
    await this.lab.veth(ns, 'ul0', this.switchNs, `p-${name}`);
    await this.lab.exec(this.switchNs, 'ip', ['link', 'set', `p-${name}`, 'master', 'br0']);
    await this.lab.addAddress(ns, 'ul0', `${ip}/24`);
    return { ns, ip };
  }

  logFile(name: string): string {
    return join(this.workDir, `${name}.log`);
  }

  /** The last 40 lines of each process log, to stderr: what a failed test leaves to read. */
  dumpLogs(names: string[]): void {
    for (const name of names) {
      try {
        const text = readFileSync(this.logFile(name), 'utf8').split('\n').slice(-40).join('\n');
        process.stderr.write(`---- ${name} (last 40 lines)\n${text}\n`);
      } catch {
        /* never started */
      }
    }
  }

  private spawnLogged(ns: string, name: string, args: string[]): ChildProcess {
    const child = this.lab.spawn(ns, process.execPath, [TUNCTL, ...args], { env: { ...process.env, TUNCTL_LOG_LEVEL: 'debug' } });
    const log = createWriteStream(this.logFile(name), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return child;
  }
}

/** A node as `tunctl list-nodes -o json` shows it (the fields the tests read). */
export interface NodeStatus {
  name: string;
  subnet: string;
  underlayIp: string;
  connected: boolean;
  lastSeenAt?: string;
  appliedRevision: number;
  lag: number;
  state?: string;
  agentVersion?: string;
}

export interface PingSummary {
  transmitted: number;
  received: number;
  output: string;
}

export interface AgentStats {
  updatedAt: string;
  revision: number;
  routes: number;
  tunRxPackets: number;
  tunTxPackets: number;
  udpRxPackets: number;
  udpTxPackets: number;
  rxDrops: Record<string, number>;
  txDrops: Record<string, number>;
}

/** SIGKILL by PID, then wait (at most 5 s) for the exit. */
async function killNow(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (!child.pid) throw new Error('process has no PID');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`process ${child.pid} still running 5 s after SIGKILL`)), 5000);
  });
  try {
    await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function needsController(command: string | undefined): boolean {
  return command !== undefined && !['controller', 'agent', 'help', 'version'].includes(command);
}

/** Each agent of a test serves its local API in its own state dir, never on the host's default socket. */
export function agentSocketOf(host: Host): string {
  return join(host.stateDir, 'agent.sock');
}
