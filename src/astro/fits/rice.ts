/**
 * RICE_1 decompression of one tile (Pence, Seaman & White 2010, "Tiled Image Convention for Storing
 * Compressed Images in FITS Binary Tables", §5.1 and Appendix; the algorithm is Rice, Yeh & Miller 1993,
 * as used by cfitsio's `fits_rdecomp`).
 *
 * Stream layout: the first pixel as a raw big-endian integer of BYTEPIX bytes, then for every block of
 * BLOCKSIZE pixels an FS code of 3/4/5 bits (BYTEPIX 1/2/4) storing FS+1, followed by
 *  - FS+1 = 0: every difference in the block is zero;
 *  - FS+1 = FSMAX+1 (7/15/26): each difference as a raw 8/16/32-bit word;
 *  - otherwise each difference Rice-coded: a unary count of leading zero bits terminated by a one bit
 *    (the high part), then FS low bits.
 * Differences are zig-zag mapped (even d → d/2, odd d → −(d+1)/2) and accumulate modulo 2^(8·BYTEPIX)
 * from the first pixel. Pure function over bytes; never reads past the input.
 */
import { FitsError } from "./errors.ts";

export type RiceBytePix = 1 | 2 | 4;

const PARAMS: Record<RiceBytePix, { fsBits: number; fsMax: number; rawBits: number }> = {
  1: { fsBits: 3, fsMax: 6, rawBits: 8 },
  2: { fsBits: 4, fsMax: 14, rawBits: 16 },
  4: { fsBits: 5, fsMax: 25, rawBits: 32 },
};

/**
 * Decode `npix` pixels of a RICE_1 stream.
 *
 * @param input compressed bytes of one tile (the heap array of its COMPRESSED_DATA cell)
 * @param npix number of pixels in the tile
 * @param blockSize ZVAL for BLOCKSIZE (default 32 pixels)
 * @param bytePix ZVAL for BYTEPIX (default 4)
 * @returns integers: signed 32-bit (BYTEPIX 4), signed 16-bit (2) or unsigned 8-bit (1) values
 * @throws FitsError TRUNCATED when the stream ends before `npix` pixels, UNSUPPORTED for a bad BYTEPIX
 */
export function riceDecompress(
  input: Uint8Array,
  npix: number,
  blockSize = 32,
  bytePix: RiceBytePix = 4,
): Int32Array {
  const p = PARAMS[bytePix];
  if (!p) throw new FitsError("UNSUPPORTED", `RICE_1: BYTEPIX must be 1, 2 or 4, not ${String(bytePix)}`);
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new FitsError("UNSUPPORTED", `RICE_1: BLOCKSIZE must be a positive integer, not ${blockSize}`);
  }
  const out = new Int32Array(npix);
  if (npix === 0) return out;
  const len = input.length;
  if (len < bytePix + 1) {
    throw new FitsError("TRUNCATED", `RICE_1 tile: ${len} bytes cannot hold ${npix} pixels`);
  }
  const fail = (i: number): never => {
    throw new FitsError(
      "TRUNCATED",
      `RICE_1 tile: compressed stream of ${len} bytes ends after ${i} of ${npix} pixels`,
    );
  };
  const { fsBits, fsMax, rawBits } = p;
  const rawBytes = rawBits / 8;
  const shift = 32 - 8 * bytePix; // sign/width handling: values wrap modulo 2^(8·BYTEPIX)

  let last = 0;
  for (let k = 0; k < bytePix; k++) last = last * 256 + input[k];
  last = bytePix === 1 ? last : (last << shift) >> shift;
  let pos = bytePix;
  // Bit buffer: the low `nbits` bits of `b` are unread (0 ≤ nbits ≤ 7 between codes).
  let b = input[pos++];
  let nbits = 8;
  for (let i = 0; i < npix;) {
    nbits -= fsBits;
    while (nbits < 0) {
      b = (b << 8) | input[pos++];
      nbits += 8;
    }
    const fs = (b >>> nbits) - 1;
    b &= (1 << nbits) - 1;
    const end = Math.min(i + blockSize, npix);
    if (fs < 0) {
      for (; i < end; i++) out[i] = last;
    } else if (fs === fsMax) {
      for (; i < end; i++) {
        let acc = b; // nbits + rawBits bits, exact in a double
        for (let k = 0; k < rawBytes; k++) acc = acc * 256 + (pos < len ? input[pos++] : (pos++, 0));
        const scale = 2 ** nbits;
        const d = Math.floor(acc / scale);
        b = acc - d * scale;
        const diff = d % 2 === 0 ? d / 2 : -(d + 1) / 2;
        last = bytePix === 1 ? (last + diff) & 0xff : ((last + diff) << shift) >> shift;
        out[i] = last;
      }
    } else {
      for (; i < end; i++) {
        // Unary high part: zero bits up to a one bit.
        while (b === 0) {
          if (pos >= len) fail(i);
          nbits += 8;
          b = input[pos++];
        }
        const top = 31 - Math.clz32(b); // position of the terminating one bit
        const zeros = nbits - 1 - top;
        nbits = top;
        b ^= 1 << top;
        // FS low bits.
        nbits -= fs;
        while (nbits < 0) {
          b = (b << 8) | input[pos++];
          nbits += 8;
        }
        const d = ((zeros << fs) | (b >>> nbits)) >>> 0; // wraps like cfitsio for corrupt data
        b &= (1 << nbits) - 1;
        const diff = d & 1 ? ~(d >>> 1) : d >>> 1;
        last = bytePix === 1 ? (last + diff) & 0xff : ((last + diff) << shift) >> shift;
        out[i] = last;
      }
    }
    if (pos > len) fail(i);
  }
  return out;
}
