// Linux TUN device through koffi: the only file that touches /dev/net/tun. Calls are
// synchronous and take buffer addresses as plain numbers (looked up once per buffer),
// which is what keeps a worker-thread packet loop on par with C forwarders.
import koffi from 'koffi';
import { ERRNO, errnoName, syscallError, type SyscallError } from '../../common/syscall-error.js';
import { validateTunName, type TunDevice } from './tun-device.js';

const libc = koffi.load('libc.so.6');
const sysOpen = libc.func('int open(const char *path, int flags, ...)');
const sysClose = libc.func('int close(int fd)');
const sysRead = libc.func('long read(int fd, uintptr_t buf, size_t count)');
const sysWrite = libc.func('long write(int fd, uintptr_t buf, size_t count)');
const sysPoll = libc.func('int poll(uintptr_t fds, unsigned long nfds, int timeout)');
const sysIoctl = libc.func('int ioctl(int fd, unsigned long request, ...)');

const O_RDWR = 0x2;
const O_NONBLOCK = 0x800;
const O_CLOEXEC = 0x80000;
const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;
const POLLIN = 0x1;

const E = ERRNO;

export const DEFAULT_TUN_BATCH = 64;
export const DEFAULT_POLL_TIMEOUT_MS = 200;

function openError(name: string, errno: number): SyscallError {
  switch (errno) {
    case E.ENOENT:
    case E.ENODEV:
    case E.ENXIO:
      return syscallError('open', errno, '/dev/net/tun is missing: load the tun module (modprobe tun), or pass --device /dev/net/tun to the container');
    case E.EACCES:
    case E.EPERM:
      return syscallError('open', errno, `permission denied opening /dev/net/tun for "${name}": run as root or with CAP_NET_ADMIN`);
    default:
      return syscallError('open', errno, `cannot open /dev/net/tun for "${name}"`);
  }
}

function setIffError(name: string, errno: number): SyscallError {
  switch (errno) {
    case E.EPERM:
    case E.EACCES:
      return syscallError('ioctl', errno, `creating TUN device "${name}" needs CAP_NET_ADMIN: run as root or grant the capability`);
    case E.EBUSY:
      return syscallError('ioctl', errno, `TUN device name "${name}" is already held by another open TUN device (another agent running?): stop it or choose another name`);
    case E.EINVAL:
      return syscallError('ioctl', errno, `cannot create TUN device "${name}": a non-TUN interface has that name (see \`ip link show ${name}\`) or the name is invalid`);
    default:
      return syscallError('ioctl', errno, `cannot create TUN device "${name}"`);
  }
}

export interface LinuxTunOptions {
  /** How long read() waits for a first packet; bounds how quickly a loop sees a stop flag. */
  pollTimeoutMs?: number;
  batchSize?: number;
}

export class LinuxTun implements TunDevice {
  readonly name: string;
  readonly fd: number;
  readonly batchSize: number;
  lastWriteError = '';
  private readonly owned: boolean;
  private readonly pollTimeoutMs: number;
  private closed = false;
  private readonly pollFd = Buffer.alloc(64);
  private readonly pollFdAddr: number;
  /** Native address of each slot's buffer; recomputed only when the caller swaps a buffer. */
  private readonly cachedBufs: (Uint8Array | undefined)[];
  private readonly cachedAddrs: Float64Array;

  private constructor(fd: number, name: string, owned: boolean, options: LinuxTunOptions) {
    this.fd = fd;
    this.name = name;
    this.owned = owned;
    this.batchSize = options.batchSize ?? DEFAULT_TUN_BATCH;
    this.pollTimeoutMs = options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
    this.cachedBufs = new Array<Uint8Array | undefined>(this.batchSize).fill(undefined);
    this.cachedAddrs = new Float64Array(this.batchSize);
    this.pollFd.writeInt32LE(fd, 0);
    this.pollFd.writeInt16LE(POLLIN, 4);
    this.pollFdAddr = Number(koffi.address(this.pollFd));
  }

  /**
   * Creates a non-persistent TUN interface (IFF_TUN | IFF_NO_PI) named `name` ("" or "tun%d":
   * kernel-chosen). It is left down and unaddressed; closing the device removes it.
   */
  static open(name: string, options: LinuxTunOptions = {}): LinuxTun {
    validateTunName(name);
    const fd = sysOpen('/dev/net/tun', O_RDWR | O_NONBLOCK | O_CLOEXEC) as number;
    if (fd < 0) throw openError(name, koffi.errno());
    const ifr = Buffer.alloc(IFREQ_SIZE);
    ifr.write(name, 0, IFNAMSIZ - 1, 'utf8');
    ifr.writeInt16LE(IFF_TUN | IFF_NO_PI, IFNAMSIZ);
    if ((sysIoctl(fd, TUNSETIFF, 'uint8_t *', ifr) as number) < 0) {
      const errno = koffi.errno();
      sysClose(fd);
      throw setIffError(name, errno);
    }
    const end = ifr.indexOf(0);
    const actual = ifr.toString('utf8', 0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end);
    return new LinuxTun(fd, actual, true, options);
  }

  /** Wraps a descriptor opened elsewhere in this process (a worker's view); close() leaves the fd open. */
  static attach(fd: number, name: string, options: LinuxTunOptions = {}): LinuxTun {
    return new LinuxTun(fd, name, false, options);
  }

  read(bufs: readonly Uint8Array[], sizes: Int32Array, maxPackets: number): number {
    if (this.closed) throw this.closedError();
    const max = Math.min(maxPackets, this.batchSize, bufs.length, sizes.length);
    let n = 0;
    let polled = false;
    while (n < max) {
      const buf = bufs[n]!;
      const r = sysRead(this.fd, this.addressOf(n, buf), buf.length) as number;
      if (r > 0) {
        // Never report more than the buffer holds, or a later send would read past it.
        sizes[n++] = r < buf.length ? r : buf.length;
        continue;
      }
      if (r === 0) break;
      const errno = koffi.errno();
      if (errno === E.EINTR) continue;
      if (errno === E.EAGAIN) {
        // Drain without waiting once something arrived; otherwise wait once, then drain.
        if (n > 0 || polled) break;
        polled = true;
        if (!this.waitReadable()) break;
        continue;
      }
      if (n > 0) break;
      throw syscallError('read', errno, `reading TUN device ${this.name} failed`);
    }
    return n;
  }

  write(bufs: readonly Uint8Array[], sizes: Int32Array, count: number): number {
    if (this.closed) throw this.closedError();
    let written = 0;
    for (let i = 0; i < count; i++) {
      const size = sizes[i]!;
      if (size <= 0) continue;
      const buf = bufs[i]!;
      // The kernel would read past the buffer: never let a caller bug leak memory into the host.
      if (size > buf.length) throw new RangeError(`write: sizes[${i}] = ${size} exceeds its buffer (${buf.length} bytes)`);
      const r = sysWrite(this.fd, this.addressOf(i, buf), size) as number;
      if (r >= 0) {
        written++;
        continue;
      }
      const errno = koffi.errno();
      if (errno === E.EINTR) {
        i--;
        continue;
      }
      if (errno === E.EBADF || errno === E.EBADFD) throw syscallError('write', errno, `TUN device ${this.name} is gone`);
      this.lastWriteError = errnoName(errno);
      sizes[i] = -1;
    }
    return written;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) sysClose(this.fd);
  }

  private addressOf(slot: number, buf: Uint8Array): number {
    if (slot >= this.batchSize) return Number(koffi.address(buf));
    if (this.cachedBufs[slot] !== buf) {
      this.cachedBufs[slot] = buf;
      this.cachedAddrs[slot] = Number(koffi.address(buf));
    }
    return this.cachedAddrs[slot]!;
  }

  /** poll() for input up to the timeout; false when nothing arrived. */
  private waitReadable(): boolean {
    for (;;) {
      const r = sysPoll(this.pollFdAddr, 1, this.pollTimeoutMs) as number;
      if (r >= 0) return r > 0;
      const errno = koffi.errno();
      if (errno !== E.EINTR) throw syscallError('poll', errno, `waiting on TUN device ${this.name} failed`);
    }
  }

  private closedError(): SyscallError {
    return syscallError('read', E.EBADF, `TUN device ${this.name} is closed`);
  }
}
