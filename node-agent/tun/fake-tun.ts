// In-memory TUN devices for tests: packets injected by the test are what read() returns,
// packets written by the code under test are collected. A FakeTunHost plays the role of a
// network namespace: names are unique in it and a closed device disappears from it.
import { FailedPreconditionError } from '../../common/errors.js';
import { validateTunName, type TunDevice } from './tun-device.js';

export class FakeTunHost {
  private readonly devices = new Map<string, FakeTun>();

  /** Creates a device like LinuxTun.open: "" or a name containing "%d" picks the first free number. */
  open(name: string, options: { batchSize?: number } = {}): FakeTun {
    validateTunName(name);
    let actual = name;
    if (name === '' || name.includes('%d')) {
      const template = name === '' ? 'tun%d' : name;
      for (let i = 0; ; i++) {
        actual = template.replace('%d', String(i));
        if (!this.devices.has(actual)) break;
      }
    } else if (this.devices.has(name)) {
      const err = new FailedPreconditionError(`TUN device name "${name}" is already held by another open TUN device (another agent running?): stop it or choose another name`);
      (err as Error & { code: string }).code = 'EBUSY';
      throw err;
    }
    const dev = new FakeTun(actual, options.batchSize ?? 64, () => this.devices.delete(actual));
    this.devices.set(actual, dev);
    return dev;
  }

  exists(name: string): boolean {
    return this.devices.has(name);
  }
}

export class FakeTun implements TunDevice {
  readonly name: string;
  readonly fd = -1;
  readonly batchSize: number;
  lastWriteError = '';
  /** Copies of every packet written, in order. */
  readonly written: Buffer[] = [];
  private readonly inbound: Buffer[] = [];
  private inboundHead = 0;
  private closed = false;
  private readonly onClose: () => void;

  constructor(name = 'faketun0', batchSize = 64, onClose: () => void = () => undefined) {
    this.name = name;
    this.batchSize = batchSize;
    this.onClose = onClose;
  }

  /** Queues a copy of `packet` as if the kernel had routed it into the device. */
  inject(packet: Uint8Array): void {
    if (this.closed) throw new FailedPreconditionError(`TUN device ${this.name} is closed`);
    this.inbound.push(Buffer.from(packet));
  }

  /** Packets injected but not read yet. */
  get pending(): number {
    return this.inbound.length - this.inboundHead;
  }

  /** Removes and returns what was written so far. */
  takeWritten(): Buffer[] {
    return this.written.splice(0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  read(bufs: readonly Uint8Array[], sizes: Int32Array, maxPackets: number): number {
    this.checkOpen();
    const max = Math.min(maxPackets, this.batchSize, bufs.length, sizes.length);
    let n = 0;
    while (n < max && this.inboundHead < this.inbound.length) {
      const packet = this.inbound[this.inboundHead++]!;
      // Like the kernel, a buffer that is too small gets a truncated packet.
      const len = Math.min(packet.length, bufs[n]!.length);
      bufs[n]!.set(packet.subarray(0, len));
      sizes[n++] = len;
    }
    if (this.inboundHead === this.inbound.length) {
      this.inbound.length = 0;
      this.inboundHead = 0;
    }
    return n;
  }

  write(bufs: readonly Uint8Array[], sizes: Int32Array, count: number): number {
    this.checkOpen();
    let written = 0;
    for (let i = 0; i < count; i++) {
      const size = sizes[i]!;
      if (size <= 0) continue;
      if (size > bufs[i]!.length) throw new RangeError(`write: sizes[${i}] = ${size} exceeds its buffer (${bufs[i]!.length} bytes)`);
      this.written.push(Buffer.from(bufs[i]!.subarray(0, size)));
      written++;
    }
    return written;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  private checkOpen(): void {
    if (this.closed) {
      const err = new FailedPreconditionError(`TUN device ${this.name} is closed`);
      (err as Error & { code: string }).code = 'EBADF';
      throw err;
    }
  }
}
