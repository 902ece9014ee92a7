// Crash-safe file replacement: write a temporary file with its final mode, fsync it, rename
// it over the target, fsync the folder. After a power cut the file is the old or the new
// version, never a torn one; secrets are never readable by others, not even for a moment.
// The temporary file gets a random name and is created exclusively ('wx': O_CREAT|O_EXCL),
// which never follows a symlink: someone who can write to the folder cannot make us write
// our secret through a link they planted, nor into a file they opened beforehand.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileAtomicSync(file: string, data: string | Uint8Array, mode: number): void {
  const tmp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    try {
      // The umask may have taken bits from `mode`; the file gets exactly the mode asked for.
      fchmodSync(fd, mode);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
