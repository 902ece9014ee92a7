// The raw-output parsers of the data-path bench, on outputs shaped like ping's, iperf3 3.12's
// and the harness's own, with figures worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuBetween, parseCpuMarks, parseIperfTcp, parseIperfUdp, parsePing, parseRss, tellingLogLine } from './raw-parse.js';

const pingLine = (seq: number, ms: number) => `64 bytes from 10.244.2.2: icmp_seq=${seq} ttl=62 time=${ms} ms`;

test('ping: min, avg and nearest-rank p99 from the per-packet lines, loss from the summary', () => {
  // 200 sent, 198 answered with 0.101 .. 0.298 ms (in reverse order: the parser must sort)
  const rtts = Array.from({ length: 198 }, (_, i) => Math.round((0.298 - i * 0.001) * 1000) / 1000);
  const text = [
    'PING 10.244.2.2 (10.244.2.2) 56(84) bytes of data.',
    ...rtts.map((ms, i) => pingLine(i + 1, ms)),
    '',
    '--- 10.244.2.2 ping statistics ---',
    '200 packets transmitted, 198 received, 1% packet loss, time 2390ms',
    'rtt min/avg/max/mdev = 0.101/0.199/0.298/0.050 ms',
  ].join('\n');
  const ping = parsePing(text)!;
  assert.equal(ping.received, 198);
  assert.equal(ping.sent, 200);
  assert.equal(ping.lossPct, 1);
  assert.equal(ping.minMs, 0.101);
  assert.equal(ping.maxMs, 0.298);
  // rank ceil(0.99 * 198) = 197 of 0.101 .. 0.298
  assert.equal(ping.p99Ms, 0.297);
  assert.ok(Math.abs(ping.avgMs - 0.1995) < 1e-9);
  assert.equal(parsePing('connect: Network is unreachable\n'), undefined);
});

test('iperf3 TCP: the receiver sum, and errors instead of figures', () => {
  const doc = { end: { sum_sent: { bytes: 3e9, bits_per_second: 2.4e9, retransmits: 7 }, sum_received: { bytes: 2.5e9, bits_per_second: 2e9, seconds: 10 } } };
  const tcp = parseIperfTcp(JSON.stringify(doc));
  assert.deepEqual(tcp, { ok: true, value: { gbps: 2, gbit: 20, retransmits: 7 } });
  assert.deepEqual(parseIperfTcp(JSON.stringify({ start: {}, error: 'unable to connect to server: Connection refused' })), {
    ok: false,
    error: 'iperf3: unable to connect to server: Connection refused',
  });
  assert.deepEqual(parseIperfTcp(''), { ok: false, error: 'no output' });
  assert.deepEqual(parseIperfTcp('{"start": {'), { ok: false, error: 'unparsable iperf3 JSON' });
});

test('iperf3 UDP: offered rate from the sender, delivered and loss from the receiver', () => {
  const doc = {
    end: {
      sum_sent: { seconds: 10, packets: 1_000_000, lost_packets: 0, lost_percent: 0 },
      // the receiver counts every sequence number it saw the end of, lost ones included
      sum_received: { seconds: 10, packets: 1_000_000, lost_packets: 400_000, lost_percent: 40 },
    },
  };
  const udp = parseIperfUdp(JSON.stringify(doc));
  assert.deepEqual(udp, { ok: true, value: { sentPps: 100_000, deliveredPps: 60_000, lossPct: 40 } });
  assert.equal(parseIperfUdp(JSON.stringify({ end: { sum: { packets: 5 } } })).ok, false);
});

test('CPU marks: forwarder seconds between marks, none when an accounted process had exited', () => {
  const stat = (user: number, system: number, idle: number) => `cpu,${user},0,${system},${idle},0,0,0,0,0,0`;
  const text = [
    `tcp1-start fw_ticks=1000 fw_utime=600 fw_stime=400 stat=${stat(100, 100, 800)} t=1.0`,
    `tcp1-end fw_ticks=1250 fw_utime=700 fw_stime=550 stat=${stat(250, 250, 900)} t=4.0`,
    'dead 4242',
    `udp64-start fw_ticks=1300 fw_utime=720 fw_stime=580 stat=${stat(300, 300, 1000)} t=5.0`,
    `udp64-end fw_ticks=1400 fw_utime=760 fw_stime=640 stat=${stat(400, 400, 1000)} t=8.0`,
  ].join('\n');
  const marks = parseCpuMarks(text);
  const tcp1 = cpuBetween(marks, 'tcp1', 100)!;
  assert.equal(tcp1.fwSeconds, 2.5);
  assert.equal(tcp1.fwUserSeconds, 1);
  // 300 busy ticks of 400
  assert.equal(tcp1.machineBusyPct, 75);
  const udp = cpuBetween(marks, 'udp64', 100)!;
  assert.equal(udp.fwSeconds, undefined);
  assert.equal(udp.machineBusyPct, 100);
  assert.equal(cpuBetween(marks, 'tcp4', 100), undefined);
});

test('peak RSS: the largest VmHWM and the sum over the accounted processes', () => {
  assert.deepEqual(parseRss('101 51200 40000\n102 102400 90000\n'), { peakKib: 102400, sumKib: 153600, processes: 2 });
  assert.equal(parseRss(''), undefined);
});

test('the telling log line: the error before a usage text, else the last line', () => {
  const usage = ["tunctl agent: Unknown option '--workers'.", '', 'usage: tunctl agent [--join-token TOKEN]', '  --tun NAME  TUN device name'].join('\n');
  assert.equal(tellingLogLine(usage), "tunctl agent: Unknown option '--workers'.");
  assert.equal(tellingLogLine('starting\nlistening on 7000\n\n'), 'listening on 7000');
  assert.equal(tellingLogLine(''), undefined);
  assert.equal(tellingLogLine(`fatal: ${'x'.repeat(500)}`)!.length, 240);
});
