// HostProbe on Linux: /proc/sys for sysctls, `ip -j` for links and routes, nsenter for a
// container's interface, nft and iptables-save for firewall rules. The one file of doctor
// that runs tools.
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../../common/errors.js';
import { runTool, type ToolResult } from '../../node-agent/host/run-tool.js';
import type { HostProbe, LegacyIptables, LinkInfo, RouteInfo, RouteLookup, ToolText } from './host-probe.js';

const TIMEOUT_MS = 10_000;
const IP_HINT = 'install iproute2 (apt-get install iproute2)';

export class LinuxHostProbe implements HostProbe {
  async ipv4Sysctl(key: string): Promise<string | null> {
    try {
      return (await readFile(`/proc/sys/net/ipv4/${key}`, 'utf8')).trim();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async links(): Promise<LinkInfo[]> {
    const shown = parseJson<IpLink[]>(await ip(['-j', 'addr', 'show']), 'ip addr show');
    return shown.map((l) => ({
      ifname: l.ifname,
      mtu: l.mtu,
      addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local),
    }));
  }

  async routes(): Promise<RouteInfo[]> {
    const shown = parseJson<IpRoute[]>(await ip(['-j', '-4', 'route', 'show', 'table', 'main']), 'ip route show');
    return shown.map((r) => ({
      dst: r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`,
      dev: r.dev ?? '',
      gateway: r.gateway ?? '',
      protocol: r.protocol ?? 'boot',
    }));
  }

  async routeGet(dst: string, input?: { from: string; iif: string }): Promise<RouteLookup> {
    const res = await ip(['-j', 'route', 'get', dst, ...(input ? ['from', input.from, 'iif', input.iif] : [])]);
    if (res.code !== 0) return { error: res.stderr.trim().replace(/^RTNETLINK answers: /, '') };
    const [route] = parseJson<IpRoute[]>(res, 'ip route get');
    return { dev: route?.dev ?? '', type: route?.type ?? 'unicast' };
  }

  async containerMtu(netns: string, ifname: string): Promise<number | null> {
    const path = netns.includes('/') ? netns : `/run/netns/${netns}`;
    const res = await runTool('nsenter', [`--net=${path}`, 'ip', '-j', 'link', 'show', 'dev', ifname], {
      timeoutMs: TIMEOUT_MS,
      installHint: 'install util-linux (apt-get install util-linux)',
    });
    if (res.code !== 0) {
      // The interface or the whole namespace is gone: the container went away meanwhile.
      if (/does not exist|Cannot find device|No such file/.test(res.stderr)) return null;
      throw new Error(`cannot look into the namespace ${netns}: ${res.stderr.trim()}`);
    }
    return parseJson<IpLink[]>(res, 'ip link show')[0]?.mtu ?? null;
  }

  async nftRuleset(): Promise<ToolText> {
    return toolText('nft', ['-j', 'list', 'ruleset'], 'install nftables (apt-get install nftables)');
  }

  async legacyIptables(): Promise<LegacyIptables> {
    // Debian's iptables-save is usually the nftables one, whose rules nft already shows.
    const legacy = await toolText('iptables-legacy-save', [], '');
    if ('text' in legacy) return { text: legacy.text, command: 'iptables-legacy' };
    const version = await toolText('iptables-save', ['--version'], '');
    if ('text' in version && /legacy/.test(version.text)) {
      const saved = await toolText('iptables-save', [], '');
      if ('text' in saved) return { text: saved.text, command: 'iptables' };
    }
    return { unavailable: 'no legacy iptables on this host' };
  }
}

interface IpLink {
  ifname: string;
  mtu: number;
  addr_info?: { family: string; local: string }[];
}

interface IpRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
  type?: string;
}

function ip(args: string[]): Promise<ToolResult> {
  return runTool('ip', args, { timeoutMs: TIMEOUT_MS, installHint: IP_HINT });
}

function parseJson<T>(res: ToolResult, what: string): T {
  if (res.code !== 0) throw new Error(`${what} failed: ${res.stderr.trim()}`);
  return JSON.parse(res.stdout || '[]') as T;
}

async function toolText(path: string, args: string[], installHint: string): Promise<ToolText> {
  try {
    const res = await runTool(path, args, { timeoutMs: TIMEOUT_MS, installHint });
    if (res.code !== 0) return { unavailable: `${path} failed: ${res.stderr.trim() || `exit ${res.code}`}` };
    return { text: res.stdout };
  } catch (err) {
    return { unavailable: errorMessage(err) };
  }
}
