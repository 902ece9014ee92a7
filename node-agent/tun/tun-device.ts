// The TUN device at the OS boundary, batch-shaped like wireguard-go's tun.Device: the
// caller owns the buffers and the sizes array, so a forwarding loop allocates nothing.
// Each packet is a bare IPv4/IPv6 datagram (no packet-info header). OS failures that end
// the device (closed fd, interface deleted) throw errors carrying `code` like Node's
// ErrnoException; per-packet refusals do not throw.
import { InvalidArgumentError } from '../../common/errors.js';

/** Largest packet a TUN read can return; buffers of this size never truncate. */
export const TUN_MAX_PACKET = 65535;

export interface TunDevice {
  /** Interface name the kernel assigned (e.g. "tun0"). */
  readonly name: string;
  /** Underlying file descriptor for handing to worker threads; -1 for in-memory devices. */
  readonly fd: number;
  /** Most packets one read or write call handles; never changes. */
  readonly batchSize: number;
  /**
   * Reads up to min(maxPackets, batchSize, bufs.length) packets into bufs[i], setting sizes[i];
   * waits up to the device's poll timeout for the first one and returns how many were read (0: none).
   */
  read(bufs: readonly Uint8Array[], sizes: Int32Array, maxPackets: number): number;
  /**
   * Writes bufs[i][0, sizes[i]) for i < count, skipping entries whose size is <= 0; returns how many
   * were written. A packet the kernel refuses gets sizes[i] = -1 and its reason in lastWriteError.
   */
  write(bufs: readonly Uint8Array[], sizes: Int32Array, count: number): number;
  /** Error code (e.g. "EIO") of the last packet write refused, '' if none yet; for logs. */
  readonly lastWriteError: string;
  /** Releases the device; for a device this process created, the interface disappears. Idempotent. */
  close(): void;
}

const IFNAMSIZ = 16;

/** Throws unless `name` is a usable Linux interface name: 1-15 bytes without '/', ':' or whitespace; "" lets the kernel pick. */
export function validateTunName(name: string): void {
  if (name === '') return;
  if (Buffer.byteLength(name) >= IFNAMSIZ || name === '.' || name === '..' || /[\s/:]/.test(name)) {
    throw new InvalidArgumentError(
      `invalid TUN device name "${name}": use 1-15 characters without '/', ':' or spaces (e.g. tun0, or "tun%d" to let the kernel number it)`,
    );
  }
}
