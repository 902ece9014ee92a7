// A batch of scatter/gather output: pieces (buffer, offset, length), grouped into messages.
// On the way out a message is one sendmmsg entry (several segments sent with UDP GSO when it
// has a segment size); on the way in it is one writev to the TUN device. Buffers are named
// by index into a table fixed for the life of a loop, so the OS layer can keep their native
// addresses and the hot path allocates nothing. Headers built per segment live in `arena`.
import { wordBuffer, type WordBuffer } from './checksum.js';

export const MAX_PIECES_PER_MESSAGE = 130;

export class GatherList {
  /** Buffers pieces point into; the arena is the last entry. */
  readonly buffers: readonly Uint8Array[];
  readonly arena: Uint8Array;
  readonly arenaIndex: number;
  /** The arena with its 32-bit view, for checksums over headers built in it. */
  readonly arenaWords: WordBuffer;
  arenaUsed = 0;

  readonly pieceBuffer: Int32Array;
  readonly pieceOffset: Int32Array;
  readonly pieceLength: Int32Array;
  pieceCount = 0;

  readonly messageFirstPiece: Int32Array;
  readonly messagePieces: Int32Array;
  /** UDP GSO segment size for the message (0: one datagram); unused for TUN writes. */
  readonly messageSegmentSize: Int32Array;
  readonly messageSegments: Int32Array;
  readonly messageBytes: Int32Array;
  /** Underlay destination of an outgoing message. */
  readonly messageAddr: Uint32Array;
  /** Set by the OS layer: bytes the kernel accepted, or -1 when it refused the message. */
  readonly messageResult: Int32Array;
  messageCount = 0;

  constructor(buffers: readonly Uint8Array[], arenaBytes: number, maxPieces: number, maxMessages: number) {
    this.arena = new Uint8Array(new ArrayBuffer(arenaBytes));
    this.buffers = [...buffers, this.arena];
    this.arenaIndex = buffers.length;
    this.arenaWords = wordBuffer(this.arena);
    this.pieceBuffer = new Int32Array(maxPieces);
    this.pieceOffset = new Int32Array(maxPieces);
    this.pieceLength = new Int32Array(maxPieces);
    this.messageFirstPiece = new Int32Array(maxMessages);
    this.messagePieces = new Int32Array(maxMessages);
    this.messageSegmentSize = new Int32Array(maxMessages);
    this.messageSegments = new Int32Array(maxMessages);
    this.messageBytes = new Int32Array(maxMessages);
    this.messageAddr = new Uint32Array(maxMessages);
    this.messageResult = new Int32Array(maxMessages);
  }

  get maxPieces(): number {
    return this.pieceBuffer.length;
  }

  get maxMessages(): number {
    return this.messageFirstPiece.length;
  }

  reset(): void {
    this.arenaUsed = 0;
    this.pieceCount = 0;
    this.messageCount = 0;
  }

  /** Room for a message of up to `pieces` pieces and `arenaBytes` of headers. */
  hasRoom(pieces: number, arenaBytes: number): boolean {
    return (
      this.messageCount < this.maxMessages &&
      this.pieceCount + pieces <= this.maxPieces &&
      this.arenaUsed + arenaBytes <= this.arena.length
    );
  }

  /** Reserves `bytes` of the arena (caller checked hasRoom) and returns their offset. */
  takeArena(bytes: number): number {
    const at = this.arenaUsed;
    this.arenaUsed = at + bytes;
    return at;
  }

  beginMessage(addr: number): void {
    const m = this.messageCount;
    this.messageFirstPiece[m] = this.pieceCount;
    this.messagePieces[m] = 0;
    this.messageSegmentSize[m] = 0;
    this.messageSegments[m] = 0;
    this.messageBytes[m] = 0;
    this.messageAddr[m] = addr;
    this.messageResult[m] = 0;
  }

  addPiece(buffer: number, offset: number, length: number): void {
    const p = this.pieceCount++;
    this.pieceBuffer[p] = buffer;
    this.pieceOffset[p] = offset;
    this.pieceLength[p] = length;
    const m = this.messageCount;
    this.messagePieces[m]!++;
    this.messageBytes[m]! += length;
  }

  /** Closes the message begun last, recording how many segments it carries and their size. */
  endMessage(segments: number, segmentSize: number): void {
    const m = this.messageCount++;
    this.messageSegments[m] = segments;
    this.messageSegmentSize[m] = segments > 1 ? segmentSize : 0;
  }

  /** The bytes of message m, concatenated (tests and in-memory transports). */
  messageData(m: number): Buffer {
    const parts: Buffer[] = [];
    const first = this.messageFirstPiece[m]!;
    for (let p = first; p < first + this.messagePieces[m]!; p++) {
      const b = this.buffers[this.pieceBuffer[p]!]!;
      parts.push(Buffer.from(b.buffer, b.byteOffset + this.pieceOffset[p]!, this.pieceLength[p]!));
    }
    return Buffer.concat(parts);
  }
}
