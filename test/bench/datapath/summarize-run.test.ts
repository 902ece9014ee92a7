// A run directory (as a map of files) to its record: which figures a userspace forwarder and
// a kernel path get, what a death or a failed start records.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedRun, summarizeRun, type RawRun } from './summarize-run.js';

function rawRun(files: Record<string, string>, logs: Record<string, string> = {}): RawRun {
  return { read: (file) => files[file], logs: new Map(Object.entries(logs)) };
}

const stat = 'stat=cpu,0,0,0,0,0,0,0,0,0,0';
const tcp1Json = JSON.stringify({ end: { sum_sent: { retransmits: 3 }, sum_received: { bytes: 1.25e9, bits_per_second: 1e9, seconds: 10 } } });
const agents = {
  'pids.desc': '100 bn-dp-node1 controller node tunctl.js controller\n101 bn-dp-node1 agent1 node tunctl.js agent\n102 bn-dp-node2 agent2 node tunctl.js agent\n',
  'accounted-pids.txt': '101 102 \n',
  'tcp1.json': tcp1Json,
  'cpu.txt': `tcp1-start fw_ticks=0 fw_utime=0 fw_stime=0 ${stat} t=0\ntcp1-end fw_ticks=400 fw_utime=100 fw_stime=300 ${stat} t=10\n`,
  'rss.txt': '101 65536 60000\n102 131072 120000\n',
  'desc.txt': 'tunctl: controller + 2 agents\n',
};

test('a userspace forwarder: throughput, CPU of the accounted processes, Gbit per CPU-s, peak RSS', () => {
  const record = summarizeRun(rawRun(agents), 'tunctl', 2);
  assert.equal(record.failed, false);
  assert.deepEqual(record.errors, []);
  assert.equal(record.desc, 'tunctl: controller + 2 agents');
  assert.deepEqual(record.accounted, ['101 agent1', '102 agent2']);
  assert.equal(record.metrics.tcp1_gbps, 1);
  assert.equal(record.metrics.tcp1_retransmits, 3);
  assert.equal(record.metrics.tcp1_cpu_s, 4);
  // 10 Gbit received over 4 CPU-s
  assert.equal(record.metrics.tcp1_gbit_per_cpu_s, 2.5);
  assert.equal(record.metrics.rss_peak_mib, 128);
  assert.equal(record.metrics.rss_peak_sum_mib, 192);
  // tests that did not run leave no figure and no error
  assert.equal(record.metrics.tcp4_gbps, undefined);
});

test('a kernel path has no CPU or RSS figures, and no complaint about them', () => {
  const record = summarizeRun(rawRun({ KERNEL_FW: '', 'tcp1.json': tcp1Json, 'cpu.txt': agents['cpu.txt'] }), 'direct', 1);
  assert.equal(record.kernel, true);
  assert.equal(record.metrics.tcp1_gbps, 1);
  assert.equal(record.metrics.tcp1_cpu_s, undefined);
  assert.equal(record.metrics.rss_peak_mib, undefined);
  assert.deepEqual(record.errors, []);
});

test('a test without output and a forwarder that died are errors of the run, figures kept', () => {
  const files = { ...agents, 'tcp4.json': '', FW_DIED: 'agent2\n' };
  const record = summarizeRun(rawRun(files, { agent2: 'worker crashed: Error: EBADF\nstack...' }), 'tunctl', 1);
  assert.equal(record.failed, false);
  assert.equal(record.metrics.tcp1_gbps, 1);
  assert.deepEqual(record.errors, ['tcp4: no output', 'died during the measurement: agent2 exited: worker crashed: Error: EBADF']);
});

test('a failed start records the stage and one note per reason from the dead processes\' logs', () => {
  const refusal = "tunctl agent: Unknown option '--workers'.\n\nusage: tunctl agent ...\n";
  const raw = rawRun({ 'dead.txt': 'agent1\nagent2\n', 'desc.txt': 'tunctl: controller + 2 agents (--workers 1)\n' }, { agent1: refusal, agent2: refusal, controller: 'serving' });
  const record = failedRun(raw, 'tunctl-1w', 3, 'fw_up', '1');
  assert.equal(record.failed, true);
  assert.equal(record.rep, 3);
  assert.equal(record.desc, 'tunctl: controller + 2 agents (--workers 1)');
  assert.deepEqual(record.errors, ["failed at stage fw_up (rc=1): agent1, agent2 exited: tunctl agent: Unknown option '--workers'."]);
  assert.deepEqual(record.metrics, {});
  assert.deepEqual(failedRun(rawRun({}), 'socat', 1, 'connectivity', '1').errors, ['failed at stage connectivity (rc=1)']);
});
