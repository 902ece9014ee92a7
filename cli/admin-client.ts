// The one helper every admin command uses: finding and trusting the controller, the
// credential, the deadline, and turning a gRPC failure into a message for the operator.
//
// Where tunctl connects: --controller, else $TUNCTL_CONTROLLER, else the local admin socket.
//   unix:/path      the controller's local socket: no key, the file's permissions decide.
//   HOST:PORT       over the network, TLS: needs an API key ($TUNCTL_API_KEY or --api-key-file),
//                   whose CA fingerprint is how tunctl knows it reached the right controller.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { ControllerCallError, controllerCallError } from '../common/controller-call-error.js';
import { CONTROLLER_CHANNEL_OPTIONS, controllerChannelCredentials, fetchPinnedCa } from '../common/controller-tls.js';
import { loadTunctlProto } from '../common/proto.js';
import { CLIENT_USER_METADATA, parseSecret } from '../common/secrets.js';
import type { AdminServiceClient } from '../proto/gen/tunctl/v1/AdminService.js';
import { connectionFlags, type Values } from './command.js';
import { parseOutputFormat, printResponse, requireLocalSocket, UsageError } from './output.js';

/** Where `tunctl controller` puts its local admin socket unless told otherwise. */
export const DEFAULT_ADMIN_SOCKET = '/run/tunctl/controller.sock';
export const DEFAULT_PORT = 7400;

export interface ConnectionFlags {
  readonly controller?: string;
  readonly apiKeyFile?: string;
}

export type AdminConnection =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tls'; readonly target: string; readonly apiKey: string };

/** Decides where and how to connect, from flags and the environment; UsageError when it cannot. */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): AdminConnection {
  const address = flags.controller || env.TUNCTL_CONTROLLER || `unix:${DEFAULT_ADMIN_SOCKET}`;
  if (address.startsWith('unix:')) {
    const path = address.replace(/^unix:(\/\/)?/, '');
    requireLocalSocket(
      path,
      `the controller's admin socket ${path} does not exist: is \`tunctl controller\` running on this host? ` +
        'To reach a controller on another host, pass --controller HOST:PORT and an API key ($TUNCTL_API_KEY or --api-key-file)',
      `permission denied on the controller's admin socket ${path} (it is root-only): run tunctl as root (sudo), ` +
        'or use --controller HOST:PORT with an API key',
    );
    return { kind: 'unix', path };
  }
  const target = /:\d+$/.test(address) ? address : `${address}:${DEFAULT_PORT}`;
  const apiKey = readApiKey(flags.apiKeyFile, env);
  const source = flags.apiKeyFile ? `the API key in ${flags.apiKeyFile}` : 'TUNCTL_API_KEY';
  if (!apiKey) {
    throw new UsageError(
      `talking to the controller at ${target} over the network needs an API key: set TUNCTL_API_KEY or pass --api-key-file FILE ` +
        '(create one on the controller host with `tunctl apikey create --scope read|admin`)',
    );
  }
  try {
    parseSecret('api-key', apiKey); // a malformed key fails here, before any connection
  } catch (err) {
    throw new UsageError(`${source}: ${(err as Error).message}`);
  }
  return { kind: 'tls', target, apiKey };
}

function readApiKey(file: string | undefined, env: NodeJS.ProcessEnv): string {
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read the API key file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return (env.TUNCTL_API_KEY ?? '').trim();
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

export class AdminClient {
  private readonly client: AdminServiceClient;
  private readonly target: string;
  private readonly timeoutMs: number;
  private readonly apiKey: string | undefined;
  /** Who runs this client, for the audit log; looked up once (a passwd lookup per call was 6% of a bulk run's CPU). */
  private readonly userName = process.env.SUDO_USER || safeUserName();

  private constructor(client: AdminServiceClient, target: string, apiKey: string | undefined, timeoutMs: number) {
    this.client = client;
    this.target = target;
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
  }

  static async connect(connection: AdminConnection, timeoutMs = 10_000): Promise<AdminClient> {
    const { proto } = loadTunctlProto();
    if (connection.kind === 'unix') {
      const client = new proto.tunctl.v1.AdminService(`unix:${connection.path}`, grpc.credentials.createInsecure());
      return new AdminClient(client, connection.path, undefined, timeoutMs);
    }
    const { caFingerprint } = parseSecret('api-key', connection.apiKey);
    const caPem = await fetchPinnedCa(connection.target, caFingerprint, timeoutMs);
    const client = new proto.tunctl.v1.AdminService(connection.target, controllerChannelCredentials(caPem), CONTROLLER_CHANNEL_OPTIONS);
    return new AdminClient(client, connection.target, connection.apiKey, timeoutMs);
  }

  /** Calls one unary method with a deadline; rejects with ControllerCallError. */
  call<Req, Res>(method: keyof AdminServiceClient & string, request: Req): Promise<Res> {
    const fn = (this.client[method] as unknown as UnaryMethod<Req, Res>).bind(this.client);
    const metadata = new grpc.Metadata();
    if (this.apiKey) metadata.set('authorization', `Bearer ${this.apiKey}`);
    metadata.set(CLIENT_USER_METADATA, this.userName);
    return new Promise((resolve, reject) => {
      fn(request, metadata, { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) reject(this.describe(err));
        else resolve(res as Res);
      });
    });
  }

  close(): void {
    this.client.close();
  }

  private describe(err: grpc.ServiceError): ControllerCallError {
    const failure = controllerCallError(err, this.target);
    if (err.code !== grpc.status.UNAVAILABLE && err.code !== grpc.status.DEADLINE_EXCEEDED) return failure;
    return new ControllerCallError(
      failure.code,
      `${failure.message}; is \`tunctl controller\` running there? Set the address with --controller or TUNCTL_CONTROLLER`,
    );
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** Opens a client, runs `fn`, always closes it. */
export async function withAdminClient<T>(flags: ConnectionFlags, fn: (client: AdminClient) => Promise<T>): Promise<T> {
  const client = await AdminClient.connect(resolveConnection(flags));
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/**
 * What most admin commands are: one call, then its response printed as proto3 JSON
 * (-o json) or as the text `render` makes of it. Resolves to the exit code, 0.
 */
export async function callAndPrint<Res>(
  values: Values,
  method: keyof AdminServiceClient & string,
  request: object,
  render: (res: Res) => string,
): Promise<number> {
  parseOutputFormat(values.output as string | undefined); // a bad -o fails before the call
  const res = await withAdminClient(connectionFlags(values), (c) => c.call<object, Res>(method, request));
  return printResponse(values, res, render);
}
