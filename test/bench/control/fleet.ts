// A fleet of simulated agents in one process: joins their nodes (one key pair each, proof
// of possession, the CA pinned by the token's fingerprint as the real agent does), starts
// them, and answers the runner's questions about what they applied and when.
import * as grpc from '@grpc/grpc-js';
import { Backoff, sleep } from '../../../common/backoff.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials, ControllerTrustError, fetchPinnedCa } from '../../../common/controller-tls.js';
import { joinProofMessage, signProof } from '../../../common/pki/proof.js';
import { generateKeyPair, privateKeyPem, spkiDer } from '../../../common/pki/x509.js';
import { loadTunctlProto } from '../../../common/proto.js';
import { parseSecret } from '../../../common/secrets.js';
import type { AgentServiceClient } from '../../../proto/gen/tunctl/v1/AgentService.js';
import type { JoinResponse__Output } from '../../../proto/gen/tunctl/v1/JoinResponse.js';
import type { AgentEnrolment, AppliedResult, FleetStatus, JoinResult, ResyncResult, VerifyResult } from './fleet-protocol.js';
import { forEachLimited } from './limited.js';
import type { MirrorRoute } from './route-mirror.js';
import { SimAgent, zeroCounters, type SimAgentIdentity } from './sim-agent.js';

/** Join failures worth retrying: the controller is busy or not there yet. */
const TRANSIENT_JOIN_CODES = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL]);
const MAX_REPORTED = 10;

export class Fleet {
  private readonly agents: SimAgent[] = [];

  get size(): number {
    return this.agents.length;
  }

  /** Joins every node with its token; the agents are created (not started) for those that joined. */
  async join(target: string, enrolments: readonly AgentEnrolment[], concurrency: number, timeoutMs: number): Promise<JoinResult> {
    const deadline = Date.now() + timeoutMs;
    const failed: { nodeName: string; error: string }[] = [];
    if (enrolments.length === 0) return { joined: 0, failed };
    const fingerprint = parseSecret('join-token', enrolments[0]!.joinToken).caFingerprint;
    const caPem = await pinnedCaWithRetry(target, fingerprint, deadline);
    const { proto } = loadTunctlProto();
    // Joins need no client certificate, so they share one connection.
    const joinClient = new proto.tunctl.v1.AgentService(target, controllerChannelCredentials(caPem), CONTROLLER_CHANNEL_OPTIONS);
    try {
      await forEachLimited(enrolments, concurrency, async (enrolment) => {
        try {
          if (parseSecret('join-token', enrolment.joinToken).caFingerprint !== fingerprint) throw new Error('token pins another CA than the first token');
          const identity = await joinWithRetry(joinClient, enrolment, caPem, deadline);
          this.agents.push(new SimAgent(target, identity));
        } catch (err) {
          failed.push({ nodeName: enrolment.nodeName, error: (err as Error).message });
        }
      });
    } finally {
      joinClient.close();
    }
    return { joined: enrolments.length - failed.length, failed };
  }

  /** Starts every agent, each after a random delay in [0, rampMs) so connects spread out. */
  start(rampMs: number): void {
    for (const agent of this.agents) {
      void agent.run(Math.random() * rampMs).catch((err: Error) => {
        agent.failed = `agent loop crashed: ${err.stack ?? err.message}`;
      });
    }
  }

  status(atLeast = 0): FleetStatus {
    const counters = zeroCounters();
    const errors: Record<string, number> = {};
    const revisions = new Map<number, number>();
    let watching = 0;
    let failed = 0;
    let atRevision = 0;
    let minRevision = Infinity;
    let maxRevision = 0;
    for (const agent of this.agents) {
      if (agent.watching) watching++;
      if (agent.failed) failed++;
      const revision = agent.mirror.revision;
      if (revision >= atLeast) atRevision++;
      minRevision = Math.min(minRevision, revision);
      maxRevision = Math.max(maxRevision, revision);
      revisions.set(revision, (revisions.get(revision) ?? 0) + 1);
      for (const key of Object.keys(counters) as (keyof typeof counters)[]) counters[key] += agent.counters[key];
      const error = errorKind(agent.failed ?? agent.lastError);
      if (error && (error in errors || Object.keys(errors).length < MAX_REPORTED)) errors[error] = (errors[error] ?? 0) + 1;
    }
    const behind: Record<string, number> = {};
    for (const [revision, count] of [...revisions].sort((a, b) => a[0] - b[0]).slice(0, MAX_REPORTED)) behind[String(revision)] = count;
    return { agents: this.agents.length, watching, failed, atRevision, minRevision: this.agents.length ? minRevision : 0, maxRevision, behind, counters, errors };
  }

  resetHistory(): void {
    for (const agent of this.agents) agent.resetHistory();
  }

  applied(revisions: readonly number[]): AppliedResult {
    return { times: revisions.map((revision) => this.agents.map((agent) => agent.heldSince(revision))) };
  }

  /**
   * Agents back in sync since `since` (the new controller's spawn): a stream confirmed the
   * table at or after it (so a stream of the new controller: the old one had exited), and the
   * table holds `revision` or later. Each is back at the later of the two moments. A stream
   * may have been opened before `since`: one that registers waits for the connection.
   */
  resync(since: number, revision: number): ResyncResult {
    const syncedAt: number[] = [];
    const firstKinds: Record<string, number> = {};
    const pending: Record<string, number> = {};
    for (const agent of this.agents) {
      const stream = agent.streams.find((s) => s.syncedAt >= since);
      const held = agent.heldSince(revision);
      if (stream && held !== null) {
        syncedAt.push(Math.max(stream.syncedAt, held));
        firstKinds[stream.firstKind] = (firstKinds[stream.firstKind] ?? 0) + 1;
      } else {
        const why = agent.failed ? `stopped: ${errorKind(agent.failed)}` : agent.watching ? `watching at revision ${agent.mirror.revision}` : `not connected (${errorKind(agent.lastError) || 'no error yet'})`;
        if (why in pending || Object.keys(pending).length < MAX_REPORTED) pending[why] = (pending[why] ?? 0) + 1;
      }
    }
    return { agents: this.agents.length, syncedAt, firstKinds, pending };
  }

  verify(routes: readonly MirrorRoute[], revision: number): VerifyResult {
    const mismatches: VerifyResult['mismatches'][number][] = [];
    let mismatchCount = 0;
    for (const agent of this.agents) {
      const differences = agent.mirror.revision === revision ? agent.mirror.differences(routes, agent.nodeName) : [`holds revision ${agent.mirror.revision}, not ${revision}`];
      if (differences.length === 0) continue;
      mismatchCount++;
      if (mismatches.length < MAX_REPORTED) mismatches.push({ nodeName: agent.nodeName, revision: agent.mirror.revision, differences });
    }
    return { agents: this.agents.length, matching: this.agents.length - mismatchCount, mismatches, mismatchCount };
  }

  stop(): void {
    for (const agent of this.agents) agent.stop();
  }
}

/**
 * An error's kind, for counting agents by it: grpc-js appends timings ("after 20.001s",
 * "name resolution: 0.004s") that would make every agent's error distinct.
 */
export function errorKind(error: string): string {
  return error.replace(/,(name resolution|metadata filters|time to current attempt start|LB pick|wait_for_ready)[^,]*/g, '').replace(/\d+\.\d+s/g, 'Ns').slice(0, 160);
}

async function pinnedCaWithRetry(target: string, fingerprint: string, deadline: number): Promise<string> {
  const backoff = new Backoff({ initialMs: 200, maxMs: 2000 });
  for (;;) {
    try {
      return await fetchPinnedCa(target, fingerprint);
    } catch (err) {
      if (!(err instanceof ControllerTrustError && err.transient) || Date.now() > deadline) throw err;
      await sleep(backoff.next());
    }
  }
}

/** One node's join: a fresh P-256 key, the proof over the token id and key, and the certificate. */
async function joinWithRetry(client: AgentServiceClient, { nodeName, joinToken }: AgentEnrolment, caPem: string, deadline: number): Promise<SimAgentIdentity> {
  const token = parseSecret('join-token', joinToken);
  const keys = generateKeyPair();
  const publicKey = spkiDer(keys.publicKey);
  const proof = signProof(keys.privateKey, joinProofMessage(token.id, publicKey));
  const backoff = new Backoff({ initialMs: 200, maxMs: 3000 });
  for (;;) {
    try {
      const issued = await new Promise<JoinResponse__Output>((resolve, reject) => {
        client.Join({ joinToken, publicKey, proof, nodeName }, { deadline: Math.min(deadline, Date.now() + 20_000) }, (err, res) => (err || !res ? reject(err) : resolve(res)));
      });
      if (issued.nodeName !== nodeName) throw new Error(`joined as ${issued.nodeName}, expected ${nodeName}`);
      return { nodeName, keyPem: privateKeyPem(keys.privateKey), certificatePem: issued.certificatePem, caPem };
    } catch (err) {
      const { code, details } = err as grpc.ServiceError;
      if (!TRANSIENT_JOIN_CODES.has(code) || Date.now() > deadline) {
        throw new Error(code === undefined ? (err as Error).message : `Join: ${grpc.status[code]}: ${details}`);
      }
      await sleep(backoff.next());
    }
  }
}
