// The agent checks the certificate a controller returns before storing it. An impostor
// controller here (a real TLS gRPC server with the pinned CA, answering Join as each test
// says) returns certificates for another key, another name, from another CA, or expired;
// the agent refuses each with a message saying which, and writes nothing.
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { MemoryLogger } from '../../../common/logger.js';
import { generateKeyPair, spkiDer } from '../../../common/pki/x509.js';
import { loadTunctlProto } from '../../../common/proto.js';
import { newSecret } from '../../../common/secrets.js';
import { checkIssuedCertificate, CREDENTIALS_FILE, loadCredentials, UnusableCertificateError } from '../../../node-agent/identity/credential-files.js';
import { obtainCredentials } from '../../../node-agent/identity/join.js';
import type { JoinRequest__Output } from '../../../proto/gen/tunctl/v1/JoinRequest.js';
import type { JoinResponse } from '../../../proto/gen/tunctl/v1/JoinResponse.js';
import { throwawayCa, type ThrowawayCa } from './throwaway-ca.js';

type Answer = (request: JoinRequest__Output) => JoinResponse;

describe('joining an impostor controller that holds the pinned CA but answers wrongly', () => {
  const ca = throwawayCa('impostor controller CA');
  const other = throwawayCa('some other CA');
  let server: grpc.Server;
  let address: string;
  let answer: Answer;
  let requests: JoinRequest__Output[];
  let stateDir: string;

  before(async () => {
    server = new grpc.Server();
    server.addService(loadTunctlProto().proto.tunctl.v1.AgentService.service, {
      Join: (call: grpc.ServerUnaryCall<JoinRequest__Output, JoinResponse>, callback: grpc.sendUnaryData<JoinResponse>) => {
        requests.push(call.request);
        callback(null, answer(call.request));
      },
    });
    const { certificateChainPem, keyPem } = ca.serverCertificate();
    const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(certificateChainPem), private_key: Buffer.from(keyPem) }], false);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
    address = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());
  beforeEach(() => {
    requests = [];
    stateDir = mkdtempSync(join(tmpdir(), 'tunctl-impostor-'));
  });

  const requestKey = (request: JoinRequest__Output) => createPublicKey({ key: request.publicKey, format: 'der', type: 'spki' });
  const reply = (nodeName: string, certificatePem: string, caPem = ca.certificatePem): JoinResponse => ({ nodeName, certificatePem, caCertificatePem: caPem });

  async function joinExpectingRefusal(pattern: RegExp): Promise<void> {
    const logger = new MemoryLogger();
    try {
      await assert.rejects(
        obtainCredentials({ stateDir, controller: address, joinToken: newSecret('join-token', ca.fingerprint).text, logger, signal: new AbortController().signal }),
        (err: unknown) => {
          assert.ok(err instanceof UnusableCertificateError, `expected UnusableCertificateError, got ${String(err)}`);
          assert.match(err.message, new RegExp(`^the controller at ${address.replace(/\./g, '\\.')} sent a node certificate this agent cannot use: `));
          assert.match(err.message, pattern);
          assert.match(err.message, /nothing was saved$/);
          return true;
        },
      );
      assert.equal(requests.length, 1, 'one Join, no retry of a refusal');
      assert.equal(existsSync(join(stateDir, CREDENTIALS_FILE)), false, 'nothing written');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  }

  test('a certificate for a key the agent did not generate', async () => {
    answer = () => reply('n1', ca.nodeCertificate('n1').certificatePem);
    await joinExpectingRefusal(/it certifies another public key than the one this agent generated/);
  });

  test('a certificate naming another node than the answer says', async () => {
    answer = (request) => reply('n1', ca.nodeCertificate('someone-else', { publicKey: requestKey(request) }).certificatePem);
    await joinExpectingRefusal(/its subject names "someone-else", not node "n1"/);
  });

  test('a certificate from another CA, sent along with that CA', async () => {
    answer = (request) => reply('n1', other.nodeCertificate('n1', { publicKey: requestKey(request) }).certificatePem, other.certificatePem);
    await joinExpectingRefusal(new RegExp(`it comes with CA fingerprint ${escape(other.fingerprint)}, and this agent trusts only ${escape(ca.fingerprint)}`));
  });

  test('a certificate from another CA, claiming the pinned one', async () => {
    answer = (request) => reply('n1', other.nodeCertificate('n1', { publicKey: requestKey(request) }).certificatePem);
    await joinExpectingRefusal(/it was not signed by the controller CA/);
  });

  test('an expired certificate, and one that is not a certificate', async () => {
    answer = (request) =>
      reply('n1', ca.nodeCertificate('n1', { publicKey: requestKey(request), notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) }).certificatePem);
    await joinExpectingRefusal(/it expired at \d{4}-\d\d-\d\dT.*Z already/);
    stateDir = mkdtempSync(join(tmpdir(), 'tunctl-impostor-'));
    requests = [];
    answer = () => reply('n1', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await joinExpectingRefusal(/it is not a PEM certificate/);
  });

  test('a correct answer is stored, with the CA pinned in the handshake: a second CA smuggled into the answer is not trusted', async () => {
    // The answer's CA field carries the pinned CA followed by another one. Stored as sent, the
    // agent would trust the other CA for the controller from then on.
    answer = (request) => reply('n1', ca.nodeCertificate('n1', { publicKey: requestKey(request) }).certificatePem, ca.certificatePem + other.certificatePem);
    const logger = new MemoryLogger();
    try {
      const joined = await obtainCredentials({
        stateDir,
        controller: address,
        joinToken: newSecret('join-token', ca.fingerprint).text,
        nodeName: 'n1',
        logger,
        signal: new AbortController().signal,
      });
      assert.equal(joined!.nodeName, 'n1');
      assert.equal(requests[0]!.nodeName, 'n1', '--name travels in JoinRequest.nodeName');
      const stored = loadCredentials(stateDir)!;
      assert.equal(stored.caPem.trim(), ca.certificatePem.trim(), 'only the pinned CA is stored');
      assert.ok(!readFileSync(join(stateDir, CREDENTIALS_FILE), 'utf8').includes(other.certificatePem.split('\n')[1]!), 'no trace of the other CA');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test('without --name, JoinRequest.nodeName is empty', async () => {
    answer = (request) => reply('n1', ca.nodeCertificate('n1', { publicKey: requestKey(request) }).certificatePem);
    try {
      await obtainCredentials({ stateDir, controller: address, joinToken: newSecret('join-token', ca.fingerprint).text, logger: new MemoryLogger(), signal: new AbortController().signal });
      assert.equal(requests[0]!.nodeName, '');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('checkIssuedCertificate on its own', () => {
  const ca: ThrowawayCa = throwawayCa();
  const keys = generateKeyPair();
  const publicKeyDer = spkiDer(keys.publicKey);
  const good = { nodeName: 'r1', certificatePem: ca.nodeCertificate('r1', { publicKey: keys.publicKey }).certificatePem, caPem: ca.certificatePem };
  const expected = { publicKeyDer, trustedCaPem: ca.certificatePem, controller: 'c:1' };

  test('accepts a certificate for our key, our node and our CA', () => {
    checkIssuedCertificate(good, expected);
    checkIssuedCertificate(good, { ...expected, nodeName: 'r1' });
    assert.equal(new X509Certificate(good.certificatePem).checkPrivateKey(keys.privateKey), true);
  });

  test('at renewal, the answer must be for the node the agent already is', () => {
    assert.throws(() => checkIssuedCertificate(good, { ...expected, nodeName: 'r2' }), /it is for node "r1", and this agent is node "r2"/);
  });

  test('checks the moment it is given: a certificate valid now is expired an hour and a bit later', () => {
    assert.throws(() => checkIssuedCertificate(good, { ...expected, now: Date.now() + 2 * 3600_000 }), /expired at .* already/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
