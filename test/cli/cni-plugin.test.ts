// The CNI plugin's logic against a scripted agent: results, errors and their CNI codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { AgentCallError } from '../../cli/agent-client.js';
import { CniError, cniErrorJson, runCni, type AgentCall } from '../../cli/cni-plugin.js';

const CONF = JSON.stringify({ cniVersion: '1.0.0', name: 'tunctl', type: 'tunctl-cni', agentSocket: '/tmp/agent.sock' });
const ENV = { CNI_CONTAINERID: 'c0ffee', CNI_NETNS: '/var/run/netns/pod1', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };
const CONTAINER = {
  netns: '/var/run/netns/pod1',
  ifname: 'eth0',
  address: '10.244.3.2/24',
  gateway: '10.244.3.1',
  hostInterface: 'tc0123456789a',
  mtu: 1472,
  containerId: 'c0ffee',
  state: 'STATE_ATTACHED',
};

/** An agent that records calls and answers from `answers` (or throws what it holds). */
function agent(answers: Record<string, unknown>): { call: AgentCall; calls: Array<{ socket: string; method: string; request: object }> } {
  const calls: Array<{ socket: string; method: string; request: object }> = [];
  const call = (async (socket: string, method: string, request: object) => {
    calls.push({ socket, method, request });
    const answer = answers[method];
    if (answer instanceof Error) throw answer;
    return answer;
  }) as AgentCall;
  return { call, calls };
}

async function cniError(p: Promise<unknown>): Promise<CniError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CniError, `a CniError, not ${String(err)}`);
    return err;
  }
  assert.fail('expected a CNI error');
}

test('cni VERSION lists the versions it speaks, without reading a configuration', async () => {
  const out = JSON.parse(await runCni({ env: { CNI_COMMAND: 'VERSION' }, stdin: '' }, agent({}).call)) as { cniVersion: string; supportedVersions: string[] };
  assert.equal(out.cniVersion, '1.0.0');
  assert.ok(out.supportedVersions.includes('1.0.0') && out.supportedVersions.includes('0.4.0'));
});

test('cni ADD attaches through the agent socket named in the configuration and returns the CNI result', async () => {
  const a = agent({ Attach: { container: CONTAINER } });
  const out = JSON.parse(await runCni({ env: { ...ENV, CNI_COMMAND: 'ADD' }, stdin: CONF }, a.call));
  assert.deepEqual(a.calls, [{ socket: '/tmp/agent.sock', method: 'Attach', request: { netns: '/var/run/netns/pod1', ifname: 'eth0', containerId: 'c0ffee' } }]);
  assert.deepEqual(out, {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'tc0123456789a' }, { name: 'eth0', sandbox: '/var/run/netns/pod1' }],
    ips: [{ address: '10.244.3.2/24', gateway: '10.244.3.1', interface: 1 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.244.3.1' }],
    dns: {},
  });
});

test('cni DEL detaches by container id, and succeeds when there is nothing to delete', async () => {
  const a = agent({ Detach: { container: CONTAINER } });
  assert.equal(await runCni({ env: { ...ENV, CNI_COMMAND: 'DEL', CNI_NETNS: '' }, stdin: CONF }, a.call), '');
  assert.deepEqual(a.calls[0]?.request, { containerId: 'c0ffee' });
  const gone = agent({ Detach: new AgentCallError(grpc.status.NOT_FOUND, 'no container with id c0ffee is attached to this node') });
  assert.equal(await runCni({ env: { ...ENV, CNI_COMMAND: 'DEL' }, stdin: CONF }, gone.call), '');
});

test('cni CHECK passes for an attached container and names what differs otherwise', async () => {
  const list = (c: object) => agent({ ListContainers: { containers: [c], subnet: '10.244.3.0/24', capacity: 253 } }).call;
  const env = { ...ENV, CNI_COMMAND: 'CHECK' };
  const withPrev = (address: string) => JSON.stringify({ ...JSON.parse(CONF), prevResult: { ips: [{ address }] } });
  assert.equal(await runCni({ env, stdin: withPrev('10.244.3.2/24') }, list(CONTAINER)), '');
  assert.equal((await cniError(runCni({ env, stdin: CONF }, list({ ...CONTAINER, containerId: 'other' })))).code, 3);
  const gone = await cniError(runCni({ env, stdin: CONF }, list({ ...CONTAINER, state: 'STATE_GONE' })));
  assert.equal(gone.code, 101);
  assert.match(gone.message, /gone: its veth no longer exists/);
  assert.match((await cniError(runCni({ env: { ...env, CNI_IFNAME: 'net1' }, stdin: CONF }, list(CONTAINER)))).message, /attached on eth0, not net1/);
  assert.match((await cniError(runCni({ env, stdin: withPrev('10.244.3.9/24') }, list(CONTAINER)))).message, /has 10\.244\.3\.2\/24, not 10\.244\.3\.9\/24/);
});

test('cni errors carry the spec codes: bad environment 4, undecodable stdin 6, bad config 7, unknown version 1, agent away 11', async () => {
  const call = agent({ Attach: new AgentCallError(grpc.status.UNAVAILABLE, 'cannot reach the agent') }).call;
  const codeOf = async (env: NodeJS.ProcessEnv, stdin: string) => (await cniError(runCni({ env, stdin }, call))).code;
  assert.equal(await codeOf({ ...ENV, CNI_COMMAND: 'FROB' }, CONF), 4);
  assert.equal(await codeOf({ ...ENV, CNI_COMMAND: 'ADD', CNI_CONTAINERID: '' }, CONF), 4);
  assert.equal(await codeOf({ ...ENV, CNI_COMMAND: 'ADD' }, '{not json'), 6);
  assert.equal(await codeOf({ ...ENV, CNI_COMMAND: 'ADD' }, '{"name":"x"}'), 7);
  assert.equal(await codeOf({ ...ENV, CNI_COMMAND: 'ADD' }, '{"cniVersion":"9.9.9"}'), 1);
  assert.equal(await codeOf({ ...ENV, CNI_COMMAND: 'ADD' }, CONF), 11);
  const refused = await cniError(runCni({ env: { ...ENV, CNI_COMMAND: 'ADD' }, stdin: CONF }, agent({ Attach: new AgentCallError(grpc.status.RESOURCE_EXHAUSTED, 'no free address in 10.244.3.0/24') }).call));
  assert.equal(refused.code, 100);
  assert.deepEqual(JSON.parse(cniErrorJson(refused)), { cniVersion: '1.0.0', code: 100, msg: 'no free address in 10.244.3.0/24' });
});
