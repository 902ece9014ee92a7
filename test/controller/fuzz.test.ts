// Hostile input to the controller's gRPC API (issue 4): random bytes, broken encodings of valid
// requests, wrong wire types, overlong varints, huge length prefixes, and well-formed messages
// with out-of-range values, sent to every RPC of both services on both listeners. Every call
// must end with a clean status (never UNKNOWN, never a hang, INTERNAL only where grpc-js itself
// could not parse the bytes), nothing may be logged as an internal error, the database may
// change only by what the calls that succeeded say they did, and the controller keeps serving.
// Mutations and random inputs come from a seeded PRNG (the valid requests they start from carry
// fresh keys and tokens each run); a failure prints the method, the kind of input and its bytes.
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { service as healthService } from 'grpc-health-check';
import type { AdminClient } from '../../cli/admin-client.js';
import { formatCidr, parseCidr } from '../../common/cidr.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials } from '../../common/controller-tls.js';
import { joinProofMessage, renewProofMessage, signProof } from '../../common/pki/proof.js';
import { generateKeyPair, spkiDer } from '../../common/pki/x509.js';
import { loadTunctlProto } from '../../common/proto.js';
import { parseSecret } from '../../common/secrets.js';
import { ANONYMOUS_DENIALS_PER_MINUTE } from '../../controller/auth/denial-log.js';
import { DB_FILE_NAME, DEFAULT_SUBNET_QUARANTINE_MS } from '../../controller/store/sqlite-store.js';
import type { WatchEvent } from '../../node-agent/controller-client.js';
import type { NodeCredentials } from '../../node-agent/identity/credential-files.js';
import { joinController } from '../../node-agent/identity/join.js';
import type { CreateApiKeyResponse__Output } from '../../proto/gen/tunctl/v1/CreateApiKeyResponse.js';
import type { GetNodeResponse__Output } from '../../proto/gen/tunctl/v1/GetNodeResponse.js';
import type { ListApiKeysResponse__Output } from '../../proto/gen/tunctl/v1/ListApiKeysResponse.js';
import type { ListJoinTokensResponse__Output } from '../../proto/gen/tunctl/v1/ListJoinTokensResponse.js';
import type { ListNodesResponse__Output } from '../../proto/gen/tunctl/v1/ListNodesResponse.js';
import type { ListQuarantinedSubnetsResponse__Output } from '../../proto/gen/tunctl/v1/ListQuarantinedSubnetsResponse.js';
import type { ListReservationsResponse__Output } from '../../proto/gen/tunctl/v1/ListReservationsResponse.js';
import type { ListRoutesResponse__Output } from '../../proto/gen/tunctl/v1/ListRoutesResponse.js';
import { waitFor } from '../netns/netns.js';
import { prng, randomInt } from '../prng.js';
import { startController, type ControllerFixture } from './controller-fixture.js';
import { bytesField, fieldKey, rawStreamFirst, rawUnary, varint, varintField, WireType, type RawOutcome } from './fixtures/raw-grpc.js';

/** A call without a status this long after it started has hung (DEADLINE_EXCEEDED is a failure). */
const CALL_TIMEOUT_MS = 5000;
const CONCURRENCY = 16;
/**
 * Requests larger than this go over a connection of their own. A response the client cannot
 * take (an error message echoing a 100 KB field) can wedge the HTTP/2 connection it travels on;
 * on a shared one every later call would fail too, hiding which input did it.
 */
const OWN_CONNECTION_ABOVE_BYTES = 32 * 1024;

/** agent-service.ts's refusal of a Watch whose first message is not a WatchStart. */
const WATCH_START_FIRST = 'the first message on a Watch stream must be a WatchStart';

/** Statuses a refusal may carry: each names a condition the caller can act on. */
const CLEAN_CODES: ReadonlySet<number> = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

/**
 * What grpc-js answers, before any handler of ours runs, for bytes the method's deserializer
 * throws on (server-interceptors.js, decompressAndMaybePush): INTERNAL with exactly this text,
 * or the text plus the parser's message when GRPC_NODE_DEBUG_SEND_ERROR_DETAILS=true.
 */
const DESERIALIZATION_DETAILS = 'Error deserializing request';

function isDeserializationFailure(outcome: RawOutcome): boolean {
  if (outcome.code !== grpc.status.INTERNAL) return false;
  return process.env.GRPC_NODE_DEBUG_SEND_ERROR_DETAILS === 'true'
    ? outcome.details.startsWith(`${DESERIALIZATION_DETAILS}: `)
    : outcome.details === DESERIALIZATION_DETAILS;
}

// ---------------------------------------------------------------- the methods

interface DescribedField {
  readonly name: string;
  readonly number: number;
  readonly type: string;
  readonly typeName: string;
}

/** What proto-loader's method definitions carry beyond grpc-js's (the request's descriptor). */
interface DescribedMethod {
  readonly path: string;
  readonly responseStream: boolean;
  readonly requestStream: boolean;
  readonly requestSerialize: (value: object) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => unknown;
  readonly requestType: { readonly type: { readonly field: readonly DescribedField[] } };
}

interface RpcMethod {
  readonly name: string;
  readonly path: string;
  readonly streaming: boolean;
  readonly requestStream: boolean;
  readonly fields: readonly DescribedField[];
  readonly encode: (request: object) => Buffer;
  readonly decode: (response: Buffer) => unknown;
}

function methodsOf(service: unknown): Map<string, RpcMethod> {
  const methods = new Map<string, RpcMethod>();
  for (const [name, m] of Object.entries(service as Record<string, DescribedMethod>)) {
    methods.set(name, {
      name,
      path: m.path,
      streaming: m.responseStream,
      requestStream: m.requestStream,
      fields: m.requestType.type.field,
      encode: (request) => m.requestSerialize(request),
      decode: (response) => m.responseDeserialize(response),
    });
  }
  return methods;
}

// ---------------------------------------------------------------- the inputs

interface FuzzCase {
  /** What kind of input this is, for the report of a failure. */
  readonly kind: string;
  readonly bytes: Buffer;
}

/** A field value on the wire: a varint, or the contents of a length-delimited field (string, bytes, nested message). */
type FieldValue = string | Buffer | bigint;

/** The out-of-range values to try, by field name (this contract's meaning) and by protobuf type. */
interface ValueBook {
  readonly byField: Readonly<Record<string, readonly FieldValue[]>>;
  readonly byType: Readonly<Record<string, readonly FieldValue[]>>;
}

const VARINT_TYPES = new Set(['TYPE_UINT32', 'TYPE_UINT64', 'TYPE_ENUM', 'TYPE_BOOL', 'TYPE_INT32', 'TYPE_INT64']);
/** Field numbers no request declares, up to the largest number protobuf allows. */
const UNKNOWN_FIELDS = [15, 16, 2047, 536_870_911];
/** A payload that fits each wire type (3 and 4 are group start and end, 6 and 7 do not exist). */
const WIRE_PAYLOADS: readonly Buffer[] = [
  varint(1),
  Buffer.from('0123abcd'),
  Buffer.concat([varint(3), Buffer.from('abc')]),
  Buffer.alloc(0),
  Buffer.alloc(0),
  Buffer.from('wxyz'),
  Buffer.from('x'),
  Buffer.from('x'),
];
/** Varints no encoder writes: 11 bytes long, more than 64 bits, or never terminated. */
const BAD_VARINTS: readonly Buffer[] = [
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]),
  Buffer.from([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
];
/** Length prefixes far beyond the bytes that follow, and one negative (as a 10-byte varint). */
const HUGE_LENGTHS: readonly bigint[] = [4n, 0xffffffffn, 2n ** 31n, 2n ** 63n, 2n ** 64n - 1n, -1n];

const UINT_VALUES: readonly FieldValue[] = [0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, -1n];
const ENUM_VALUES: readonly FieldValue[] = [-1n, 0n, 1n, 2n, 3n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n];

const STRING_VALUES: readonly FieldValue[] = [
  '',
  'a'.repeat(1000),
  'n'.repeat(63),
  'n'.repeat(64),
  'node\x00x',
  '\x01\x02\x1b[31m\r\n\t',
  'nöde-ü',
  '节点-1',
  '🚀'.repeat(40),
  '\u202enode-1',
  'node\u200b1',
  '../../etc/passwd',
  "x'; DROP TABLE nodes; --",
  '%s%n%x%%',
  ' node-1 ',
  'NODE-1',
  '-node',
  '\ufffd',
  'z'.repeat(100_000),
  // Not UTF-8: a lone surrogate, an overlong NUL, a code point past U+10FFFF, stray and cut-off bytes.
  Buffer.from([0xff, 0xfe, 0x41]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0x80]),
  Buffer.from([0xe2, 0x82]),
];

/** A google.protobuf.Timestamp's encoding with any seconds and nanos, in range or not. */
function timestampBytes(seconds: bigint, nanos: bigint): Buffer {
  return Buffer.concat([varintField(1, seconds), varintField(2, nanos)]);
}

const TIMESTAMP_VALUES: readonly FieldValue[] = [
  Buffer.alloc(0),
  timestampBytes(-1n, 0n),
  timestampBytes(-(2n ** 63n), 0n),
  timestampBytes(2n ** 63n - 1n, 0n),
  timestampBytes(253_402_300_799n, 999_999_999n),
  timestampBytes(253_402_300_800n, 0n),
  timestampBytes(0n, 1_000_000_000n),
  timestampBytes(0n, -1n),
  timestampBytes(0n, 2n ** 31n - 1n),
  timestampBytes(0n, 2n ** 32n),
  Buffer.concat([bytesField(1, 'seconds as a string'), varintField(2, 5n)]),
];

function randomBytes(rand: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(rand, 256);
  return out;
}

/** One to four byte-level edits of an encoding: bit flips, cuts, repeats, garbage. */
function mutate(encoded: Buffer, rand: () => number): Buffer {
  let bytes = Buffer.from(encoded);
  const edits = 1 + randomInt(rand, 4);
  for (let i = 0; i < edits; i++) {
    const at = randomInt(rand, bytes.length + 1);
    switch (randomInt(rand, 7)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[at % bytes.length] ^= 1 << randomInt(rand, 8);
        break;
      case 1: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 2: // every field twice (the last one wins for scalars, repeated messages merge)
        bytes = Buffer.concat([bytes, bytes]);
        break;
      case 3: // garbage after the message
        bytes = Buffer.concat([bytes, randomBytes(rand, 1 + randomInt(rand, 64))]);
        break;
      case 4: // a byte inserted
        bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(rand, 1), bytes.subarray(at)]);
        break;
      case 5: // a byte overwritten with a value that means something in varints and keys
        if (bytes.length > 0) bytes[at % bytes.length] = [0x00, 0x7f, 0x80, 0xff][randomInt(rand, 4)]!;
        break;
      default: // a span deleted
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + randomInt(rand, 8)))]);
    }
  }
  return bytes;
}

function describeValue(value: FieldValue): string {
  if (typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return `<${value.length} bytes ${value.subarray(0, 12).toString('hex')}>`;
  return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} chars)` : JSON.stringify(value);
}

function encodeField(field: DescribedField, value: FieldValue): Buffer {
  return typeof value === 'bigint' ? varintField(field.number, value) : bytesField(field.number, value);
}

/** Start-group keys nested `depth` deep, then their end-group keys: a parser that recurses must not fall over. */
function nestedGroups(field: number, depth: number): Buffer {
  return Buffer.concat([Buffer.alloc(depth, fieldKey(field, WireType.startGroup)), Buffer.alloc(depth, fieldKey(field, WireType.endGroup))]);
}

/**
 * Every kind of hostile input for one method, built around `bases` (valid requests; the first
 * one carries the appended fields: protobuf lets a later occurrence of a field override an
 * earlier one, so base + field is the valid request with that field out of range).
 */
function fuzzCases(method: RpcMethod, bases: readonly object[], book: ValueBook, rand: () => number, budget: { random: number; mutated: number }): FuzzCase[] {
  const encoded = bases.map((b) => method.encode(b));
  const base = encoded[0]!;
  const cases: FuzzCase[] = [];
  for (let i = 0; i < budget.random; i++) {
    const length = rand() < 0.5 ? randomInt(rand, 17) : randomInt(rand, 2001);
    cases.push({ kind: 'random bytes', bytes: randomBytes(rand, length) });
  }
  for (let i = 0; i < budget.mutated; i++) {
    cases.push({ kind: 'mutated valid request', bytes: mutate(encoded[randomInt(rand, encoded.length)]!, rand) });
  }

  const declared = new Map(method.fields.map((f) => [f.number, VARINT_TYPES.has(f.type) ? WireType.varint : WireType.lengthDelimited]));
  for (const number of [...declared.keys(), ...UNKNOWN_FIELDS]) {
    for (let wire = 0; wire < 8; wire++) {
      if (wire === declared.get(number)) continue;
      const piece = Buffer.concat([fieldKey(number, wire), WIRE_PAYLOADS[wire]!]);
      cases.push({ kind: `field ${number} as wire type ${wire}, after a valid request`, bytes: Buffer.concat([base, piece]) });
      if (declared.has(number)) cases.push({ kind: `field ${number} as wire type ${wire}, alone`, bytes: piece });
    }
  }
  cases.push({ kind: 'field number 0', bytes: Buffer.concat([base, Buffer.from([0x00, 0x01])]) });
  cases.push({ kind: 'field number 0, length-delimited', bytes: Buffer.from([0x02, 0x01, 0x41]) });
  cases.push({ kind: 'start group with end group of another field', bytes: Buffer.concat([fieldKey(15, WireType.startGroup), fieldKey(16, WireType.endGroup)]) });
  cases.push({ kind: 'groups nested 10000 deep', bytes: Buffer.concat([base, nestedGroups(15, 10_000)]) });
  cases.push({ kind: 'groups nested 200000 deep', bytes: nestedGroups(15, 200_000) });

  const varintFields = method.fields.filter((f) => VARINT_TYPES.has(f.type)).map((f) => f.number);
  for (const number of [...varintFields, UNKNOWN_FIELDS[0]!]) {
    for (const bad of BAD_VARINTS) {
      cases.push({ kind: `field ${number} varint ${bad.toString('hex')}`, bytes: Buffer.concat([base, fieldKey(number, WireType.varint), bad]) });
    }
  }
  for (const bad of BAD_VARINTS) cases.push({ kind: `field key varint ${bad.toString('hex')}`, bytes: Buffer.concat([base, bad]) });

  const delimitedFields = method.fields.filter((f) => !VARINT_TYPES.has(f.type)).map((f) => f.number);
  for (const number of [...delimitedFields, UNKNOWN_FIELDS[0]!]) {
    for (const length of HUGE_LENGTHS) {
      cases.push({ kind: `field ${number} length ${length} over 3 bytes`, bytes: Buffer.concat([base, fieldKey(number, WireType.lengthDelimited), varint(length), Buffer.from('abc')]) });
    }
  }

  for (const field of method.fields) {
    const values = [...(book.byField[field.name] ?? []), ...(book.byType[field.typeName || field.type] ?? [])];
    for (const value of values) {
      cases.push({ kind: `${field.name} = ${describeValue(value)}`, bytes: Buffer.concat([base, encodeField(field, value)]) });
    }
  }
  return cases;
}

/** The items in an order the PRNG picks. */
function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  return sample(items, items.length, rand);
}

/** `count` of `items`, picked by the PRNG (for the smaller rounds). */
function sample<T>(items: readonly T[], count: number, rand: () => number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) picked.push(pool.splice(randomInt(rand, pool.length), 1)[0]!);
  return picked;
}

// ---------------------------------------------------------------- running the calls

/** Where and how calls connect; `shared` is the one connection most calls of a round use. */
interface Endpoint {
  readonly target: string;
  readonly credentials: grpc.ChannelCredentials;
  readonly options: grpc.ChannelOptions;
  readonly shared: grpc.Client;
}

interface Call {
  readonly method: RpcMethod;
  readonly kind: string;
  readonly bytes: Buffer;
  readonly endpoint: Endpoint;
  /** Who the caller claims to be, for the report. */
  readonly credential: string;
  /** The node whose certificate the call presents, if any: the node a Register or Watch that got through speaks for. */
  readonly certificateOf?: string;
  readonly metadata: () => grpc.Metadata;
}

interface Result {
  readonly call: Call;
  readonly outcome: RawOutcome;
}

/** Runs the calls, CONCURRENCY at a time; each settles by itself (see raw-grpc.ts). */
async function runCalls(calls: readonly Call[]): Promise<Result[]> {
  const results: Result[] = [];
  let next = 0;
  const send = async (call: Call) => {
    const fn = call.method.streaming
      ? (client: grpc.Client, path: string, bytes: Buffer, metadata: grpc.Metadata, timeoutMs: number) => rawStreamFirst(client, path, bytes, metadata, timeoutMs, call.method.requestStream)
      : rawUnary;
    if (call.bytes.length <= OWN_CONNECTION_ABOVE_BYTES) return fn(call.endpoint.shared, call.method.path, call.bytes, call.metadata(), CALL_TIMEOUT_MS);
    const { target, credentials, options } = call.endpoint;
    const own = new grpc.Client(target, credentials, { ...options, 'grpc.use_local_subchannel_pool': 1 });
    try {
      return await fn(own, call.method.path, call.bytes, call.metadata(), CALL_TIMEOUT_MS);
    } finally {
      own.close();
    }
  };
  const worker = async () => {
    while (next < calls.length) {
      const call = calls[next++]!;
      results.push({ call, outcome: await send(call) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

function codeName(outcome: RawOutcome): string {
  if (outcome.code === -1) return 'NO STATUS';
  const name = grpc.status[outcome.code] ?? `code ${outcome.code}`;
  return isDeserializationFailure(outcome) ? `${name} (deserialization)` : name;
}

function describeResult({ call, outcome }: Result): string {
  const hex = call.bytes.subarray(0, 64).toString('hex');
  return (
    `${call.method.name} [${call.credential}] ${call.kind}: ${call.bytes.length} bytes ${hex}${call.bytes.length > 64 ? '…' : ''} ` +
    `→ ${codeName(outcome)}: ${JSON.stringify(outcome.details.slice(0, 300))}`
  );
}

/**
 * Whether the call ended cleanly. ABORTED is clean in one case only: a Watch still waiting for
 * its first message when a newer Watch of the same node replaced it, the documented behaviour
 * for an agent that reconnects (route-feed.ts); the rounds send many Watches for one node.
 */
function isClean({ call, outcome }: Result): boolean {
  if (CLEAN_CODES.has(outcome.code) || isDeserializationFailure(outcome)) return true;
  return call.method.name === 'Watch' && outcome.code === grpc.status.ABORTED && /^a newer watch from node "[a-z0-9-]+" replaced this one$/.test(outcome.details);
}

function assertAllClean(results: readonly Result[]): void {
  const bad = results.filter((r) => !isClean(r));
  assert.equal(
    bad.length,
    0,
    `${bad.length} of ${results.length} calls did not end with a clean status, e.g.:\n${bad.slice(0, 12).map(describeResult).join('\n')}`,
  );
}

function countsByCode(results: readonly Result[]): string {
  const counts = new Map<string, number>();
  for (const { outcome } of results) counts.set(codeName(outcome), (counts.get(codeName(outcome)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name}=${n}`).join(' ');
}

/** Internal errors are logged by rpc-errors.ts ('internal error') and route-feed.ts; neither may appear. */
function assertNoErrorsLogged(fx: ControllerFixture, fromLine: number): void {
  const errors = fx.logger.lines.slice(fromLine).filter((line) => /^\S+ ERROR /.test(line) || line.includes('internal error'));
  assert.deepEqual(errors, [], 'the controller logged errors while handling hostile input');
}

// ---------------------------------------------------------------- the database

type Row = Record<string, unknown>;
/** Every table (except the audit log) as rows by key. */
type Dump = Map<string, Map<string, Row>>;

/** Natural keys of the tables the accounting below reasons about; any other table is keyed by rowid and must not change. */
const KEY_COLUMN: Record<string, string> = {
  nodes: 'name',
  changes: 'revision',
  join_tokens: 'id',
  node_certificates: 'serial',
  api_keys: 'id',
  reservations: 'node_name',
  subnet_quarantine: 'subnet_base',
  sqlite_sequence: 'name',
};

/** Reads the controller's database through a second, read-only connection (WAL lets it read while the controller writes). */
function dumpDatabase(fx: ControllerFixture): Dump {
  const db = new Database(join(fx.dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    const dump: Dump = new Map();
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    for (const table of tables) {
      if (table === 'audit_events') continue; // refusals are audited by design
      const keyColumn = KEY_COLUMN[table] ?? '__rowid';
      const rows = db.prepare(`SELECT rowid AS __rowid, * FROM "${table}"`).all() as Row[];
      const byKey = new Map<string, Row>();
      for (const row of rows) {
        if (table === 'sqlite_sequence' && row.name === 'audit_events') continue;
        if (keyColumn !== '__rowid') delete row.__rowid;
        byKey.set(String(row[keyColumn]), row);
      }
      dump.set(table, byKey);
    }
    return dump;
  } finally {
    db.close();
  }
}

interface AuditRow {
  readonly id: number;
  readonly actor: string;
  readonly action: string;
  readonly outcome: string;
}

/** Audit rows with an id above `afterId` (0: all). */
function auditRows(fx: ControllerFixture, afterId = 0): AuditRow[] {
  const db = new Database(join(fx.dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, actor, action, outcome FROM audit_events WHERE id > ? ORDER BY id').all(afterId) as AuditRow[];
  } finally {
    db.close();
  }
}

/** How one table may differ after the fuzzing, given the calls that succeeded. */
interface TableExpectation {
  readonly added: Set<string>;
  /** Rows whose presence cannot be decided from the responses alone (see tokenExpectation). */
  readonly mayBeAdded: Set<string>;
  readonly removed: Set<string>;
  /** Rows whose removal cannot be decided from the responses alone (answers without a revision, see quarantine below). */
  readonly mayBeRemoved: Set<string>;
  /** Rows that must have changed, in these columns only. */
  readonly mustChange: Map<string, readonly string[]>;
  /** Rows that may have changed, in these columns only ('*': any). */
  readonly mayChange: Map<string, readonly string[]>;
  /** Checks the contents of every row added or changed (for rows that may change in any column). */
  checkRow?: (key: string, row: Row, after: Dump) => void;
}

function emptyExpectation(): TableExpectation {
  return { added: new Set(), mayBeAdded: new Set(), removed: new Set(), mayBeRemoved: new Set(), mustChange: new Map(), mayChange: new Map() };
}

function assertDatabaseChange(before: Dump, after: Dump, expected: ReadonlyMap<string, TableExpectation>): void {
  const tables = new Set([...before.keys(), ...after.keys()]);
  for (const table of tables) {
    const was = before.get(table) ?? new Map<string, Row>();
    const now = after.get(table) ?? new Map<string, Row>();
    const exp = expected.get(table) ?? emptyExpectation();
    const added = [...now.keys()].filter((k) => !was.has(k));
    const removed = [...was.keys()].filter((k) => !now.has(k));
    const sorted = (keys: Iterable<string>) => [...keys].sort();
    assert.deepEqual(sorted(added.filter((k) => !exp.mayBeAdded.has(k))), sorted(exp.added), `rows added to ${table}`);
    assert.deepEqual(sorted(removed.filter((k) => !exp.mayBeRemoved.has(k))), sorted(exp.removed), `rows removed from ${table}`);
    for (const [key, row] of now) {
      const old = was.get(key);
      if (!old) {
        exp.checkRow?.(key, row, after);
        continue;
      }
      const changed = Object.keys({ ...old, ...row }).filter((column) => !isDeepStrictEqual(old[column], row[column]));
      const allowed = exp.mustChange.get(key) ?? exp.mayChange.get(key);
      if (changed.length === 0) {
        assert.ok(!exp.mustChange.has(key), `${table} row ${key} should have changed (${exp.mustChange.get(key)?.join(', ')}) and did not`);
        continue;
      }
      assert.ok(allowed, `${table} row ${key} changed (${changed.join(', ')}) though no successful call explains it: ${JSON.stringify(old)} → ${JSON.stringify(row)}`);
      if (!allowed.includes('*')) {
        assert.deepEqual(changed.filter((c) => !allowed.includes(c)), [], `${table} row ${key} changed in columns no successful call explains`);
      }
      exp.checkRow?.(key, row, after);
    }
  }
}

/** What the successful calls of a round say they changed, read from their responses. */
/** A subnet as the rows store it (subnet_base, subnet_len), from the CIDR text of a response. */
interface StoredSubnet {
  readonly base: number;
  readonly prefixLen: number;
}

interface Ledger {
  /** `subnet`: the node's subnet, which an add takes out of quarantine and a remove puts in. */
  readonly nodeEvents: Array<{ op: 'add' | 'remove'; name: string; subnet: StoredSubnet; revision: number; tokenId?: string }>;
  readonly tokensCreated: Array<{ id: string; nodeName: string }>;
  readonly tokensRevoked: string[];
  readonly keysCreated: string[];
  readonly keysRevoked: string[];
  readonly registered: string[];
  /** Nodes whose Watch got past its WatchStart (the controller marked them seen). */
  readonly watched: string[];
  /** Nodes a ReportAddressUsage succeeded for (the certificate's node; the controller marked it seen). */
  readonly usageReported: string[];
  readonly certificatesIssued: string[];
  readonly reserved: Array<{ nodeName: string; subnet: StoredSubnet }>;
  readonly unreserved: Array<{ nodeName: string; subnet: StoredSubnet }>;
  readonly releasedFromQuarantine: Array<{ subnet: StoredSubnet; previousNode: string }>;
  joins: number;
}

interface ResponseFields {
  readonly node?: { readonly name: string; readonly subnet: string } | null;
  readonly revision?: number;
  readonly joinToken?: { readonly id: string; readonly nodeName: string } | null;
  readonly apiKey?: { readonly id: string } | null;
  readonly certificatePem?: string;
  readonly reservation?: { readonly nodeName: string; readonly subnet: string } | null;
  /** ReleaseQuarantinedSubnet's answer (a QuarantinedSubnet). */
  readonly subnet?: { readonly subnet: string; readonly previousNode: string } | null;
}

/**
 * Whether this call's Watch got past its WatchStart: OK (a first message came), or replaced by
 * a newer Watch of the same node, which happens only to a subscribed stream (see isClean).
 */
function watchStarted({ call, outcome }: Result): boolean {
  return call.method.name === 'Watch' && (outcome.code === grpc.status.OK || (outcome.code === grpc.status.ABORTED && isClean({ call, outcome })));
}

function ledgerOf(results: readonly Result[]): Ledger {
  const ledger: Ledger = {
    nodeEvents: [], tokensCreated: [], tokensRevoked: [], keysCreated: [], keysRevoked: [], registered: [], watched: [], usageReported: [], certificatesIssued: [],
    reserved: [], unreserved: [], releasedFromQuarantine: [], joins: 0,
  };
  for (const result of results) {
    const { call, outcome } = result;
    if (watchStarted(result)) {
      assert.ok(call.certificateOf, `a Watch without a node certificate got through: ${describeResult(result)}`);
      ledger.watched.push(call.certificateOf);
    }
    if (outcome.code !== grpc.status.OK || !outcome.response) continue;
    const res = call.method.decode(outcome.response) as ResponseFields;
    switch (call.method.name) {
      case 'AddNode':
        ledger.nodeEvents.push({ op: 'add', name: res.node!.name, subnet: parseCidr(res.node!.subnet), revision: res.revision!, tokenId: res.joinToken?.id });
        break;
      case 'RemoveNode':
        ledger.nodeEvents.push({ op: 'remove', name: res.node!.name, subnet: parseCidr(res.node!.subnet), revision: res.revision! });
        break;
      case 'ReserveSubnet':
        ledger.reserved.push({ nodeName: res.reservation!.nodeName, subnet: parseCidr(res.reservation!.subnet) });
        break;
      case 'DeleteReservation':
        ledger.unreserved.push({ nodeName: res.reservation!.nodeName, subnet: parseCidr(res.reservation!.subnet) });
        break;
      case 'ReleaseQuarantinedSubnet':
        ledger.releasedFromQuarantine.push({ subnet: parseCidr(res.subnet!.subnet), previousNode: res.subnet!.previousNode });
        break;
      case 'CreateJoinToken':
        ledger.tokensCreated.push({ id: res.joinToken!.id, nodeName: res.joinToken!.nodeName });
        break;
      case 'RevokeJoinToken':
        ledger.tokensRevoked.push(res.joinToken!.id);
        break;
      case 'CreateApiKey':
        ledger.keysCreated.push(res.apiKey!.id);
        break;
      case 'RevokeApiKey':
        ledger.keysRevoked.push(res.apiKey!.id);
        break;
      case 'Register':
        ledger.registered.push(res.node!.name);
        break;
      case 'ReportAddressUsage':
        assert.ok(call.certificateOf, `a ReportAddressUsage without a node certificate got through: ${describeResult(result)}`);
        ledger.usageReported.push(call.certificateOf);
        break;
      case 'Join':
        ledger.joins++;
        ledger.certificatesIssued.push(new X509Certificate(res.certificatePem!).serialNumber.toUpperCase());
        break;
      case 'RenewCertificate':
        ledger.certificatesIssued.push(new X509Certificate(res.certificatePem!).serialNumber.toUpperCase());
        break;
    }
  }
  ledger.nodeEvents.sort((a, b) => a.revision - b.revision);
  return ledger;
}

/**
 * The database differences the ledger explains, table by table: every row added, removed or
 * changed must be one that a successful response reported (its node and revision, token, key or
 * certificate), and every reported change must be there; any other difference fails the test.
 * This keeps "the database unchanged" meaningful while valid-looking input legitimately succeeds.
 * `joinTokenId` is the one unused token the round's Join requests carry: the only one a Join can use up.
 */
function expectationsFor(before: Dump, ledger: Ledger, joinTokenId: string | undefined): Map<string, TableExpectation> {
  const expected = new Map<string, TableExpectation>();
  const table = (name: string) => {
    if (!expected.has(name)) expected.set(name, emptyExpectation());
    return expected.get(name)!;
  };
  const nodesBefore = before.get('nodes') ?? new Map<string, Row>();

  // Nodes: replay adds and removes in revision order.
  const present = new Map([...nodesBefore.keys()].map((name) => [name, true]));
  const removedNames = new Set<string>();
  for (const e of ledger.nodeEvents) {
    present.set(e.name, e.op === 'add');
    if (e.op === 'remove') removedNames.add(e.name);
  }
  const nodes = table('nodes');
  for (const [name, isThere] of present) {
    if (isThere && !nodesBefore.has(name)) nodes.added.add(name);
    if (!isThere && nodesBefore.has(name)) nodes.removed.add(name);
    if (isThere && nodesBefore.has(name) && removedNames.has(name)) nodes.mayChange.set(name, ['*']); // removed, then added again
  }
  // Register records the agent and marks it seen; a Watch start marks it seen. Being seen is
  // kept in memory and flushed to last_seen_at every 2 s (node-presence.ts). applied_revision
  // and apply_error come only from WatchAcks, which no call here sends (rawStreamFirst writes
  // the one message, a WatchStart), so they must not change.
  const seenColumns = new Map<string, Set<string>>();
  const mayHaveChanged = (name: string, columns: readonly string[]) => {
    if (!seenColumns.has(name)) seenColumns.set(name, new Set());
    for (const c of columns) seenColumns.get(name)!.add(c);
  };
  for (const name of ledger.registered) mayHaveChanged(name, ['last_registered_at', 'updated_at', 'agent_version', 'last_seen_at']);
  for (const name of ledger.watched) mayHaveChanged(name, ['last_seen_at']);
  for (const name of ledger.usageReported) mayHaveChanged(name, ['address_capacity', 'addresses_leased', 'address_usage_reported_at', 'last_seen_at']);
  for (const [name, columns] of seenColumns) {
    if (!nodes.mayChange.has(name)) nodes.mayChange.set(name, [...columns]);
  }

  // The changelog: one row per add or remove, at the revision the response named.
  for (const e of ledger.nodeEvents) table('changes').added.add(String(e.revision));
  if (ledger.nodeEvents.length > 0) {
    if (before.get('sqlite_sequence')?.has('changes')) table('sqlite_sequence').mustChange.set('changes', ['seq']);
    else table('sqlite_sequence').added.add('changes');
  }

  // Join tokens: removing a node deletes its tokens; a token made during the round survives if its node does.
  const tokens = table('join_tokens');
  for (const [id, row] of before.get('join_tokens') ?? new Map<string, Row>()) {
    if (removedNames.has(String(row.node_name))) tokens.removed.add(id);
  }
  const lastRemoval = (name: string) => Math.max(-1, ...ledger.nodeEvents.filter((e) => e.op === 'remove' && e.name === name).map((e) => e.revision));
  for (const e of ledger.nodeEvents) {
    if (e.op === 'add' && e.tokenId && present.get(e.name) && lastRemoval(e.name) < e.revision) tokens.added.add(e.tokenId);
  }
  for (const t of ledger.tokensCreated) {
    if (!present.get(t.nodeName)) continue;
    // CreateJoinToken answers carry no revision: for a node also removed and re-added in this
    // round, the order of the two is unknown, and so is whether the token survived.
    if (removedNames.has(t.nodeName)) tokens.mayBeAdded.add(t.id);
    else tokens.added.add(t.id);
  }
  // Revoking a token moves its expiry to the time of the call (an earlier expiry stays).
  for (const id of ledger.tokensRevoked) tokens.mayChange.set(id, ['expires_at']);
  if (ledger.joins > 0) {
    assert.ok(joinTokenId, 'a Join succeeded in a round that had no usable join token');
    tokens.mustChange.set(joinTokenId, ['used_at']);
  }

  // Certificates: new ones from Join and RenewCertificate; a removed node's are revoked.
  const certificates = table('node_certificates');
  for (const serial of ledger.certificatesIssued) certificates.added.add(serial);
  for (const [serial, row] of before.get('node_certificates') ?? new Map<string, Row>()) {
    if (removedNames.has(String(row.node_name)) && row.revoked_at === null) certificates.mustChange.set(serial, ['revoked_at', 'revoke_reason']);
    // A Register with a newer certificate retires the node's older ones.
    else if (ledger.registered.includes(String(row.node_name)) && row.revoked_at === null) certificates.mayChange.set(serial, ['revoked_at', 'revoke_reason']);
  }

  // API keys: created ones appear; revoking sets revoked_at once (a second revoke keeps the first time).
  const keys = table('api_keys');
  for (const id of ledger.keysCreated) keys.added.add(id);
  const keysBefore = before.get('api_keys') ?? new Map<string, Row>();
  for (const id of ledger.keysRevoked) {
    if (keysBefore.get(id)?.revoked_at === null) keys.mustChange.set(id, ['revoked_at']);
  }

  reservationExpectation(table('reservations'), before, ledger);
  quarantineExpectation(table('subnet_quarantine'), before, ledger);
  return expected;
}

const sameSubnet = (a: StoredSubnet, row: Row) => row.subnet_base === a.base && row.subnet_len === a.prefixLen;

/**
 * Reservations (keyed by node name) change only through ReserveSubnet, which succeeds only
 * while the name has none, and DeleteReservation, which succeeds only while it has one. So
 * for each name the two alternate, and their counts alone say whether the row is there
 * afterwards, though the answers carry no revision to order them by.
 */
function reservationExpectation(reservations: TableExpectation, before: Dump, ledger: Ledger): void {
  const rowsBefore = before.get('reservations') ?? new Map<string, Row>();
  const names = new Set([...ledger.reserved, ...ledger.unreserved].map((r) => r.nodeName));
  for (const name of names) {
    const made = ledger.reserved.filter((r) => r.nodeName === name).length;
    const dropped = ledger.unreserved.filter((r) => r.nodeName === name).length;
    const had = rowsBefore.has(name);
    const surplus = had ? dropped - made : made - dropped;
    assert.ok(
      surplus === 0 || surplus === 1,
      `"${name}" ${had ? 'had' : 'had no'} reservation before, then ReserveSubnet succeeded ${made} and DeleteReservation ${dropped} times: they cannot alternate`,
    );
    const hasNow = had ? surplus === 0 : surplus === 1;
    if (had && !hasNow) reservations.removed.add(name);
    if (!had && hasNow) reservations.added.add(name);
    if (had && hasNow && made > 0) reservations.mayChange.set(name, ['*']); // dropped and made again
  }
  // A row made in the round holds a subnet that a ReserveSubnet answer reported for that name.
  reservations.checkRow = (name, row) => {
    const answers = ledger.reserved.filter((r) => r.nodeName === name);
    assert.ok(answers.some((r) => sameSubnet(r.subnet, row)), `reservation of "${name}" holds a subnet no ReserveSubnet answered: ${JSON.stringify(row)}`);
  };
}

/**
 * The quarantine (keyed by subnet base) after the round. Every event that touches a subnet's
 * row leaves it in a state that does not depend on what came before, so the row ends as the
 * last event left it:
 * - RemoveNode puts the node's subnet in, unless the name had it reserved (then the row was
 *   absent: a subnet a node holds is never in quarantine);
 * - AddNode takes the new node's subnet out (a quarantined subnet goes only to its previous
 *   name, which takes it out), and so does a ReserveSubnet of it or ReleaseQuarantinedSubnet;
 * - DeleteReservation may put the subnet back in for the rest of its last removal's quarantine.
 * Node events are ordered by revision; the other answers carry none, so any of them may have
 * come last. A state that some possible last event leaves is allowed, nothing else.
 */
function quarantineExpectation(quarantine: TableExpectation, before: Dump, ledger: Ledger): void {
  type State = 'held' | 'free';
  interface Touched {
    lastNodeEvent?: readonly State[];
    readonly unordered: State[];
    /** Names that could have put the row in: its previous_node. */
    readonly previousNodes: Set<string>;
  }
  const touched = new Map<string, Touched>();
  const of = (subnet: StoredSubnet) => {
    const key = String(subnet.base);
    if (!touched.has(key)) touched.set(key, { unordered: [], previousNodes: new Set() });
    return touched.get(key)!;
  };
  const reservationsBefore = before.get('reservations') ?? new Map<string, Row>();
  const reservationChanged = new Set([...ledger.reserved, ...ledger.unreserved].map((r) => r.nodeName));
  /** What removing `name` did to its subnet's row: held, or not if the name had the subnet reserved then. */
  const removal = (name: string, subnet: StoredSubnet): State[] => {
    if (reservationChanged.has(name)) return ['held', 'free'];
    const pin = reservationsBefore.get(name);
    return pin && sameSubnet(subnet, pin) ? ['free'] : ['held'];
  };
  for (const e of ledger.nodeEvents) {
    const t = of(e.subnet);
    if (e.op === 'add') t.lastNodeEvent = ['free'];
    else {
      t.lastNodeEvent = removal(e.name, e.subnet);
      t.previousNodes.add(e.name);
    }
  }
  for (const r of ledger.reserved) of(r.subnet).unordered.push('free');
  for (const r of ledger.releasedFromQuarantine) of(r.subnet).unordered.push('free');
  for (const r of ledger.unreserved) {
    const t = of(r.subnet);
    t.unordered.push('held', 'free');
    t.previousNodes.add(r.nodeName);
  }

  const rowsBefore = before.get('subnet_quarantine') ?? new Map<string, Row>();
  for (const [key, t] of touched) {
    const possible = new Set([...(t.lastNodeEvent ?? []), ...t.unordered]);
    if (rowsBefore.has(key)) {
      if (!possible.has('held')) quarantine.removed.add(key);
      else if (possible.has('free')) quarantine.mayBeRemoved.add(key);
      if (possible.has('held') && t.previousNodes.size > 0) quarantine.mayChange.set(key, ['*']); // taken out and put in again
    } else {
      if (!possible.has('free')) quarantine.added.add(key);
      else if (possible.has('held')) quarantine.mayBeAdded.add(key);
    }
  }
  // A row put in during the round names a node that could have put it there, and runs the
  // default quarantine from a removal of that subnet that the changelog records.
  quarantine.checkRow = (key, row, after) => {
    const subnet = formatCidr({ base: Number(row.subnet_base), prefixLen: Number(row.subnet_len) });
    const names = touched.get(key)?.previousNodes ?? new Set<string>();
    assert.ok(names.has(String(row.previous_node)), `subnet ${subnet} is in quarantine for "${String(row.previous_node)}", but no successful RemoveNode or DeleteReservation of that name explains it: ${JSON.stringify(row)}`);
    const removals = [...(after.get('changes') ?? new Map<string, Row>()).values()].filter((c) => c.op === 'remove' && c.subnet_base === row.subnet_base).map((c) => c.at);
    assert.ok(removals.includes(row.released_at), `subnet ${subnet} in quarantine since ${String(row.released_at)}, when the changelog records no removal of it (${removals.join(', ')})`);
    assert.equal(Number(row.available_at) - Number(row.released_at), DEFAULT_SUBNET_QUARANTINE_MS, `subnet ${subnet}: quarantine length`);
  };
}

function ledgerSummary(ledger: Ledger): string {
  const adds = ledger.nodeEvents.filter((e) => e.op === 'add').length;
  return (
    `successful changes: AddNode=${adds} RemoveNode=${ledger.nodeEvents.length - adds} CreateJoinToken=${ledger.tokensCreated.length} ` +
    `CreateApiKey=${ledger.keysCreated.length} RevokeApiKey=${ledger.keysRevoked.length} Register=${ledger.registered.length} ` +
    `Watch=${ledger.watched.length} ReportAddressUsage=${ledger.usageReported.length} Join=${ledger.joins} RenewCertificate=${ledger.certificatesIssued.length - ledger.joins} ` +
    `ReserveSubnet=${ledger.reserved.length} DeleteReservation=${ledger.unreserved.length} ReleaseQuarantinedSubnet=${ledger.releasedFromQuarantine.length}`
  );
}

/**
 * What an operator sees of the cluster: nodes (without the live `connected` flag, and without
 * `state`, which turns not-ready by the clock alone), routes, tokens, keys, reservations, quarantine.
 */
async function apiView(admin: AdminClient): Promise<object> {
  const nodes = await admin.call<object, ListNodesResponse__Output>('ListNodes', {});
  return {
    nodes: nodes.nodes.map(({ connected: _connected, state: _state, ...node }) => node),
    revision: nodes.revision,
    routes: await admin.call<object, ListRoutesResponse__Output>('ListRoutes', {}),
    joinTokens: await admin.call<object, ListJoinTokensResponse__Output>('ListJoinTokens', {}),
    apiKeys: await admin.call<object, ListApiKeysResponse__Output>('ListApiKeys', {}),
    reservations: await admin.call<object, ListReservationsResponse__Output>('ListReservations', {}),
    quarantine: await admin.call<object, ListQuarantinedSubnetsResponse__Output>('ListQuarantinedSubnets', {}),
  };
}

/** NodePresence's flush interval (node-presence.ts): what it heard reaches the database within this. */
const PRESENCE_FLUSH_INTERVAL_MS = 2000;

/** Waits until every status the controller heard so far has been flushed (one interval, and slack for a busy machine). */
function settlePresence(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, PRESENCE_FLUSH_INTERVAL_MS + 1000));
}

// ---------------------------------------------------------------- the rounds

/** The cluster the fuzzing runs against, and the valid requests its inputs start from. */
interface World {
  readonly admin: AdminClient;
  readonly nodeA: NodeCredentials;
  readonly usedJoinToken: string;
  readonly unusedJoinToken: string;
  readonly revokedKeyId: string;
  readonly readKey: string;
  readonly adminBases: Readonly<Record<string, readonly object[]>>;
  readonly agentBases: Readonly<Record<string, readonly object[]>>;
  readonly book: ValueBook;
}

describe('the controller under hostile gRPC input', { timeout: 120_000 }, () => {
  let fx: ControllerFixture;
  let world: World;
  const { proto } = loadTunctlProto();
  const adminMethods = methodsOf(proto.tunctl.v1.AdminService.service);
  const agentMethods = methodsOf(proto.tunctl.v1.AgentService.service);
  const clients: grpc.Client[] = [];
  const endpoint = (target: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}): Endpoint => {
    const shared = new grpc.Client(target, credentials, options);
    clients.push(shared);
    return { target, credentials, options, shared };
  };
  const noMetadata = () => new grpc.Metadata();

  before(async () => {
    // Heartbeats every 200 ms: a Watch that resumes at the latest revision gets its first
    // message (a heartbeat) well within the call deadline.
    fx = await startController({ heartbeatIntervalMs: 200 });
    const admin = await fx.admin();
    for (const [name, underlayIp] of [['fuzz-a', '192.168.70.1'], ['fuzz-b', '192.168.70.2'], ['fuzz-victim', '192.168.70.3']] as const) {
      await admin.call('AddNode', { name, underlayIp });
    }
    const usedJoinToken = await fx.createJoinToken(admin, 'fuzz-a');
    const nodeA = await joinController(fx.address, usedJoinToken);
    await fx.join(admin, 'fuzz-victim'); // a certificate that removing the node must revoke
    const unusedJoinToken = await fx.createJoinToken(admin, 'fuzz-b', 3600);
    const victimJoinTokenId = parseSecret('join-token', await fx.createJoinToken(admin, 'fuzz-b', 3600)).id;
    const key = async (scope: string, description: string) =>
      (await admin.call<object, CreateApiKeyResponse__Output>('CreateApiKey', { scope, description })).apiKey!;
    const readKey = (await key('API_KEY_SCOPE_READ', 'fuzz read')).key;
    const victimKeyId = (await key('API_KEY_SCOPE_ADMIN', 'fuzz victim')).id;
    const revokedKeyId = (await key('API_KEY_SCOPE_ADMIN', 'fuzz revoked')).id;
    await admin.call('RevokeApiKey', { id: revokedKeyId });
    // A subnet in quarantine (10.244.3.0/24, the fourth one allocated) and a reservation the
    // admin round can undo: ReleaseQuarantinedSubnet and DeleteReservation can succeed from its first call.
    await admin.call('AddNode', { name: 'fuzz-gone', underlayIp: '192.168.70.4' });
    await admin.call('RemoveNode', { name: 'fuzz-gone' });
    await admin.call('ReserveSubnet', { nodeName: 'fuzz-held', subnet: '10.244.252.0/24' });

    const joinKeys = generateKeyPair();
    const joinPublicKey = spkiDer(joinKeys.publicKey);
    const joinProof = (token: string) => signProof(joinKeys.privateKey, joinProofMessage(parseSecret('join-token', token).id, joinPublicKey));
    const renewKeys = generateKeyPair();
    const renewPublicKey = spkiDer(renewKeys.publicKey);
    const renewProof = signProof(renewKeys.privateKey, renewProofMessage('fuzz-a', renewPublicKey));
    const fingerprint = fx.controller.ca.fingerprint;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const rand = prng(0xf022);

    const adminBases: Record<string, readonly object[]> = {
      AddNode: [
        { name: 'fuzz-new', underlayIp: '192.168.71.1' },
        { name: 'fuzz-new-2', underlayIp: '192.168.71.2', subnet: '10.244.250.0/24', joinTokenTtlSeconds: 3600 },
      ],
      GetNode: [{ name: 'fuzz-a' }],
      ListNodes: [{}],
      RemoveNode: [{ name: 'fuzz-victim' }],
      ListRoutes: [{}],
      GetNetwork: [{}],
      CreateJoinToken: [{ nodeName: 'fuzz-b', ttlSeconds: 600 }],
      ListJoinTokens: [{ nodeName: 'fuzz-b' }, {}],
      CreateApiKey: [{ scope: 'API_KEY_SCOPE_READ', ttlSeconds: 3600, description: 'fuzz' }],
      ListApiKeys: [{}],
      RevokeApiKey: [{ id: victimKeyId }],
      RevokeJoinToken: [{ id: `tj1.${victimJoinTokenId}` }],
      ListAuditEvents: [{ limit: 5 }, { since: { seconds: nowSeconds, nanos: 0 }, limit: 10 }],
      ReserveSubnet: [{ nodeName: 'fuzz-pin' }, { nodeName: 'fuzz-pin-2', subnet: '10.244.251.0/24' }],
      ListReservations: [{}],
      DeleteReservation: [{ nodeName: 'fuzz-held' }, { nodeName: 'fuzz-pin' }],
      ListQuarantinedSubnets: [{}],
      // fuzz-gone's subnet, and fuzz-victim's once a RemoveNode of it succeeded.
      ReleaseQuarantinedSubnet: [{ subnet: '10.244.3.0/24' }, { subnet: '10.244.2.0/24' }],
    };
    const agentBases: Record<string, readonly object[]> = {
      // The unused token, with a proof that verifies: a mutation that keeps both can really join.
      Join: [{ joinToken: unusedJoinToken, publicKey: joinPublicKey, proof: joinProof(unusedJoinToken) }],
      RenewCertificate: [{ publicKey: renewPublicKey, proof: renewProof }],
      Register: [{ nodeName: 'fuzz-a', underlayIp: '192.168.70.1', underlayMtu: 1500, agentVersion: '0.1.0' }, {}],
      Watch: [
        { start: { nodeName: 'fuzz-a', knownRevision: fx.controller.store.latestRevision(), clusterId: fx.controller.store.clusterId() } },
        { start: { nodeName: 'fuzz-a' } },
        { ack: { appliedRevision: 1 } },
        {},
      ],
      // Valid for fuzz-a's /24; {} (capacity 0) is refused.
      ReportAddressUsage: [{ leased: 3, capacity: 253 }, {}],
    };

    const otherCurve = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'der' });
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' });
    const secretShape = (prefix: string, id: string) => `${prefix}.${id}.${'A'.repeat(43)}.${fingerprint}`;
    // fuzz-pin: an AddNode of it takes the reserved subnet, a RemoveNode of it leaves no quarantine.
    const names: FieldValue[] = ['fuzz-a', 'fuzz-b', 'fuzz-victim', 'ghost', 'fuzz-new', 'fuzz-pin'];
    const book: ValueBook = {
      byType: {
        TYPE_STRING: STRING_VALUES,
        TYPE_UINT32: UINT_VALUES,
        TYPE_UINT64: UINT_VALUES,
        TYPE_ENUM: ENUM_VALUES,
        TYPE_BYTES: [
          Buffer.alloc(0),
          Buffer.from([0]),
          randomBytes(rand, 91),
          randomBytes(rand, 1024),
          randomBytes(rand, 1025),
          randomBytes(rand, 100 * 1024),
          Buffer.from(otherCurve),
          Buffer.from(ed25519),
          Buffer.from(rsa),
          joinPublicKey.subarray(0, 60),
          Buffer.concat([joinPublicKey, Buffer.from([0])]),
        ],
        'google.protobuf.Timestamp': TIMESTAMP_VALUES,
      },
      byField: {
        name: names,
        nodeName: names,
        underlayIp: [
          '999.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '::1', '0.0.0.0', '255.255.255.255',
          '127.0.0.1', '224.0.0.1', '169.254.1.1', '10.244.1.1', '192.168.70.1', '192.168.70.9', '1.2.3.4/32', '0x7f.1.1.1', '١.٢.٣.٤',
        ],
        subnet: [
          '10.0.0.0/99', '10.244.0.0/-1', '10.244.0.0/24/1', '10.244.300.0/24', '0.0.0.0/0', '10.244.0.0/32', '10.244.0.1/24',
          '10.244.5.0/024', '10.244.5.0/', '/24', '10.244.251.0/24', '10.245.0.0/24',
        ],
        joinTokenTtlSeconds: [366n * 86_400n, 366n * 86_400n + 1n],
        ttlSeconds: [366n * 86_400n, 366n * 86_400n + 1n, 3660n * 86_400n, 3660n * 86_400n + 1n],
        limit: [100_000n, 100_001n],
        underlayMtu: [1n, 28n, 603n, 604n, 65_535n, 65_536n],
        // Around the limits for fuzz-a's /24 (256 addresses), after the base's capacity 253.
        leased: [253n, 254n, 256n],
        capacity: [1n, 2n, 256n, 257n],
        knownRevision: [BigInt(fx.controller.store.latestRevision()), BigInt(fx.controller.store.latestRevision() + 1)],
        id: [
          victimKeyId, `tk1.${victimKeyId}`, victimKeyId.toUpperCase(), revokedKeyId, 'f'.repeat(16), 'g'.repeat(16), secretShape('tk1', victimKeyId),
          victimJoinTokenId, `tj1.${victimJoinTokenId}`, `tk1.${victimJoinTokenId}`,
        ],
        agentVersion: ['x'.repeat(64), 'x'.repeat(65), 'v 1', '0.1.0\n'],
        description: ['x'.repeat(200), 'x'.repeat(201), 'tab\there'],
        joinToken: [
          usedJoinToken,
          ` ${unusedJoinToken.slice(0, -1)} `,
          secretShape('tj1', '0123456789abcdef'),
          `${unusedJoinToken.split('.').slice(0, 3).join('.')}.${'B'.repeat(43)}`,
          readKey,
        ],
        proof: [joinProof(usedJoinToken), renewProof],
      },
    };
    world = { admin, nodeA, usedJoinToken, unusedJoinToken, revokedKeyId, readKey, adminBases, agentBases, book };
  });

  after(async () => {
    for (const c of clients) c.close();
    world?.admin.close();
    await fx?.dispose();
  });

  /**
   * Runs one round of calls, then checks what every round must hold, each as its own subtest so
   * that one failing check does not hide the others: clean statuses, nothing logged as an error.
   */
  async function round(t: TestContext, name: string, calls: readonly Call[]): Promise<Result[]> {
    const logFrom = fx.logger.lines.length;
    const started = Date.now();
    const results = await runCalls(calls);
    t.diagnostic(`${name}: ${results.length} calls in ${Date.now() - started} ms: ${countsByCode(results)}`);
    assert.equal(results.length, calls.length);
    await t.test('every call ended with a clean status', () => assertAllClean(results));
    await t.test('nothing was logged as an error', () => assertNoErrorsLogged(fx, logFrom));
    return results;
  }

  // The agent round runs first: the admin round's inputs name existing nodes, and a RemoveNode
  // of fuzz-a that succeeds revokes the certificate this round authenticates with.
  test('agent calls with a node certificate', async (t) => {
    const rand = prng(0xa6e);
    const withCert = endpoint(fx.address, controllerChannelCredentials(world.nodeA.caPem, world.nodeA), CONTROLLER_CHANNEL_OPTIONS);
    const calls: Call[] = [];
    for (const method of agentMethods.values()) {
      for (const c of fuzzCases(method, world.agentBases[method.name]!, world.book, rand, { random: 120, mutated: 150 })) {
        calls.push({ method, ...c, endpoint: withCert, credential: 'node certificate of fuzz-a', certificateOf: 'fuzz-a', metadata: noMetadata });
      }
    }
    assert.ok(calls.length > 1000, `only ${calls.length} agent inputs`);

    // Input that stayed valid really changes the database: Register records the agent version,
    // Join may use the round's one unused token, RenewCertificate issues a certificate when key
    // and proof survived. So the check is an account (see expectationsFor).
    const dbBefore = dumpDatabase(fx);
    const startedAt = Date.now();
    const results = await round(t, 'agent with a node certificate', shuffle(calls, rand));
    // Who was seen is flushed to the database on a timer: let the last of this round land, so
    // that the dump below holds it and no write from this round lands in a later one.
    await settlePresence();
    await t.test('the database changed exactly as the successful calls say', () => {
      const ledger = ledgerOf(results);
      t.diagnostic(ledgerSummary(ledger));
      assert.ok(ledger.registered.length > 0, 'some Register got through: the certificate authenticated the calls');
      assert.ok(ledger.usageReported.length > 0, 'some ReportAddressUsage got through');
      assert.ok(results.some((r) => r.call.method.name === 'Watch' && r.outcome.code === grpc.status.OK), 'some Watch streamed');
      const dbAfter = dumpDatabase(fx);
      assertDatabaseChange(dbBefore, dbAfter, expectationsFor(dbBefore, ledger, parseSecret('join-token', world.unusedJoinToken).id));
      // Register and Watch mark the node seen: the one these calls spoke for was seen during the round.
      const lastSeen = dbAfter.get('nodes')!.get('fuzz-a')!.last_seen_at;
      assert.ok(typeof lastSeen === 'number' && lastSeen >= startedAt, `fuzz-a last_seen_at ${String(lastSeen)}, round started at ${startedAt}`);
    });
  });

  test('admin calls on the local socket', async (t) => {
    const rand = prng(0xad1);
    const unix = endpoint(`unix:${fx.adminSocket}`, grpc.credentials.createInsecure());
    const calls: Call[] = [];
    for (const method of adminMethods.values()) {
      for (const c of fuzzCases(method, world.adminBases[method.name]!, world.book, rand, { random: 60, mutated: 60 })) {
        calls.push({ method, ...c, endpoint: unix, credential: 'local socket', metadata: noMetadata });
      }
    }
    assert.ok(calls.length > 1500, `only ${calls.length} admin inputs`);

    // The local socket authorizes everything, and input can stay a valid request: an AddNode
    // with a still-valid name, a CreateApiKey whose description kept its meaning, a RemoveNode
    // of a node that exists. Those changes are real, so the check is an account (see
    // expectationsFor). The calls are shuffled, so removals land between the other methods' calls.
    const dbBefore = dumpDatabase(fx);
    const revisionBefore = fx.controller.store.latestRevision();
    const results = await round(t, 'admin over the local socket', shuffle(calls, rand));
    await t.test('the database changed exactly as the successful calls say', () => {
      const ledger = ledgerOf(results);
      t.diagnostic(ledgerSummary(ledger));
      // Each starts from a valid request that can succeed (see before()): the account below covers them.
      assert.ok(ledger.reserved.length > 0, 'some ReserveSubnet got through');
      assert.ok(ledger.unreserved.length > 0, 'some DeleteReservation got through');
      assert.ok(ledger.releasedFromQuarantine.length > 0, 'some ReleaseQuarantinedSubnet got through');
      const dbAfter = dumpDatabase(fx);
      const rows = (dump: Dump, table: string) => [...(dump.get(table)?.keys() ?? [])].length;
      t.diagnostic(
        `rows in quarantine ${rows(dbBefore, 'subnet_quarantine')} → ${rows(dbAfter, 'subnet_quarantine')}, ` +
          `reservations ${rows(dbBefore, 'reservations')} → ${rows(dbAfter, 'reservations')}`,
      );
      assertDatabaseChange(dbBefore, dbAfter, expectationsFor(dbBefore, ledger, undefined));
      assert.equal(fx.controller.store.latestRevision(), revisionBefore + ledger.nodeEvents.length, 'one revision per successful AddNode or RemoveNode');
    });
  });

  test('calls without credentials over TLS', async (t) => {
    const rand = prng(0x7150);
    const anonymous = endpoint(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem), CONTROLLER_CHANNEL_OPTIONS);
    const withCert = endpoint(fx.address, controllerChannelCredentials(world.nodeA.caPem, world.nodeA), CONTROLLER_CHANNEL_OPTIONS);
    const bearer = (value: string) => () => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', value);
      return metadata;
    };
    const fingerprint = fx.controller.ca.fingerprint;
    const readKeyId = parseSecret('api-key', world.readKey).id;
    const printable = (length: number) => Array.from({ length }, () => String.fromCharCode(0x21 + randomInt(rand, 94))).join('');
    // Not one of these is an admin credential: no key, garbage, keys that do not exist or carry
    // a wrong secret, a join token, and a node certificate (which grants nothing here).
    const adminCallers: Array<Pick<Call, 'credential' | 'endpoint' | 'metadata'>> = [
      { credential: 'no key', endpoint: anonymous, metadata: noMetadata },
      { credential: 'garbage bearer', endpoint: anonymous, metadata: bearer(`Bearer ${printable(40)}`) },
      { credential: 'long garbage', endpoint: anonymous, metadata: bearer(printable(3000)) },
      { credential: 'Basic auth', endpoint: anonymous, metadata: bearer('Basic dXNlcjpwYXNz') },
      { credential: 'unknown key', endpoint: anonymous, metadata: bearer(`Bearer tk1.0123456789abcdef.${'A'.repeat(43)}.${fingerprint}`) },
      { credential: 'wrong secret', endpoint: anonymous, metadata: bearer(`Bearer tk1.${readKeyId}.${'A'.repeat(43)}.${fingerprint}`) },
      { credential: 'revoked key id', endpoint: anonymous, metadata: bearer(`Bearer tk1.${world.revokedKeyId}.${'A'.repeat(43)}.${fingerprint}`) },
      { credential: 'join token as key', endpoint: anonymous, metadata: bearer(`Bearer ${world.usedJoinToken}`) },
      { credential: 'node certificate, no key', endpoint: withCert, metadata: noMetadata },
    ];
    const calls: Call[] = [];
    for (const method of adminMethods.values()) {
      const cases = sample(fuzzCases(method, world.adminBases[method.name]!, world.book, rand, { random: 10, mutated: 10 }), 45, rand);
      cases.forEach((c, i) => calls.push({ method, ...c, ...adminCallers[i % adminCallers.length]! }));
    }
    // Agent calls without a certificate; Join carries a token that is already used, so no input can join.
    const agentBases: Record<string, readonly object[]> = {
      ...world.agentBases,
      Join: [{ joinToken: world.usedJoinToken, publicKey: spkiDer(generateKeyPair().publicKey), proof: Buffer.alloc(64, 1) }],
    };
    for (const method of agentMethods.values()) {
      for (const c of sample(fuzzCases(method, agentBases[method.name]!, world.book, rand, { random: 30, mutated: 30 }), 120, rand)) {
        calls.push({ method, ...c, endpoint: anonymous, credential: 'no client certificate', metadata: noMetadata });
      }
    }

    const dbBefore = dumpDatabase(fx);
    const viewBefore = await apiView(world.admin);
    const lastAuditId = Math.max(0, ...auditRows(fx).map((row) => row.id));
    const started = Date.now();
    const results = await round(t, 'no credentials over TLS', shuffle(calls, rand));
    const elapsedMs = Date.now() - started;

    await t.test('every call that reached a handler was refused, and the audit log grew only by bounded refusal rows', () => {
      const handled = results.filter((r) => !isDeserializationFailure(r.outcome));
      // Join takes no certificate, so it may also refuse its input. A Watch stream authenticates
      // its WatchStart; a first message that is not one is refused as such before anything else.
      const refused = ({ call, outcome }: Result) =>
        outcome.code === grpc.status.UNAUTHENTICATED ||
        (call.method.name === 'Join' && outcome.code === grpc.status.INVALID_ARGUMENT) ||
        (call.method.name === 'Watch' && outcome.code === grpc.status.INVALID_ARGUMENT && outcome.details === WATCH_START_FIRST);
      const notRefused = handled.filter((r) => !refused(r));
      assert.equal(notRefused.length, 0, `calls without credentials that were not refused:\n${notRefused.slice(0, 12).map(describeResult).join('\n')}`);
      assert.ok(handled.length > 500, `only ${handled.length} calls reached a handler`);
      // Refusals are audited, but none of these callers is known (no valid key, no certificate
      // of this CA), and anonymous refusals are itemized only up to a budget per minute, the
      // rest counted in one summary row (denial-log.ts): a stranger cannot grow the log at will.
      const added = auditRows(fx, lastAuditId);
      assert.deepEqual(added.filter((row) => row.outcome !== 'denied' || row.actor !== 'anonymous'), [], 'audit rows other than anonymous refusals');
      const windows = Math.floor(elapsedMs / 60_000) + 2;
      const itemized = added.filter((row) => row.action !== 'refusals-not-itemized').length;
      assert.ok(itemized <= Math.min(handled.length, windows * ANONYMOUS_DENIALS_PER_MINUTE), `${itemized} itemized anonymous refusals for ${handled.length} refused calls in ${elapsedMs} ms`);
      assert.ok(added.length - itemized <= windows, 'at most one summary row per minute');
      t.diagnostic(`audit rows added: ${itemized} itemized refusals, ${added.length - itemized} summary rows, for ${handled.length} refused calls`);
    });
    await t.test('the database is unchanged apart from the audit log', async () => {
      assert.deepEqual(dumpDatabase(fx), dbBefore);
      assert.deepEqual(await apiView(world.admin), viewBefore, 'what ListNodes, ListRoutes, ListJoinTokens, ListApiKeys, ListReservations and ListQuarantinedSubnets show');
    });
  });

  test('afterwards the controller still serves: health, AddNode, Join, Register, a Watch snapshot and its ack', async () => {
    const HealthClient = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    const checks = [
      new HealthClient(fx.address, controllerChannelCredentials(fx.controller.ca.certificatePem), CONTROLLER_CHANNEL_OPTIONS),
      new HealthClient(`unix:${fx.adminSocket}`, grpc.credentials.createInsecure()),
    ] as unknown as Array<grpc.Client & { Check(req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void): void }>;
    try {
      for (const health of checks) {
        const res = await new Promise<{ status: string }>((resolve, reject) => health.Check({ service: '' }, (err, r) => (err ? reject(err) : resolve(r))));
        assert.equal(res.status, 'SERVING');
      }
    } finally {
      for (const health of checks) health.close();
    }

    await world.admin.call('AddNode', { name: 'after-fuzz', underlayIp: '192.168.72.1' });
    const credentials = await fx.join(world.admin, 'after-fuzz');
    const agent = fx.agentClient(credentials);
    try {
      const registration = await agent.register('after-fuzz', '192.168.72.1', 1500, '0.1.0');
      assert.equal(registration.nodeName, 'after-fuzz');
      assert.equal(registration.clusterId, fx.controller.store.clusterId());
      const events: WatchEvent[] = [];
      const handle = agent.watch('after-fuzz', 0, (e) => events.push(e), () => {}, registration.clusterId);
      try {
        await waitFor('the first Watch message', () => events.length > 0, 5000);
        const first = events[0]!;
        assert.equal(first.kind, 'snapshot');
        assert.ok(first.kind === 'snapshot' && first.routes.some((r) => r.nodeName === 'after-fuzz'), 'the snapshot has the new node');
        assert.ok(first.kind === 'snapshot' && first.clusterId === registration.clusterId, 'the snapshot names the cluster');
        assert.equal(first.revision, fx.controller.store.latestRevision());
        // The ack reaches the controller's view of the node: it applied the latest revision, no lag.
        handle.ack({ appliedRevision: first.revision });
        const node = await waitFor(
          'the acknowledged revision in GetNode',
          async () => {
            const { node: seen } = await world.admin.call<object, GetNodeResponse__Output>('GetNode', { name: 'after-fuzz' });
            return seen?.appliedRevision === first.revision ? seen : undefined;
          },
          5000,
        );
        assert.deepEqual({ state: node.state, lag: node.lag, applyError: node.applyError }, { state: 'NODE_STATE_READY', lag: 0, applyError: '' });
      } finally {
        handle.cancel();
      }
    } finally {
      agent.close();
    }
  });
});
