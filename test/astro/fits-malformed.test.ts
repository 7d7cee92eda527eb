import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FitsError,
  FitsHeader,
  formatHeader,
  readFits,
  readFitsHeaderOnly,
  writeFits,
} from "../../src/astro/fits/index.ts";
import type { FitsErrorCode, FitsValue } from "../../src/astro/fits/index.ts";
import { FZ_SAMPLES, FZ_SAMPLES_GZ_BASE64 } from "./fits-fz-samples.ts";

/** A FITS file from header cards and raw data bytes (data padded to 2880). */
function fits(cards: Record<string, FitsValue>, data: Uint8Array | number = 0): Uint8Array {
  const head = formatHeader(FitsHeader.fromRecord(cards));
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function codeOf(fn: () => unknown): FitsErrorCode | "no error" | "other" {
  try {
    fn();
    return "no error";
  } catch (err) {
    return err instanceof FitsError ? err.code : "other";
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

describe("malformed input → FitsError with the right code", () => {
  const image = (extra: Record<string, FitsValue>, data: Uint8Array | number = 2880) =>
    fits({ SIMPLE: true, BITPIX: -32, NAXIS: 2, NAXIS1: 512, NAXIS2: 512, ...extra }, data);

  it("truncated data: names the declared and the remaining bytes", () => {
    const bytes = image({}, 1000);
    expect(codeOf(() => readFits(bytes))).toBe("TRUNCATED");
    expect(messageOf(() => readFits(bytes))).toBe(
      "truncated data: header declares 512×512×4 = 1048576 bytes but only 1000 remain",
    );
    // the header alone is still readable
    expect(readFitsHeaderOnly(bytes).width).toBe(512);
  });

  it("a header claiming 100000 × 100000 × 8 bytes (80 GB) in a 3 KB file fails fast without allocating", () => {
    const bytes = fits({ SIMPLE: true, BITPIX: -64, NAXIS: 2, NAXIS1: 100000, NAXIS2: 100000 }, 200);
    const t0 = performance.now();
    expect(codeOf(() => readFits(bytes))).toBe("TRUNCATED");
    expect(performance.now() - t0).toBeLessThan(200);
    expect(messageOf(() => readFits(bytes))).toContain(
      "100000×100000×8 = 80000000000 bytes but only 200 remain",
    );
  });

  it("bad BITPIX, NAXIS mismatches", () => {
    expect(codeOf(() => readFits(image({ BITPIX: 12 })))).toBe("BAD_BITPIX");
    expect(messageOf(() => readFits(image({ BITPIX: 12 })))).toContain("BITPIX = 12 is not one of");
    const noNaxis2 = fits({ SIMPLE: true, BITPIX: 16, NAXIS: 2, NAXIS1: 10 }, 2880);
    expect(codeOf(() => readFits(noNaxis2))).toBe("NAXIS_MISMATCH");
    expect(messageOf(() => readFits(noNaxis2))).toBe("NAXIS2 is missing (NAXIS = 2)");
    expect(codeOf(() => readFits(image({ NAXIS1: -5 })))).toBe("NAXIS_MISMATCH");
    expect(codeOf(() => readFits(image({ NAXIS1: 2.5 })))).toBe("NAXIS_MISMATCH");
    expect(codeOf(() => readFits(image({ NAXIS: "two" })))).toBe("NAXIS_MISMATCH");
  });

  it("empty, text, no END, truncated header, no image", () => {
    expect(codeOf(() => readFits(new Uint8Array(0)))).toBe("EMPTY");
    expect(codeOf(() => readFits(new TextEncoder().encode("ra,dec,mag\n150.0,2.0,15.8\n")))).toBe("NOT_FITS");
    expect(codeOf(() => readFits(new TextEncoder().encode("SIMPLE")))).toBe("NOT_FITS");
    const noEnd = new TextEncoder().encode(
      "SIMPLE  =                    T".padEnd(80) + " ".repeat(2880 * 3 - 80),
    );
    expect(codeOf(() => readFits(noEnd, { maxHeaderBlocks: 2 }))).toBe("NOT_FITS");
    expect(codeOf(() => readFits(noEnd))).toBe("TRUNCATED");
    const bigNoEnd = new Uint8Array(2880 * 1001).fill(0x20);
    bigNoEnd.set(new TextEncoder().encode("SIMPLE  =                    T"));
    expect(messageOf(() => readFits(bigNoEnd))).toBe(
      "no END card within 1000 header blocks starting at byte 0",
    );
    expect(codeOf(() => readFits(fits({ SIMPLE: true, BITPIX: 8, NAXIS: 0 })))).toBe("EMPTY");
    expect(codeOf(() => readFits(fits({ SIMPLE: true, BITPIX: 8, NAXIS: 2, NAXIS1: 0, NAXIS2: 5 })))).toBe(
      "EMPTY",
    );
  });

  it("maxPixels and the gunzip cap give TOO_LARGE; broken gzip gives TRUNCATED / NOT_FITS", () => {
    const small = writeFits({ data: new Float32Array(100 * 100), width: 100, height: 100, bitpix: -32 });
    expect(codeOf(() => readFits(small, { maxPixels: 9999 }))).toBe("TOO_LARGE");
    expect(readFits(small, { maxPixels: 10000 }).width).toBe(100);
    const bomb = gzipSync(new Uint8Array(8 * 2 ** 20)); // 8 MiB of zeros → 8 KiB
    expect(codeOf(() => readFits(bomb, { maxGunzipBytes: 2 ** 20 }))).toBe("TOO_LARGE");
    const gz = gzipSync(small);
    expect(codeOf(() => readFits(gz.subarray(0, gz.length >> 1)))).toBe("TRUNCATED");
    const corrupt = gz.slice();
    corrupt.fill(0xff, 10, 40);
    expect(codeOf(() => readFits(corrupt))).toBe("NOT_FITS");
  });

  it("corrupt compressed tiles: heap pointers out of range, short RICE streams", () => {
    const all = gunzipSync(Buffer.from(FZ_SAMPLES_GZ_BASE64, "base64"));
    let off = 0;
    const byName = new Map<string, Uint8Array>();
    for (const s of FZ_SAMPLES) {
      byName.set(s.name, new Uint8Array(all.subarray(off, off + s.bytes)));
      off += s.bytes;
    }
    const fz = (byName.get("u16-rice.fz") as Uint8Array).slice();
    const text = Buffer.from(fz).toString("latin1");
    const tableData = Math.ceil((text.indexOf("END     ", text.indexOf("XTENSION")) + 80) / 2880) * 2880;
    const bad = fz.slice();
    new DataView(bad.buffer).setUint32(tableData + 4, 1e9); // first descriptor offset → beyond the heap
    expect(messageOf(() => readFits(bad))).toMatch(/row 1 column COMPRESSED_DATA points to \d+ heap bytes/);
    const short = fz.slice();
    new DataView(short.buffer).setUint32(tableData, 3); // first tile: 3 bytes for 20 pixels
    expect(codeOf(() => readFits(short))).toBe("TRUNCATED");
    // one 16384 × 16384 tile (2^28 pixels, 1 GiB as float32) claimed by an 8.6 KB file: refused before allocating
    const huge = fz.slice();
    for (const key of ["ZNAXIS1", "ZNAXIS2", "ZTILE1", "ZTILE2"]) {
      const at = text.indexOf(key.padEnd(8) + "=");
      huge.set(Buffer.from(`${key.padEnd(8)}=                16384`.padEnd(80), "latin1"), at);
    }
    const t0 = performance.now();
    expect(messageOf(() => readFits(huge))).toMatch(
      /bytes of compressed data cannot hold 16384×16384 pixels \(RICE_1\)/,
    );
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe("fuzz: every mutation gives an image or a FitsError (never another exception)", () => {
  const base = writeFits({
    data: Array.from({ length: 6 * 5 }, (_, i) => (i === 7 ? NaN : i * 3 - 20)),
    width: 6,
    height: 5,
    bitpix: 16,
    blank: -32768,
    header: { OBJECT: "fuzz", LONGNOTE: "n".repeat(100), EXPTIME: 1.5 },
  });
  const all = gunzipSync(Buffer.from(FZ_SAMPLES_GZ_BASE64, "base64"));
  const fzOffset = FZ_SAMPLES.slice(
    0,
    FZ_SAMPLES.findIndex((s) => s.name === "f32nonan-rice-t8.fz"),
  ).reduce((a, s) => a + s.bytes, 0);
  const fzBase = new Uint8Array(all.subarray(fzOffset, fzOffset + 11520));
  const cards = [
    "NAXIS1  =             99999999",
    "NAXIS2  =                   -1",
    "BITPIX  =                   12",
    "NAXIS   =                  999",
    "NAXIS   =                    3",
    "PCOUNT  =           2147483647",
    "ZNAXIS1 =                 1000",
    "ZTILE1  =                    0",
    "ZTILE2  =             99999999",
    "TFORM1  = '1QB(9)  '",
    "THEAP   =                   -8",
    "BLANK   =                    x",
    "ZVAL2   =                    3",
    "END",
  ].map((c) => Buffer.from(c.padEnd(80), "latin1"));

  const mutation = (len: number): fc.Arbitrary<Mutation> =>
    fc.oneof<fc.Arbitrary<Mutation>[]>(
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat({ max: len }) }),
      fc.record({
        kind: fc.constant("bytes" as const),
        edits: fc.array(fc.tuple(fc.nat({ max: len - 1 }), fc.nat({ max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
      }),
      fc.record({
        kind: fc.constant("card" as const),
        slot: fc.nat({ max: 71 }),
        card: fc.nat({ max: cards.length - 1 }),
      }),
    );

  type Mutation =
    | { kind: "truncate"; at: number }
    | { kind: "bytes"; edits: [number, number][] }
    | { kind: "card"; slot: number; card: number };

  function apply(src: Uint8Array, m: Mutation): Uint8Array {
    if (m.kind === "truncate") return src.slice(0, m.at);
    const out = src.slice();
    if (m.kind === "bytes") for (const [i, v] of m.edits) out[i] = v;
    else if (m.slot * 80 < out.length)
      out.set(cards[m.card].subarray(0, out.length - m.slot * 80), m.slot * 80);
    return out;
  }

  function check(bytes: Uint8Array): true {
    try {
      const img = readFits(bytes);
      expect(img.data.length).toBe(img.width * img.height);
    } catch (err) {
      if (!(err instanceof FitsError)) throw err;
    }
    try {
      readFitsHeaderOnly(bytes);
    } catch (err) {
      if (!(err instanceof FitsError)) throw err;
    }
    return true;
  }

  it("2,000 mutations of a small BITPIX 16 file (BLANK, CONTINUE, padding)", () => {
    fc.assert(
      fc.property(mutation(base.length), (m) => check(apply(base, m))),
      { seed: 314159, numRuns: 2000 },
    );
  });

  it("1,000 mutations of a RICE_1 tile-compressed file (8×8 tiles)", () => {
    fc.assert(
      fc.property(mutation(fzBase.length), (m) => check(apply(fzBase, m))),
      { seed: 271828, numRuns: 1000 },
    );
  });

  it("300 mutations of a gzipped file", () => {
    const gz = gzipSync(base);
    fc.assert(
      fc.property(mutation(gz.length), (m) => check(apply(gz, m))),
      { seed: 161803, numRuns: 300 },
    );
  });
});
