// Readiness drives the gRPC health service: NOT_SERVING while the controller starts, SERVING
// once it serves, NOT_SERVING from the start of the shutdown, and never SERVING again after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { Readiness } from '../../controller/readiness.js';

type Check = (req: { service: string }, cb: (err: grpc.ServiceError | null, res: { status: string }) => void) => void;

test('the health service follows readiness through start, serving and stopping', async () => {
  const readiness = new Readiness(['', 'tunctl.v1.AdminService']);
  const server = new grpc.Server();
  readiness.health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const Health = grpc.makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
  const client = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Check: Check };
  const statuses = async () =>
    Promise.all(['', 'tunctl.v1.AdminService'].map((service) => new Promise<string>((resolve, reject) => client.Check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))))));
  try {
    assert.equal(readiness.ready, false);
    assert.deepEqual(await statuses(), ['NOT_SERVING', 'NOT_SERVING'], 'starting');
    readiness.serving();
    assert.equal(readiness.ready, true);
    assert.deepEqual(await statuses(), ['SERVING', 'SERVING'], 'serving');
    readiness.stopping();
    assert.equal(readiness.ready, false);
    assert.deepEqual(await statuses(), ['NOT_SERVING', 'NOT_SERVING'], 'stopping');
    readiness.serving();
    assert.equal(readiness.ready, false, 'a stopping controller does not serve again');
    assert.deepEqual(await statuses(), ['NOT_SERVING', 'NOT_SERVING']);
  } finally {
    client.close();
    server.forceShutdown();
  }
});
