// HostProbe on Linux: /proc/sys for sysctls, `ip -j` for links and routes, nsenter for a
// container's interface, nft and iptables-save for firewall rules. The one file of doctor
// that runs tools.
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../../common/errors.js';
import { runTool, type ToolResult } from '../../node-agent/host/run-tool.js';
import type { HostProbe, LegacyIptables, LinkInfo, RouteInfo, RouteLookup, RouteQuery, ToolText } from './host-probe.js';

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

  async routeGet(queries: readonly RouteQuery[]): Promise<RouteLookup[]> {
    if (queries.length === 0) return [];
    // One `ip -batch` for all of them: -force goes on past a refused lookup, which prints its
    // error and "Command failed -:LINE" on stderr; each answered one prints a JSON line.
    const lines = queries.map((q) => `route get ${q.dst}${q.from !== undefined ? ` from ${q.from} iif ${q.iif}` : ''}`);
    const res = await runTool('ip', ['-j', '-force', '-batch', '-'], { timeoutMs: TIMEOUT_MS, installHint: IP_HINT, input: lines.join('\n') + '\n' });
    const errors = batchErrors(res.stderr);
    const answers = res.stdout.split('\n').filter((l) => l.trim() !== '');
    let next = 0;
    return queries.map((_, i) => {
      const error = errors.get(i + 1);
      if (error !== undefined) return { error };
      const answer = answers[next++];
      if (answer === undefined) throw new Error(`ip route get printed no answer for \`${lines[i]}\`: ${res.stderr.trim() || `exit ${res.code}`}`);
      const [route] = JSON.parse(answer) as IpRoute[];
      return { dev: route?.dev ?? '', type: route?.type ?? 'unicast' };
    });
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

/** The errors of an `ip -force -batch` run by input line: the message is what came before each "Command failed -:LINE". */
export function batchErrors(stderr: string): Map<number, string> {
  const errors = new Map<number, string>();
  let message: string[] = [];
  for (const line of stderr.split('\n')) {
    const failed = /^Command failed -:(\d+)\s*$/.exec(line);
    if (failed) {
      errors.set(Number(failed[1]), message.join('; ').replace(/^RTNETLINK answers: /, '') || 'refused');
      message = [];
    } else if (line.trim() !== '') {
      message.push(line.trim());
    }
  }
  return errors;
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
