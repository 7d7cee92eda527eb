/**
 * Fuzz: the text/table parsers of uploads and catalogue imports — SExtractor/CCDPhot catalogues,
 * reference catalogues (CSV, FITS binary table), light-curve CSVs and ASCII spectra. Properties: random
 * and mutated inputs give a result or the parser's documented error (`{ok: false}` / CatalogueImportError
 * naming the line or row), never another exception; accepted values are finite where the format says so;
 * writer → reader round trips are exact.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { fitsTable } from "../helpers/fits-table.ts";
import { formatSextractorCatalogue } from "../../src/astro/image/index.ts";
import type { CatalogueRow } from "../../src/astro/image/index.ts";
import { parseInstrumentalCatalogue, TARGET_NUMBER } from "../../src/astro/sextractor.ts";
import { CatalogueImportError } from "../../src/catalog/columns.ts";
import type { CatalogueTable } from "../../src/catalog/csv.ts";
import { openCsvTable } from "../../src/catalog/csv.ts";
import { openFitsTable } from "../../src/catalog/fitsTable.ts";
import { parseLightCurveCsv } from "../../src/domain/dataproducts/lightcurve-csv.ts";
import { parseSpectrum } from "../../src/domain/dataproducts/spectrum.ts";
import { csvLine, PHOTOMETRY_HEADER, pythonFloat } from "../../src/domain/downloads/csv.ts";
import { fuzzParams, fuzzTimeout } from "./budget.ts";
import { applyEdits, applyTextEdits, byteEdits, textEdits } from "./mutate.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const FIXTURES = FIELD_DIR;
const dir = mkdtempSync(join(tmpdir(), "skytom-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utf8 = new TextDecoder();

// --- SExtractor / CCDPhot ------------------------------------------------------------------------------
const sexRef = readFileSync(`${FIXTURES}/sextractor-reference.cat`, "utf8");
const ccdphot7 = [
  "1 150.0 2.0 10.5 20.25 -8.123 0.012 1",
  "2 150.1 2.1 11.5 21.25 -7.5 0.02 2",
  `${TARGET_NUMBER} 150.05 2.05 30 40 -6.0 0.05 1`,
  "4 150.2 2.2 12.5 22.25 99.0 99.0 1",
].join("\n");

function checkSextractor(text: string): void {
  const r = parseInstrumentalCatalogue(text);
  if (!r.ok) {
    expect(r.error.length).toBeGreaterThan(0);
    return;
  }
  const c = r.catalogue;
  const n = c.raDeg.length;
  for (const a of [c.decDeg, c.mag, c.magErr, c.number]) expect(a.length).toBe(n);
  for (let i = 0; i < n; i++) {
    expect(Number.isFinite(c.raDeg[i]) && Number.isFinite(c.decDeg[i])).toBe(true);
    expect(Math.abs(c.decDeg[i])).toBeLessThanOrEqual(90);
    expect(c.mag[i] < 99 && c.magErr[i] < 99).toBe(true);
  }
  expect(r.targetIndex).toBeLessThan(n);
  if (r.targetIndex >= 0) expect(c.number[r.targetIndex]).toBe(TARGET_NUMBER);
}

describe("SExtractor / CCDPhot catalogue parser under fuzz", () => {
  it(
    "random text → a catalogue or {ok: false, error}",
    () => {
      const line = fc
        .array(
          fc.oneof(
            fc.double().map(String),
            fc.constantFrom("nan", "inf", "-inf", "99.0", "999999", "1e400", "1D3", "#", "x"),
            fc.string({ maxLength: 6 }),
          ),
          { maxLength: 9 },
        )
        .map((t) => t.join(" "));
      const header = fc
        .tuple(
          fc.integer({ min: -1, max: 12 }),
          fc.constantFrom(
            "NUMBER",
            "ALPHA_J2000",
            "DELTA_J2000",
            "MAG_AUTO",
            "MAGERR_AUTO",
            "MAG_APER",
            "FLAGS",
            "X_IMAGE",
            "Y_IMAGE",
            "X_WORLD",
          ),
        )
        .map(([i, n]) => `# ${i} ${n}`);
      fc.assert(
        fc.property(fc.array(fc.oneof(line, header), { maxLength: 12 }), (lines) => {
          checkSextractor(lines.join("\n"));
        }),
        fuzzParams("sextractorRandom"),
      );
    },
    fuzzTimeout("sextractorRandom"),
  );

  it(
    "mutated Source Extractor reference catalogue and CCDPhot 7-column file",
    () => {
      fc.assert(
        fc.property(fc.boolean(), textEdits, byteEdits, fc.boolean(), (useRef, t, b, bytes) => {
          const base = useRef ? sexRef : ccdphot7;
          const text = bytes
            ? utf8.decode(applyEdits(new TextEncoder().encode(base), b))
            : applyTextEdits(base, t);
          checkSextractor(text);
        }),
        fuzzParams("sextractorMutated"),
      );
    },
    fuzzTimeout("sextractorMutated"),
  );

  it(
    "round trip: formatSextractorCatalogue → parseInstrumentalCatalogue keeps the printed values",
    () => {
      const row: fc.Arbitrary<CatalogueRow> = fc.record({
        number: fc.integer({ min: 1, max: 999_999 }),
        x: fc.double({ min: 0, max: 9999, noNaN: true }),
        y: fc.double({ min: 0, max: 9999, noNaN: true }),
        raDeg: fc.double({ min: 0, max: 359.9999999, noNaN: true }),
        decDeg: fc.double({ min: -90, max: 90, noNaN: true }),
        mag: fc.double({ min: -30, max: 98.99, noNaN: true }),
        magErr: fc.double({ min: 0, max: 98.99, noNaN: true }),
        flux: fc.constant(1),
        fluxErr: fc.constant(0.1),
        fwhm: fc.constant(3),
        flags: fc.constant(0),
      });
      fc.assert(
        fc.property(fc.array(row, { minLength: 1, maxLength: 30 }), (rows) => {
          const r = parseInstrumentalCatalogue(formatSextractorCatalogue(rows));
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const kept = rows.filter((w) => Number(w.mag.toFixed(4)) < 99 && Number(w.magErr.toFixed(4)) < 99);
          expect(Array.from(r.catalogue.number)).toEqual(kept.map((w) => w.number));
          expect(Array.from(r.catalogue.raDeg)).toEqual(kept.map((w) => Number(w.raDeg.toFixed(7))));
          expect(Array.from(r.catalogue.decDeg)).toEqual(kept.map((w) => Number(w.decDeg.toFixed(7))));
          expect(Array.from(r.catalogue.mag)).toEqual(kept.map((w) => Number(w.mag.toFixed(4))));
          expect(Array.from(r.catalogue.x ?? [])).toEqual(kept.map((w) => Number(w.x.toFixed(4))));
        }),
        fuzzParams("sextractorRoundTrip"),
      );
    },
    fuzzTimeout("sextractorRoundTrip"),
  );
});

// --- reference catalogues: CSV and FITS tables (file readers) -------------------------------------------
async function drain(open: () => Promise<CatalogueTable>): Promise<number> {
  let stars = 0;
  try {
    const table = await open();
    for await (const batch of table.batches) {
      for (let i = 0; i < batch.length; i++) {
        expect(batch.raDeg[i] >= 0 && batch.raDeg[i] < 360).toBe(true);
        expect(Math.abs(batch.decDeg[i])).toBeLessThanOrEqual(90);
      }
      stars += batch.length;
    }
  } catch (err) {
    if (!(err instanceof CatalogueImportError)) throw err;
    expect(err.message).toMatch(/\S/);
    return -1;
  }
  return stars;
}

describe("reference catalogue readers under fuzz", () => {
  const csvBase = readFileSync(`${FIXTURES}/gaiasp-reference.csv`, "utf8")
    .split("\n")
    .slice(0, 25)
    .join("\n");
  it(
    "mutated GaiaSP CSV → stars or a CatalogueImportError naming the line",
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(textEdits, async (edits) => {
          const path = join(dir, `cat-${n++}.csv`);
          writeFileSync(path, applyTextEdits(csvBase, edits));
          await drain(() => openCsvTable(path, "GaiaSP", 7));
        }),
        fuzzParams("catalogCsvMutated"),
      );
    },
    fuzzTimeout("catalogCsvMutated", 10),
  );

  it(
    "mutated FITS binary tables → stars or a CatalogueImportError",
    async () => {
      const base = fitsTable({
        ra: [150, 150.1, 359.99, 0],
        dec: [2, -2, 89.9, -90],
        V: [12.5, NaN, 14, 15],
        V_err: [0.01, 0.02, NaN, 0.1],
      });
      let n = 0;
      await fc.assert(
        fc.asyncProperty(byteEdits, async (edits) => {
          const path = join(dir, `cat-${n++}.fits`);
          writeFileSync(path, applyEdits(base, edits));
          await drain(() => openFitsTable(path, "GaiaSP", 3));
        }),
        fuzzParams("fitsTableMutated"),
      );
    },
    fuzzTimeout("fitsTableMutated", 10),
  );
});

// --- light-curve CSV ---------------------------------------------------------------------------------
function checkLightCurve(text: string): void {
  const r = parseLightCurveCsv(text, 5000);
  if (!r.ok) {
    expect(r.error.length).toBeGreaterThan(0);
    return;
  }
  for (const row of r.rows) {
    expect(Number.isFinite(row.mjd) && row.mjd >= 0 && row.mjd < 100_000).toBe(true);
    expect(row.valueUnit === "MILLIJANSKY" || (row.value >= -30 && row.value <= 50)).toBe(true);
    expect(row.error === -1 || (row.error >= 0 && row.error < 99)).toBe(true);
    expect(row.filter.length > 0 && row.filter.length <= 100).toBe(true);
    expect(row.observer.length).toBeLessThanOrEqual(100);
  }
  for (const rej of r.rejected) expect(rej.line).toBeGreaterThan(0);
}

const lcBase = [
  "MJD;Magnitude;Error;Facility;Filter;Observer",
  "60000.5;15.2;0.02;T1;V(GaiaSP);alice",
  "2460000.25;16.0;-1;T1;V;bob",
  '60001.0;14.9;0.05;T1;"R;odd";"q""uote"',
  "# comment",
  "60002.0;nan;0.1;T1;I;carol",
].join("\n");

describe("light-curve CSV parser under fuzz", () => {
  it(
    "random rows under a valid header",
    () => {
      const cell = fc.oneof(
        fc.double().map(String),
        fc.constantFrom("", "nan", "1e400", "-1e400", "2460000.5", "99", "-1", '"', '""', "V", "GaiaSP/V"),
        fc.string({ maxLength: 10 }),
      );
      fc.assert(
        fc.property(
          fc.constantFrom(",", ";", "\t", " "),
          fc.array(fc.array(cell, { maxLength: 7 }), { maxLength: 15 }),
          (sep, rows) => {
            const head = ["time", "filter", "mag", "magerr", "observer"].join(sep);
            checkLightCurve([head, ...rows.map((r) => r.join(sep))].join("\n"));
          },
        ),
        fuzzParams("lightCurveRandom"),
      );
    },
    fuzzTimeout("lightCurveRandom"),
  );

  it(
    "mutated valid CSV (text and bytes)",
    () => {
      fc.assert(
        fc.property(textEdits, byteEdits, fc.boolean(), (t, b, bytes) => {
          const text = bytes
            ? utf8.decode(applyEdits(new TextEncoder().encode(lcBase), b))
            : applyTextEdits(lcBase, t);
          checkLightCurve(text);
        }),
        fuzzParams("lightCurveMutated"),
      );
    },
    fuzzTimeout("lightCurveMutated"),
  );

  it(
    "round trip: the photometry download writer (csvLine, Python floats) → the upload parser",
    () => {
      const label = fc
        .string({ minLength: 1, maxLength: 30 })
        .map((s) =>
          s
            .replace(/[\r\n]/g, "x")
            .split("\u0000")
            .join("x")
            .trim(),
        )
        .filter((s) => s.length > 0 && !s.startsWith('"'));
      const point = fc.record({
        mjd: fc.double({ min: 0, max: 99_999.99, noNaN: true }),
        mag: fc.double({ min: -30, max: 50, noNaN: true }),
        err: fc.oneof(fc.constant(-1), fc.double({ min: 0, max: 98.99, noNaN: true })),
        filter: label,
        observer: fc.oneof(fc.constant(""), label),
      });
      fc.assert(
        fc.property(fc.array(point, { minLength: 1, maxLength: 20 }), (points) => {
          const text =
            csvLine(PHOTOMETRY_HEADER) +
            points.map((p) => csvLine([p.mjd, p.mag, p.err, "T1", p.filter, p.observer])).join("");
          const r = parseLightCurveCsv(text);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect(r.rejected).toEqual([]);
          expect(r.rows.map((w) => [w.mjd, w.value, w.error, w.filter, w.observer])).toEqual(
            points.map((p) => [p.mjd, p.mag, p.err, p.filter, p.observer]),
          );
        }),
        fuzzParams("lightCurveRoundTrip"),
      );
    },
    fuzzTimeout("lightCurveRoundTrip"),
  );
});

// --- spectra -------------------------------------------------------------------------------------------
const specBase = [
  "# DATE-OBS: 2024-03-01T22:10:00",
  "# FACILITY: T1",
  "wavelength flux",
  "4000.0 1.2e-15",
  "4001.5,1.3e-15",
  "4003.0;1.1e-15",
].join("\n");

describe("ASCII spectrum parser under fuzz", () => {
  it(
    "mutated spectra → pairs or {ok: false, error}",
    () => {
      fc.assert(
        fc.property(textEdits, byteEdits, fc.boolean(), (t, b, bytes) => {
          const text = bytes
            ? utf8.decode(applyEdits(new TextEncoder().encode(specBase), b))
            : applyTextEdits(specBase, t);
          const r = parseSpectrum(text, 1000);
          if (!r.ok) {
            expect(r.error.length).toBeGreaterThan(0);
            return;
          }
          expect(r.wavelength.length).toBe(r.flux.length);
          expect(r.wavelength.every(Number.isFinite) && r.flux.every(Number.isFinite)).toBe(true);
          if (r.mjd !== null) expect(Number.isFinite(r.mjd)).toBe(true);
        }),
        fuzzParams("spectrumMutated"),
      );
    },
    fuzzTimeout("spectrumMutated"),
  );

  it("regression: a flux of -1e400 (Infinity) is a rejected line, not a stored point", () => {
    const r = parseSpectrum("4000 1e-15\n4001 -1e400\n1e400 2\n");
    expect(r.ok && r.flux).toEqual([1e-15]);
    expect(r.ok && r.rejected.map((x) => x.line)).toEqual([2, 3]);
  });

  it(
    "round trip: written pairs (Python floats) read back exactly",
    () => {
      const pair = fc.tuple(
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ noDefaultInfinity: true, noNaN: true }),
      );
      fc.assert(
        fc.property(
          fc.array(pair, { minLength: 1, maxLength: 50 }),
          fc.constantFrom(" ", ",", "\t"),
          (pairs, sep) => {
            const text = pairs.map(([w, f]) => `${pythonFloat(w)}${sep}${pythonFloat(f)}`).join("\n");
            const r = parseSpectrum(text);
            expect(r.ok).toBe(true);
            if (!r.ok) return;
            expect(r.wavelength).toEqual(pairs.map(([w]) => w));
            expect(r.flux).toEqual(pairs.map(([, f]) => f));
          },
        ),
        fuzzParams("spectrumRoundTrip"),
      );
    },
    fuzzTimeout("spectrumRoundTrip"),
  );
});
