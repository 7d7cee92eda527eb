import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FitsHeader,
  formatCard,
  formatHeader,
  formatNumber,
  mergeContinuations,
  parseCard,
  parseHeaderBlocks,
  readFits,
  readFitsFile,
  readFitsHeaderOnly,
} from "../../src/astro/fits/index.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

/** Fixtures written by numpy/astropy 5.2 and cfitsio (see shared/fixtures/README.md). */
const FIELD = `${FIELD_DIR}/`;
const fixture = (name: string) => new Uint8Array(readFileSync(FIELD + name));

/** numpy's round (half to even), which astropy used to write frame-u16.fits. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Number of positions where two pixel arrays differ (NaN equals NaN); toEqual is slow on 262,144 values. */
function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

function median(data: ArrayLike<number>): number {
  const s = Float64Array.from(data).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

describe("readFits — frame-f32.fits (BITPIX −32, astropy)", () => {
  const img = readFits(fixture("frame-f32.fits"));

  it("reads geometry and the header values", () => {
    expect([img.width, img.height, img.depth, img.bitpix, img.hduIndex]).toEqual([512, 512, 1, -32, 0]);
    expect(img.data).toBeInstanceOf(Float32Array);
    expect(img.data.length).toBe(512 * 512);
    const h = img.header;
    expect(h.get("SIMPLE")).toBe(true);
    expect(h.getNumber("EXPTIME")).toBe(90);
    expect(h.getString("DATE-OBS")).toBe("2025-03-14T01:23:45.6");
    expect(h.getString("FILTER")).toBe("V"); // written 'V       ': trailing blanks are not significant
    expect(h.getNumber("GAIN")).toBe(1.8);
    expect(h.getNumber("RDNOISE")).toBe(7);
    expect(h.getString("OBJECT")).toBe("acc-field");
    expect([h.getNumber("CRVAL1"), h.getNumber("CRVAL2")]).toEqual([150, 2]);
    expect([h.getNumber("CRPIX1"), h.getNumber("CRPIX2")]).toEqual([256.5, 256.5]);
    expect(h.getNumber("CD1_1")).toBe(-0.000222222222222222);
    expect(h.getNumber("CD2_2")).toBeCloseTo(0.8 / 3600, 17);
    expect([h.getNumber("CD1_2"), h.getNumber("CD2_1")]).toEqual([0, 0]);
    expect([h.getString("CTYPE1"), h.getString("CTYPE2"), h.getString("RADESYS")]).toEqual([
      "RA---TAN",
      "DEC--TAN",
      "ICRS",
    ]);
    expect(h.getNumber("EQUINOX")).toBe(2000);
    expect(h.getString("EXPTIME")).toBeUndefined();
    expect(h.has("BZERO")).toBe(false);
  });

  it("matches numpy's pixel values and statistics (np.frombuffer('>f4'))", () => {
    const at = (x: number, y: number) => img.data[(y - 1) * img.width + (x - 1)]; // 1-based FITS pixel
    expect(at(1, 1)).toBe(607.12457275390625);
    expect(at(512, 1)).toBe(581.84698486328125);
    expect(at(1, 512)).toBe(609.40087890625);
    expect(at(512, 512)).toBe(620.13262939453125);
    expect(at(100, 400)).toBe(647.88818359375);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let argmax = -1;
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i];
      if (v < min) min = v;
      if (v > max) [max, argmax] = [v, i];
      sum += v;
    }
    expect(min).toBe(520.1105346679688);
    expect(max).toBe(11158.423828125);
    expect([(argmax % 512) + 1, Math.floor(argmax / 512) + 1]).toEqual([208, 146]);
    expect(sum).toBeCloseTo(159352434.71966553, 3); // numpy float64 sum
    expect(median(img.data)).toBeCloseTo(600.60165, 4); // sky 600 ADU; numpy float64 median 600.6016540527344
  });

  it("readFitsFile and readFitsHeaderOnly agree with readFits", async () => {
    const f = await readFitsFile(FIELD + "frame-f32.fits");
    expect(mismatches(f.data, img.data)).toBe(0);
    const s = readFitsHeaderOnly(fixture("frame-f32.fits"));
    expect([s.width, s.height, s.depth, s.bitpix, s.hduIndex, s.compressed]).toEqual([
      512,
      512,
      1,
      -32,
      0,
      false,
    ]);
    expect(s.header.toRecord()).toEqual(img.header.toRecord());
  });
});

describe("readFits — frame-u16.fits (BITPIX 16, BZERO 32768) and frame-f32.fits.gz", () => {
  const f32 = readFits(fixture("frame-f32.fits"));

  it("applies the unsigned 16-bit convention exactly: u16 = round-half-even(f32) for every pixel", () => {
    const u16 = readFits(fixture("frame-u16.fits"));
    expect([u16.width, u16.height, u16.bitpix]).toEqual([512, 512, 16]);
    expect(u16.header.getNumber("BZERO")).toBe(32768);
    expect(u16.header.getNumber("BSCALE")).toBe(1);
    let maxDiff = 0;
    let ties = 0;
    let mismatches = 0;
    for (let i = 0; i < u16.data.length; i++) {
      const d = Math.abs(u16.data[i] - f32.data[i]);
      maxDiff = Math.max(maxDiff, d);
      if (d === 0.5) ties++;
      if (u16.data[i] !== roundHalfEven(f32.data[i])) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(maxDiff).toBe(0.5);
    expect(ties).toBe(19); // exact .5 pixels, rounded to even as numpy does
    const values = Float64Array.from(u16.data);
    expect([values.reduce((a, b) => Math.min(a, b)), values.reduce((a, b) => Math.max(a, b))]).toEqual([
      520, 11158,
    ]);
  });

  it("gunzips .fits.gz to exactly the same pixels and header", () => {
    const gz = readFits(fixture("frame-f32.fits.gz"));
    expect(gz.data).toBeInstanceOf(Float32Array);
    expect(mismatches(gz.data, f32.data)).toBe(0);
    expect(gz.header.toRecord()).toEqual(f32.header.toRecord());
    expect(gz.notes.join()).toContain("gunzipped 843058 → 1054080 bytes");
    const s = readFitsHeaderOnly(fixture("frame-f32.fits.gz"));
    expect([s.width, s.height, s.header.getNumber("EXPTIME")]).toEqual([512, 512, 90]);
  });
});

describe("header cards (FITS 4.0 §4.1–4.2)", () => {
  it("parses every value type, comments and D exponents", () => {
    expect(parseCard("SIMPLE  =                    T / conforms")).toMatchObject({
      key: "SIMPLE",
      value: true,
      comment: "conforms",
    });
    expect(parseCard("EXTEND  =                    F").value).toBe(false);
    expect(parseCard("NAXIS1  =                 -512 / width").value).toBe(-512);
    expect(parseCard("EXPO    =              1.5D+03").value).toBe(1500);
    expect(parseCard("SMALL   =             -2.5E-07").value).toBe(-2.5e-7);
    expect(parseCard("DOT     =                  .25").value).toBe(0.25);
    expect(parseCard("NAME    = 'O''Brien ' / who").value).toBe("O'Brien");
    expect(parseCard("LEAD    = '  x'").value).toBe("  x");
    expect(parseCard("EMPTY   = ''").value).toBe("");
    expect(parseCard("SLASH   = 'a/b' / c/d")).toMatchObject({ value: "a/b", comment: "c/d" });
    expect(parseCard("UNDEF   =                      / no value")).toMatchObject({
      value: null,
      comment: "no value",
    });
    expect(parseCard("CPLX    = (1.0, 2.0)")).toMatchObject({ value: null, valueText: "(1.0, 2.0)" });
    const big = parseCard("BIG     =  12345678901234567890");
    expect(big.valueText).toBe("12345678901234567890");
    expect(BigInt(big.valueText ?? "")).toBe(12345678901234567890n);
    expect(parseCard("HISTORY   reduced with skytom")).toMatchObject({
      key: "HISTORY",
      commentary: true,
      comment: "  reduced with skytom",
    });
    expect(parseCard("COMMENT = not a value").commentary).toBe(true);
    expect(parseCard("HIERARCH ESO DET GAIN = 1.25 / e/ADU")).toMatchObject({
      key: "ESO DET GAIN",
      value: 1.25,
    });
  });

  it("merges OGIP CONTINUE long strings", () => {
    const cards = mergeContinuations([
      parseCard("LONG    = 'first part &'  / c1"),
      parseCard("CONTINUE  'second ''quoted'' &'"),
      parseCard("CONTINUE  'end' / c2"),
      parseCard("CONTINUE  'orphan'"),
    ]);
    expect(cards[0]).toMatchObject({
      key: "LONG",
      value: "first part second 'quoted' end",
      comment: "c1 c2",
    });
    expect(cards[1]).toMatchObject({ key: "CONTINUE", commentary: true });
  });

  it("writes fixed-format cards (§4.2: numbers right-justified to column 30, strings ≥ 8 characters)", () => {
    expect(formatCard({ key: "BITPIX", value: -32, comment: "" })).toEqual([
      "BITPIX  =                  -32".padEnd(80),
    ]);
    expect(formatCard({ key: "SIMPLE", value: true, comment: "ok" })).toEqual([
      "SIMPLE  =                    T / ok".padEnd(80),
    ]);
    expect(formatCard({ key: "FILTER", value: "V", comment: "" })).toEqual([
      "FILTER  = 'V       '".padEnd(80),
    ]);
    expect(formatCard({ key: "Q", value: "it's", comment: "" })).toEqual(["Q       = 'it''s   '".padEnd(80)]);
    expect(formatNumber(1e21)).toBe("1.0E+21");
    expect(formatNumber(-2.5e-7)).toBe("-2.5E-7");
    expect(formatNumber(0.1)).toBe("0.1");
    expect(
      formatCard({
        key: "BIG",
        value: 12345678901234567000,
        valueText: "12345678901234567890",
        comment: "",
      })[0],
    ).toContain("12345678901234567890");
    expect(() => formatCard({ key: "X", value: NaN, comment: "" })).toThrow(/finite/);
  });

  it("round-trips long strings through CONTINUE cards (seeded fast-check)", () => {
    const printable = fc.string({ unit: fc.constantFrom(..."abcXYZ 0189'&/=-_.,()"), maxLength: 400 });
    fc.assert(
      fc.property(
        printable,
        fc.string({ unit: fc.constantFrom(..."ab c'/"), maxLength: 90 }),
        (text, comment) => {
          const images = formatCard({ key: "LONGSTR", value: text, comment });
          for (const im of images) expect(im.length).toBe(80);
          const [card] = mergeContinuations(images.map(parseCard));
          expect(card.value).toBe(text.replace(/ +$/, "")); // trailing blanks are not significant (§4.2.1.1)
          if (images.length > 1) expect(images[1].startsWith("CONTINUE  '")).toBe(true);
        },
      ),
      { seed: 20250314, numRuns: 300 },
    );
  });

  it("round-trips numbers, logicals and negative/exponent floats (seeded fast-check)", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), (x, b) => {
        const h = new FitsHeader()
          .set("SIMPLE", true)
          .set("X", x, "num")
          .set("B", b)
          .set("NEG", -Math.abs(x) - 1e-300);
        const back = parseHeaderBlocks(formatHeader(h), 0, "SIMPLE").header;
        expect(back.getNumber("X")).toBe(x === 0 ? 0 : x); // −0 is written as 0
        expect(back.getBoolean("B")).toBe(b);
        expect(back.getNumber("NEG")).toBe(-Math.abs(x) - 1e-300);
        expect(back.getCard("X")?.comment).toBe("num");
      }),
      { seed: 20250314, numRuns: 500 },
    );
  });

  it("keeps card order, duplicates (last wins), HISTORY/COMMENT and record view", () => {
    const h = new FitsHeader()
      .set("SIMPLE", true)
      .set("OBJECT", "first")
      .addCommentary("HISTORY", "step 1")
      .addCommentary(
        "COMMENT",
        "a comment that is long enough to need a second card because it has more than 72 chars",
      )
      .set("EXPTIME", 30.5, "s");
    h.cards.push({ key: "OBJECT", value: "second", comment: "" });
    h.set("object", "third"); // replaces the last OBJECT card in place
    const back = parseHeaderBlocks(formatHeader(h), 0, "SIMPLE").header;
    expect(back.getString("OBJECT")).toBe("third");
    expect(back.cards.filter((c) => c.key === "OBJECT").map((c) => c.value)).toEqual(["first", "third"]);
    expect(back.history()).toEqual(["step 1"]);
    expect(back.comments()).toHaveLength(2);
    expect(back.toRecord()).toEqual({ SIMPLE: true, OBJECT: "third", EXPTIME: 30.5 });
    expect(back.delete("OBJECT")).toBe(2);
    expect(back.has("OBJECT")).toBe(false);
    expect(() => h.set("BAD KEY!", 1)).toThrow(/cannot be written/);
  });
});
