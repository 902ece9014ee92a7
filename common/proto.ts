// Loads the gRPC contract at run time with the same options the committed types in
// proto/gen were generated with (see `npm run gen:proto`).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType } from '../proto/gen/tunctl.js';

export const PROTO_ROOT = fileURLToPath(new URL('../../proto', import.meta.url));
export const PROTO_FILE = 'tunctl/v1/tunctl.proto';

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: { packageDefinition: protoLoader.PackageDefinition; proto: ProtoGrpcType } | undefined;

export function loadTunctlProto(): { packageDefinition: protoLoader.PackageDefinition; proto: ProtoGrpcType } {
  if (!cached) {
    const packageDefinition = protoLoader.loadSync(PROTO_FILE, PROTO_LOADER_OPTIONS);
    const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
    cached = { packageDefinition, proto };
  }
  return cached;
}

/**
 * The contract as written (snake_case field names) for server reflection: grpcurl and
 * other clients build requests from these descriptors, so they must match the .proto,
 * not the camelCase names our own runtime uses.
 */
export function loadTunctlDescriptorsForReflection(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(PROTO_FILE, { ...PROTO_LOADER_OPTIONS, keepCase: true });
}
