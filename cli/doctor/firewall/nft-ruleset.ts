// `nft -j list ruleset` read for one datagram: UDP over IPv4 to the agent's port, a new
// flow (what a peer's first packet is). Rules that iptables-nft made show up here too.
import type { Chain, Condition, Rule, Verdict } from './rule-walk.js';

type Json = unknown;
interface NftObject {
  family: string;
  table: string;
  name: string;
  handle?: number;
  hook?: string;
  policy?: string;
  dev?: string | string[];
  chain?: string;
  expr?: Record<string, Json>[];
  elem?: Json[];
}

/** Families whose chains see IPv4 packets arriving at the host. */
const FAMILIES = new Set(['ip', 'inet', 'netdev']);
/** Hooks a datagram to this host passes. */
const INPUT_HOOKS = new Set(['prerouting', 'input', 'ingress']);
/** Protocols whose header fields a UDP datagram never matches (nft adds the protocol test). */
const OTHER_PROTOCOLS = new Set(['tcp', 'icmp', 'sctp', 'dccp', 'udplite', 'ip6', 'icmpv6', 'esp', 'ah', 'igmp', 'arp', 'vlan']);

export function chainsFromNft(json: string, port: number): Chain[] {
  const objects = ((JSON.parse(json) as { nftables?: Record<string, NftObject>[] }).nftables ?? []);
  const pick = (kind: string) => objects.filter((o) => kind in o).map((o) => o[kind]!).filter((o) => FAMILIES.has(o.family));
  const sets = new Map(pick('set').map((s) => [`${s.family} ${s.table} ${s.name}`, s.elem ?? []]));
  const rules = pick('rule');
  return pick('chain').map((c) => {
    const key = `${c.family} ${c.table} ${c.name}`;
    const base = c.hook !== undefined && INPUT_HOOKS.has(c.hook);
    const devices = c.dev === undefined ? [] : [c.dev].flat();
    return {
      key,
      where: `nftables chain ${key}`,
      base,
      policy: c.policy === 'drop' ? 'drop' : 'accept',
      rules: rules.filter((r) => r.chain === c.name && r.table === c.table && r.family === c.family).map((r) => ruleOf(r, port, (name) => sets.get(`${c.family} ${c.table} ${name}`))),
      acceptCommand: `nft insert rule ${key} udp dport ${port} accept`,
      entry: devices.length > 0 ? [`device ${devices.join(',')}`] : [],
    } satisfies Chain;
  });
}

function ruleOf(r: NftObject, port: number, setElements: (name: string) => Json[] | undefined): Rule {
  const key = `${r.family} ${r.table} ${r.chain}`;
  const conditions: Condition[] = [];
  const words: string[] = [];
  let verdict: Verdict | null = null;
  for (const statement of r.expr ?? []) {
    const [kind, body] = Object.entries(statement)[0] ?? ['', null];
    if (kind === 'match') {
      const m = body as { op: string; left: Json; right: Json };
      const text = `${show(m.left)} ${m.op === '==' || m.op === 'in' ? '' : `${m.op} `}${show(m.right)}`;
      words.push(text);
      conditions.push(judge(m, port, setElements) ?? text);
    } else if (kind === 'accept' || kind === 'drop' || kind === 'reject' || kind === 'return') {
      verdict = { kind };
      words.push(kind);
    } else if (kind === 'xt' && (body as { type?: string; name?: string }).type === 'target' && (body as { name?: string }).name === 'REJECT') {
      // iptables-nft's `-j REJECT` shows as an xt target.
      verdict = { kind: 'reject' };
      words.push('xt REJECT');
    } else if (kind === 'jump' || kind === 'goto') {
      const target = (body as { target: string }).target;
      verdict = { kind, chain: `${r.family} ${r.table} ${target}` };
      words.push(`${kind} ${target}`);
    } else if (kind === 'limit' || kind === 'quota' || (kind === 'xt' && (body as { type?: string }).type === 'match')) {
      // Matches only some packets (xt: an iptables-nft match nft cannot show): a condition doctor cannot judge.
      const text = kind === 'xt' ? `xt ${String((body as { name?: string }).name ?? '')}`.trim() : kind;
      conditions.push(text);
      words.push(text);
    }
  }
  return { where: `nftables ${key} handle ${r.handle}`, text: words.join(' '), conditions, verdict, deleteCommand: `nft delete rule ${key} handle ${r.handle}` };
}

/** Whether the match holds for the datagram; null when doctor cannot tell. */
function judge(m: { op: string; left: Json; right: Json }, port: number, setElements: (name: string) => Json[] | undefined): boolean | null {
  const left = m.left as Record<string, Record<string, string>>;
  let value: string | number;
  if (left.payload) {
    const { protocol, field } = left.payload as { protocol: string; field: string };
    if (OTHER_PROTOCOLS.has(protocol)) return false;
    if ((protocol === 'udp' || protocol === 'th') && field === 'dport') value = port;
    else if (protocol === 'ip' && field === 'protocol') value = 'udp';
    else return null;
  } else if (left.meta?.key === 'l4proto') value = 'udp';
  else if (left.meta?.key === 'nfproto') value = 'ipv4';
  else if (left.ct?.key === 'state') value = 'new';
  else return null;
  const found = contains(m.right, value, setElements);
  if (found === null) return null;
  return m.op === '!=' ? !found : found;
}

/** Whether `right` (a value, a set, a range, a named set) holds `value`; null when doctor cannot tell. */
function contains(right: Json, value: string | number, setElements: (name: string) => Json[] | undefined): boolean | null {
  if (typeof right === 'string' && right.startsWith('@')) {
    const elements = setElements(right.slice(1));
    return elements === undefined ? null : contains(elements, value, setElements);
  }
  if (typeof right === 'number' || typeof right === 'string') return same(right, value);
  if (Array.isArray(right)) {
    let unsure = false;
    for (const item of right) {
      const found = contains(item, value, setElements);
      if (found === true) return true;
      if (found === null) unsure = true;
    }
    return unsure ? null : false;
  }
  if (typeof right === 'object' && right !== null) {
    const o = right as Record<string, Json>;
    if ('set' in o) return contains(o.set, value, setElements);
    if ('elem' in o) return contains((o.elem as { val: Json }).val, value, setElements);
    if ('range' in o && typeof value === 'number') {
      const [low, high] = o.range as [number, number];
      return Number(low) <= value && value <= Number(high);
    }
  }
  return null;
}

function same(a: string | number, b: string | number): boolean {
  if (typeof b === 'number') return Number(a) === b;
  return String(a) === b || (b === 'udp' && Number(a) === 17);
}

/** nft-like text of an expression, for messages. */
function show(e: Json): string {
  if (typeof e === 'string' || typeof e === 'number') return String(e);
  if (Array.isArray(e)) return e.map(show).join(',');
  if (typeof e === 'object' && e !== null) {
    const o = e as Record<string, Record<string, Json>>;
    if (o.payload) return `${String(o.payload.protocol)} ${String(o.payload.field)}`;
    if (o.meta) return String(o.meta.key);
    if (o.ct) return `ct ${String(o.ct.key)}`;
    if (o.prefix) return `${String(o.prefix.addr)}/${String(o.prefix.len)}`;
    if (o.range) return (o.range as unknown as Json[]).map(show).join('-');
    if (o.set) return `{ ${[o.set].flat().map(show).join(', ')} }`;
  }
  return JSON.stringify(e);
}
