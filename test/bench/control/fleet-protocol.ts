// What the bench runner (or a test) and its fleet worker processes say to each other: one
// JSON object per line, commands on the worker's stdin, replies on its stdout. Times are
// wall-clock milliseconds (wallClockMs) so figures from different processes compare.
import { performance } from 'node:perf_hooks';
import type { MirrorRoute } from './route-mirror.js';

/** Wall-clock time with sub-millisecond resolution, comparable across processes on one host. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface AgentEnrolment {
  readonly nodeName: string;
  readonly joinToken: string;
}

export type FleetCommand =
  /** Joins each node with its token (key pair, proof, certificate); answers JoinResult. */
  | { readonly cmd: 'join'; readonly target: string; readonly agents: readonly AgentEnrolment[]; readonly concurrency: number; readonly timeoutMs: number }
  /** Starts every joined agent (Register, then Watch), spread over `rampMs`; answers at once. */
  | { readonly cmd: 'start'; readonly rampMs: number }
  /** Counts; `revision`: also how many hold it or later. */
  | { readonly cmd: 'status'; readonly revision?: number }
  /** Forgets the applied-revision history (between bench phases). */
  | { readonly cmd: 'reset-history' }
  /** For each revision, when each agent first held it or a later one; answers AppliedResult. */
  | { readonly cmd: 'applied'; readonly revisions: readonly number[] }
  /**
   * Which agents are back in sync: confirmed by a stream opened at or after `since`, holding
   * `revision` or later; answers ResyncResult.
   */
  | { readonly cmd: 'resync'; readonly since: number; readonly revision: number }
  /** Compares every agent's table with the controller's; answers VerifyResult. */
  | { readonly cmd: 'verify'; readonly routes: readonly MirrorRoute[]; readonly revision: number }
  | { readonly cmd: 'stop' };

export interface FleetRequest {
  readonly id: number;
  readonly command: FleetCommand;
}

export type FleetReply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

export interface JoinResult {
  readonly joined: number;
  readonly failed: readonly { readonly nodeName: string; readonly error: string }[];
}

export interface FleetStatus {
  readonly agents: number;
  /** Holding an open Watch stream that has delivered at least one message. */
  readonly watching: number;
  /** Stopped for good after a refusal the agent cannot retry (see errors). */
  readonly failed: number;
  /** Agents holding the revision the status was asked about, or a later one. */
  readonly atRevision: number;
  readonly minRevision: number;
  readonly maxRevision: number;
  /** How many agents hold each revision of the lowest few (for "who is behind" messages). */
  readonly behind: Readonly<Record<string, number>>;
  readonly counters: AgentCounters;
  /** A few distinct last errors, with how many agents report each. */
  readonly errors: Readonly<Record<string, number>>;
}

export interface AgentCounters {
  snapshots: number;
  deltas: number;
  heartbeats: number;
  /** Deltas that did not follow the table held, or heartbeats ahead of it: each forces a resync. */
  gaps: number;
  streams: number;
  /** Register calls (one per agent start). */
  registers: number;
  /** Registrations on a Watch stream (WatchStart.register: every reconnect). */
  streamRegisters: number;
  /** Stream ends that carried a tunctl-retry-after-ms trailer. */
  retryAfters: number;
}

export interface AppliedResult {
  /** times[i][k]: when agent k first held revisions[i] or later; null if it has not. */
  readonly times: readonly (readonly (number | null)[])[];
}

export interface ResyncResult {
  readonly agents: number;
  /** When each agent that is back got there: the later of its new stream's confirmation and holding the revision. */
  readonly syncedAt: readonly number[];
  /** First message kind on the stream that brought each agent back, counted. */
  readonly firstKinds: Readonly<Record<string, number>>;
  /** Agents not back in sync yet, by what they hold, for the failure message. */
  readonly pending: Readonly<Record<string, number>>;
}

export interface VerifyResult {
  readonly agents: number;
  readonly matching: number;
  /** Agents whose table differs, with the first differences of a few of them. */
  readonly mismatches: readonly { readonly nodeName: string; readonly revision: number; readonly differences: readonly string[] }[];
  readonly mismatchCount: number;
}
