// Linux TUN device through koffi: the only file that touches /dev/net/tun. Calls are
// synchronous and take buffer addresses as plain numbers (looked up once per buffer),
// which is what keeps a worker-thread packet loop on par with C forwarders.
import koffi from 'koffi';
import { ERRNO, errnoName, syscallError, type SyscallError } from '../../common/syscall-error.js';
import { BufferAddresses } from '../../common/buffer-addresses.js';
import { MAX_PIECES_PER_MESSAGE, type GatherList } from '../dataplane/gather.js';
import { VNET_HDR_LEN } from '../dataplane/vnet-header.js';
import { validateTunName, type TunDevice } from './tun-device.js';

const libc = koffi.load('libc.so.6');
const sysOpen = libc.func('int open(const char *path, int flags, ...)');
const sysClose = libc.func('int close(int fd)');
const sysRead = libc.func('long read(int fd, uintptr_t buf, size_t count)');
const sysWrite = libc.func('long write(int fd, uintptr_t buf, size_t count)');
const sysWritev = libc.func('long writev(int fd, uintptr_t iov, int iovcnt)');
const sysPoll = libc.func('int poll(uintptr_t fds, unsigned long nfds, int timeout)');
const sysIoctl = libc.func('int ioctl(int fd, unsigned long request, ...)');

const O_RDWR = 0x2;
const O_NONBLOCK = 0x800;
const O_CLOEXEC = 0x80000;
const TUNSETIFF = 0x400454ca;
const TUNSETOFFLOAD = 0x400454d0;
const TUNSETVNETHDRSZ = 0x400454d8;
const IFF_TUN = 0x0001;
const IFF_MULTI_QUEUE = 0x0100;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;
// Offloads the device may hand us (and accept from us) in superpackets (linux/if_tun.h).
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
export const TUN_F_USO4 = 0x20;
export const TUN_F_USO6 = 0x40;
const IOVEC_SIZE = 16;
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

/** How the device was opened: plain packets, or superpackets behind a virtio-net header. */
export interface TunOffload {
  /** Every read and write carries a 12-byte virtio-net header (IFF_VNET_HDR). */
  readonly vnetHeader: boolean;
  /** TUN_F_* flags the kernel accepted (0 without a header). */
  readonly flags: number;
}

export interface TunOpenOptions extends LinuxTunOptions {
  /** Ask for superpackets: IFF_VNET_HDR and TUNSETOFFLOAD (falls back to plain packets if refused). */
  offload?: boolean;
  /** Open with IFF_MULTI_QUEUE so openQueue() can add queues for more workers. */
  multiQueue?: boolean;
}

export interface LinuxTunOptions {
  /** How long read() waits for a first packet; bounds how quickly a loop sees a stop flag. */
  pollTimeoutMs?: number;
  /** false: read() returns at once with what is queued (the caller polls); default true. */
  waitForPackets?: boolean;
  batchSize?: number;
}

export interface TunAttachOptions extends LinuxTunOptions {
  /** How the descriptor was opened (LinuxTun.offload of the opener). */
  offload?: TunOffload;
}

/** TUNSETIFF on a fresh /dev/net/tun descriptor; returns it with the name the kernel chose. */
function createQueue(name: string, flags: number): { fd: number; actual: string } {
  const fd = sysOpen('/dev/net/tun', O_RDWR | O_NONBLOCK | O_CLOEXEC) as number;
  if (fd < 0) throw openError(name, koffi.errno());
  const ifr = Buffer.alloc(IFREQ_SIZE);
  ifr.write(name, 0, IFNAMSIZ - 1, 'utf8');
  ifr.writeInt16LE(flags, IFNAMSIZ);
  if ((sysIoctl(fd, TUNSETIFF, 'uint8_t *', ifr) as number) < 0) {
    const errno = koffi.errno();
    sysClose(fd);
    throw setIffError(name, errno);
  }
  const end = ifr.indexOf(0);
  return { fd, actual: ifr.toString('utf8', 0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end) };
}

/**
 * Sets the 12-byte header size and the richest set of offloads the kernel takes (UDP
 * segmentation offload arrived in 6.2, TSO long before); returns the TUN_F_* flags set,
 * 0 when not even TSO is taken (a header would then buy nothing).
 */
function enableOffloads(fd: number): number {
  const size = Buffer.alloc(4);
  size.writeInt32LE(VNET_HDR_LEN, 0);
  if ((sysIoctl(fd, TUNSETVNETHDRSZ, 'uint8_t *', size) as number) < 0) return 0;
  const candidates = [
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
  ];
  for (const flags of candidates) {
    if ((sysIoctl(fd, TUNSETOFFLOAD, 'unsigned long', flags) as number) === 0) return flags;
  }
  return 0;
}

export class LinuxTun implements TunDevice {
  readonly name: string;
  readonly fd: number;
  readonly batchSize: number;
  lastWriteError = '';
  readonly offload: TunOffload;
  private readonly flags: number;
  private readonly owned: boolean;
  private readonly pollTimeoutMs: number;
  private readonly waitForPackets: boolean;
  private closed = false;
  private readonly pollFd = Buffer.alloc(64);
  private readonly pollFdAddr: number;
  /** Native addresses of the read and the write buffers, each direction its own. */
  private readonly readAddrs: BufferAddresses;
  private readonly writeAddrs: BufferAddresses;

  /** Native iovec array for writeGather, and the native addresses of its GatherList's buffers. */
  private gatherIov: Buffer | undefined;
  private gatherIovView: DataView | undefined;
  private gatherIovAddr = 0;
  private gatherFor: GatherList | undefined;
  private gatherAddrs: Float64Array | undefined;

  private constructor(fd: number, name: string, owned: boolean, options: LinuxTunOptions, flags: number, offload: TunOffload) {
    this.fd = fd;
    this.name = name;
    this.owned = owned;
    this.flags = flags;
    this.offload = offload;
    this.batchSize = options.batchSize ?? DEFAULT_TUN_BATCH;
    this.pollTimeoutMs = options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
    this.waitForPackets = options.waitForPackets ?? true;
    this.readAddrs = new BufferAddresses(this.batchSize);
    this.writeAddrs = new BufferAddresses(this.batchSize);
    this.pollFd.writeInt32LE(fd, 0);
    this.pollFd.writeInt16LE(POLLIN, 4);
    this.pollFdAddr = Number(koffi.address(this.pollFd));
  }

  /**
   * Creates a non-persistent TUN interface (IFF_TUN | IFF_NO_PI) named `name` ("" or "tun%d":
   * kernel-chosen). It is left down and unaddressed; closing the device removes it. With
   * `offload`, it asks for superpackets and falls back to plain packets if the kernel refuses.
   */
  static open(name: string, options: TunOpenOptions = {}): LinuxTun {
    validateTunName(name);
    const base = IFF_TUN | IFF_NO_PI | (options.multiQueue ? IFF_MULTI_QUEUE : 0);
    if (options.offload) {
      const { fd, actual } = createQueue(name, base | IFF_VNET_HDR);
      const flags = enableOffloads(fd);
      if (flags !== 0) return new LinuxTun(fd, actual, true, options, base | IFF_VNET_HDR, { vnetHeader: true, flags });
      // No offloads: a header on every packet would buy nothing. Start over without it.
      sysClose(fd);
    }
    const { fd, actual } = createQueue(name, base);
    return new LinuxTun(fd, actual, true, options, base, { vnetHeader: false, flags: 0 });
  }

  /**
   * Opens one more queue of this multi-queue device, for another worker: the kernel spreads
   * flows over the queues for reads, and a write on any queue is a write to the device.
   */
  openQueue(options: LinuxTunOptions = {}): LinuxTun {
    if ((this.flags & IFF_MULTI_QUEUE) === 0) throw new Error(`TUN device ${this.name} was not opened with multiQueue`);
    const { fd } = createQueue(this.name, this.flags);
    return new LinuxTun(fd, this.name, true, options, this.flags, this.offload);
  }

  /** Wraps a descriptor opened elsewhere in this process (a worker's view); close() leaves the fd open. */
  static attach(fd: number, name: string, options: TunAttachOptions = {}): LinuxTun {
    return new LinuxTun(fd, name, false, options, 0, options.offload ?? { vnetHeader: false, flags: 0 });
  }

  /**
   * Writes each message of `list` as one packet with writev (its pieces gathered by the
   * kernel: a virtio-net header, then the packet); returns how many were written. A refused
   * one gets messageResult -1 and its reason in lastWriteError.
   */
  writeGather(list: GatherList): number {
    if (this.closed) throw this.closedError();
    const iovView = this.prepareGather(list);
    const addrs = this.gatherAddrs!;
    let written = 0;
    for (let m = 0; m < list.messageCount; m++) {
      const first = list.messageFirstPiece[m]!;
      const count = list.messagePieces[m]!;
      for (let k = 0; k < count; k++) {
        const p = first + k;
        const at = k * IOVEC_SIZE;
        const address = addrs[list.pieceBuffer[p]!]! + list.pieceOffset[p]!;
        iovView.setUint32(at, address >>> 0, true);
        iovView.setUint32(at + 4, Math.floor(address / 0x100000000), true);
        iovView.setUint32(at + 8, list.pieceLength[p]!, true);
      }
      for (;;) {
        const r = sysWritev(this.fd, this.gatherIovAddr, count) as number;
        if (r >= 0) {
          list.messageResult[m] = r;
          written++;
          break;
        }
        const errno = koffi.errno();
        if (errno === E.EINTR) continue;
        if (errno === E.EBADF || errno === E.EBADFD) throw syscallError('writev', errno, `TUN device ${this.name} is gone`);
        this.lastWriteError = errnoName(errno);
        list.messageResult[m] = -1;
        break;
      }
    }
    return written;
  }

  read(bufs: readonly Uint8Array[], sizes: Int32Array, maxPackets: number): number {
    if (this.closed) throw this.closedError();
    const max = Math.min(maxPackets, this.batchSize, bufs.length, sizes.length);
    let n = 0;
    let polled = false;
    while (n < max) {
      const buf = bufs[n]!;
      const r = sysRead(this.fd, this.readAddrs.of(n, buf), buf.length) as number;
      if (r > 0) {
        // Never report more than the buffer holds, or a later send would read past it.
        sizes[n++] = r < buf.length ? r : buf.length;
        continue;
      }
      if (r === 0) break;
      const errno = koffi.errno();
      if (errno === E.EINTR) continue;
      if (errno === E.EAGAIN) {
        // Drain without waiting once something arrived; otherwise wait once (if asked to), then drain.
        if (n > 0 || polled || !this.waitForPackets) break;
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
      const r = sysWrite(this.fd, this.writeAddrs.of(i, buf), size) as number;
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

  /** The iovec array and buffer addresses for `list`, built on first use (a loop keeps one list). */
  private prepareGather(list: GatherList): DataView {
    if (this.gatherFor !== list) {
      this.gatherFor = list;
      this.gatherAddrs = Float64Array.from(list.buffers, (b) => Number(koffi.address(b)));
      this.gatherIov = Buffer.alloc(MAX_PIECES_PER_MESSAGE * IOVEC_SIZE);
      this.gatherIovView = new DataView(this.gatherIov.buffer, this.gatherIov.byteOffset, this.gatherIov.byteLength);
      this.gatherIovAddr = Number(koffi.address(this.gatherIov));
    }
    return this.gatherIovView!;
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
