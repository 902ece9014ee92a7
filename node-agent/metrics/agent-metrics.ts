// What the agent's metrics endpoint serves: prom-client's process and Node.js metrics always,
// and the agent's own (status-metrics.ts) while its data path is up, that is between the
// agent's publishStatus(reader) and publishStatus(undefined); /readyz is 200 in between.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import { serveMetrics, type MetricsEndpoint } from '../../common/metrics-server.js';
import type { AgentStatus } from '../status/agent-status.js';
import { StatusMetrics } from './status-metrics.js';

export class AgentMetrics implements MetricsEndpoint {
  private readonly process = new Registry();
  private readonly status = new StatusMetrics();
  private readonly now: () => number;
  private reader: (() => AgentStatus) | undefined;

  constructor(now: () => number = Date.now) {
    this.now = now;
    collectDefaultMetrics({ register: this.process });
  }

  /** Hand it to the agent as AgentDeps.publishStatus. */
  readonly publish = (reader: (() => AgentStatus) | undefined): void => {
    this.reader = reader;
  };

  ready(): boolean {
    return this.reader !== undefined;
  }

  async render(): Promise<string> {
    const processText = await this.process.metrics();
    // Read right before rendering: one snapshot for every agent metric of this scrape.
    const reader = this.reader;
    if (!reader) return processText;
    return `${processText}\n${await this.status.render(reader(), this.now())}`;
  }
}

export interface AgentMetricsServer {
  readonly port: number;
  /** Hand it to the agent as AgentDeps.publishStatus. */
  readonly publish: AgentMetrics['publish'];
  close(): Promise<void>;
}

/** Serves the agent's metrics on `listen` (host:port) until close(). */
export async function serveAgentMetrics(listen: string, logger: Logger): Promise<AgentMetricsServer> {
  const metrics = new AgentMetrics();
  const server = await serveMetrics(listen, metrics, logger);
  return { port: server.port, publish: metrics.publish, close: () => server.close() };
}
