import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FitsHeader, formatHeader, readFits, readFitsFile, writeFits } from "../../src/astro/fits/index.ts";
import type { FitsImage } from "../../src/astro/fits/index.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const FIELD = `${FIELD_DIR}/`;
const fixture = (name: string) => new Uint8Array(readFileSync(FIELD + name));

/** Number of positions where two pixel arrays differ (NaN equals NaN). */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe("writeFits → readFits round trips", () => {
  const W = 13;
  const H = 7;
  const cases: { bitpix: -32 | -64 | 8 | 16 | 32 | 64; lo: number; hi: number; int: boolean }[] = [
    { bitpix: 8, lo: 0, hi: 255, int: true },
    { bitpix: 16, lo: -32768, hi: 32767, int: true },
    { bitpix: 32, lo: -2147483648, hi: 2147483647, int: true },
    { bitpix: 64, lo: -(2 ** 53), hi: 2 ** 53, int: true },
    { bitpix: -32, lo: -1e30, hi: 1e30, int: false },
    { bitpix: -64, lo: -1e300, hi: 1e300, int: false },
  ];
  for (const c of cases) {
    it(`BITPIX ${c.bitpix}: random pixels come back exactly`, () => {
      const arb = c.int
        ? fc.integer({ min: Math.max(c.lo, -(2 ** 53)), max: Math.min(c.hi, 2 ** 53) })
        : fc.double({ min: c.lo, max: c.hi, noNaN: true });
      fc.assert(
        fc.property(fc.array(arb, { minLength: W * H, maxLength: W * H }), (values) => {
          const bytes = writeFits({
            data: values,
            width: W,
            height: H,
            bitpix: c.bitpix,
            header: { OBJECT: "rt" },
          });
          expect(bytes.length % 2880).toBe(0);
          const img = readFits(bytes);
          expect([img.width, img.height, img.bitpix]).toEqual([W, H, c.bitpix]);
          const expected = c.bitpix === -32 ? values.map(Math.fround) : values;
          expect(Array.from(img.data)).toEqual(expected.map((v) => (Object.is(v, -0) && c.int ? 0 : v)));
        }),
        { seed: 1000 + c.bitpix, numRuns: 40 },
      );
    });
  }

  it("BZERO/BSCALE: unsigned 16 and 32 bit, scaled 16 bit, BLANK ↔ NaN", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 12, maxLength: 12 }), (u) => {
        const img = readFits(writeFits({ data: u, width: 4, height: 3, bitpix: 16, bzero: 32768 }));
        expect(Array.from(img.data)).toEqual(u);
        const u32 = u.map((v) => v * 65537); // up to 2^32 − 1
        const img32 = readFits(writeFits({ data: u32, width: 4, height: 3, bitpix: 32, bzero: 2 ** 31 }));
        expect(img32.header.getNumber("BZERO")).toBe(2147483648);
        expect(Array.from(img32.data)).toEqual(u32);
      }),
      { seed: 42, numRuns: 50 },
    );
    const phys = [100, 100.004, 99.996, -227.67, 427.67, NaN];
    const img = readFits(
      writeFits({ data: phys, width: 3, height: 2, bitpix: 16, bzero: 100, bscale: 0.01, blank: -32768 }),
    );
    const stored = phys.map((v) => Math.round((v - 100) / 0.01));
    expect(Array.from(img.data.slice(0, 5))).toEqual(
      stored.slice(0, 5).map((s) => Math.fround(100 + 0.01 * s)),
    );
    expect(Number.isNaN(img.data[5])).toBe(true);
    expect(img.header.getNumber("BLANK")).toBe(-32768);
    const big = readFits(writeFits({ data: [1, NaN], width: 2, height: 1, bitpix: 64, blank: -(2n ** 63n) }));
    expect(big.header.getValueText("BLANK")).toBe("-9223372036854775808");
    expect([big.data[0], Number.isNaN(big.data[1])]).toEqual([1, true]);
    expect(() => writeFits({ data: [NaN], width: 1, height: 1, bitpix: 16 })).toThrow(/BLANK/);
  });

  it("keeps header cards, long strings and the read header's scaling", () => {
    const header = new FitsHeader()
      .set("OBJECT", "SN 2025abc", "target")
      .set("NOTE", "x".repeat(150) + "'quoted'" + " end", "long string")
      .set("FLAG", false)
      .set("TEMP", -12.75)
      .set("AVOGADRO", 6.02214076e23)
      .set("BITPIX", 99) // structural keywords are replaced by the writer
      .addCommentary("HISTORY", "made by test");
    const img = readFits(writeFits({ data: [1, 2, 3, 4], width: 2, height: 2, bitpix: -32, header }));
    const h = img.header;
    expect(h.getString("NOTE")).toBe("x".repeat(150) + "'quoted' end");
    expect([
      h.getString("OBJECT"),
      h.getBoolean("FLAG"),
      h.getNumber("TEMP"),
      h.getNumber("AVOGADRO"),
    ]).toEqual(["SN 2025abc", false, -12.75, 6.02214076e23]);
    expect(h.getNumber("BITPIX")).toBe(-32);
    expect(h.history()).toEqual(["made by test"]);
    // A u16 image rewritten with its own header keeps BZERO = 32768.
    const u16: FitsImage = readFits(fixture("frame-u16.fits"));
    const rewritten = writeFits({ data: u16.data, width: 512, height: 512, bitpix: 16, header: u16.header });
    expect(mismatches(readFits(rewritten).data, u16.data)).toBe(0);
    // and its data unit is byte-identical to astropy's
    expect(Buffer.compare(rewritten.subarray(2880), fixture("frame-u16.fits").subarray(2880))).toBe(0);
  });

  it("reads a cube's first plane and an IMAGE extension after an empty primary", () => {
    const hdu = (cards: Record<string, string | number | boolean>, data: number[]) => {
      const head = formatHeader(FitsHeader.fromRecord(cards));
      const body = new Uint8Array(Math.ceil(data.length / 2880) * 2880);
      body.set(data);
      return new Uint8Array([...head, ...body]);
    };
    const int16 = (values: number[]) => values.flatMap((v) => [(v >> 8) & 0xff, v & 0xff]);
    const cube = readFits(
      hdu(
        { SIMPLE: true, BITPIX: 16, NAXIS: 3, NAXIS1: 3, NAXIS2: 2, NAXIS3: 2 },
        int16([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
      ),
    );
    expect([cube.width, cube.height, cube.depth, Array.from(cube.data)]).toEqual([
      3,
      2,
      2,
      [1, 2, 3, 4, 5, 6],
    ]);
    expect(cube.notes.join()).toContain("first plane");
    const primary = hdu({ SIMPLE: true, BITPIX: 8, NAXIS: 0, EXTEND: true }, []);
    const table = hdu(
      { XTENSION: "TABLE", BITPIX: 8, NAXIS: 2, NAXIS1: 4, NAXIS2: 1, PCOUNT: 0, GCOUNT: 1, TFIELDS: 0 },
      [65, 66, 67, 68],
    );
    const ext = hdu(
      {
        XTENSION: "IMAGE",
        BITPIX: -32,
        NAXIS: 2,
        NAXIS1: 2,
        NAXIS2: 1,
        PCOUNT: 0,
        GCOUNT: 1,
        EXTNAME: "SCI",
      },
      [0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0], // 1.5, −2.5
    );
    const img = readFits(new Uint8Array([...primary, ...table, ...ext]));
    expect([img.hduIndex, img.header.getString("EXTNAME"), Array.from(img.data)]).toEqual([
      2,
      "SCI",
      [1.5, -2.5],
    ]);
    const plane = writeFits({ data: [1, 2, 3, 4, 5, 6], width: 3, height: 2, bitpix: 16 });
    expect(readFits(gzipSync(plane)).data).toEqual(readFits(plane).data);
  });

  it("colourCube reads all three planes of an NAXIS3 = 3 cube (R, G, B), other cubes their first plane", async () => {
    const values = Array.from({ length: 18 }, (_, i) => i * 10 - 50);
    const cube = writeFits({ data: values, width: 3, height: 2, depth: 3, bitpix: 16 });
    const plain = readFits(cube);
    expect([plain.depth, plain.planes, Array.from(plain.data)]).toEqual([3, 1, values.slice(0, 6)]);
    const rgb = readFits(cube, { colourCube: true });
    expect([rgb.width, rgb.height, rgb.depth, rgb.planes, Array.from(rgb.data)]).toEqual([
      3,
      2,
      3,
      3,
      values,
    ]);
    expect(rgb.header.getNumber("NAXIS3")).toBe(3);
    expect(rgb.notes.join()).toContain("3 planes (R, G, B)");
    expect(Array.from(readFits(gzipSync(cube), { colourCube: true }).data)).toEqual(values);
    // straight from a file (the FITS job's path): the same three planes
    const dir = await mkdtemp(join(tmpdir(), "skytom-cube-"));
    try {
      await writeFile(join(dir, "rgb.fits"), cube);
      const fromFile = await readFitsFile(join(dir, "rgb.fits"), { colourCube: true });
      expect([fromFile.planes, Array.from(fromFile.data)]).toEqual([3, values]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // four planes are not a colour cube; a 2-D image is unchanged
    const four = writeFits({
      data: [...values, 1, 2, 3, 4, 5, 6],
      width: 3,
      height: 2,
      depth: 4,
      bitpix: 16,
    });
    const first = readFits(four, { colourCube: true });
    expect([first.depth, first.planes, Array.from(first.data)]).toEqual([4, 1, values.slice(0, 6)]);
    const flat = readFits(writeFits({ data: values, width: 3, height: 2, bitpix: -32 }), {
      colourCube: true,
    });
    expect([flat.depth, flat.planes, flat.data.length]).toEqual([1, 1, 6]);
  });
});
