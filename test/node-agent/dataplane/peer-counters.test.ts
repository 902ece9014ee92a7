// The main thread's side of the per-peer counters: slots that stay a peer's own, freed
// slots reused without inheriting counts, buffers that grow without losing counts, and
// "last seen" moving only when a peer's counts do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PEER_STRIDE, PeerCounterBook, P_DROP_SPOOFED_SOURCE, P_RX_BYTES, P_RX_PACKETS, P_SEND_ERRORS, P_TX_PACKETS } from '../../../node-agent/dataplane/peer-counters.js';

/** Adds to one slot of a peer's block in worker `w`'s current buffer, as a worker does. */
function count(book: PeerCounterBook, w: number, slot: number, field: number, n: number): void {
  book.current(w)[slot * PEER_STRIDE + field] += n;
}

function byName(book: PeerCounterBook, now?: number) {
  return Object.fromEntries(book.read(now).map((p) => [p.nodeName, p]));
}

test('a peer keeps its slot across tables, and its counts are summed over the workers', () => {
  const book = new PeerCounterBook(2);
  const first = book.assign(['a', 'b']);
  assert.deepEqual([...first.slots], [0, 1]);
  assert.equal(first.grown, false);
  count(book, 0, 1, P_RX_PACKETS, 3);
  count(book, 1, 1, P_RX_PACKETS, 4);
  count(book, 1, 1, P_RX_BYTES, 700);
  count(book, 0, 1, P_DROP_SPOOFED_SOURCE, 2);
  count(book, 1, 1, P_SEND_ERRORS, 1);
  // b moves to index 0 of the next table; its slot stays 1.
  const second = book.assign(['b', 'c', 'a']);
  assert.deepEqual([...second.slots], [1, 2, 0]);
  const b = byName(book).b!;
  assert.deepEqual([b.traffic.rxPackets, b.traffic.rxBytes, b.traffic.txPackets], [7, 700, 0]);
  assert.deepEqual(b.traffic.drops, { spoofed_source: 2, send_error: 1 });
  assert.deepEqual(byName(book).a!.traffic.drops, {}, 'reasons with no drops are left out');
});

test('a freed slot is reused by a new peer, which does not inherit the old one\'s counts', () => {
  const book = new PeerCounterBook(1);
  book.assign(['a', 'b']);
  count(book, 0, 0, P_TX_PACKETS, 50);
  const next = book.assign(['b', 'new']);
  assert.deepEqual([...next.slots], [1, 0], 'new takes a\'s slot');
  assert.equal(byName(book).new!.traffic.txPackets, 0);
  count(book, 0, 0, P_TX_PACKETS, 5);
  assert.equal(byName(book).new!.traffic.txPackets, 5);
  assert.equal(byName(book).a, undefined, 'a left the table');
});

test('more peers than the buffers hold: new buffers go out, and counts in the old ones still count', () => {
  const book = new PeerCounterBook(2, 2);
  book.assign(['a', 'b']);
  const oldBuffer = book.current(0);
  count(book, 0, 1, P_RX_PACKETS, 9);
  const grown = book.assign(['a', 'b', 'c', 'd', 'e']);
  assert.equal(grown.grown, true);
  assert.notEqual(book.current(0), oldBuffer);
  assert.ok(book.current(0).length >= 5 * PEER_STRIDE);
  // A worker that has not taken the new table yet still counts into the old buffer.
  oldBuffer[1 * PEER_STRIDE + P_RX_PACKETS] += 1;
  count(book, 0, 1, P_RX_PACKETS, 2);
  count(book, 1, 4, P_RX_PACKETS, 1);
  const peers = byName(book);
  assert.equal(peers.b!.traffic.rxPackets, 12);
  assert.equal(peers.e!.traffic.rxPackets, 1);
  assert.equal(book.assign(['a', 'b', 'c', 'd', 'e']).grown, false, 'the same table needs no new buffers');
});

test('last seen moves only when a peer\'s counts move, one way at a time', () => {
  const book = new PeerCounterBook(1);
  book.assign(['a', 'b']);
  let peers = byName(book, 1_000);
  assert.deepEqual([peers.a!.lastRxAt, peers.a!.lastTxAt], [0, 0], 'never');
  count(book, 0, 0, P_RX_PACKETS, 1);
  count(book, 0, 1, P_TX_PACKETS, 1);
  book.sample(2_000);
  count(book, 0, 1, P_TX_PACKETS, 1);
  peers = byName(book, 3_000);
  assert.deepEqual([peers.a!.lastRxAt, peers.a!.lastTxAt], [2_000, 0]);
  assert.deepEqual([peers.b!.lastRxAt, peers.b!.lastTxAt], [0, 3_000]);
  peers = byName(book, 9_000);
  assert.equal(peers.a!.lastRxAt, 2_000, 'no new packet, no new time');
});
