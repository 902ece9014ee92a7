// `iptables-save` of legacy iptables read for one datagram: UDP to the agent's port, a new
// flow. (iptables-nft rules are in nft's ruleset already.)
import type { Chain, Condition, Rule, Verdict } from './rule-walk.js';

/** Built-in chains a datagram to this host passes, by table. */
const INPUT_CHAINS: Record<string, readonly string[]> = { raw: ['PREROUTING'], mangle: ['PREROUTING', 'INPUT'], nat: ['PREROUTING', 'INPUT'], filter: ['INPUT'] };
const TERMINAL: Record<string, Verdict['kind']> = { ACCEPT: 'accept', DROP: 'drop', REJECT: 'reject', RETURN: 'return' };
/** Options that only load a match module or annotate: they hold for every packet. */
const HARMLESS = new Set(['-m', '--match', '--comment']);

/** `command` changes these rules: iptables-legacy, or iptables where that is the legacy one. */
export function chainsFromIptablesSave(text: string, port: number, command: string): Chain[] {
  const chains: { key: string; table: string; name: string; policy: string; rules: Rule[] }[] = [];
  let table = '';
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(/\s+/);
      chains.push({ key: `${table} ${name}`, table, name, policy, rules: [] });
    } else if (line.startsWith('-A ')) {
      const tokens = tokenize(line);
      const chain = chains.find((c) => c.table === table && c.name === tokens[1]);
      const isChain = (name: string) => chains.some((c) => c.table === table && c.name === name);
      if (chain) chain.rules.push(ruleOf({ table, chain: chain.name, position: chain.rules.length + 1, line, args: tokens.slice(2), isChain, command }, port));
    }
  }
  return chains.map((c) => ({
    key: c.key,
    where: `iptables (legacy) chain ${c.name} of table ${c.table}`,
    base: INPUT_CHAINS[c.table]?.includes(c.name) ?? false,
    policy: c.policy === 'DROP' ? 'drop' : 'accept',
    rules: c.rules,
    acceptCommand: `${command}${tableFlag(c.table)} -I ${c.name} -p udp --dport ${port} -j ACCEPT`,
    entry: [],
  }));
}

interface RuleLine {
  readonly table: string;
  readonly chain: string;
  /** 1-based, as `iptables -L --line-numbers` counts. */
  readonly position: number;
  readonly line: string;
  /** The words after `-A CHAIN`. */
  readonly args: readonly string[];
  readonly isChain: (name: string) => boolean;
  readonly command: string;
}

function ruleOf(r: RuleLine, port: number): Rule {
  const conditions: Condition[] = [];
  let verdict: Verdict | null = null;
  let negate = false;
  const args = r.args;
  for (let i = 0; i < args.length; i++) {
    const option = args[i]!;
    if (option === '!') {
      negate = true;
      continue;
    }
    const values: string[] = [];
    while (i + 1 < args.length && !args[i + 1]!.startsWith('-') && args[i + 1] !== '!') values.push(args[++i]!);
    if (option === '-j' || option === '--jump' || option === '-g' || option === '--goto') {
      const target = values[0] ?? '';
      const kind = TERMINAL[target];
      if (kind) verdict = { kind } as Verdict;
      else if (r.isChain(target)) verdict = { kind: option === '-g' || option === '--goto' ? 'goto' : 'jump', chain: `${r.table} ${target}` };
      break; // the rest are the target's options
    }
    if (!HARMLESS.has(option)) {
      const held = judge(option, values, port);
      conditions.push(held === null ? `${negate ? '! ' : ''}${option} ${values.join(' ')}`.trim() : negate ? !held : held);
    }
    negate = false;
  }
  const text = r.line.replace(/^-A \S+ /, '');
  return { where: `iptables (legacy) ${r.table} ${r.chain} rule ${r.position}`, text, conditions, verdict, deleteCommand: `${r.command}${tableFlag(r.table)} -D ${r.chain} ${text}` };
}

function tableFlag(table: string): string {
  return table === 'filter' ? '' : ` -t ${table}`;
}

/** Whether the option holds for the datagram; null when doctor cannot tell. */
function judge(option: string, values: string[], port: number): boolean | null {
  const value = values[0] ?? '';
  switch (option) {
    case '-p':
    case '--protocol':
      return ['udp', '17', 'all', '0'].includes(value.toLowerCase());
    case '--dport':
    case '--destination-port':
    case '--dports':
    case '--destination-ports':
      return value.split(',').some((part) => {
        const [low, high = low] = part.split(':').map(Number);
        return low! <= port && port <= high!;
      });
    case '--ctstate':
    case '--state':
      return value.split(',').includes('NEW');
    default:
      return null;
  }
}

/** Splits a rule line into words, keeping "quoted strings" whole. */
function tokenize(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}
