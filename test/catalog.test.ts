/**
 * Reference catalogues: import (CSV, FITS tables), cone queries against brute force, refusals that name
 * line and column and leave nothing behind, and the stored catalogue feeding a calibration.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Band, ReferenceCatalogue, Survey } from "../src/astro/calibrate/bands.ts";
import { calibrateCatalogue } from "../src/astro/calibrate/index.ts";
import { separationArcsec } from "../src/astro/crossmatch.ts";
import { fitsTable } from "./helpers/fits-table.ts";
import { parseInstrumentalCatalogue } from "../src/astro/sextractor.ts";
import { makeFrame } from "../src/astro/synth/catalog.ts";
import { CatalogueImportError } from "../src/catalog/columns.ts";
import { importCatalogue, removeAbandonedImports } from "../src/catalog/import.ts";
import { listCatalogues } from "../src/catalog/info.ts";
import { StoredCatalogueProvider, SyntheticProvider } from "../src/catalog/provider.ts";
import { syntheticCatalogueLines } from "../src/catalog/synth.ts";
import { ENGINES, createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { copyTemplate } from "./helpers/template.ts";
import { FIELD_DIR } from "./helpers/fixtures.ts";

const FIXTURE = `${FIELD_DIR}/`;
const FIXTURE_CSV = `${FIXTURE}gaiasp-reference.csv`;
const GAIASP: Band[] = ["u", "g", "r", "i", "z", "U", "B", "V", "R", "I"];

/** The fixture CSV read naively (every line a star), for comparisons. */
function fixtureRows(): { ra: number; dec: number; V: number; V_err: number }[] {
  const [head, ...lines] = readFileSync(FIXTURE_CSV, "utf8").trim().split("\n");
  const cols = head.split(",");
  return lines.map((l) => {
    const v = l.split(",").map(Number);
    const at = (c: string) => v[cols.indexOf(c)];
    return { ra: at("ra"), dec: at("dec"), V: at("V"), V_err: at("V_err") };
  });
}

/** Stars of `cat` within `radiusDeg`, by brute force on the angular separation; throws if one sits on the edge. */
function bruteForce(
  ras: Float64Array | number[],
  decs: Float64Array | number[],
  ra: number,
  dec: number,
  radiusDeg: number,
) {
  const inside: string[] = [];
  for (let i = 0; i < ras.length; i++) {
    const sep = separationArcsec(ras[i], decs[i], ra, dec);
    if (Math.abs(sep - radiusDeg * 3600) < 1e-6)
      throw new Error("a star lies on the cone's edge; pick another radius");
    if (sep <= radiusDeg * 3600) inside.push(`${ras[i]},${decs[i]}`);
  }
  return inside.sort();
}
const keys = (c: ReferenceCatalogue) => Array.from(c.raDeg, (ra, i) => `${ra},${c.decDeg[i]}`).sort();

describe.each(ENGINES)("reference catalogues on %s", (engine) => {
  let t: TestDatabase;
  let dir: string;
  const starCount = async () =>
    Number((await t.database.pool.query("select count(*) as n from reference_stars")).rows[0].n);
  const catalogueNames = async () =>
    (await t.database.pool.query("select name from reference_catalogues order by id")).rows.map(
      (r) => r.name,
    );
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    dir = mkdtempSync(join(tmpdir(), "skytom-catalog-"));
  });
  afterAll(async () => {
    await t.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("imports the fixture CSV: one star per data line, all ten GaiaSP bands, values kept to the digit", async () => {
    const progress: number[] = [];
    const r = await importCatalogue(t.database, FIXTURE_CSV, {
      survey: "GaiaSP",
      batchSize: 64,
      onProgress: (p) => progress.push(p.rows),
    });
    const rows = fixtureRows();
    expect(r).toMatchObject({ name: "gaiasp-reference", survey: "GaiaSP", rows: rows.length, bands: GAIASP });
    expect(r.ignoredColumns).toEqual([]);
    expect(progress).toEqual([64, 128, 192, rows.length]);
    expect(await starCount()).toBe(rows.length);
    const [info] = await listCatalogues(t.database.db);
    expect(info).toMatchObject({
      name: "gaiasp-reference",
      rows: rows.length,
      sourceFile: "gaiasp-reference.csv",
    });
    expect(info.bands.V).toBe(rows.length);
    expect(info.coverage!.centreRaDeg).toBeCloseTo(150, 1);
    expect(info.coverage!.centreDecDeg).toBeCloseTo(2, 1);
    expect(info.coverage!.radiusDeg).toBeGreaterThan(0.05);
    expect(info.coverage!.radiusDeg).toBeLessThan(0.2);

    const cat = await new StoredCatalogueProvider(t.database.db).cone(rows[0].ra, rows[0].dec, 1 / 3600);
    expect(Array.from(cat.raDeg)).toEqual([rows[0].ra]);
    expect(cat.bands.V?.mag[0]).toBe(rows[0].V);
    expect(cat.bands.V?.err[0]).toBe(rows[0].V_err);
    expect(Object.keys(cat.bands).sort()).toEqual([...GAIASP].sort());
  });

  it("cone queries return exactly the stars a brute-force separation check finds", async () => {
    const rows = fixtureRows();
    const provider = new StoredCatalogueProvider(t.database.db);
    for (const [ra, dec, r] of [
      [150, 2, 0.05],
      [150.03, 1.97, 0.031],
      [149.93, 2.08, 0.0717],
      [150, 2, 0.5],
      [151, 3, 0.1],
    ]) {
      const got = keys(await provider.cone(ra, dec, r, "GaiaSP"));
      const want = bruteForce(
        rows.map((s) => s.ra),
        rows.map((s) => s.dec),
        ra,
        dec,
        r,
      );
      expect(got).toEqual(want);
    }
    expect(keys(await provider.cone(150, 2, 0.5, "2MASS"))).toEqual([]); // no 2MASS catalogue yet
  });

  it("cones across RA 0/360 and at the pole, on small synthetic catalogues", async () => {
    const wrap = write(
      "wrap.csv",
      syntheticCatalogueLines({ raDeg: 0.05, decDeg: 1, radiusDeg: 0.4, stars: 300 }).join("\n"),
    );
    const pole = write(
      "pole.csv",
      syntheticCatalogueLines({ raDeg: 0, decDeg: 90, radiusDeg: 0.5, stars: 300, seed: 2 }).join("\n"),
    );
    await importCatalogue(t.database, wrap, { survey: "GaiaSP" });
    await importCatalogue(t.database, pole, { survey: "GaiaSP" });
    const stars = (path: string) => {
      const [, ...lines] = readFileSync(path, "utf8").trim().split("\n");
      return {
        ra: lines.map((l) => Number(l.split(",")[0])),
        dec: lines.map((l) => Number(l.split(",")[1])),
      };
    };
    const w = stars(wrap);
    const p = stars(pole);
    expect(w.ra.some((ra) => ra > 359)).toBe(true);
    expect(w.ra.some((ra) => ra < 1)).toBe(true);
    const provider = new StoredCatalogueProvider(t.database.db);
    for (const [ra, dec, r, s] of [
      [359.9, 1.1, 0.2, w],
      [0.01, 0.9, 0.137, w],
      [359.7, 1, 0.25, w],
      [180, 89.8, 0.3, p],
      [45, 89.95, 0.21, p],
    ] as const) {
      const got = keys(await provider.cone(ra, dec, r));
      expect(got.length).toBeGreaterThan(5);
      expect(got).toEqual(bruteForce(s.ra, s.dec, ra, dec, r));
    }
  });

  it("FITS binary table: RA/DEC and band columns (VizieR names too), NaN as missing", async () => {
    const path = join(dir, "twomass.fits");
    writeFileSync(
      path,
      fitsTable({
        RA: [10.5, 10.51, 10.52],
        DEC: [-5.5, -5.49, -5.48],
        Jmag: [12.1, 12.2, NaN],
        e_Jmag: [0.02, 0.03, NaN],
        H: [11.9, 11.8, 11.7],
        H_err: [0.02, 0.02, 0.02],
        Ks: [11.8, 11.7, 11.6],
        QFLG: [1, 2, 3],
      }),
    );
    const r = await importCatalogue(t.database, path, { survey: "2MASS" });
    expect(r).toMatchObject({ name: "twomass", rows: 3, bands: ["J", "H", "K"], ignoredColumns: ["QFLG"] });
    const cat = await new StoredCatalogueProvider(t.database.db).cone(10.51, -5.49, 0.1, "2MASS");
    expect(Array.from(cat.raDeg)).toEqual([10.5, 10.51, 10.52]);
    expect(Array.from(cat.bands.J!.mag)).toEqual([12.1, 12.2, NaN]);
    expect(Array.from(cat.bands.J!.err)).toEqual([0.02, 0.03, NaN]);
    expect(Array.from(cat.bands.K!.err).every(Number.isNaN)).toBe(true); // no Ks error column
    expect(cat.bands.V).toBeUndefined();
    const both = await new StoredCatalogueProvider(t.database.db).cone(10.51, -5.49, 0.1);
    expect(Object.keys(both.bands).sort()).toEqual(["H", "J", "K"]);
  });

  it("CSV read by csv-parse: quoted fields hold the delimiter and newlines; # lines, blank lines and a BOM are skipped", async () => {
    const path = join(dir, "quoted.csv");
    writeFileSync(
      path,
      '\uFEFF# made by hand\n"ra","dec","V","V_err","note"\n150.2,2.2,14.0,0.01,"a, b"\n\n' +
        '# a comment line\n150.21,2.21,14.5,0.02,"two\nlines"\n   \n150.22,2.22,15.0,0.03,plain\n',
    );
    const r = await importCatalogue(t.database, path, { survey: "GaiaSP" });
    expect(r).toMatchObject({ name: "quoted", rows: 3, bands: ["V"], ignoredColumns: ["note"] });
    const cat = await new StoredCatalogueProvider(t.database.db).cone(150.21, 2.21, 0.05, "GaiaSP");
    const mine = Array.from(cat.raDeg)
      .map((ra, i) => [ra, cat.bands.V!.mag[i]])
      .filter(([ra]) => ra >= 150.2 && ra <= 150.22);
    expect(mine).toEqual([
      [150.2, 14],
      [150.21, 14.5],
      [150.22, 15],
    ]);
  });

  describe("refused files name the line and column and leave nothing behind", () => {
    const header = "ra,dec,V,V_err,B,B_err";
    const good = (i: number) =>
      `${150 + i * 1e-3},${2 + i * 1e-3},${14 + i * 0.01},0.01,${14.5 + i * 0.01},0.02`;
    const cases: [string, string, RegExp, number | undefined, string | undefined][] = [
      ["no-ra.csv", `dec,V,V_err\n2,14,0.01\n`, /line 1, column "ra": missing column "ra"/, 1, "ra"],
      [
        "bad-number.csv",
        [header, ...Array.from({ length: 150 }, (_, i) => good(i)), "150.5,2.5,abc,0.01,15,0.02"].join("\n"),
        /line 152, column "V": "abc" is not a number/,
        152,
        "V",
      ],
      ["empty.csv", "", /empty file/, undefined, undefined],
      ["header-only.csv", `${header}\n`, /line 2: no data lines after the header/, 2, undefined],
      [
        "short-line.csv",
        `${header}\n${good(1)}\n150,2,14\n`,
        /line 3: 3 fields where the header \(line 1\) has 6/,
        3,
        undefined,
      ],
      [
        "dec-range.csv",
        `${header}\n${good(1)}\n150,92,14,0.01,15,0.02\n`,
        /line 3, column "dec": Dec 92 is outside/,
        3,
        "dec",
      ],
      [
        "neg-err.csv",
        `${header}\n150,2,14,-0.01,15,0.02\n`,
        /line 2, column "V_err": negative magnitude error/,
        2,
        "V_err",
      ],
      ["no-band.csv", `ra,dec,flux\n150,2,100\n`, /no magnitude column of survey GaiaSP/, 1, undefined],
      [
        "unclosed-quote.csv",
        `${header}\n${good(1)}\n"150,2,14,0.01,15,0.02\n${good(2)}\n`,
        // csv-parse names the line where the file ended still inside the quote
        /line 4: Quote Not Closed/,
        4,
        undefined,
      ],
    ];
    it.each(cases)("%s", async (name, text, message, line, column) => {
      const before = await starCount();
      const names = await catalogueNames();
      const err = await importCatalogue(t.database, write(name, text), {
        survey: "GaiaSP",
        batchSize: 50,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CatalogueImportError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message.startsWith(`${name}: `)).toBe(true);
      expect((err as CatalogueImportError).line).toBe(line);
      expect((err as CatalogueImportError).column).toBe(column);
      expect(await starCount()).toBe(before); // batches already committed were removed again
      expect(await catalogueNames()).toEqual(names);
    });

    it("a duplicate name is refused; --replace swaps the catalogue in one transaction", async () => {
      const path = write("dup.csv", [header, good(1), good(2)].join("\n"));
      await importCatalogue(t.database, path, { survey: "GaiaSP" });
      await expect(importCatalogue(t.database, path, { survey: "GaiaSP" })).rejects.toThrow(/exists already/);
      const again = write("dup2.csv", [header, good(3)].join("\n"));
      const r = await importCatalogue(t.database, again, { survey: "GaiaSP", name: "dup", replace: true });
      expect(r.rows).toBe(1);
      expect((await listCatalogues(t.database.db)).find((c) => c.name === "dup")?.rows).toBe(1);
    });
  });

  describe("imports commit batch by batch, invisible until complete", () => {
    const header = "ra,dec,V,V_err";
    const csv = (n: number, mag: number) =>
      [
        header,
        ...Array.from({ length: n }, (_, i) => `${210 + i * 1e-4},${-20 + i * 1e-4},${mag},0.01`),
      ].join("\n");
    const coneV = async () => {
      const c = await new StoredCatalogueProvider(t.database.db).cone(210.01, -19.99, 0.1);
      return c.bands.V ? [...new Set(c.bands.V.mag)] : [];
    };

    it("while stars arrive (each batch committed) calibration and listings see only the catalogue being replaced", async () => {
      await importCatalogue(t.database, write("swap1.csv", csv(120, 13)), { survey: "GaiaSP", name: "swap" });
      expect(await coneV()).toEqual([13]);
      const seen: { committed: number; cone: number[]; listed: number | undefined }[] = [];
      await importCatalogue(t.database, write("swap2.csv", csv(200, 15)), {
        survey: "GaiaSP",
        name: "swap",
        replace: true,
        batchSize: 50,
        onProgress: async () => {
          const [{ n }] = (
            await t.database.pool.query<{ n: number }>(
              `select count(*)::int as n from reference_stars s join reference_catalogues c on c.id = s.catalogue_id
                where c.name = 'swap' and c.state = 'importing'`,
            )
          ).rows;
          const listed = (await listCatalogues(t.database.db)).filter((c) => c.name === "swap");
          seen.push({
            committed: n,
            cone: await coneV(),
            listed: listed.length === 1 ? listed[0].rows : undefined,
          });
        },
      });
      // Every batch was in the database (committed, seen from another connection) before the end, and
      // the old catalogue was the only one used and listed meanwhile.
      expect(seen).toEqual([50, 100, 150, 200].map((committed) => ({ committed, cone: [13], listed: 120 })));
      expect(await coneV()).toEqual([15]);
      expect(
        (await listCatalogues(t.database.db)).filter((c) => c.name === "swap").map((c) => c.rows),
      ).toEqual([200]);
      const states = await t.database.pool.query(
        "select state from reference_catalogues where name = 'swap'",
      );
      expect(states.rows).toEqual([{ state: "ready" }]);
    });

    it("an import whose process died is removed at the next start; a recent one elsewhere is left alone", async () => {
      const stars = await starCount();
      // What a killed `skytom catalog import` leaves: an importing catalogue with some stars.
      const { rows } = await t.database.pool.query<{ id: number }>(
        "insert into reference_catalogues (name, survey, source_file, state) values ('crashed', 'GaiaSP', 'c.csv', 'importing') returning id",
      );
      await t.database.pool.query(
        "insert into reference_stars (catalogue_id, ra, dec, cx, cy, cz) select $1, 1, 1, 0, 0, 1 from generate_series(1, 30)",
        [rows[0].id],
      );
      expect(await removeAbandonedImports(t.database, 3600_000)).toBe(0);
      expect(await starCount()).toBe(stars + 30);
      expect(await removeAbandonedImports(t.database, 0)).toBe(1);
      expect(await starCount()).toBe(stars);
      expect(await catalogueNames()).not.toContain("crashed");
    });
  });

  it("the stored catalogue calibrates the fixture frame exactly as the in-memory reference does", async () => {
    const parsed = parseInstrumentalCatalogue(readFileSync(`${FIXTURE}sextractor-reference.cat`, "utf8"));
    if (!parsed.ok) throw new Error(parsed.error);
    const stored = await new StoredCatalogueProvider(t.database.db).cone(150, 2, 0.15, "GaiaSP");
    const target = { raDeg: 150.012, decDeg: 1.991 };
    const viaDb = calibrateCatalogue({
      catalogue: parsed.catalogue,
      reference: stored,
      target,
      request: "GaiaSP/V",
    });
    expect(viaDb.calibrationData.status).toBe("S");
    expect(viaDb.calibrationData.zeropoint).toBeGreaterThan(0);
    expect(viaDb.calibrationData.zeropoint).toBeLessThan(0.06); // Kron aperture loss of the construction
    expect(Math.abs((viaDb.calibrationData.mag as number) - 15.8)).toBeLessThan(
      3 * (viaDb.calibrationData.mag_error as number),
    );
  });
});

describe("SyntheticProvider", () => {
  it("cuts its field to the cone, per survey, and frames of the same field calibrate against it", async () => {
    const provider = new SyntheticProvider({
      seed: 5,
      nStars: 800,
      surveys: ["GaiaSP", "2MASS"],
      halfWidthDeg: 0.2,
    });
    const all = await provider.cone(150, 2, 0.1);
    const want = bruteForce(
      provider.field.raDeg.map((_, i) => provider.field.reference.raDeg[i]),
      provider.field.reference.decDeg,
      150,
      2,
      0.1,
    );
    expect(keys(all)).toEqual(want);
    expect(Object.keys(all.bands).length).toBe(13);
    const tm = await provider.cone(150, 2, 0.1, "2MASS" as Survey);
    expect(Object.keys(tm.bands).sort()).toEqual(["H", "J", "K"]);
    const frame = makeFrame(provider.field, { seed: 6, zp: 23.5 });
    const r = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: await provider.cone(150, 2, 0.3, "GaiaSP"),
      target: { raDeg: 151, decDeg: 3 },
      request: "GaiaSP/V",
    });
    expect(r.calibrationData.zeropoint).toBeCloseTo(23.5, 2);
    await expect(provider.cone(150, 95, 1)).rejects.toThrow(/Dec 95/);
  });
});

describe("skytom catalog (subprocess on a temporary data directory)", () => {
  const BIN = new URL("../bin/skytom.js", import.meta.url).pathname;
  let dataDir: string;
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { ...process.env, SKYTOM_DATA: dataDir, DATABASE_URL: "", LOG_LEVEL: "warn" },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "skytom-cli-catalog-"));
    copyTemplate(dataDir);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("import: progress on stderr, the row count at the end; info lists it; bad input exits 1 naming the line", () => {
    const ok = run("catalog", "import", FIXTURE_CSV, "--survey", "GaiaSP", "--name", "fixture");
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/imported 220 stars \(100 % of the file\)/);
    expect(ok.out).toMatch(
      /^imported 220 stars into catalogue "fixture" \(id \d+, GaiaSP, bands u g r i z U B V R I\)$/m,
    );
    const synth = join(dataDir, "synth.csv");
    expect(
      run(
        "catalog",
        "synth",
        "--ra",
        "359.9",
        "--dec",
        "-10",
        "--radius",
        "0.3",
        "--out",
        synth,
        "--stars",
        "150",
      ).code,
    ).toBe(0);
    const imp = run("catalog", "import", synth, "--survey", "gaiasp", "--json");
    expect(JSON.parse(imp.out)).toMatchObject({ name: "synth", rows: 150, survey: "GaiaSP" });
    const info = JSON.parse(run("catalog", "info", "--json").out) as { name: string; rows: number }[];
    expect(info.map((c) => [c.name, c.rows])).toEqual([
      ["fixture", 220],
      ["synth", 150],
    ]);
    expect(run("catalog", "info").out).toMatch(
      /^1\s+fixture\s+GaiaSP\s+import\s+220\s+u g r i z U B V R I\s+150\.00\d\d,2\.00\d\d/m,
    );

    const bad = join(dataDir, "bad.csv");
    writeFileSync(bad, "ra,dec,V,V_err\n150,2,14,0.01\n150,2,x,0.01\n");
    const refused = run("catalog", "import", bad, "--survey", "GaiaSP");
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/error: bad\.csv: line 3, column "V": "x" is not a number/);
    expect(run("catalog", "import", bad, "--survey", "SDSS").err).toMatch(/unknown survey "SDSS"/);
    expect(JSON.parse(run("catalog", "info", "--json").out)).toHaveLength(2);
    // Seven subprocesses, each opening the embedded database: ≈ 23 s alone, more on a busy machine.
  }, 120_000);
});
