// The firewall check fed real rulesets (as `nft -j list ruleset` and `iptables-save` print
// them): rules and policies that drop UDP to the agent's port fail with the command that
// removes them; conditional ones warn; rules for other traffic stay quiet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateFirewall } from '../../../cli/doctor/checks/firewall-check.js';
import type { Finding } from '../../../cli/doctor/finding.js';

const PORT = 7000;

/** A ruleset with one inet table: its input chain (policy as given) and the rules' statements, handles from 10. */
function nft(policy: 'accept' | 'drop', ...rules: object[][]): string {
  return JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'filter', handle: 1 } },
      { set: { family: 'inet', name: 'ports', table: 'filter', type: 'inet_service', handle: 3, flags: ['interval'], elem: [{ range: [6000, 8000] }, 9000] } },
      { chain: { family: 'inet', table: 'filter', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy } },
      { chain: { family: 'inet', table: 'filter', name: 'sub', handle: 2 } },
      ...rules.map((expr, i) => ({ rule: { family: 'inet', table: 'filter', chain: 'input', handle: 10 + i, expr } })),
      { rule: { family: 'inet', table: 'filter', chain: 'sub', handle: 90, expr: [DPORT_7000, { reject: { type: 'icmp', expr: 'port-unreachable' } }] } },
    ],
  });
}

const DPORT_7000 = { match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: 7000 } };
const TCP_22 = { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } };
const L4_UDP = { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'udp' } };
const ESTABLISHED = { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } };
const FROM_LAN = { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '192.168.77.0', len: 24 } } } };
const COUNTER = { counter: { packets: 0, bytes: 0 } };

function check(nftText: string | null, iptables: string | null = null): Finding[] {
  return evaluateFirewall({
    udpPort: PORT,
    nft: nftText === null ? { unavailable: 'cannot run "nft": not found' } : { text: nftText },
    legacyIptables: iptables === null ? { unavailable: 'no legacy iptables on this host' } : { text: iptables, command: 'iptables-legacy' },
  });
}

test('firewall: rules for other traffic, or accepting the port, are ok', () => {
  const quiet = check(nft('accept', [TCP_22, { drop: null }], [{ match: { ...DPORT_7000.match, op: '!=' } }, { drop: null }]));
  assert.deepEqual(quiet.map((f) => [f.level, f.message]), [['ok', 'nothing drops udp/7000 (nftables, 1 input chain)']]);
  const accepted = check(nft('drop', [ESTABLISHED, { accept: null }], [DPORT_7000, COUNTER, { accept: null }], [L4_UDP, { drop: null }]));
  assert.equal(accepted[0]!.level, 'ok', 'an accept for the port ends the chain before the drop and the policy');
  assert.equal(check(JSON.stringify({ nftables: [] }))[0]!.level, 'ok');
});

test('firewall: a rule dropping or rejecting the port fails with nft delete rule', () => {
  const cases: object[][] = [
    [DPORT_7000, COUNTER, { drop: null }],
    [{ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: { set: [{ range: [6000, 8000] }, 9999] } } }, { reject: { type: 'icmpx', expr: 'port-unreachable' } }],
    [{ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: '@ports' } }, { drop: null }],
    [L4_UDP, { drop: null }],
    [{ match: { op: '==', left: { payload: { protocol: 'th', field: 'dport' } }, right: 7000 } }, { drop: null }],
    [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'protocol' } }, right: 'udp' } }, { drop: null }],
    [{ jump: { target: 'sub' } }],
    // iptables-nft's `-p udp --dport 7000 -j REJECT`, as nft 1.0.6 shows it.
    [DPORT_7000, COUNTER, { xt: { type: 'target', name: 'REJECT' } }],
  ];
  for (const rule of cases) {
    const findings = check(nft('accept', [TCP_22, { accept: null }], rule));
    assert.equal(findings.length, 1, JSON.stringify(rule));
    const [f] = findings;
    assert.equal(f!.level, 'fail', JSON.stringify(rule));
    assert.match(f!.message, /^nftables inet filter (input handle 11|sub handle 90) \(.*\) drops UDP to port 7000: peers' packets never reach the agent/);
    assert.match(f!.fix, /^nft delete rule inet filter (input handle 11|sub handle 90)$/);
  }
  assert.match(check(nft('accept', [DPORT_7000, COUNTER, { drop: null }]))[0]!.message, /\(udp dport 7000 drop\)/, 'the rule is shown as nft writes it');
});

test('firewall: policy drop without an accept for the port fails with the accept to insert; established-only does not count', () => {
  const [f] = check(nft('drop', [ESTABLISHED, { accept: null }], [TCP_22, { accept: null }]));
  assert.equal(f!.level, 'fail');
  assert.match(f!.message, /^nftables chain inet filter input drops UDP to port 7000 by its policy \(no rule accepts it first\)/);
  assert.equal(f!.fix, 'nft insert rule inet filter input udp dport 7000 accept');
});

test('firewall: drops under conditions doctor cannot judge warn, naming them', () => {
  const [f] = check(nft('accept', [FROM_LAN, DPORT_7000, { drop: null }]));
  assert.equal(f!.level, 'warn');
  assert.match(f!.message, /handle 10 \(ip saddr 192\.168\.77\.0\/24 udp dport 7000 drop\) drops UDP to port 7000 when ip saddr 192\.168\.77\.0\/24/);
  const [x] = check(nft('accept', [{ xt: { type: 'match', name: 'set' } }, DPORT_7000, { drop: null }]));
  assert.equal(x!.level, 'warn', 'an iptables-nft match nft cannot translate');
  assert.match(x!.message, /when xt set/);
  const [g] = check(nft('drop', [FROM_LAN, { accept: null }]));
  assert.equal(g!.level, 'warn', 'a policy drop after a conditional accept');
  assert.match(g!.message, /by its policy .* when not accepted by nftables inet filter input handle 10 \(ip saddr 192\.168\.77\.0\/24 accept\)/);
});

test('firewall: legacy iptables rules and policies are read from iptables-save', () => {
  const save = (input: string, ...rules: string[]) =>
    ['# Generated by iptables-save v1.8.9 on Thu Nov 26 08:00:00 2026', '*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', 'COMMIT', '*filter', `:INPUT ${input} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':SUB - [0:0]', ...rules, 'COMMIT', ''].join('\n');
  assert.equal(check(null, save('ACCEPT', '-A INPUT -p tcp -m tcp --dport 22 -j DROP', '-A INPUT -p udp -m udp ! --dport 7000 -j DROP'))[0]!.level, 'ok');

  const [drop] = check(null, save('ACCEPT', '-A INPUT -p udp -m udp --dport 7000 -m comment --comment "no tunnels" -j DROP'));
  assert.equal(drop!.level, 'fail');
  assert.match(drop!.message, /^iptables \(legacy\) filter INPUT rule 1 \(-p udp -m udp --dport 7000 -m comment --comment "no tunnels" -j DROP\) drops UDP to port 7000/);
  assert.equal(drop!.fix, 'iptables-legacy -D INPUT -p udp -m udp --dport 7000 -m comment --comment "no tunnels" -j DROP');

  const [multiport] = check(null, save('ACCEPT', '-A INPUT -j SUB', '-A SUB -p udp -m multiport --dports 53,6000:8000 -j REJECT --reject-with icmp-port-unreachable'));
  assert.equal(multiport!.level, 'fail');
  assert.match(multiport!.fix, /^iptables-legacy -D SUB -p udp -m multiport --dports 53,6000:8000 -j REJECT/);

  const [policy] = check(null, save('DROP', '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -p tcp --dport 22 -j ACCEPT'));
  assert.equal(policy!.level, 'fail');
  assert.equal(policy!.fix, 'iptables-legacy -I INPUT -p udp --dport 7000 -j ACCEPT');
  assert.equal(check(null, save('DROP', '-A INPUT -p udp --dport 7000 -j ACCEPT'))[0]!.level, 'ok');
  const [source] = check(null, save('ACCEPT', '-A INPUT -s 192.168.77.2/32 -p udp --dport 7000 -j DROP'));
  assert.equal(source!.level, 'warn');
  assert.match(source!.message, /when -s 192\.168\.77\.2\/32/);
});

test('firewall: nothing readable is a skip naming why', () => {
  const [f] = check(null);
  assert.equal(f!.level, 'skip');
  assert.match(f!.message, /not checked: the nftables ruleset cannot be read \(cannot run "nft": not found\)/);
});
