/**
 * Fuzz: the FITS reader (plain, gzip, tile-compressed RICE/GZIP), header cards with edge values, the WCS
 * header reader and the FITS job's pure path (read → standardise → WCS → extraction). Property: every
 * input gives an image whose size matches its data, or a FitsError (WCS: `{ok: false}`) — never another
 * exception, never an allocation the bytes do not back. Round trip: writeFits → readFits is exact.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FitsError, readFits, readFitsHeaderOnly, writeFits } from "../../src/astro/fits/index.ts";
import type { FitsImage } from "../../src/astro/fits/index.ts";
import { standardiseHeader } from "../../src/astro/fits/standardise.ts";
import { extractSources } from "../../src/astro/image/index.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";
import { wcsFromHeader, wcsToHeaderCards } from "../../src/astro/wcs/header.ts";
import type { HeaderValue } from "../../src/astro/wcs/header.ts";
import { FZ_SAMPLES, FZ_SAMPLES_GZ_BASE64 } from "../astro/fits-fz-samples.ts";
import { fuzzParams, fuzzTimeout } from "./budget.ts";
import { applyEdits, byteEdits, concat } from "./mutate.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const FIXTURES = FIELD_DIR;
const MAX_PIXELS = 2 ** 22;

/** Read with a pixel cap (as a server would); returns the image or the FitsError, rethrows anything else. */
function read(bytes: Uint8Array): FitsImage | FitsError {
  // A hang cannot report its seed: FUZZ_TRACE=<file> keeps the last input for replay.
  if (process.env.FUZZ_TRACE) writeFileSync(process.env.FUZZ_TRACE, bytes);
  let img: FitsImage | FitsError;
  try {
    img = readFits(bytes, { maxPixels: MAX_PIXELS });
    expect(img.data.length).toBe(img.width * img.height);
    expect(img.width * img.height).toBeLessThanOrEqual(MAX_PIXELS);
  } catch (err) {
    if (!(err instanceof FitsError)) throw err;
    img = err;
  }
  try {
    const h = readFitsHeaderOnly(bytes, { maxPixels: MAX_PIXELS });
    if (!(img instanceof FitsError)) expect([h.width, h.height]).toEqual([img.width, img.height]);
  } catch (err) {
    if (!(err instanceof FitsError)) throw err;
  }
  return img;
}

// --- valid inputs ----------------------------------------------------------------------------------
const small = writeFits({
  data: Array.from({ length: 12 * 9 }, (_, i) => (i === 5 ? NaN : (i * 37) % 500) - 100),
  width: 12,
  height: 9,
  bitpix: 16,
  blank: -32768,
  bzero: 10,
  bscale: 0.5,
  header: {
    OBJECT: "fuzz",
    EXPTIME: 30,
    "DATE-OBS": "2024-03-01T22:10:00",
    CTYPE1: "RA---TAN",
    CTYPE2: "DEC--TAN",
    CRPIX1: 6,
    CRPIX2: 4.5,
    CRVAL1: 150,
    CRVAL2: 2,
    CD1_1: -1.6e-4,
    CD1_2: 0,
    CD2_1: 0,
    CD2_2: 1.6e-4,
  },
});

const fzAll = gunzipSync(Buffer.from(FZ_SAMPLES_GZ_BASE64, "base64"));
function fzSample(name: string): Uint8Array {
  const i = FZ_SAMPLES.findIndex((s) => s.name === name);
  const off = FZ_SAMPLES.slice(0, i).reduce((a, s) => a + s.bytes, 0);
  return new Uint8Array(fzAll.subarray(off, off + FZ_SAMPLES[i].bytes));
}
const tiled = ["f32nonan-rice-t8.fz", "u16-rice.fz", "f32-gzip2-dither2.fz", "f32-gzip1-nodither.fz"].map(
  fzSample,
);

// --- card edits: structural keywords set to edge values, written as raw card text ----------------------
const KEYS = [
  "SIMPLE",
  "BITPIX",
  "NAXIS",
  "NAXIS1",
  "NAXIS2",
  "NAXIS3",
  "BZERO",
  "BSCALE",
  "BLANK",
  "GROUPS",
  "PCOUNT",
  "GCOUNT",
  "XTENSION",
  "TFIELDS",
  "TFORM1",
  "THEAP",
  "ZIMAGE",
  "ZBITPIX",
  "ZNAXIS",
  "ZNAXIS1",
  "ZNAXIS2",
  "ZTILE1",
  "ZTILE2",
  "ZCMPTYPE",
  "ZNAME1",
  "ZVAL1",
  "ZVAL2",
  "ZQUANTIZ",
  "ZDITHER0",
  "ZBLANK",
  "CTYPE1",
  "CRVAL2",
  "CD1_1",
  "EXPTIME",
  "DATE-OBS",
];
const VALUES = [
  "0",
  "-0",
  "-1",
  "1",
  "2",
  "3",
  "7",
  "8",
  "16",
  "32",
  "64",
  "-32",
  "-64",
  "999",
  "1000",
  "65536",
  "2147483647",
  "2147483648",
  "4294967296",
  "9007199254740993",
  "99999999999999999999",
  "1E400",
  "-1E400",
  "1.0D+308",
  "1.5",
  "NaN",
  "T",
  "F",
  "",
  "'RICE_1  '",
  "'GZIP_1  '",
  "'GZIP_2  '",
  "'HCOMPRESS_1'",
  "'PLIO_1  '",
  "'NOCOMPRESS'",
  "'BINTABLE'",
  "'IMAGE   '",
  "'1PB(100)'",
  "'1QB(9)  '",
  "'8J      '",
  "'BLOCKSIZE'",
  "'SUBTRACTIVE_DITHER_2'",
  "'RA---TAN-SIP'",
  "''",
  "'unterminated",
  "'2024-13-45T99:99:99'",
];

function cardText(key: string, value: string): Uint8Array {
  return Buffer.from(`${key.padEnd(8)}= ${value.padStart(20)}`.padEnd(80).slice(0, 80), "latin1");
}

/** Overwrite the first header card named `key` (or the END card, moving END down one slot). */
function setCard(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const out = bytes.slice();
  const text = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  const headerStarts = [0];
  // The first extension header too (tile-compressed files keep the image in HDU 1).
  for (let p = 0; p + 80 <= out.length; p += 80) {
    if (text.toString("latin1", p, p + 8) === "XTENSION" && p % 2880 === 0) {
      headerStarts.push(p);
      break;
    }
  }
  const start = headerStarts[headerStarts.length - 1];
  for (let p = start; p + 80 <= out.length; p += 80) {
    const name = text.toString("latin1", p, p + 8).trimEnd();
    if (name === key) {
      out.set(cardText(key, value), p);
      return out;
    }
    if (name === "END") {
      out.set(cardText(key, value), p);
      if (p + 160 <= out.length) out.set(Buffer.from("END".padEnd(80), "latin1"), p + 80);
      return out;
    }
  }
  return out;
}

const cardEdits = fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES)), {
  minLength: 1,
  maxLength: 3,
});

describe("FITS reader under fuzz", () => {
  it(
    "random bytes (and random bytes behind a valid first card) → image or FitsError",
    () => {
      const simple = Buffer.from("SIMPLE  =                    T".padEnd(80), "latin1");
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 6000 }), fc.boolean(), (bytes, prefix) => {
          read(prefix ? concat(simple, bytes) : bytes);
        }),
        fuzzParams("fitsRandom"),
      );
    },
    fuzzTimeout("fitsRandom"),
  );

  it(
    "byte-mutated small BITPIX 16 file (BZERO, BSCALE, BLANK, WCS cards)",
    () => {
      fc.assert(
        fc.property(byteEdits, (edits) => {
          read(applyEdits(small, edits));
        }),
        fuzzParams("fitsMutatedSmall"),
      );
    },
    fuzzTimeout("fitsMutatedSmall"),
  );

  it(
    "structural cards set to edge values (BITPIX, NAXISn, BZERO/BSCALE, Z* keywords), plain and tiled",
    () => {
      const bases = [small, ...tiled];
      fc.assert(
        fc.property(fc.nat({ max: bases.length - 1 }), cardEdits, (which, edits) => {
          let bytes = bases[which];
          for (const [k, v] of edits) bytes = setCard(bytes, k, v);
          read(bytes);
        }),
        fuzzParams("fitsMutatedCards"),
      );
    },
    fuzzTimeout("fitsMutatedCards"),
  );

  it(
    "byte-mutated tile-compressed files (RICE_1, GZIP_1, GZIP_2 with dithering)",
    () => {
      fc.assert(
        fc.property(fc.nat({ max: tiled.length - 1 }), byteEdits, (which, edits) => {
          read(applyEdits(tiled[which], edits));
        }),
        fuzzParams("fitsMutatedTiled"),
      );
    },
    fuzzTimeout("fitsMutatedTiled"),
  );

  it(
    "gzip: mutated compressed streams, and gzipped mutated files",
    () => {
      const gz = gzipSync(small);
      fc.assert(
        fc.property(byteEdits, fc.boolean(), (edits, outside) => {
          read(outside ? applyEdits(gz, edits) : gzipSync(applyEdits(small, edits)));
        }),
        fuzzParams("fitsMutatedGzip"),
      );
    },
    fuzzTimeout("fitsMutatedGzip"),
  );

  it(
    "the shared fixtures (f32, u16, .gz, .fz), mutated",
    () => {
      const fixtures = ["frame-u16.fits", "frame-f32.fits.fz", "frame-f32.fits.gz"].map(
        (f) => new Uint8Array(readFileSync(`${FIXTURES}/${f}`)),
      );
      fc.assert(
        fc.property(
          fc.nat({ max: fixtures.length - 1 }),
          byteEdits,
          cardEdits,
          fc.boolean(),
          (w, e, c, cards) => {
            let bytes = applyEdits(fixtures[w], e);
            if (cards) for (const [k, v] of c) bytes = setCard(bytes, k, v);
            read(bytes);
          },
        ),
        fuzzParams("fitsMutatedFixture"),
      );
    },
    fuzzTimeout("fitsMutatedFixture", 40),
  );

  it("huge NAXISn claims are refused before anything is allocated", () => {
    const claims: [string, string][][] = [
      [
        ["NAXIS1", "100000"],
        ["NAXIS2", "100000"],
      ],
      [
        ["NAXIS1", "2147483647"],
        ["NAXIS2", "2147483647"],
      ],
      [
        ["NAXIS", "3"],
        ["NAXIS3", "4294967296"],
      ],
      [
        ["NAXIS1", "9007199254740993"],
        ["BITPIX", "-64"],
      ],
    ];
    for (const claim of claims) {
      for (const base of [small, gzipSync(small)]) {
        let bytes = small;
        for (const [k, v] of claim) bytes = setCard(bytes, k, v);
        if (base !== small) bytes = gzipSync(bytes);
        const before = process.memoryUsage().arrayBuffers;
        const t0 = performance.now();
        const got = read(bytes);
        expect(got).toBeInstanceOf(FitsError);
        expect(["TRUNCATED", "TOO_LARGE", "NAXIS_MISMATCH"]).toContain((got as FitsError).code);
        expect(performance.now() - t0).toBeLessThan(500);
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
      }
    }
    // Tile-compressed: the uncompressed image claims 2^31 × 2^31 pixels.
    let fz = setCard(tiled[0], "ZNAXIS1", "2147483647");
    fz = setCard(fz, "ZNAXIS2", "2147483647");
    const got = read(fz);
    expect(got).toBeInstanceOf(FitsError);
  });

  it(
    "round trip: writeFits → readFits gives the physical values back (every BITPIX)",
    () => {
      const image = fc
        .record({
          width: fc.integer({ min: 1, max: 40 }),
          height: fc.integer({ min: 1, max: 30 }),
          bitpix: fc.constantFrom(8 as const, 16 as const, 32 as const, -32 as const, -64 as const),
        })
        .chain(({ width, height, bitpix }) => {
          const range: Record<number, [number, number]> = {
            8: [0, 255],
            16: [-32768, 32767],
            32: [-(2 ** 31), 2 ** 31 - 1],
          };
          const value =
            bitpix > 0
              ? fc.integer({ min: range[bitpix][0], max: range[bitpix][1] })
              : bitpix === -32
                ? fc.float({ noDefaultInfinity: true }).map((v) => (Number.isNaN(v) ? NaN : v))
                : fc.double({ noDefaultInfinity: true });
          return fc.record({
            width: fc.constant(width),
            height: fc.constant(height),
            bitpix: fc.constant(bitpix),
            data: fc.array(value, { minLength: width * height, maxLength: width * height }),
          });
        });
      fc.assert(
        fc.property(image, ({ width, height, bitpix, data }) => {
          const bytes = writeFits({ data, width, height, bitpix, bzero: 0, bscale: 1 });
          expect(bytes.length % 2880).toBe(0);
          const img = readFits(bytes);
          expect([img.width, img.height, img.bitpix]).toEqual([width, height, bitpix]);
          expect(Array.from(img.data)).toEqual(data.map((v) => (bitpix === -32 ? Math.fround(v) : v)));
        }),
        fuzzParams("fitsRoundTrip"),
      );
    },
    fuzzTimeout("fitsRoundTrip"),
  );
});

describe("regressions found by the fuzzer", () => {
  it("ZNAXIS = 4294967296 in a tile-compressed header: NAXIS_MISMATCH at once (was a loop of 2^32 cards)", () => {
    const bytes = setCard(fzSample("f32-gzip2-dither2.fz"), "ZNAXIS", "4294967296");
    const t0 = performance.now();
    for (const fn of [readFits, readFitsHeaderOnly]) {
      let code = "";
      try {
        fn(bytes);
      } catch (err) {
        code = (err as FitsError).code;
      }
      expect(code).toBe("NAXIS_MISMATCH");
    }
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe("WCS header reader under fuzz", () => {
  const good = wcsToHeaderCards({
    crpix: [1024.5, 1024.5],
    crvalDeg: [150, 2],
    cd: [
      [-1.6e-4, 1e-6],
      [1.2e-6, 1.6e-4],
    ],
  });
  const WCS_KEYS = [
    ...Object.keys(good),
    "CDELT1",
    "CDELT2",
    "CROTA2",
    "PC1_1",
    "PC2_2",
    "CUNIT1",
    "RADESYS",
    "EQUINOX",
    "LONPOLE",
    "A_ORDER",
    "B_ORDER",
    "A_2_0",
    "B_0_2",
    "AP_ORDER",
    "PV1_1",
    "PV2_1",
  ];
  const value: fc.Arbitrary<HeaderValue> = fc.oneof(
    fc.double(),
    fc.integer({ min: -20, max: 20 }),
    fc.constantFrom(
      "RA---TAN",
      "DEC--TAN",
      "RA---TAN-SIP",
      "DEC--TAN-SIP",
      "RA---SIN",
      "GLON-TAN",
      "FK4",
      "ICRS",
      "deg",
      "arcsec",
      "1.0D-3",
      " ",
      "nan",
      "1e400",
    ),
    fc.string({ maxLength: 12 }),
    fc.boolean(),
    fc.constant(undefined),
  );
  it(
    "edited and random headers → {ok: true} with a finite, non-singular CD or {ok: false, reason}",
    () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.constantFrom(...WCS_KEYS), value, { maxKeys: 8 }),
          fc.boolean(),
          (edits, keepGood) => {
            const cards: Record<string, HeaderValue> = { ...(keepGood ? good : {}), ...edits };
            const r = wcsFromHeader((k) => cards[k]);
            if (r.ok) {
              const { cd, crvalDeg } = r.wcs;
              expect(cd.flat().every(Number.isFinite)).toBe(true);
              expect(cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0]).not.toBe(0);
              expect(Math.abs(crvalDeg[1])).toBeLessThanOrEqual(90);
            } else expect(r.reason.length).toBeGreaterThan(0);
          },
        ),
        fuzzParams("wcsHeader"),
      );
    },
    fuzzTimeout("wcsHeader"),
  );
});

describe("FITS job path (read → standardise → WCS → extraction) under fuzz", () => {
  const synth = makeSyntheticImage({ seed: 11, width: 64, height: 48, nStars: 12 });
  const base = writeFits({
    data: synth.data,
    width: synth.width,
    height: synth.height,
    bitpix: -32,
    header: { ...synth.header, "DATE-OBS": "2024-03-01T22:10:00", EXPTIME: 30 },
  });
  it(
    "mutated small frames never throw past the reader's FitsError",
    () => {
      fc.assert(
        fc.property(byteEdits, cardEdits, fc.boolean(), (edits, cards, useCards) => {
          let bytes = applyEdits(base, edits);
          if (useCards) for (const [k, v] of cards) bytes = setCard(bytes, k, v);
          const img = read(bytes);
          if (img instanceof FitsError) return;
          const std = standardiseHeader(img.header, {
            dateTimeKeyword: "DATE-OBS",
            timeKeyword: "TIME-OBS",
            exposureTimeKeyword: "EXPTIME",
            gainEPerAdu: 2,
            readNoiseE: 5,
            saturationAdu: 60000,
          });
          if (!std.ok) expect(std.error.length).toBeGreaterThan(0);
          const w = wcsFromHeader((k) => img.header.get(k) as HeaderValue);
          const result = extractSources(img, { wcs: w.ok ? w.wcs : undefined, gainEPerAdu: 2 });
          expect(result.rows.every((r) => Number.isFinite(r.x) && Number.isFinite(r.y))).toBe(true);
        }),
        fuzzParams("fitsJobPath"),
      );
    },
    fuzzTimeout("fitsJobPath", 40),
  );
});
