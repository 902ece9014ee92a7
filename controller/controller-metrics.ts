// The controller's Prometheus metrics: the cluster as a scrape finds it (nodes, connected
// agents, revision, each agent's lag) read from the store and the live presence at scrape
// time, and every gRPC call counted by a server interceptor (so no handler has to know), with
// the time unary calls took. Plus prom-client's process and Node.js metrics.
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { revisionLag, type NodePresence } from './node-presence.js';
import type { RouteFeed } from './route-feed.js';
import type { Store } from './store/store.js';

/** What a scrape reads. */
export interface ClusterSources {
  readonly store: Pick<Store, 'listNodes'>;
  readonly feed: Pick<RouteFeed, 'latestRevision'>;
  readonly presence: Pick<NodePresence, 'status'>;
}

/** Unary calls take a millisecond or two; a slow disk or a big snapshot, seconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly sources: ClusterSources;
  private readonly nodes: Gauge;
  private readonly connectedAgents: Gauge;
  private readonly revision: Gauge;
  private readonly agentConnected: Gauge<'node'>;
  private readonly agentLag: Gauge<'node'>;
  private readonly calls: Counter<'service' | 'method' | 'code'>;
  private readonly durations: Histogram<'service' | 'method'>;

  constructor(sources: ClusterSources) {
    this.sources = sources;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.nodes = new Gauge({ name: 'tunctl_controller_nodes', help: 'Nodes in the address plan.', registers });
    this.connectedAgents = new Gauge({ name: 'tunctl_controller_connected_agents', help: 'Nodes whose agent holds a Watch stream now.', registers });
    this.revision = new Gauge({ name: 'tunctl_controller_revision', help: 'The latest route revision.', registers });
    this.agentConnected = new Gauge({ name: 'tunctl_controller_agent_connected', help: '1 while the node\'s agent holds a Watch stream, else 0.', labelNames: ['node'], registers });
    this.agentLag = new Gauge({
      name: 'tunctl_controller_agent_lag_revisions',
      help: 'The latest revision minus the one the node\'s agent acknowledged (0 until it applied a first table).',
      labelNames: ['node'],
      registers,
    });
    this.calls = new Counter({
      name: 'tunctl_controller_rpc_calls_total',
      help: 'gRPC calls that ended, by service, method and status code (a Watch counts when its stream ends).',
      labelNames: ['service', 'method', 'code'],
      registers,
    });
    this.durations = new Histogram({
      name: 'tunctl_controller_rpc_duration_seconds',
      help: 'Time from a unary gRPC call\'s arrival to its status, by service and method.',
      labelNames: ['service', 'method'],
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  /** Reads the cluster now, then renders every metric. */
  async render(): Promise<string> {
    const { store, feed, presence } = this.sources;
    const latest = feed.latestRevision;
    const nodes = store.listNodes();
    this.agentConnected.reset();
    this.agentLag.reset();
    let connected = 0;
    for (const node of nodes) {
      const status = presence.status(node);
      if (status.connected) connected++;
      this.agentConnected.set({ node: node.name }, status.connected ? 1 : 0);
      this.agentLag.set({ node: node.name }, revisionLag(status.appliedRevision, latest));
    }
    this.nodes.set(nodes.length);
    this.connectedAgents.set(connected);
    this.revision.set(latest);
    return this.registry.metrics();
  }

  /** Counts each call once when it ends: with the status it sent, or CANCELLED if the client went away first. */
  readonly interceptor: grpc.ServerInterceptor = (descriptor, call) => {
    const [service = '', method = ''] = descriptor.path.replace(/^\//, '').split('/');
    const unary = !descriptor.requestStream && !descriptor.responseStream;
    const started = process.hrtime.bigint();
    let ended = false;
    const end = (code: grpc.status) => {
      if (ended) return;
      ended = true;
      this.calls.inc({ service, method, code: grpc.status[code] ?? String(code) });
      if (unary) this.durations.observe({ service, method }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: () => end(grpc.status.CANCELLED) }),
      sendStatus: (status, next) => {
        end(status.code);
        next(status);
      },
    });
  };
}
