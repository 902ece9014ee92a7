// The opt-in HTTP endpoint of the controller and the agent (--metrics-listen): GET /metrics in
// the Prometheus text format, /healthz (200 while the process answers) and /readyz (200 while
// it serves, 503 before and while it stops). Plain HTTP without authentication, like most
// exporters: bind it to loopback or an internal address.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { splitTarget } from './controller-tls.js';
import { FailedPreconditionError } from './errors.js';
import type { Logger } from './logger.js';

/** Prometheus text exposition format 0.0.4, what prom-client's registry renders. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the endpoint serves: both are called on every request, so they read live state. */
export interface MetricsEndpoint {
  /** The exposition text, read for this scrape. */
  render(): Promise<string>;
  /** Whether /readyz answers 200. */
  ready(): boolean;
}

export interface MetricsServer {
  readonly port: number;
  /** Stops listening and ends open connections (scrapers keep theirs alive between scrapes). */
  close(): Promise<void>;
}

/** Checks a --metrics-listen value (host:port, port 0 picks one); throws with what to write instead. */
export function parseMetricsListen(listen: string): { host: string; port: number } {
  try {
    return splitTarget(listen, 0);
  } catch {
    throw new FailedPreconditionError(`--metrics-listen must be host:port, like 127.0.0.1:9464 (port 0 picks a free one), not ${JSON.stringify(listen)}`);
  }
}

export async function serveMetrics(listen: string, endpoint: MetricsEndpoint, logger: Logger): Promise<MetricsServer> {
  const { host, port } = parseMetricsListen(listen);
  const server = http.createServer((req, res) => {
    void answer(req, res, endpoint, logger);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new FailedPreconditionError(`cannot serve metrics on ${listen} (${err.code ?? err.message}): choose another --metrics-listen`));
    });
    server.listen({ host, port }, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info('metrics listening', { listen: `${host}:${bound}`, paths: '/metrics /healthz /readyz' });
  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse, endpoint: MetricsEndpoint, logger: Logger): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    reply(res, req, 405, 'only GET and HEAD are served\n', { Allow: 'GET, HEAD' });
    return;
  }
  switch (path) {
    case '/metrics': {
      let text: string;
      try {
        text = await endpoint.render();
      } catch (err) {
        logger.warn('cannot render metrics', { error: err instanceof Error ? err.message : String(err) });
        reply(res, req, 500, 'cannot render metrics; see the log\n');
        return;
      }
      reply(res, req, 200, text, { 'Content-Type': PROMETHEUS_CONTENT_TYPE });
      return;
    }
    case '/healthz':
      reply(res, req, 200, 'ok\n');
      return;
    case '/readyz':
      if (endpoint.ready()) reply(res, req, 200, 'ready\n');
      else reply(res, req, 503, 'not ready\n');
      return;
    default:
      reply(res, req, 404, 'not found: the paths are /metrics, /healthz and /readyz\n');
  }
}

function reply(res: http.ServerResponse, req: http.IncomingMessage, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(req.method === 'HEAD' ? undefined : body);
}
