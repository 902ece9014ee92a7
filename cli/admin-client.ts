// The one helper every admin command uses: the connection, the deadline, and turning a
// gRPC failure into a message for the operator.
import * as grpc from '@grpc/grpc-js';
import { ControllerCallError, controllerCallError } from '../common/controller-call-error.js';
import { loadTunctlProto } from '../common/proto.js';
import type { AdminServiceClient } from '../proto/gen/tunctl/v1/AdminService.js';

export const DEFAULT_CONTROLLER = '127.0.0.1:7400';

/** The controller address: --controller, else $TUNCTL_CONTROLLER, else the local default. */
export function controllerAddress(flag: string | undefined): string {
  return flag || process.env.TUNCTL_CONTROLLER || DEFAULT_CONTROLLER;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

export class AdminClient {
  private readonly client: AdminServiceClient;
  private readonly target: string;
  private readonly timeoutMs: number;

  constructor(target: string, timeoutMs = 10_000) {
    this.target = target;
    this.timeoutMs = timeoutMs;
    const { proto } = loadTunctlProto();
    this.client = new proto.tunctl.v1.AdminService(target, grpc.credentials.createInsecure());
  }

  /** Calls one unary method with a deadline; rejects with ControllerCallError. */
  call<Req, Res>(method: keyof AdminServiceClient & string, request: Req): Promise<Res> {
    const fn = (this.client[method] as unknown as UnaryMethod<Req, Res>).bind(this.client);
    return new Promise((resolve, reject) => {
      fn(request, { deadline: Date.now() + this.timeoutMs }, (err, res) => {
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

/** Opens a client, runs `fn`, always closes it. */
export async function withAdminClient<T>(controllerFlag: string | undefined, fn: (client: AdminClient) => Promise<T>): Promise<T> {
  const client = new AdminClient(controllerAddress(controllerFlag));
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
