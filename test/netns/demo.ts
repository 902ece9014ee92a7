// `npm run demo`: a throwaway three-host cluster in network namespaces on this machine.
// A controller, three hosts, tunctl agents joining with the tokens add-node printed, a
// container attached on each with `tunctl attach`; shows `tunctl list-nodes`, `tunctl
// routes`, `tunctl containers`, pings between containers, `tunctl status`, an API key used from another host (read allowed, write refused) and the
// audit log, then removes every namespace and process it made (also on Ctrl-C or failure).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, TUNCTL, type Host } from './cluster.js';
import { NetnsLab, netnsSupported, waitFor } from './netns.js';

function say(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

async function main(): Promise<number> {
  const support = netnsSupported();
  if (!support.ok) {
    process.stderr.write(`the demo builds network namespaces and ${support.why}; run it as root (sudo npm run demo)\n`);
    return 1;
  }
  const lab = new NetnsLab('demo');
  const workDir = mkdtempSync(join(tmpdir(), 'tunctl-demo-'));
  const cluster = new Cluster({ lab, workDir, heartbeatIntervalMs: 1000 });
  try {
    say('starting a controller (network 10.244.0.0/16, /24 per node) in its own namespace');
    await cluster.startController();
    say('adding three hosts with `tunctl add-node` and starting their agents with the join tokens');
    const hosts: Host[] = [];
    for (const [i, name] of ['host-1', 'host-2', 'host-3'].entries()) {
      const host = await cluster.addHost(name, i + 1, { handMadeContainer: false });
      process.stdout.write(`$ tunctl add-node ${name} --underlay-ip ${host.underlayIp}   -> subnet ${host.subnet}, token ${host.joinToken.slice(0, 20)}…\n`);
      cluster.startAgent(host);
      hosts.push(host);
    }
    for (const host of hosts) {
      await cluster.waitForRoutes(host, hosts.filter((h) => h !== host).map((h) => h.subnet), 20_000);
    }
    say('attaching a container (a network namespace) on each host with `tunctl attach`');
    for (const host of hosts) {
      process.stdout.write(`${host.name}$ tunctl attach ${lab.prefix}-ctr-${host.name}\n`);
      process.stdout.write(await cluster.attachContainer(host, `ctr-${host.name}`));
    }
    say(`${hosts[0]!.name}$ tunctl containers`);
    process.stdout.write((await cluster.hostTunctl(hosts[0]!, ['containers'])).stdout);
    await waitFor('agents connected', async () => (await cluster.tunctl(['list-nodes'])).stdout.split('\n').filter((l) => l.includes(' connected')).length === 3, 10_000);

    say('$ tunctl list-nodes');
    process.stdout.write((await cluster.tunctl(['list-nodes'])).stdout);
    say('$ tunctl routes');
    process.stdout.write((await cluster.tunctl(['routes'])).stdout);
    say(`routes the agent installed on ${hosts[0]!.name} (ip route show proto 147)`);
    process.stdout.write((await lab.exec(hosts[0]!.ns, 'ip', ['route', 'show', 'proto', '147'])).stdout);

    let failures = 0;
    for (const [from, to] of [[0, 1], [1, 2], [2, 0]] as const) {
      say(`ping from the container on ${hosts[from]!.name} (${hosts[from]!.containerIp}) to the one on ${hosts[to]!.name} (${hosts[to]!.containerIp})`);
      const ping = await cluster.ping(hosts[from]!, hosts[to]!, 3);
      process.stdout.write(ping.output);
      if (ping.received === 0) failures++;
    }
    say(`${hosts[0]!.name}$ tunctl status   (the agent's view: connection, data path, per-peer traffic)`);
    process.stdout.write((await cluster.hostTunctl(hosts[0]!, ['status'])).stdout);
    say('what `tunctl add-node` prints (a fourth node, added and removed again)');
    process.stdout.write((await cluster.tunctl(['add-node', 'host-4', '--underlay-ip', '192.168.77.4'])).stdout);
    say('$ tunctl list-join-tokens');
    process.stdout.write((await cluster.tunctl(['list-join-tokens'])).stdout);
    await cluster.tunctl(['remove-node', 'host-4']);

    say('$ tunctl apikey create --scope read   (then used from host-1, over TLS)');
    const created = await cluster.tunctl(['apikey', 'create', '--scope', 'read', '--description', 'demo dashboard']);
    process.stdout.write(created.stdout);
    const key = /^\s+(tk1\.\S+)$/m.exec(created.stdout)?.[1] ?? '';
    const remote = (args: string[]) =>
      lab.execStatus(hosts[0]!.ns, 'env', [`TUNCTL_API_KEY=${key}`, process.execPath, TUNCTL, ...args, '--controller', cluster.controllerAddress], 20_000);
    process.stdout.write(`$ TUNCTL_API_KEY=tk1.… tunctl list-nodes --controller ${cluster.controllerAddress}\n`);
    process.stdout.write((await remote(['list-nodes'])).stdout);
    process.stdout.write(`$ TUNCTL_API_KEY=tk1.… tunctl remove-node host-3 --controller ${cluster.controllerAddress}\n`);
    const refused = await remote(['remove-node', 'host-3']);
    process.stdout.write(`${refused.stderr}(exit ${refused.code})\n`);

    say('$ tunctl audit');
    process.stdout.write((await cluster.tunctl(['audit'])).stdout);

    say(failures === 0 ? 'all containers reached each other through tunctl; cleaning up' : `${failures} ping(s) failed; logs are in ${workDir}`);
    return failures === 0 ? 0 : 1;
  } finally {
    for (const host of cluster.hosts.values()) await cluster.stopAgent(host);
    await cluster.stopController();
    await lab.cleanup();
    if (!process.exitCode) rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
