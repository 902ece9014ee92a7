// Linux UDP socket through koffi: the only file making socket syscalls. recvmmsg/sendmmsg
// move a whole batch per syscall; their mmsghdr, iovec and sockaddr_in arrays live in
// native memory built once, and JS only patches lengths and addresses between calls.
import koffi from 'koffi';
import { ERRNO, errnoName, syscallError, type SyscallError } from '../../common/syscall-error.js';
import { BufferAddresses } from '../../common/buffer-addresses.js';
import { formatIpv4 } from '../../common/cidr.js';
import type { GatherList } from '../dataplane/gather.js';
import type { Transport } from './transport.js';

const libc = koffi.load('libc.so.6');
const sysSocket = libc.func('int socket(int domain, int type, int protocol)');
const sysClose = libc.func('int close(int fd)');
const sysSetsockopt = libc.func('int setsockopt(int fd, int level, int name, const void *value, unsigned int len)');
const sysGetsockopt = libc.func('int getsockopt(int fd, int level, int name, void *value, void *len)');
const sysBind = libc.func('int bind(int fd, const void *addr, unsigned int len)');
const sysGetsockname = libc.func('int getsockname(int fd, void *addr, void *len)');
const sysRecvmmsg = libc.func('int recvmmsg(int fd, uintptr_t msgs, unsigned int vlen, int flags, uintptr_t timeout)');
const sysSendmmsg = libc.func('int sendmmsg(int fd, uintptr_t msgs, unsigned int vlen, int flags)');
const sysSendto = libc.func('long sendto(int fd, uintptr_t buf, size_t len, int flags, uintptr_t addr, unsigned int addrlen)');
const sysPoll = libc.func('int poll(uintptr_t fds, unsigned long nfds, int timeout)');

const AF_INET = 2;
// sendFailure's verdicts.
const SEND_RETRY = 0;
const SEND_FULL = 1;
const SEND_REFUSED = 2;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0x800;
const SOCK_CLOEXEC = 0x80000;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const SO_REUSEPORT = 15;
const SOL_UDP = 17;
const UDP_SEGMENT = 103;
const UDP_GRO = 104;
const MSG_DONTWAIT = 0x40;
const POLLIN = 0x1;
const POLLOUT = 0x4;

// 64-bit Linux layouts: struct mmsghdr (msghdr + msg_len), struct iovec, struct sockaddr_in.
const MMSGHDR_SIZE = 64;
const MSG_NAME = 0;
const MSG_NAMELEN = 8;
const MSG_IOV = 16;
const MSG_IOVLEN = 24;
const MSG_CONTROL = 32;
const MSG_CONTROLLEN = 40;
// One control message per datagram: struct cmsghdr (len, level, type) then an int (GRO) or a u16 (GSO).
const CMSG_HDR = 16;
const CMSG_SPACE = 24;
const CMSG_LEN_U16 = CMSG_HDR + 2;
const MSG_LEN = 56;
const IOVEC_SIZE = 16;
const SOCKADDR_IN_SIZE = 16;
const SLOT_BYTES = MMSGHDR_SIZE + IOVEC_SIZE + SOCKADDR_IN_SIZE + CMSG_SPACE;

const E = ERRNO;

export const DEFAULT_UDP_BATCH = 64;
export const DEFAULT_SOCKET_BUFFER = 4 * 1024 * 1024;
export const DEFAULT_POLL_TIMEOUT_MS = 200;

function writePointer(view: DataView, offset: number, address: number): void {
  view.setUint32(offset, address >>> 0, true);
  view.setUint32(offset + 4, Math.floor(address / 0x100000000), true);
}

/**
 * Points message i's name at its sockaddr_in (family AF_INET, `port`) and its control
 * buffer at its CMSG_SPACE slot; the arrays start at the given offsets of the memory at `base`.
 */
function wireMessage(view: DataView, base: number, i: number, addrOffset: number, controlOffset: number, port: number): void {
  const m = i * MMSGHDR_SIZE;
  writePointer(view, m + MSG_NAME, base + addrOffset + i * SOCKADDR_IN_SIZE);
  view.setUint32(m + MSG_NAMELEN, SOCKADDR_IN_SIZE, true);
  writePointer(view, m + MSG_CONTROL, base + controlOffset + i * CMSG_SPACE);
  const a = addrOffset + i * SOCKADDR_IN_SIZE;
  view.setUint16(a, AF_INET, true);
  view.setUint16(a + 2, port, false);
}

/** Native arrays for one direction: mmsghdr[batch], iovec[batch], sockaddr_in[batch], control space[batch]. */
class MessageArray {
  readonly memory: Buffer;
  readonly view: DataView;
  readonly msgsAddr: number;
  readonly iovOffset: number;
  readonly addrOffset: number;
  readonly controlOffset: number;

  constructor(batch: number, port: number) {
    this.memory = Buffer.alloc(batch * SLOT_BYTES);
    this.view = new DataView(this.memory.buffer, this.memory.byteOffset, this.memory.byteLength);
    this.msgsAddr = Number(koffi.address(this.memory));
    this.iovOffset = batch * MMSGHDR_SIZE;
    this.addrOffset = this.iovOffset + batch * IOVEC_SIZE;
    this.controlOffset = this.addrOffset + batch * SOCKADDR_IN_SIZE;
    for (let i = 0; i < batch; i++) {
      // Control space is wired but its length stays 0 until a caller asks for control messages.
      wireMessage(this.view, this.msgsAddr, i, this.addrOffset, this.controlOffset, port);
      const m = i * MMSGHDR_SIZE;
      writePointer(this.view, m + MSG_IOV, this.msgsAddr + this.iovOffset + i * IOVEC_SIZE);
      this.view.setUint32(m + MSG_IOVLEN, 1, true);
    }
  }
}

/**
 * Native arrays for gathered sends: mmsghdr[messages], iovec[pieces], sockaddr_in[messages]
 * and one UDP_SEGMENT control message per message, filled per batch from a GatherList.
 */
class GatherArray {
  readonly memory: Buffer;
  readonly view: DataView;
  readonly msgsAddr: number;
  readonly iovOffset: number;
  readonly addrOffset: number;
  readonly controlOffset: number;
  readonly bufferAddrs: Float64Array;
  /** Per message: 1 when the kernel refused it in the last send. */
  readonly refused: Uint8Array;

  constructor(list: GatherList, port: number) {
    this.refused = new Uint8Array(list.maxMessages);
    const messages = list.maxMessages;
    const pieces = list.maxPieces;
    this.iovOffset = messages * MMSGHDR_SIZE;
    this.addrOffset = this.iovOffset + pieces * IOVEC_SIZE;
    this.controlOffset = this.addrOffset + messages * SOCKADDR_IN_SIZE;
    this.memory = Buffer.alloc(this.controlOffset + messages * CMSG_SPACE);
    this.view = new DataView(this.memory.buffer, this.memory.byteOffset, this.memory.byteLength);
    this.msgsAddr = Number(koffi.address(this.memory));
    this.bufferAddrs = Float64Array.from(list.buffers, (b) => Number(koffi.address(b)));
    for (let i = 0; i < messages; i++) {
      wireMessage(this.view, this.msgsAddr, i, this.addrOffset, this.controlOffset, port);
      const c = this.controlOffset + i * CMSG_SPACE;
      this.view.setUint32(c, CMSG_LEN_U16, true);
      this.view.setUint32(c + 8, SOL_UDP, true);
      this.view.setUint32(c + 12, UDP_SEGMENT, true);
    }
  }
}

function sockaddrIn(ip: number, port: number): Buffer {
  const sa = Buffer.alloc(SOCKADDR_IN_SIZE);
  sa.writeUInt16LE(AF_INET, 0);
  sa.writeUInt16BE(port, 2);
  sa.writeUInt32BE(ip, 4);
  return sa;
}

/** Sets a socket buffer size, using the *FORCE variant (beyond rmem_max) when privileged. */
function setBufferSize(fd: number, force: number, plain: number, bytes: number): void {
  const value = Buffer.alloc(4);
  value.writeInt32LE(bytes, 0);
  if ((sysSetsockopt(fd, SOL_SOCKET, force, value, 4) as number) === 0) return;
  sysSetsockopt(fd, SOL_SOCKET, plain, value, 4);
}

function getIntOption(fd: number, name: number): number {
  const value = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(4, 0);
  return (sysGetsockopt(fd, SOL_SOCKET, name, value, len) as number) === 0 ? value.readInt32LE(0) : -1;
}

export interface LinuxUdpOptions {
  /** Underlay IPv4 address to bind (0 = all addresses). */
  localIp: number;
  /** UDP port to bind; 0 lets the kernel choose (tests). */
  port: number;
  /** Destination port for sends; defaults to the bound port, as every node uses the same one. */
  peerPort?: number;
  batchSize?: number;
  /** How long recv() waits for a first datagram; bounds how quickly a loop sees a stop flag. */
  pollTimeoutMs?: number;
  /** false: recv() returns at once with what is queued (the caller polls); default true. */
  waitForPackets?: boolean;
  /** SO_RCVBUF / SO_SNDBUF request in bytes. */
  socketBufferBytes?: number;
  /** SO_REUSEPORT, so one socket per worker can share the port and the kernel spreads flows over them. */
  reusePort?: boolean;
}

function setIntOption(fd: number, level: number, name: number, value: number): boolean {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value, 0);
  return (sysSetsockopt(fd, level, name, v, 4) as number) === 0;
}

export class LinuxUdpTransport implements Transport {
  readonly localIp: number;
  readonly localPort: number;
  readonly peerPort: number;
  readonly fd: number;
  readonly batchSize: number;
  lastSendError = '';
  private readonly owned: boolean;
  private readonly pollTimeoutMs: number;
  private readonly waitForPackets: boolean;
  private closed = false;
  private readonly rx: MessageArray;
  private readonly tx: MessageArray;
  private readonly pollFd = Buffer.alloc(64);
  private readonly pollFdView: DataView;
  private readonly pollFdAddr: number;
  /** Native address of the caller's buffer in each slot; recomputed only when a buffer is swapped. */
  private readonly rxAddrs: BufferAddresses;
  private readonly txAddrs: BufferAddresses;
  /** Which caller buffer each iovec points at now, per direction. */
  private readonly rxIovBufs: (Uint8Array | undefined)[];
  private readonly txIovBufs: (Uint8Array | undefined)[];
  /** Caller index of each tx message, to mark refused entries. */
  private readonly txIndex: Int32Array;
  private readonly txRefused: Uint8Array;
  /** The destination of a lone datagram (sendto), its address resolved once. */
  private readonly singleName = Buffer.alloc(SOCKADDR_IN_SIZE);
  private readonly singleNameView: DataView;
  private readonly singleNameAddr: number;
  private gather: GatherArray | undefined;
  private gatherFor: GatherList | undefined;

  private constructor(fd: number, owned: boolean, localIp: number, localPort: number, options: LinuxUdpOptions) {
    this.fd = fd;
    this.owned = owned;
    this.localIp = localIp;
    this.localPort = localPort;
    this.peerPort = options.peerPort ?? localPort;
    this.batchSize = options.batchSize ?? DEFAULT_UDP_BATCH;
    this.pollTimeoutMs = options.pollTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
    this.waitForPackets = options.waitForPackets ?? true;
    this.rx = new MessageArray(this.batchSize, 0);
    this.tx = new MessageArray(this.batchSize, this.peerPort);
    this.rxAddrs = new BufferAddresses(this.batchSize);
    this.txAddrs = new BufferAddresses(this.batchSize);
    this.rxIovBufs = new Array<Uint8Array | undefined>(this.batchSize).fill(undefined);
    this.txIovBufs = new Array<Uint8Array | undefined>(this.batchSize).fill(undefined);
    this.txIndex = new Int32Array(this.batchSize);
    this.txRefused = new Uint8Array(this.batchSize);
    this.singleNameView = new DataView(this.singleName.buffer, this.singleName.byteOffset, SOCKADDR_IN_SIZE);
    this.singleNameView.setUint16(0, AF_INET, true);
    this.singleNameView.setUint16(2, this.peerPort, false);
    this.singleNameAddr = Number(koffi.address(this.singleName));
    this.pollFdView = new DataView(this.pollFd.buffer, this.pollFd.byteOffset, 8);
    this.pollFdView.setInt32(0, fd, true);
    this.pollFdAddr = Number(koffi.address(this.pollFd));
  }

  /** Opens a non-blocking UDP socket with large buffers, bound to options.localIp:options.port. */
  static open(options: LinuxUdpOptions): LinuxUdpTransport {
    const where = `${formatIpv4(options.localIp)}:${options.port}`;
    const fd = sysSocket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw syscallError('socket', koffi.errno(), 'cannot create the UDP socket');
    try {
      const bytes = options.socketBufferBytes ?? DEFAULT_SOCKET_BUFFER;
      setBufferSize(fd, SO_RCVBUFFORCE, SO_RCVBUF, bytes);
      setBufferSize(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes);
      if (options.reusePort && !setIntOption(fd, SOL_SOCKET, SO_REUSEPORT, 1)) {
        throw syscallError('setsockopt', koffi.errno(), 'cannot set SO_REUSEPORT on the UDP socket');
      }
      if ((sysBind(fd, sockaddrIn(options.localIp, options.port), SOCKADDR_IN_SIZE) as number) < 0) {
        const errno = koffi.errno();
        if (errno === E.EADDRINUSE) {
          throw syscallError('bind', errno, `UDP port ${options.port} on ${formatIpv4(options.localIp)} is already in use: stop the other process using it or configure another port`);
        }
        if (errno === E.EADDRNOTAVAIL) {
          throw syscallError('bind', errno, `cannot bind UDP ${where}: ${formatIpv4(options.localIp)} is not an address of this host (check the underlay IP setting)`);
        }
        if (errno === E.EACCES) {
          throw syscallError('bind', errno, `binding UDP port ${options.port} needs privileges: run as root or use a port above 1023`);
        }
        throw syscallError('bind', errno, `cannot bind UDP ${where}`);
      }
      const sa = Buffer.alloc(SOCKADDR_IN_SIZE);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(SOCKADDR_IN_SIZE, 0);
      if ((sysGetsockname(fd, sa, len) as number) < 0) throw syscallError('getsockname', koffi.errno(), `cannot read the address of UDP ${where}`);
      return new LinuxUdpTransport(fd, true, options.localIp, sa.readUInt16BE(2), options);
    } catch (err) {
      sysClose(fd);
      throw err;
    }
  }

  /** Wraps a socket opened elsewhere in this process (a worker's view); close() leaves the fd open. */
  static attach(fd: number, options: LinuxUdpOptions): LinuxUdpTransport {
    return new LinuxUdpTransport(fd, false, options.localIp, options.port, options);
  }

  /** Whether the kernel segments UDP_SEGMENT sends for us (Linux 4.18+): a probe, changes nothing. */
  supportsGso(): boolean {
    return setIntOption(this.fd, SOL_UDP, UDP_SEGMENT, 0);
  }

  /** Asks for coalesced receives with their segment size (UDP_GRO, Linux 5.0+); false when refused. */
  enableGro(): boolean {
    return setIntOption(this.fd, SOL_UDP, UDP_GRO, 1);
  }

  /** Effective kernel buffer sizes (the kernel reports double the requested value). */
  bufferSizes(): { receive: number; send: number } {
    return { receive: getIntOption(this.fd, SO_RCVBUF), send: getIntOption(this.fd, SO_SNDBUF) };
  }

  recv(bufs: readonly Uint8Array[], sizes: Int32Array, srcAddrs: Uint32Array, max: number): number {
    if (this.closed) throw this.closedError('recvmmsg');
    const vlen = Math.min(max, this.batchSize, bufs.length, sizes.length, srcAddrs.length);
    if (vlen <= 0) return 0;
    const rx = this.rx;
    const view = rx.view;
    for (let i = 0; i < vlen; i++) {
      const buf = bufs[i]!;
      if (this.rxIovBufs[i] !== buf) {
        this.rxIovBufs[i] = buf;
        const iov = rx.iovOffset + i * IOVEC_SIZE;
        writePointer(view, iov, this.rxAddrs.of(i, buf));
        view.setUint32(iov + 8, buf.length, true);
        view.setUint32(iov + 12, 0, true);
      }
    }
    let polled = false;
    for (;;) {
      const n = sysRecvmmsg(this.fd, rx.msgsAddr, vlen, MSG_DONTWAIT, 0) as number;
      if (n >= 0) {
        for (let i = 0; i < n; i++) {
          const m = i * MMSGHDR_SIZE;
          sizes[i] = view.getUint32(m + MSG_LEN, true);
          srcAddrs[i] = view.getUint32(rx.addrOffset + i * SOCKADDR_IN_SIZE + 4, false);
          view.setUint32(m + MSG_NAMELEN, SOCKADDR_IN_SIZE, true);
        }
        return n;
      }
      const errno = koffi.errno();
      if (errno === E.EINTR) continue;
      if (errno === E.EAGAIN) {
        if (polled || !this.waitForPackets || !this.waitFor(POLLIN)) return 0;
        polled = true;
        continue;
      }
      throw syscallError('recvmmsg', errno, `receiving on UDP ${formatIpv4(this.localIp)}:${this.localPort} failed`);
    }
  }

  /**
   * recv() that also reports, in segSizes[i], the segment size of a datagram the kernel
   * coalesced (UDP_GRO): sizes[i] bytes made of segments of segSizes[i] bytes, the last one
   * possibly shorter; 0 for a datagram received as sent.
   */
  recvSegments(bufs: readonly Uint8Array[], sizes: Int32Array, srcAddrs: Uint32Array, segSizes: Int32Array, max: number): number {
    const vlen = Math.min(max, this.batchSize, bufs.length, sizes.length, srcAddrs.length, segSizes.length);
    const view = this.rx.view;
    for (let i = 0; i < vlen; i++) view.setUint32(i * MMSGHDR_SIZE + MSG_CONTROLLEN, CMSG_SPACE, true);
    const n = this.recv(bufs, sizes, srcAddrs, vlen);
    const control = this.rx.controlOffset;
    for (let i = 0; i < n; i++) {
      const length = view.getUint32(i * MMSGHDR_SIZE + MSG_CONTROLLEN, true);
      const c = control + i * CMSG_SPACE;
      segSizes[i] =
        length >= CMSG_HDR + 4 && view.getUint32(c + 8, true) === SOL_UDP && view.getUint32(c + 12, true) === UDP_GRO
          ? view.getInt32(c + CMSG_HDR, true)
          : 0;
    }
    return n;
  }

  /**
   * Sends every message of `list` (sendmmsg, gathering its pieces; a message with a segment
   * size goes as UDP GSO, the kernel cutting it into datagrams of that size). Sets
   * messageResult to the bytes sent or -1 when refused, and returns how many messages went out.
   */
  sendGather(list: GatherList): number {
    if (this.closed) throw this.closedError('sendmmsg');
    let g = this.gather;
    if (g === undefined || this.gatherFor !== list) {
      g = new GatherArray(list, this.peerPort);
      this.gather = g;
      this.gatherFor = list;
    }
    const view = g.view;
    const addrs = g.bufferAddrs;
    let iov = 0;
    for (let m = 0; m < list.messageCount; m++) {
      const h = m * MMSGHDR_SIZE;
      const first = list.messageFirstPiece[m]!;
      const count = list.messagePieces[m]!;
      writePointer(view, h + MSG_IOV, g.msgsAddr + g.iovOffset + iov * IOVEC_SIZE);
      view.setUint32(h + MSG_IOVLEN, count, true);
      for (let p = first; p < first + count; p++, iov++) {
        const at = g.iovOffset + iov * IOVEC_SIZE;
        writePointer(view, at, addrs[list.pieceBuffer[p]!]! + list.pieceOffset[p]!);
        view.setUint32(at + 8, list.pieceLength[p]!, true);
      }
      view.setUint32(g.addrOffset + m * SOCKADDR_IN_SIZE + 4, list.messageAddr[m]!, false);
      const segmentSize = list.messageSegmentSize[m]!;
      if (segmentSize > 0) {
        view.setUint16(g.controlOffset + m * CMSG_SPACE + CMSG_HDR, segmentSize, true);
        view.setUint32(h + MSG_CONTROLLEN, CMSG_SPACE, true);
      } else {
        view.setUint32(h + MSG_CONTROLLEN, 0, true);
      }
    }
    const m = list.messageCount;
    const sent = this.sendAll(g.msgsAddr, m, g.refused);
    for (let i = 0; i < m; i++) list.messageResult[i] = g.refused[i] === 1 ? -1 : g.view.getUint32(i * MMSGHDR_SIZE + MSG_LEN, true);
    return sent;
  }

  send(bufs: readonly Uint8Array[], sizes: Int32Array, dstAddrs: Uint32Array, count: number): number {
    if (this.closed) throw this.closedError('sendmmsg');
    const tx = this.tx;
    const view = tx.view;
    let sent = 0;
    let i = 0;
    while (i < count) {
      // Fill up to one batch of messages from the non-empty entries, then send them.
      let m = 0;
      while (i < count && m < this.batchSize) {
        const size = sizes[i]!;
        if (size > 0) {
          const buf = bufs[i]!;
          // The kernel would read past the buffer: never let a caller bug leak memory onto the wire.
          if (size > buf.length) throw new RangeError(`send: sizes[${i}] = ${size} exceeds its buffer (${buf.length} bytes)`);
          const iov = tx.iovOffset + m * IOVEC_SIZE;
          if (this.txIovBufs[m] !== buf) {
            this.txIovBufs[m] = buf;
            writePointer(view, iov, this.txAddrs.of(i, buf));
          }
          view.setUint32(iov + 8, size, true);
          view.setUint32(tx.addrOffset + m * SOCKADDR_IN_SIZE + 4, dstAddrs[i]!, false);
          this.txIndex[m] = i;
          m++;
        }
        i++;
      }
      if (m === 1) {
        // A lone datagram (a ping, a request) goes by sendto: a shorter way through the
        // kernel than a one-message sendmmsg, and it is what the packet waits for.
        const k = this.txIndex[0]!;
        if (this.sendSingle(this.txAddrs.of(k, bufs[k]!), sizes[k]!, dstAddrs[k]!)) sent++;
        else sizes[k] = -1;
        continue;
      }
      sent += this.sendAll(this.tx.msgsAddr, m, this.txRefused);
      for (let k = 0; k < m; k++) if (this.txRefused[k] === 1) sizes[this.txIndex[k]!] = -1;
    }
    return sent;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) sysClose(this.fd);
  }

  /** sendto of one datagram, with sendAll's handling of a full buffer and of refusals; false when refused. */
  private sendSingle(bufAddr: number, size: number, dst: number): boolean {
    this.singleNameView.setUint32(4, dst, false);
    let waited = false;
    for (;;) {
      const r = sysSendto(this.fd, bufAddr, size, 0, this.singleNameAddr, SOCKADDR_IN_SIZE) as number;
      if (r >= 0) return true;
      const errno = koffi.errno();
      const failure = this.sendFailure(errno, 'sendto');
      if (failure === SEND_RETRY) continue;
      if (failure === SEND_FULL && !waited) {
        waited = true;
        if (this.waitFor(POLLOUT)) continue;
      }
      this.lastSendError = errnoName(errno);
      return false;
    }
  }

  /**
   * sendmmsg over messages [0, m) of the native array at msgsAddr, skipping any the kernel
   * refuses; refused[i] is set to 1 for each refused message. Returns how many went out.
   */
  private sendAll(msgsAddr: number, m: number, refused: Uint8Array): number {
    let start = 0;
    let sent = 0;
    let waited = false;
    refused.fill(0, 0, m);
    while (start < m) {
      const r = sysSendmmsg(this.fd, msgsAddr + start * MMSGHDR_SIZE, m - start, 0) as number;
      if (r > 0) {
        start += r;
        sent += r;
        continue;
      }
      const errno = r === 0 ? E.EAGAIN : koffi.errno();
      const failure = this.sendFailure(errno, 'sendmmsg');
      if (failure === SEND_RETRY) continue;
      if (failure === SEND_FULL) {
        // Socket buffer full: wait once for room (back-pressure), then drop what is left.
        if (!waited) {
          waited = true;
          if (this.waitFor(POLLOUT)) continue;
        }
        this.lastSendError = errnoName(errno);
        refused.fill(1, start, m);
        return sent;
      }
      // This one message was refused (e.g. ENETUNREACH, EMSGSIZE, EPERM from a firewall); go on with the rest.
      this.lastSendError = errnoName(errno);
      refused[start] = 1;
      start++;
    }
    return sent;
  }

  /**
   * What a failed send means: interrupted (SEND_RETRY), the socket buffer full (SEND_FULL:
   * the caller waits once for room), or this datagram refused (SEND_REFUSED). Throws when
   * the socket is gone.
   */
  private sendFailure(errno: number, syscall: string): number {
    if (errno === E.EINTR) return SEND_RETRY;
    if (errno === E.EAGAIN || errno === E.ENOBUFS) return SEND_FULL;
    if (errno === E.EBADF || errno === E.ENOTSOCK) throw syscallError(syscall, errno, `UDP socket ${this.localPort} is gone`);
    return SEND_REFUSED;
  }

  /** poll() for `events` up to the timeout; false when the socket did not become ready. */
  private waitFor(events: number): boolean {
    this.pollFdView.setInt16(4, events, true);
    for (;;) {
      const r = sysPoll(this.pollFdAddr, 1, this.pollTimeoutMs) as number;
      if (r >= 0) return r > 0;
      const errno = koffi.errno();
      if (errno !== E.EINTR) throw syscallError('poll', errno, `waiting on UDP socket ${this.localPort} failed`);
    }
  }

  private closedError(syscall: string): SyscallError {
    return syscallError(syscall, E.EBADF, `UDP transport ${formatIpv4(this.localIp)}:${this.localPort} is closed`);
  }
}
