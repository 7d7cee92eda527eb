/**
 * Guard for the FITS speed work (issue 21): the decoded pixels and the catalogue of a few frames stay what
 * the reader and extractor gave before it. Frames: the field-150p02 fixtures written by astropy/fpack
 * (float32, uint16 with BZERO 32768, gzip, RICE fz) and seeded synthetic frames written by skytom's writer
 * in the other layouts (int16 with BZERO + BLANK, int32 with BSCALE/BZERO, float64, uint8, int64, gzip of an
 * integer frame). Golden values in test/fixtures/fits-golden/golden.json were written once from the code
 * before the speed work; `SKYTOM_UPDATE_GOLDEN=1 npx vitest run test/astro/fits-golden.test.ts` rewrites
 * them (only do that for an intended change of results, and say so in the commit).
 *
 * Pixels: SHA-256 of the decoded array's bytes (bit-identical, NaNs included). Catalogue: the same sources
 * (count, NUMBER, FLAGS) and every value within 1e-6 (absolute for positions and magnitudes, relative for
 * fluxes).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readFitsFile } from "../../src/astro/fits/file.ts";
import { readFits } from "../../src/astro/fits/read.ts";
import { writeFits } from "../../src/astro/fits/write.ts";
import { extractSources } from "../../src/astro/image/extract.ts";
import type { CatalogueRow } from "../../src/astro/image/extract.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";
import { wcsFromHeader } from "../../src/astro/wcs/index.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const GOLDEN_DIR = join(import.meta.dirname, "..", "fixtures", "fits-golden");
const GOLDEN = join(GOLDEN_DIR, "golden.json");
const UPDATE = process.env.SKYTOM_UPDATE_GOLDEN === "1";

interface GoldenFrame {
  pixels: { type: string; length: number; sha256: string };
  rows: (number | null)[][];
}

const FIELDS = [
  "number",
  "x",
  "y",
  "raDeg",
  "decDeg",
  "mag",
  "magErr",
  "flux",
  "fluxErr",
  "fwhm",
  "flags",
] as const;

/** Seeded synthetic frames in the layouts the fixtures do not cover. */
function syntheticFrames(): Record<string, Uint8Array> {
  const im = makeSyntheticImage({
    seed: 21,
    width: 192,
    height: 160,
    nStars: 120,
    cosmicRays: 4,
    hotPixels: 3,
  });
  const data = Float32Array.from(im.data);
  for (let i = 0; i < 40; i++) data[(i * 977) % data.length] = NaN; // undefined pixels → BLANK
  const header = im.header;
  const base = { width: im.width, height: im.height, header };
  const i16 = writeFits({ ...base, data, bitpix: 16, bzero: 32768, bscale: 1, blank: -32768 });
  return {
    "synth-i16-bzero-blank.fits": i16,
    "synth-i16-bzero-blank.fits.gz": new Uint8Array(gzipSync(i16)),
    "synth-i32-bscale.fits": writeFits({
      ...base,
      data,
      bitpix: 32,
      bzero: 100,
      bscale: 0.25,
      blank: 2147483647,
    }),
    "synth-f64.fits": writeFits({ ...base, data, bitpix: -64 }),
    "synth-u8-bscale.fits": writeFits({ ...base, data: im.data, bitpix: 8, bzero: 0, bscale: 256 }),
    "synth-i64.fits": writeFits({ ...base, data: im.data, bitpix: 64, bzero: -5, bscale: 1 }),
  };
}

function frames(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const f of ["frame-f32.fits", "frame-u16.fits", "frame-f32.fits.gz", "frame-f32.fits.fz"]) {
    out[f] = new Uint8Array(readFileSync(join(FIELD_DIR, f)));
  }
  return { ...out, ...syntheticFrames() };
}

function pixelHash(d: Float32Array | Float64Array): string {
  return createHash("sha256")
    .update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))
    .digest("hex");
}

function measure(bytes: Uint8Array): GoldenFrame {
  const img = readFits(bytes);
  const d = img.data;
  const sha256 = pixelHash(d);
  const w = wcsFromHeader((k) => img.header.get(k) as number | string | boolean | undefined);
  const res = extractSources(img, {
    ...(w.ok ? { wcs: w.wcs } : {}),
    gainEPerAdu: 1.8,
    readNoiseE: 7,
    saturationAdu: 60000,
  });
  const rows = res.rows.map((r: CatalogueRow) =>
    FIELDS.map((f) => (Number.isFinite(r[f]) ? Number(r[f].toPrecision(12)) : null)),
  );
  return { pixels: { type: d.constructor.name, length: d.length, sha256 }, rows };
}

function close(a: number | null, b: number | null, field: string): boolean {
  if (a === null || b === null) return a === b;
  if (field === "number" || field === "flags") return a === b;
  const tol = field === "flux" || field === "fluxErr" ? 1e-6 * Math.max(1, Math.abs(b)) : 1e-6;
  return Math.abs(a - b) <= tol;
}

const all = frames();
const current = Object.fromEntries(Object.entries(all).map(([name, b]) => [name, measure(b)]));

if (UPDATE || !existsSync(GOLDEN)) {
  mkdirSync(GOLDEN_DIR, { recursive: true });
  writeFileSync(GOLDEN, JSON.stringify({ fields: FIELDS, frames: current }) + "\n");
}
const golden = JSON.parse(readFileSync(GOLDEN, "utf8")) as { frames: Record<string, GoldenFrame> };

describe("FITS decoding and extraction stay identical to the golden results (speed-work guard)", () => {
  it("covers the same frames", () => {
    expect(Object.keys(current).sort()).toEqual(Object.keys(golden.frames).sort());
  });

  for (const name of Object.keys(golden.frames)) {
    it(`${name}: the same pixels, bit for bit`, () => {
      expect(current[name].pixels).toEqual(golden.frames[name].pixels);
    });

    it(`${name}: read from a file (straight into the pixel array), the same pixels`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "skytom-golden-"));
      try {
        const path = join(dir, name);
        writeFileSync(path, all[name]);
        const img = await readFitsFile(path);
        expect(pixelHash(img.data)).toBe(golden.frames[name].pixels.sha256);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${name}: the same sources, values within 1e-6`, () => {
      const got = current[name].rows;
      const want = golden.frames[name].rows;
      expect(got.length).toBe(want.length);
      expect(want.length).toBeGreaterThan(10);
      const bad: string[] = [];
      for (let i = 0; i < want.length; i++) {
        FIELDS.forEach((f, j) => {
          if (!close(got[i][j], want[i][j], f)) bad.push(`row ${i} ${f}: ${got[i][j]} vs ${want[i][j]}`);
        });
      }
      expect(bad.slice(0, 10)).toEqual([]);
    });
  }
});
