// The fast Internet checksum (32-bit word loop, byte-swapped sums for odd starts) against a
// byte-pair reference: every start alignment, odd and even lengths, buffers with and
// without a word view, and runs of 0xff that carry on every addition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checksumField, fold16, pseudoHeaderSum, sum16, wordBuffer } from '../../../node-agent/dataplane/checksum.js';
import { refChecksumOf, refFold, refPseudoSum, refWordSum } from '../fixtures/superpackets.js';
import { prng, randomInt, randomUint32 } from '../../prng.js';

/** The reference, folded: what sum16 must return for bytes [start, end). */
function reference(bytes: Uint8Array, start: number, end: number): number {
  return end <= start ? 0 : refFold(refWordSum(bytes, start, end));
}

function randomFill(rand: () => number, b: Uint8Array): void {
  for (let i = 0; i < b.length; i++) b[i] = randomInt(rand, 256);
}

test('wordBuffer: a 4-aligned buffer gets a word view over its memory, an unaligned one none', () => {
  const backing = new ArrayBuffer(64);
  const aligned = wordBuffer(new Uint8Array(backing, 8, 20));
  assert.ok(aligned.words !== null);
  assert.equal(aligned.base, 8);
  assert.equal(aligned.words.buffer, backing);
  assert.equal(aligned.words.length, 7, 'words up to the end of the view, from the start of the ArrayBuffer');
  const unaligned = wordBuffer(new Uint8Array(backing, 6, 20));
  assert.equal(unaligned.words, null);
  assert.equal(unaligned.base, 6);
});

test('RFC 1071 example and small known values', () => {
  // RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2.
  const rfc = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(sum16(wordBuffer(rfc), 0, 8), 0xddf2);
  assert.equal(checksumField(sum16(wordBuffer(rfc), 0, 8)), 0x220d);
  const one = new Uint8Array([0xab]);
  assert.equal(sum16(wordBuffer(one), 0, 1), 0xab00, 'an odd last byte is the high half of a word');
  assert.equal(sum16(wordBuffer(one), 0, 0), 0, 'an empty range sums to 0');
  assert.equal(sum16(wordBuffer(one), 1, 0), 0, 'a reversed range sums to 0');
});

test('sum16 equals the byte-pair reference: every start alignment 0..7, lengths 0..200', () => {
  const rand = prng(0x5eed0001);
  const buf = new Uint8Array(new ArrayBuffer(256));
  const w = wordBuffer(buf);
  assert.ok(w.words !== null);
  for (let round = 0; round < 4; round++) {
    randomFill(rand, buf);
    for (let start = 0; start < 8; start++) {
      for (let len = 0; len <= 200; len++) {
        assert.equal(sum16(w, start, start + len), reference(buf, start, start + len), `round ${round} start ${start} length ${len}`);
      }
    }
  }
});

test('sum16 on views at unaligned byteOffsets (no word view) agrees with the reference', () => {
  const rand = prng(0x5eed0002);
  const backing = new Uint8Array(new ArrayBuffer(512));
  randomFill(rand, backing);
  for (let offset = 1; offset < 8; offset++) {
    const view = backing.subarray(offset, offset + 400);
    const w = wordBuffer(view);
    if (offset % 4 !== 0) assert.equal(w.words, null, `offset ${offset} has no word view`);
    for (let start = 0; start < 8; start++) {
      for (const len of [0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 199, 200, 381, 392]) {
        assert.equal(sum16(w, start, start + len), reference(view, start, start + len), `byteOffset ${offset} start ${start} length ${len}`);
      }
    }
  }
});

test('sum16 on views at 4-aligned nonzero byteOffsets uses the word view and agrees', () => {
  const rand = prng(0x5eed0003);
  const backing = new Uint8Array(new ArrayBuffer(1024));
  randomFill(rand, backing);
  for (const offset of [4, 8, 12, 100]) {
    const view = backing.subarray(offset, offset + 600);
    const w = wordBuffer(view);
    assert.ok(w.words !== null);
    for (let start = 0; start < 8; start++) {
      for (let n = 0; n < 30; n++) {
        const len = randomInt(rand, 600 - start + 1);
        assert.equal(sum16(w, start, start + len), reference(view, start, start + len), `byteOffset ${offset} start ${start} length ${len}`);
      }
    }
  }
});

test('sum16 over 64 KB ranges (random and all-0xff) agrees with the reference at every alignment', () => {
  const rand = prng(0x5eed0004);
  const size = 65536 + 16;
  const random = new Uint8Array(new ArrayBuffer(size));
  randomFill(rand, random);
  const ones = new Uint8Array(new ArrayBuffer(size)).fill(0xff);
  for (const [name, buf] of [['random', random], ['0xff', ones]] as const) {
    const w = wordBuffer(buf);
    for (let start = 0; start < 8; start++) {
      for (const len of [65536, 65535, 65000, 65001, 40000 + start]) {
        assert.equal(sum16(w, start, start + len), reference(buf, start, start + len), `${name} start ${start} length ${len}`);
      }
    }
    const unaligned = wordBuffer(buf.subarray(3));
    assert.equal(sum16(unaligned, 0, 65536), reference(buf, 3, 3 + 65536), `${name} without a word view`);
  }
});

test('carry folding: ranges of 0xff with a few other bytes, and sums that fold to 0xffff', () => {
  const rand = prng(0x5eed0005);
  const buf = new Uint8Array(new ArrayBuffer(4096));
  const w = wordBuffer(buf);
  for (let n = 0; n < 500; n++) {
    buf.fill(0xff);
    for (let k = randomInt(rand, 4); k > 0; k--) buf[randomInt(rand, buf.length)] = randomInt(rand, 256);
    const start = randomInt(rand, 16);
    const end = start + randomInt(rand, buf.length - start + 1);
    assert.equal(sum16(w, start, end), reference(buf, start, end), `case ${n}: [${start}, ${end})`);
  }
  buf.fill(0xff);
  assert.equal(sum16(w, 0, 4096), 0xffff, 'all ones fold to 0xffff (negative zero), never 0');
  buf.fill(0);
  assert.equal(sum16(w, 0, 4096), 0, 'all zeros sum to 0');
  // 0x0001 + 0xfffe = 0xffff without any carry; 0x8000 + 0x8000 carries round to 0x0001.
  buf.set([0x00, 0x01, 0xff, 0xfe], 0);
  assert.equal(sum16(w, 0, 4), 0xffff);
  buf.set([0x80, 0x00, 0x80, 0x00], 0);
  assert.equal(sum16(w, 0, 4), 0x0001);
});

test('randomized: 5,000 random ranges of random buffers at random byteOffsets', () => {
  const rand = prng(0x5eed0006);
  const backing = new Uint8Array(new ArrayBuffer(9000));
  for (let n = 0; n < 5000; n++) {
    if (n % 100 === 0) randomFill(rand, backing);
    const offset = randomInt(rand, 16);
    const view = backing.subarray(offset, offset + 8000);
    const start = randomInt(rand, 64);
    const end = start + randomInt(rand, view.length - start + 1);
    assert.equal(sum16(wordBuffer(view), start, end), reference(view, start, end), `case ${n}: byteOffset ${offset} [${start}, ${end})`);
  }
});

test('sums of adjacent ranges add up in one\'s complement when the split is at an even distance', () => {
  const rand = prng(0x5eed0007);
  const buf = new Uint8Array(new ArrayBuffer(3000));
  randomFill(rand, buf);
  const w = wordBuffer(buf);
  for (let n = 0; n < 300; n++) {
    const start = randomInt(rand, 100);
    const mid = start + 2 * randomInt(rand, 1000);
    const end = mid + randomInt(rand, buf.length - mid + 1);
    assert.equal(fold16(sum16(w, start, mid) + sum16(w, mid, end)), reference(buf, start, end), `[${start}, ${mid}, ${end})`);
  }
});

test('fold16 agrees with the reference fold on sums up to 2^47', () => {
  const rand = prng(0x5eed0008);
  for (const s of [0, 1, 0xffff, 0x10000, 0x1fffe, 0xfffeffff, 0xffffffff, 2 ** 32, 2 ** 40 + 12345, 2 ** 47 - 1]) {
    assert.equal(fold16(s), refFold(s), `fold16(${s})`);
  }
  for (let n = 0; n < 2000; n++) {
    const s = Math.floor(rand() * 2 ** 47);
    assert.equal(fold16(s), refFold(s), `fold16(${s})`);
  }
});

test(
  'fold16 keeps its contract for sums from 2^48 to 2^53, and sum16 over more than 256 KB of 0xff',
  () => {
    assert.equal(fold16(2 ** 48), refFold(2 ** 48), 'fold16(2^48) must be 1');
    assert.equal(fold16(2 ** 52), refFold(2 ** 52), 'fold16(2^52) must be 16');
    assert.equal(fold16(2 ** 48 - 1), refFold(2 ** 48 - 1), 'fold16(2^48 - 1) must be 0xffff');
    const big = new Uint8Array(new ArrayBuffer(512 * 1024)).fill(0xff);
    assert.equal(sum16(wordBuffer(big), 0, big.length), 0xffff);
  },
);

test('pseudoHeaderSum and checksumField agree with the byte-built pseudo-header', () => {
  const rand = prng(0x5eed0009);
  for (let n = 0; n < 2000; n++) {
    const src = randomUint32(rand);
    const dst = randomUint32(rand);
    const proto = rand() < 0.5 ? 6 : 17;
    const len = randomInt(rand, 65536);
    assert.equal(fold16(pseudoHeaderSum(src, dst, proto, len)), refFold(refPseudoSum(src, dst, proto, len)));
    const extra = randomInt(rand, 0x10000000);
    assert.equal(checksumField(pseudoHeaderSum(src, dst, proto, len) + extra), refChecksumOf(refPseudoSum(src, dst, proto, len) + extra));
  }
  assert.equal(checksumField(0xffff), 0, 'a sum of negative zero gives field 0');
  assert.equal(checksumField(0), 0xffff);
});
