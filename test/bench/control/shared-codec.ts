// The AgentService client class the simulated agents use: real grpc-js (channel, HTTP/2,
// TLS, framing), with protobuf decoding shared by the agents of one process. In a real
// cluster each agent decodes each message on its own host; here thousands of agents share
// two cores with the controller, and decoding every copy would make the fleet, not the
// controller, what the bench measures. The controller encodes a change once and sends the
// same bytes to every agent at that revision, so byte-identical messages are decoded once
// per process (keyed by a hash of the bytes), and the acks for one revision encoded once.
import * as grpc from '@grpc/grpc-js';
import { hash } from 'node:crypto';
import { loadTunctlProto } from '../../../common/proto.js';
import type { AgentServiceClient } from '../../../proto/gen/tunctl/v1/AgentService.js';
import type { WatchRequest } from '../../../proto/gen/tunctl/v1/WatchRequest.js';
import type { WatchResponse__Output } from '../../../proto/gen/tunctl/v1/WatchResponse.js';
import { unpacked } from '../../../node-agent/controller-client.js';

/** Distinct messages remembered: agents at different revisions receive different bytes. */
const DECODED_KEPT = 256;

type Decode = (bytes: Buffer) => unknown;
type Encode = (value: unknown) => Buffer;

/** `decode`, remembered by a hash of the bytes; the decoded object is shared, so read it only. */
export function sharedDecoder(decode: Decode, kept = DECODED_KEPT): Decode {
  const decoded = new Map<string, unknown>();
  return (bytes) => {
    const key = hash('sha1', bytes, 'base64');
    let value = decoded.get(key);
    if (value === undefined) {
      value = decode(bytes);
      decoded.set(key, value);
      if (decoded.size > kept) decoded.delete(decoded.keys().next().value!);
    }
    return value;
  };
}

/** `encode` for WatchRequests, with each ack-only request encoded once per revision. */
export function sharedAckEncoder(encode: Encode, kept = DECODED_KEPT): Encode {
  const acks = new Map<number, Buffer>();
  return (value) => {
    const request = value as WatchRequest;
    const ack = request.ack;
    if (request.start || !ack || ack.failedRevision || ack.error || typeof ack.appliedRevision !== 'number') return encode(value);
    let bytes = acks.get(ack.appliedRevision);
    if (!bytes) {
      bytes = encode(value);
      acks.set(ack.appliedRevision, bytes);
      if (acks.size > kept) acks.delete(acks.keys().next().value!);
    }
    return bytes;
  };
}

type AgentServiceConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => AgentServiceClient;

let cached: AgentServiceConstructor | undefined;

/** The AgentService client class with Watch decoding and ack encoding shared in this process. */
export function sharedAgentServiceClient(): AgentServiceConstructor {
  if (!cached) {
    const service = loadTunctlProto().proto.tunctl.v1.AgentService.service;
    const watch = service['Watch']!;
    const definition: grpc.ServiceDefinition = {
      ...service,
      Watch: {
        ...watch,
        // Packed messages are unpacked as the agent does (node-agent/controller-client.ts), once per process.
        responseDeserialize: sharedDecoder((bytes) => unpacked(watch.responseDeserialize(bytes) as WatchResponse__Output)),
        requestSerialize: sharedAckEncoder(watch.requestSerialize as Encode),
      },
    };
    cached = grpc.makeGenericClientConstructor(definition, 'AgentService') as unknown as AgentServiceConstructor;
  }
  return cached;
}
