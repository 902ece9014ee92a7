// Waiting for input on the TUN device and the socket at once: one poll() over both
// descriptors, for the worker that forwards both directions of a queue. It first looks
// without sleeping, so the loop learns whether it was idle from the poll itself: telling
// it by the clock (performance.now() around the wait) cost a lone packet measurably on
// each hop of this VM, and the extra look happens before sleeping, not after a wake-up.
import koffi from 'koffi';
import { ERRNO, syscallError } from '../../common/syscall-error.js';
import { READY_AFTER_SLEEP, READY_TUN, READY_UDP } from './forward.js';

const libc = koffi.load('libc.so.6');
const sysPoll = libc.func('int poll(uintptr_t fds, unsigned long nfds, int timeout)');

const POLLIN = 0x1;
const POLLFD_SIZE = 8;
// Errors and hang-ups count as readiness: the next read reports them.
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const WAKE = POLLIN | POLLERR | POLLHUP | POLLNVAL;

export class ReadinessPoller {
  private readonly fds = Buffer.alloc(2 * POLLFD_SIZE);
  private readonly fdsAddr: number;
  private readonly timeoutMs: number;

  /** `timeoutMs` bounds each wait, so the loop sees its stop flag that often. */
  constructor(tunFd: number, udpFd: number, timeoutMs: number) {
    this.fds.writeInt32LE(tunFd, 0);
    this.fds.writeInt16LE(POLLIN, 4);
    this.fds.writeInt32LE(udpFd, POLLFD_SIZE);
    this.fds.writeInt16LE(POLLIN, POLLFD_SIZE + 4);
    this.fdsAddr = Number(koffi.address(this.fds));
    this.timeoutMs = timeoutMs;
  }

  /**
   * Blocks until either descriptor has input or the timeout passes; READY_* bits, with
   * READY_AFTER_SLEEP when nothing was ready at a first look (the loop was idle); 0 on timeout.
   */
  wait(): number {
    if (this.poll(0) > 0) return this.readyBits();
    return this.poll(this.timeoutMs) > 0 ? this.readyBits() | READY_AFTER_SLEEP : 0;
  }

  private poll(timeoutMs: number): number {
    for (;;) {
      const r = sysPoll(this.fdsAddr, 2, timeoutMs) as number;
      if (r >= 0) return r;
      const errno = koffi.errno();
      if (errno !== ERRNO.EINTR) throw syscallError('poll', errno, 'waiting for packets failed');
    }
  }

  private readyBits(): number {
    const tun = (this.fds.readInt16LE(6) & WAKE) !== 0 ? READY_TUN : 0;
    const udp = (this.fds.readInt16LE(POLLFD_SIZE + 6) & WAKE) !== 0 ? READY_UDP : 0;
    return tun | udp;
  }
}
