import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCidr, parseCidr, type Ipv4Cidr } from '../../../common/cidr.js';
import { MemoryLogger } from '../../../common/logger.js';
import { FakeRouteInstaller } from '../../../node-agent/routes/fake-route-installer.js';
import { IpRouteInstaller } from '../../../node-agent/routes/ip-route-installer.js';
import type { RouteChange, RouteInstaller } from '../../../node-agent/routes/route-installer.js';
import { RouteReconciler, runRouteReconcileLoop } from '../../../node-agent/routes/route-reconciler.js';
import { labFor, netnsTestOptions, waitFor } from '../../netns/netns.js';

const c = (text: string): Ipv4Cidr => parseCidr(text);
const cs = (...texts: string[]): Ipv4Cidr[] => texts.map(c);
const texts = (cidrs: readonly Ipv4Cidr[]): string[] => cidrs.map(formatCidr).sort();
// Only setDesired() can wake a loop with this interval within a test's lifetime.
const NEVER_MS = 3_600_000;

function setup(): { fake: FakeRouteInstaller; logger: MemoryLogger; reconciler: RouteReconciler } {
  const fake = new FakeRouteInstaller();
  fake.addDevice('tun0');
  const logger = new MemoryLogger();
  return { fake, logger, reconciler: new RouteReconciler({ installer: fake, dev: 'tun0', logger }) };
}

/** Starts a loop and guarantees it is stopped (and has returned) when the test ends. */
function startLoop(t: { after(fn: () => Promise<void>): void }, reconciler: RouteReconciler, logger: MemoryLogger, intervalMs: number) {
  const controller = new AbortController();
  const done = runRouteReconcileLoop(reconciler, { intervalMs, signal: controller.signal, logger });
  t.after(async () => {
    controller.abort();
    await done;
  });
  return { controller, done };
}

/** Wraps an installer: counts calls, tracks concurrency, and can hold apply() until released. */
class GatedInstaller implements RouteInstaller {
  listCalls = 0;
  applyCalls = 0;
  inFlight = 0;
  maxInFlight = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private readonly inner: RouteInstaller;
  constructor(inner: RouteInstaller) {
    this.inner = inner;
  }
  hold(): void {
    this.gate = new Promise((resolve) => { this.openGate = resolve; });
  }
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }
  async list(dev: string): Promise<Ipv4Cidr[]> {
    this.listCalls++;
    return this.track(() => this.inner.list(dev));
  }
  async apply(dev: string, change: RouteChange): Promise<void> {
    this.applyCalls++;
    return this.track(async () => {
      if (this.gate) await this.gate;
      await this.inner.apply(dev, change);
    });
  }
  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }
}

test('reconcileOnce installs the desired set, returns and logs the change', async () => {
  const { fake, logger, reconciler } = setup();
  reconciler.setDesired(cs('10.244.2.0/24', '10.244.1.0/24', '10.244.2.0/24'));
  assert.deepEqual(texts(reconciler.desired()), ['10.244.1.0/24', '10.244.2.0/24']);
  const change = await reconciler.reconcileOnce();
  assert.deepEqual(texts(change.add), ['10.244.1.0/24', '10.244.2.0/24']);
  assert.deepEqual(change.remove, []);
  assert.deepEqual(texts(await fake.list('tun0')), ['10.244.1.0/24', '10.244.2.0/24']);
  const line = logger.lines.find((l) => l.includes('routes reconciled'));
  assert.ok(line, logger.lines.join('\n'));
  assert.match(line, /added=2 removed=0 add=10\.244\.1\.0\/24,10\.244\.2\.0\/24/);
  assert.deepEqual(await reconciler.reconcileOnce(), { add: [], remove: [] });
  assert.equal(fake.applyCalls, 1, 'a round with nothing to change applies nothing');
});

test('a route deleted behind its back is re-added by the next round', async (t) => {
  const { fake, logger, reconciler } = setup();
  reconciler.setDesired(cs('10.244.1.0/24', '10.244.2.0/24'));
  startLoop(t, reconciler, logger, 10);
  await waitFor('routes installed', async () => (await fake.list('tun0')).length === 2);
  assert.equal(fake.deleteRouteBehindBack(c('10.244.2.0/24')), true);
  await waitFor('route re-added', async () => texts(await fake.list('tun0')).includes('10.244.2.0/24'));
  assert.ok(logger.lines.some((l) => /routes reconciled .*added=1 removed=0 add=10\.244\.2\.0\/24/.test(l)), logger.lines.join('\n'));
});

test('a foreign route on the device is left alone', async () => {
  const { fake, reconciler } = setup();
  fake.addForeignRoute('tun0', c('10.9.0.0/24'));
  reconciler.setDesired(cs('10.244.1.0/24'));
  const change = await reconciler.reconcileOnce();
  assert.deepEqual(change.remove, []);
  assert.deepEqual(fake.allRoutes().map((r) => `${formatCidr(r.cidr)} ${r.proto}`), ['10.9.0.0/24 boot', '10.244.1.0/24 147']);
});

test('removing a peer from the desired set removes its route at once', async (t) => {
  const { fake, logger, reconciler } = setup();
  reconciler.setDesired(cs('10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'));
  startLoop(t, reconciler, logger, NEVER_MS);
  await waitFor('routes installed', async () => (await fake.list('tun0')).length === 3);
  reconciler.setDesired(cs('10.244.1.0/24', '10.244.3.0/24'));
  await waitFor('route removed', async () => !texts(await fake.list('tun0')).includes('10.244.2.0/24'));
  assert.deepEqual(texts(await fake.list('tun0')), ['10.244.1.0/24', '10.244.3.0/24']);
});

test('a burst of setDesired during a round coalesces into one follow-up round', async (t) => {
  const fake = new FakeRouteInstaller();
  fake.addDevice('tun0');
  const gated = new GatedInstaller(fake);
  const logger = new MemoryLogger();
  const reconciler = new RouteReconciler({ installer: gated, dev: 'tun0', logger });
  gated.hold();
  reconciler.setDesired(cs('10.244.1.0/24'));
  startLoop(t, reconciler, logger, NEVER_MS);
  await waitFor('first apply in flight', () => gated.applyCalls === 1);
  reconciler.setDesired(cs('10.244.2.0/24'));
  reconciler.setDesired(cs('10.244.3.0/24'));
  reconciler.setDesired(cs('10.244.4.0/24'));
  gated.release();
  await waitFor('last desired set installed', async () => texts(await fake.list('tun0')).join() === '10.244.4.0/24');
  assert.equal(gated.listCalls, 2, 'one round, then exactly one follow-up');
  assert.equal(gated.applyCalls, 2);
});

test('rounds never overlap: concurrent reconcileOnce and removeAll are serialized', async () => {
  const fake = new FakeRouteInstaller();
  fake.addDevice('tun0');
  const gated = new GatedInstaller(fake);
  const reconciler = new RouteReconciler({ installer: gated, dev: 'tun0', logger: new MemoryLogger() });
  reconciler.setDesired(cs('10.244.1.0/24'));
  gated.hold();
  const first = reconciler.reconcileOnce();
  await waitFor('first apply in flight', () => gated.applyCalls === 1);
  const second = reconciler.removeAll();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(gated.listCalls, 1, 'the second round waits for the first');
  gated.release();
  await first;
  assert.deepEqual(texts((await second).remove), ['10.244.1.0/24']);
  assert.equal(gated.maxInFlight, 1);
  assert.deepEqual(await fake.list('tun0'), []);
});

test('removeAll clears only our routes and empties the desired set', async () => {
  const { fake, reconciler } = setup();
  fake.addDevice('eth0');
  fake.addForeignRoute('tun0', c('10.9.0.0/24'));
  await fake.apply('eth0', { add: cs('10.244.9.0/24'), remove: [] });
  reconciler.setDesired(cs('10.244.1.0/24', '10.244.2.0/24'));
  await reconciler.reconcileOnce();
  const change = await reconciler.removeAll();
  assert.deepEqual(texts(change.remove), ['10.244.1.0/24', '10.244.2.0/24']);
  assert.deepEqual(reconciler.desired(), []);
  assert.deepEqual(fake.allRoutes().map((r) => `${formatCidr(r.cidr)} ${r.dev} ${r.proto}`), ['10.9.0.0/24 tun0 boot', '10.244.9.0/24 eth0 147']);
});

test('an apply that fails is logged and retried on the next round', async (t) => {
  const { fake, logger, reconciler } = setup();
  fake.failNextApply(new Error('RTNETLINK answers: injected failure'));
  reconciler.setDesired(cs('10.244.1.0/24'));
  startLoop(t, reconciler, logger, 10);
  await waitFor('route installed after retry', async () => (await fake.list('tun0')).length === 1);
  assert.ok(fake.applyCalls >= 2);
  assert.ok(logger.lines.some((l) => l.includes('WARN') && l.includes('route reconcile failed') && l.includes('injected failure')), logger.lines.join('\n'));
  await waitFor('recovery logged', () => logger.lines.some((l) => l.includes('route reconcile recovered')));
});

test('a missing device does not stop the loop; routes arrive once the device exists', async (t) => {
  const fake = new FakeRouteInstaller();
  const logger = new MemoryLogger();
  const reconciler = new RouteReconciler({ installer: fake, dev: 'tun0', logger });
  reconciler.setDesired(cs('10.244.1.0/24'));
  startLoop(t, reconciler, logger, 10);
  await waitFor('failure logged', () => logger.lines.some((l) => l.includes('route reconcile failed') && l.includes('tun0')));
  fake.addDevice('tun0');
  await waitFor('route installed', async () => (await fake.list('tun0')).length === 1);
});

test('the loop stops on abort and stops listening', async () => {
  const { fake, logger, reconciler } = setup();
  const controller = new AbortController();
  reconciler.setDesired(cs('10.244.1.0/24'));
  const done = runRouteReconcileLoop(reconciler, { intervalMs: NEVER_MS, signal: controller.signal, logger });
  await waitFor('route installed', async () => (await fake.list('tun0')).length === 1);
  controller.abort();
  await done;
  const calls = fake.applyCalls;
  reconciler.setDesired(cs('10.244.1.0/24', '10.244.2.0/24'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fake.applyCalls, calls, 'no round after the loop returned');
  assert.deepEqual(texts(await fake.list('tun0')), ['10.244.1.0/24']);
});

test('a loop started with an already-aborted signal returns without touching routes', async () => {
  const { fake, logger, reconciler } = setup();
  reconciler.setDesired(cs('10.244.1.0/24'));
  await runRouteReconcileLoop(reconciler, { intervalMs: 10, signal: AbortSignal.abort(), logger });
  assert.equal(fake.applyCalls, 0);
});

test('with the real installer in a namespace, a route deleted with ip route del comes back', netnsTestOptions(), async (t) => {
  const lab = labFor(t, 'rr');
  const ns = await lab.addNamespace('rec');
  await lab.exec(ns, 'ip', ['tuntap', 'add', 'mode', 'tun', 'name', 'tun0']);
  await lab.exec(ns, 'ip', ['link', 'set', 'tun0', 'up']);
  await lab.exec(ns, 'ip', ['route', 'add', '10.9.0.0/24', 'dev', 'tun0']);
  const installer = new IpRouteInstaller({ netns: ns });
  const logger = new MemoryLogger();
  const reconciler = new RouteReconciler({ installer, dev: 'tun0', logger });
  reconciler.setDesired(cs('10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'));
  const { controller, done } = startLoop(t, reconciler, logger, 50);
  await waitFor('routes installed', async () => (await installer.list('tun0')).length === 3);
  await lab.exec(ns, 'ip', ['route', 'del', '10.244.2.0/24', 'dev', 'tun0']);
  await waitFor('route re-added', async () => texts(await installer.list('tun0')).includes('10.244.2.0/24'));
  controller.abort();
  await done;
  await reconciler.removeAll();
  const { stdout } = await lab.exec(ns, 'ip', ['-json', '-4', 'route', 'show', 'table', 'main', 'dev', 'tun0']);
  assert.deepEqual((JSON.parse(stdout) as Array<{ dst: string }>).map((r) => r.dst), ['10.9.0.0/24']);
});
