// Fails when proto/gen is stale: regenerates the types into a temporary folder and
// compares them with the committed ones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'tunctl-gen-'));
try {
  const protos = readdirSync(join(root, 'proto/tunctl/v1')).filter((f) => f.endsWith('.proto')).map((f) => `proto/tunctl/v1/${f}`);
  execFileSync(join(root, 'node_modules/.bin/proto-loader-gen-types'),
    ['--longs=Number', '--enums=String', '--defaults', '--oneofs', '--keepCase=false', '--grpcLib=@grpc/grpc-js', `--outDir=${out}`, ...protos],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const list = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? list(join(dir, f)) : [join(dir, f)]));
  const fresh = new Map(list(out).map((f) => [relative(out, f), readFileSync(f, 'utf8')]));
  const committed = new Map(list(join(root, 'proto/gen')).filter((f) => f.endsWith('.ts')).map((f) => [relative(join(root, 'proto/gen'), f), readFileSync(f, 'utf8')]));
  const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter((k) => fresh.get(k) !== committed.get(k));
  if (stale.length > 0) {
    console.error(`proto/gen is stale (${stale.join(', ')}): run \`npm run gen:proto\` and commit the result`);
    process.exit(1);
  }
  console.log(`proto/gen is fresh (${fresh.size} files)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
