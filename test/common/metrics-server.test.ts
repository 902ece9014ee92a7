// The metrics endpoint over real HTTP on loopback: the three paths, what /readyz says as
// readiness changes, a render that fails, methods and paths it does not serve, and the
// refusals for a bad address or a port in use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryLogger } from '../../common/logger.js';
import { PROMETHEUS_CONTENT_TYPE, serveMetrics, type MetricsServer } from '../../common/metrics-server.js';

describe('metrics server', () => {
  let server: MetricsServer;
  let base = '';
  let ready = false;
  let render: () => Promise<string> = async () => '# HELP x_total X.\n# TYPE x_total counter\nx_total 3\n';
  const logger = new MemoryLogger();

  before(async () => {
    server = await serveMetrics('127.0.0.1:0', { render: () => render(), ready: () => ready }, logger);
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());

  test('/metrics serves what render() returns in the Prometheus text format', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE);
    assert.equal(await res.text(), '# HELP x_total X.\n# TYPE x_total counter\nx_total 3\n');
  });

  test('/healthz is 200 whatever the readiness; /readyz follows it on every request', async () => {
    ready = false;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    ready = true;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz?verbose`)).status, 200, 'a query string does not change the path');
    ready = false;
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
  });

  test('a render that throws answers 500 and logs why', async () => {
    render = async () => {
      throw new Error('store closed');
    };
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 500);
    assert.ok(logger.lines.some((l) => l.includes('cannot render metrics') && l.includes('store closed')), logger.lines.join('\n'));
  });

  test('other paths are 404, other methods 405; HEAD has no body', async () => {
    assert.equal((await fetch(`${base}/`)).status, 404);
    assert.equal((await fetch(`${base}/metricsx`)).status, 404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  test('a bad address or a port in use is refused with the flag to fix', async () => {
    await assert.rejects(serveMetrics('9464', { render, ready: () => true }, logger), /--metrics-listen must be host:port, like 127\.0\.0\.1:9464/);
    await assert.rejects(serveMetrics(`127.0.0.1:${server.port}`, { render, ready: () => true }, logger), /cannot serve metrics on 127\.0\.0\.1:\d+ \(EADDRINUSE\): choose another --metrics-listen/);
  });

  test('close() ends kept-alive connections and stops listening', async () => {
    const other = await serveMetrics('127.0.0.1:0', { render, ready: () => true }, logger);
    const url = `http://127.0.0.1:${other.port}/healthz`;
    assert.equal((await fetch(url)).status, 200);
    await other.close();
    await assert.rejects(fetch(url));
  });
});
