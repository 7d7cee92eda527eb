/**
 * The fast pixel decoder (native byte swaps, one scaling pass) gives exactly what per-value DataView reads
 * give, for every BITPIX, with and without BZERO/BSCALE/BLANK, at unaligned input offsets and output
 * offsets, into Float32Array and Float64Array outputs, also when allowed to swap the input in place.
 */
import { describe, expect, it } from "vitest";
import { BITPIX_VALUES, decodePixels, decodePixelsDataView } from "../../src/astro/fits/pixels.ts";
import type { Bitpix, PixelScaling } from "../../src/astro/fits/pixels.ts";

/** Deterministic bytes (xorshift32) so that a failure reproduces. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < a.length && bad.length < 5; i++) {
    const ok = Number.isNaN(a[i]) ? Number.isNaN(b[i]) : Object.is(a[i], b[i]);
    if (!ok) bad.push(`[${i}] ${a[i]} vs ${b[i]}`);
  }
  return bad;
}

const SCALINGS: PixelScaling[] = [
  { bzero: 0, bscale: 1 },
  { bzero: 32768, bscale: 1 },
  { bzero: 0, bscale: 1 + 2 ** -20 },
  { bzero: -12.5, bscale: 0.37 },
  { bzero: 0, bscale: 1, blank: 7n },
  { bzero: 100, bscale: 2, blank: -1n },
];

describe("decodePixels (native byte swaps) equals the DataView decoder", () => {
  for (const bitpix of BITPIX_VALUES) {
    it(`BITPIX ${bitpix}`, () => {
      const size = Math.abs(bitpix) / 8;
      for (const [k, scaling] of SCALINGS.entries()) {
        for (const offset of [0, 1, 3, 2880]) {
          const count = 1000 + k; // odd counts too (the uint16 sign-bit flip works on pairs)
          const bytes = randomBytes(offset + count * size + 16, 17 + k + bitpix * 31 + offset);
          // Put the BLANK value into some pixels so that the null path is exercised.
          if (scaling.blank !== undefined && bitpix > 0) {
            const dv = new DataView(bytes.buffer);
            for (let i = 0; i < count; i += 97) {
              const at = offset + i * size;
              if (bitpix === 8) dv.setUint8(at, Number(scaling.blank) & 0xff);
              else if (bitpix === 16) dv.setInt16(at, Number(scaling.blank));
              else if (bitpix === 32) dv.setInt32(at, Number(scaling.blank));
              else dv.setBigInt64(at, scaling.blank);
            }
          }
          for (const Out of [Float32Array, Float64Array]) {
            for (const outOffset of [0, 5]) {
              const fast = new Out(count + outOffset);
              const slow = new Out(count + outOffset);
              decodePixels(bytes, offset, count, bitpix as Bitpix, fast, scaling, outOffset);
              decodePixelsDataView(bytes, offset, count, bitpix as Bitpix, slow, scaling, outOffset);
              const scratch = new Out(count + outOffset);
              decodePixels(bytes.slice(), offset, count, bitpix as Bitpix, scratch, scaling, outOffset, true);
              expect(same(scratch, slow), `in place, offset ${offset}`).toEqual([]);
              expect(
                same(fast, slow),
                `${Out.name} offset ${offset} out ${outOffset} ${JSON.stringify(scaling, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
              ).toEqual([]);
            }
          }
        }
      }
    });
  }

  it("decodes into a sub-array view at its own byte offset", () => {
    const bytes = randomBytes(400, 5);
    const backing = new Float32Array(200);
    const view = backing.subarray(50, 150);
    decodePixels(bytes, 0, 100, -32, view);
    const ref = new Float32Array(100);
    decodePixelsDataView(bytes, 0, 100, -32, ref);
    expect(same(view, ref)).toEqual([]);
    expect(backing[49]).toBe(0);
    expect(backing[150]).toBe(0);
  });
});
