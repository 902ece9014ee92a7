// Packed route messages on the Watch stream. A storm of adds or a fleet reconnecting means the
// same large delta or snapshot goes to thousands of agents; every byte of it is copied,
// encrypted and sent once per agent. Route tables compress about 6x (names and addresses are
// sequential), so the controller compresses a large message once and sends the small bytes to
// every agent that said it can read them (WatchStart.accept_packed). Measured: a 700-change
// delta is 33 KB plain, 5.4 KB packed; packing takes 0.3 ms once, unpacking 0.1 ms per agent.
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Messages with fewer routes or changes than this go plain: too small to be worth it. */
export const PACK_MIN_ENTRIES = 64;
/**
 * The most a packed message may unpack to. A table of 65,536 routes is about 3 MB; anything
 * far beyond is not a route table but a compression bomb, refused before it is inflated whole.
 */
export const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;

/** Compresses an encoded WatchResponse for the `packed` field. */
export function packWatchBody(encoded: Buffer): Buffer {
  return deflateRawSync(encoded);
}

/** The encoded WatchResponse inside `packed`; throws on corrupt data or one beyond MAX_UNPACKED_BYTES. */
export function unpackWatchBody(packed: Buffer): Buffer {
  try {
    return inflateRawSync(packed, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`packed routes unpack to more than ${MAX_UNPACKED_BYTES} bytes`);
    throw new Error(`packed routes are not valid DEFLATE data (${code ?? (err as Error).message})`);
  }
}
