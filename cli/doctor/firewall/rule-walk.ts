// Firewall rules as doctor reads them, from nftables or legacy iptables, and the walk of one
// datagram to the agent's UDP port through the chains on its way in. Each rule's conditions
// were judged for that datagram when the rules were read: it holds, it fails, or doctor
// cannot tell (then the condition's text stands in for it).

export type Condition = boolean | string;

export type Verdict = { readonly kind: 'accept' | 'drop' | 'reject' | 'return' } | { readonly kind: 'jump' | 'goto'; readonly chain: string };

export interface Rule {
  /** Where it is, e.g. "nftables inet filter input handle 6". */
  readonly where: string;
  /** The rule as its tool shows it (enough to recognise it). */
  readonly text: string;
  readonly conditions: readonly Condition[];
  /** null: a rule that decides nothing (counter, log, ...). */
  readonly verdict: Verdict | null;
  readonly deleteCommand: string;
}

export interface Chain {
  /** Unique among the chains of one walk; jumps name chains by it. */
  readonly key: string;
  /** e.g. "nftables chain inet filter input". */
  readonly where: string;
  /** Hooked into the input path (input, prerouting, ingress); others run only when jumped to. */
  readonly base: boolean;
  readonly policy: 'accept' | 'drop';
  readonly rules: readonly Rule[];
  /** The command that lets the datagram through a base chain whose policy drops it. */
  readonly acceptCommand: string;
  /** Conditions every packet in the chain has already met (e.g. a netdev chain's device). */
  readonly entry: readonly string[];
}

export interface Drop {
  readonly where: string;
  readonly text: string;
  /** The command that removes the drop (delete the rule, or accept the port before the policy). */
  readonly fix: string;
  /** Empty for a certain drop; else what must also be true for it to drop (conditions doctor cannot judge, or earlier conditional accepts it must miss). */
  readonly unless: readonly string[];
}

/** The drops every base chain holds for the datagram: certain ones (unless empty) and possible ones. */
export function findDrops(chains: readonly Chain[]): Drop[] {
  const byKey = new Map(chains.map((c) => [c.key, c]));
  const drops: Drop[] = [];
  for (const base of chains.filter((c) => c.base)) {
    const walk = new Walk(byKey, drops);
    const outcome = walk.chain(base, [...base.entry], 0);
    if (outcome === 'continue' && base.policy === 'drop') {
      const unless = [...base.entry, ...walk.acceptedIf.map((a) => `not accepted by ${a}`)];
      drops.push({ where: base.where, text: 'policy drop', fix: base.acceptCommand, unless });
    }
  }
  return drops;
}

type Outcome = 'accept' | 'drop' | 'continue';

/** Jumps deeper than this are a loop or a ruleset doctor does not need to follow. */
const MAX_DEPTH = 16;

class Walk {
  /** Rules that accept the datagram under conditions doctor cannot judge, seen so far. */
  readonly acceptedIf: string[] = [];
  private readonly byKey: Map<string, Chain>;
  private readonly drops: Drop[];

  constructor(byKey: Map<string, Chain>, drops: Drop[]) {
    this.byKey = byKey;
    this.drops = drops;
  }

  /** `path`: the conditions doctor could not judge on the way here (empty: every datagram gets here). */
  chain(chain: Chain, path: readonly string[], depth: number): Outcome {
    if (depth > MAX_DEPTH) return 'continue';
    for (const rule of chain.rules) {
      if (rule.conditions.includes(false) || rule.verdict === null) continue;
      const unknown = rule.conditions.filter((c): c is string => typeof c === 'string');
      const conditions = [...path, ...unknown];
      const sure = unknown.length === 0;
      switch (rule.verdict.kind) {
        case 'accept':
          if (conditions.length > 0) this.acceptedIf.push(`${rule.where} (${rule.text})`);
          if (sure) return 'accept';
          break;
        case 'drop':
        case 'reject': {
          const unless = [...conditions, ...this.acceptedIf.map((a) => `not accepted by ${a}`)];
          this.drops.push({ where: rule.where, text: rule.text, fix: rule.deleteCommand, unless });
          if (sure) return 'drop';
          break;
        }
        case 'return':
          if (sure) return 'continue';
          break;
        case 'jump':
        case 'goto': {
          const target = this.byKey.get(rule.verdict.chain);
          const outcome = target ? this.chain(target, conditions, depth + 1) : 'continue';
          if (sure && (outcome !== 'continue' || rule.verdict.kind === 'goto')) return outcome;
          break;
        }
      }
    }
    return 'continue';
  }
}
