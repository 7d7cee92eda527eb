/**
 * Reference stars from the archives over TAP (a local replay server in the archives' formats): what is
 * read from each survey, the cache (a cone inside a covered cone asks nothing, a star is stored once),
 * proper motion, imported catalogues taking part, offline mode, and faults that store nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Band, ReferenceCatalogue } from "../src/astro/calibrate/bands.ts";
import { angularSeparationDeg } from "../src/astro/coords.ts";
import { makeField, type SynthField } from "../src/astro/synth/catalog.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { ArchiveProvider, fetchRadiusDeg, type ArchiveTuning } from "../src/catalog/archive.ts";
import { listCoveredCones } from "../src/catalog/cache.ts";
import {
  ArchiveAnswerError,
  ArchiveUnavailableError,
  ReferenceStarsOfflineError,
} from "../src/catalog/errors.ts";
import { importCatalogue } from "../src/catalog/import.ts";
import type { ArchiveSettings } from "../src/catalog/settings.ts";
import { ENGINES, createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { TapReplayServer, type ReplayOptions } from "./helpers/tap-server.ts";

const FIELD = { centerRaDeg: 210.5, centerDecDeg: -12.25, halfWidthDeg: 0.3 };
const field = makeField({
  seed: 11,
  nStars: 700,
  ...FIELD,
  surveys: ["GaiaSP", "GaiaDR3", "2MASS"],
  magRange: [11, 19],
});

function settings(server: TapReplayServer, o: Partial<ArchiveSettings> = {}): ArchiveSettings {
  return {
    gaiaTapUrl: server.gaiaUrl,
    vizierTapUrl: server.vizierUrl,
    offline: false,
    connectTimeoutMs: 2000,
    queryTimeoutMs: 5000,
    concurrency: 2,
    retries: 2,
    retryWaitSeconds: 60,
    ...o,
  };
}

/** Index of the field star at (ra, dec) (positions match to 1 mas), −1 if none. */
function fieldIndex(f: SynthField, ra: number, dec: number): number {
  for (let i = 0; i < f.reference.raDeg.length; i++) {
    if (angularSeparationDeg(ra, dec, f.reference.raDeg[i], f.reference.decDeg[i]) < 1 / 3.6e6) return i;
  }
  return -1;
}

/** Field stars within the cone, by brute force. */
function inside(f: SynthField, ra: number, dec: number, r: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < f.reference.raDeg.length; i++) {
    if (angularSeparationDeg(ra, dec, f.reference.raDeg[i], f.reference.decDeg[i]) <= r) out.push(i);
  }
  return out;
}

describe.each(ENGINES)("reference stars from the archives on %s", (engine) => {
  let t: TestDatabase;
  const servers: TapReplayServer[] = [];
  const serve = async (o: Partial<ReplayOptions> = {}) => {
    const s = await new TapReplayServer({ field, ...o }).start();
    servers.push(s);
    return s;
  };
  const provider = (s: TapReplayServer, o: Partial<ArchiveSettings> = {}, tuning: ArchiveTuning = {}) =>
    new ArchiveProvider(t.database, settings(s, o), { retryBaseMs: 5, ...tuning });
  const count = async (q: ReturnType<typeof sql>) =>
    Number((await t.database.db.execute<{ n: number }>(q)).rows[0].n);
  const clearCache = async () => {
    await t.database.db.execute(sql`delete from reference_catalogues`);
  };

  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterEach(async () => {
    while (servers.length) await servers.pop()!.close();
    await clearCache();
  });
  afterAll(async () => t.destroy());

  it("GaiaSP: the stars of the cone with the archive's magnitudes, errors from the fluxes, one request", async () => {
    const s = await serve();
    const p = provider(s);
    const [ra, dec, r] = [210.5, -12.25, 0.2];
    const cat = await p.cone(ra, dec, r, "GaiaSP");
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]).toMatchObject({
      service: "gaia",
      table: "gaiadr3.synthetic_photometry_gspc",
      format: "csv",
      top: 100_001,
    });
    expect(s.requests[0].radiusDeg).toBeCloseTo(fetchRadiusDeg(r), 9);
    const want = inside(field, ra, dec, r);
    expect(cat.raDeg.length).toBe(want.length);
    let checked = 0;
    for (let k = 0; k < cat.raDeg.length; k++) {
      const i = fieldIndex(field, cat.raDeg[k], cat.decDeg[k]);
      expect(i).toBeGreaterThanOrEqual(0);
      const truthV = field.reference.bands.V!;
      if (truthV.err[i] < 0.036) {
        expect(cat.bands.V!.mag[k]).toBeCloseTo(truthV.mag[i], 5); // float32
        expect(cat.bands.V!.err[k]).toBeCloseTo(truthV.err[i], 6);
        checked++;
      } else expect(cat.bands.V!.mag[k]).toBeNaN(); // not in the GSPC (F/σF < 30)
    }
    expect(checked).toBeGreaterThan(50);
    expect(Object.keys(cat.bands).sort()).toEqual(["B", "I", "R", "U", "V", "g", "i", "r", "u", "z"]);
    expect(cat.bands.V!.survey).toBe("GaiaSP");
  });

  it("a cone inside a covered cone asks nothing; overlapping cones store each star once", async () => {
    const s = await serve();
    const p = provider(s);
    await p.cone(210.5, -12.25, 0.1, "GaiaSP");
    expect(s.requests).toHaveLength(1);
    // inside: smaller, shifted, a little larger than the cone asked (the margin fetched)
    await p.cone(210.52, -12.26, 0.05, "GaiaSP");
    await p.cone(210.5, -12.25, 0.115, "GaiaSP");
    expect(s.requests).toHaveLength(1);
    // another process (a new provider) sees the same cache
    await provider(s).cone(210.5, -12.25, 0.1, "GaiaSP");
    expect(s.requests).toHaveLength(1);
    // overlapping, not inside: asked again; the stars of the overlap are not stored twice
    await p.cone(210.6, -12.25, 0.1, "GaiaSP");
    expect(s.requests).toHaveLength(2);
    const stars = await count(sql`select count(*) as n from reference_stars`);
    const distinct = await count(sql`select count(distinct source_id) as n from reference_stars`);
    expect(stars).toBe(distinct);
    expect(stars).toBe(
      new Set([...inside(field, 210.5, -12.25, 0.12), ...inside(field, 210.6, -12.25, 0.12)]).size,
    );
    const cones = await listCoveredCones(t.database.db);
    expect(cones.map((c) => [c.survey, c.radiusDeg])).toEqual([
      ["GaiaSP", 0.12],
      ["GaiaSP", 0.12],
    ]);
    expect(cones[0].rows).toBe(inside(field, 210.5, -12.25, 0.12).length);
  });

  it("the GSPC flag: 1 = inside the validated range, used; 0 = an extrapolation, skipped", async () => {
    // Every third star has flag 0 in V with a magnitude 1.5 mag off: only flag-1 values may come back.
    const s = await serve({
      gspcFlag: (i, b) => (b === "V" && i % 3 === 0 ? 0 : 1),
      gspcMag: (i, b, m) => (b === "V" && i % 3 === 0 ? m + 1.5 : m),
    });
    const cat = await provider(s).cone(210.5, -12.25, 0.2, "GaiaSP");
    let skipped = 0;
    let kept = 0;
    for (let k = 0; k < cat.raDeg.length; k++) {
      const i = fieldIndex(field, cat.raDeg[k], cat.decDeg[k]);
      if (!(field.reference.bands.V!.err[i] < 0.036)) continue;
      if (i % 3 === 0) {
        expect(cat.bands.V!.mag[k]).toBeNaN();
        if (field.reference.bands.R!.err[i] < 0.036) {
          expect(cat.bands.R!.mag[k]).toBeCloseTo(field.reference.bands.R!.mag[i], 5); // other bands kept
        }
        skipped++;
      } else {
        expect(cat.bands.V!.mag[k]).toBeCloseTo(field.reference.bands.V!.mag[i], 5);
        kept++;
      }
    }
    expect(skipped).toBeGreaterThan(10);
    expect(kept).toBeGreaterThan(20);
  });

  it("GaiaDR3: G, GBP, GRP with errors 2.5/ln10 / flux_over_error; 2MASS from VizieR: J, H, Ks", async () => {
    const s = await serve();
    const p = provider(s);
    const dr3 = await p.cone(210.5, -12.25, 0.15, "GaiaDR3");
    const tm = await p.cone(210.5, -12.25, 0.15, "2MASS");
    expect(s.requests.map((r) => [r.service, r.table, r.format])).toEqual([
      ["gaia", "gaiadr3.gaia_source", "csv"],
      ["vizier", '"II/246/out"', "votable"],
    ]);
    const want = inside(field, 210.5, -12.25, 0.15).length;
    expect(dr3.raDeg.length).toBe(want);
    expect(tm.raDeg.length).toBe(want);
    expect(Object.keys(dr3.bands).sort()).toEqual(["G", "GBP", "GRP"]);
    expect(Object.keys(tm.bands).sort()).toEqual(["H", "J", "K"]);
    for (const [cat, band] of [
      [dr3, "G"],
      [dr3, "GRP"],
      [tm, "J"],
      [tm, "K"],
    ] as [ReferenceCatalogue, Band][]) {
      for (let k = 0; k < cat.raDeg.length; k++) {
        const i = fieldIndex(field, cat.raDeg[k], cat.decDeg[k]);
        expect(cat.bands[band]!.mag[k]).toBeCloseTo(field.reference.bands[band]!.mag[i], 5);
        expect(cat.bands[band]!.err[k] / field.reference.bands[band]!.err[i]).toBeCloseTo(1, 5);
      }
    }
  });

  it("every answer format gives the same stars: CSV, gzip CSV, VOTable TABLEDATA, VOTable BINARY2", async () => {
    const results: ReferenceCatalogue[] = [];
    for (const o of [
      {},
      { gzip: true },
      { gaiaFormat: "tabledata" as const },
      { gaiaFormat: "binary2" as const },
    ]) {
      const s = await serve(o);
      results.push(await provider(s).cone(210.45, -12.2, 0.1, ["GaiaSP", "GaiaDR3"]));
      await clearCache();
    }
    for (const r of results.slice(1)) {
      expect(r.raDeg).toEqual(results[0].raDeg);
      expect(r.bands.V!.mag).toEqual(results[0].bands.V!.mag);
      expect(r.bands.G!.err).toEqual(results[0].bands.G!.err);
    }
  });

  it("proper motion: a 1″/yr star is where the frame saw it, not where Gaia saw it in 2016", async () => {
    const frameMjd = 61000; // 2025.9
    const n = field.reference.raDeg.length;
    const rng = createRng(5);
    const pmra = Float64Array.from({ length: n }, () => rng.gaussian(0, 15));
    const pmdec = Float64Array.from({ length: n }, () => rng.gaussian(0, 15));
    const fast = inside(field, 210.5, -12.25, 0.05)[0];
    pmra[fast] = 600;
    pmdec[fast] = -800; // 1″/yr
    const s = await serve({ pm: { pmraMasYr: pmra, pmdecMasYr: pmdec, fieldEpochMjd: frameMjd } });
    const p = provider(s);
    const atFrame = await p.cone(210.5, -12.25, 0.1, "GaiaSP", { epochMjd: frameMjd });
    const k = fieldIndex(field, field.reference.raDeg[fast], field.reference.decDeg[fast]);
    expect(k).toBe(fast);
    const found = Array.from(atFrame.raDeg).findIndex(
      (ra, j) =>
        angularSeparationDeg(
          ra,
          atFrame.decDeg[j],
          field.reference.raDeg[fast],
          field.reference.decDeg[fast],
        ) <
        1 / 3.6e6,
    );
    expect(found).toBeGreaterThanOrEqual(0); // within 1 mas of the frame-epoch position
    const asCatalogued = await p.cone(210.5, -12.25, 0.1, "GaiaSP");
    const sep =
      angularSeparationDeg(
        asCatalogued.raDeg[found],
        asCatalogued.decDeg[found],
        field.reference.raDeg[fast],
        field.reference.decDeg[fast],
      ) * 3600;
    expect(sep).toBeCloseTo(9.9, 1); // 1″/yr × 9.9 yr between J2016.0 and MJD 61000
  });

  it("an imported catalogue of the survey in the cone: nothing asked; where the cache has the same star, the import wins", async () => {
    const s = await serve();
    const p = provider(s);
    // the archive first fills the cache around the field …
    await p.cone(210.5, -12.25, 0.1, "GaiaSP");
    expect(s.requests).toHaveLength(1);
    // … then an operator imports the same stars (their V 0.5 mag brighter, to tell them apart)
    const dir = mkdtempSync(join(tmpdir(), "skytom-import-"));
    const stars = inside(field, 210.7, -12.25, 0.1);
    const lines = [
      "ra,dec,V,V_err",
      ...stars.map(
        (i) =>
          `${field.reference.raDeg[i]},${field.reference.decDeg[i]},${field.reference.bands.V!.mag[i] - 0.5},0.01`,
      ),
    ];
    writeFileSync(join(dir, "mine.csv"), `${lines.join("\n")}\n`);
    await importCatalogue(t.database, join(dir, "mine.csv"), { survey: "GaiaSP" });
    rmSync(dir, { recursive: true, force: true });
    // a cone overlapping both: the import satisfies it (no request); each star once, imported values
    const cat = await p.cone(210.6, -12.25, 0.1, "GaiaSP");
    expect(s.requests).toHaveLength(1);
    const want = inside(field, 210.6, -12.25, 0.1);
    const fromImport = new Set(stars);
    const fromCache = inside(field, 210.5, -12.25, 0.12);
    expect(cat.raDeg.length).toBe(want.filter((i) => fromImport.has(i) || fromCache.includes(i)).length);
    for (let k = 0; k < cat.raDeg.length; k++) {
      const i = fieldIndex(field, cat.raDeg[k], cat.decDeg[k]);
      if (fromImport.has(i))
        expect(cat.bands.V!.mag[k]).toBeCloseTo(field.reference.bands.V!.mag[i] - 0.5, 9);
    }
  });

  it("SKYTOM_OFFLINE=1: the cache only, no request; an empty cone says offline", async () => {
    const s = await serve();
    await provider(s).cone(210.5, -12.25, 0.1, "GaiaSP"); // cached while online
    const offline = provider(s, { offline: true });
    const cat = await offline.cone(210.55, -12.25, 0.1, "GaiaSP"); // partly outside the cache: what is there
    expect(cat.raDeg.length).toBeGreaterThan(0);
    await expect(offline.cone(20, 30, 0.1, "GaiaSP")).rejects.toThrow(ReferenceStarsOfflineError);
    await expect(offline.cone(20, 30, 0.1, "GaiaSP")).rejects.toThrow(
      /SKYTOM_OFFLINE=1.*skytom catalog fetch/,
    );
    expect(s.requests).toHaveLength(1);
  });

  it("a dense cone is split until every answer is below the row limit; all stars arrive, once", async () => {
    const s = await serve();
    const p = provider(s, {}, { maxRows: 40 });
    const cat = await p.cone(210.5, -12.25, 0.15, "GaiaSP");
    expect(cat.raDeg.length).toBe(inside(field, 210.5, -12.25, 0.15).length);
    expect(s.requests.length).toBeGreaterThan(4);
    expect(Math.max(...s.requests.map((r) => r.rows))).toBeLessThanOrEqual(41);
    const stars = await count(sql`select count(*) as n from reference_stars`);
    expect(stars).toBe(await count(sql`select count(distinct source_id) as n from reference_stars`));
    // and the whole cone is recorded: asked again, nothing is sent
    const before = s.requests.length;
    await p.cone(210.5, -12.25, 0.15, "GaiaSP");
    expect(s.requests.length).toBe(before);
  });

  it("at most `concurrency` archive queries at once in a process", async () => {
    const s = await serve({ delayMs: 150 });
    const p = provider(s, { concurrency: 2 });
    await Promise.all([0, 1, 2, 3, 4].map((k) => p.cone(210.3 + 0.1 * k, -12.25, 0.03, "GaiaDR3")));
    expect(s.requests).toHaveLength(5);
    expect(s.maxInFlight).toBe(2);
  });

  it("cones inside a cone being fetched wait for it instead of asking again", async () => {
    const s = await serve({ delayMs: 200 });
    const p = provider(s);
    const first = p.cone(210.5, -12.25, 0.1, "GaiaSP");
    while (s.requests.length === 0) await new Promise((r) => setTimeout(r, 5)); // its query is out
    await Promise.all([first, p.cone(210.51, -12.25, 0.05, "GaiaSP"), p.cone(210.5, -12.25, 0.1, "GaiaSP")]);
    expect(s.requests).toHaveLength(1);
  });

  it("a redirect (http → elsewhere, 301) repeats the POST there", async () => {
    const s = await serve();
    const p = new ArchiveProvider(t.database, {
      ...settings(s),
      gaiaTapUrl: s.gaiaUrl.replace("/tap-server/tap", "/moved/tap"),
    });
    const cat = await p.cone(210.5, -12.25, 0.05, "GaiaSP");
    expect(cat.raDeg.length).toBe(inside(field, 210.5, -12.25, 0.05).length);
  });

  describe("faults: a clear error, retries where they can help, nothing stored", () => {
    const nothingStored = async () => {
      expect(await count(sql`select count(*) as n from reference_cones`)).toBe(0);
      expect(await count(sql`select count(*) as n from reference_stars`)).toBe(0);
    };

    it("HTTP 503: retried with backoff, then unavailable with the time of the next try; asked again only then", async () => {
      const s = await serve();
      s.mode = "down";
      const p = provider(s, { retries: 2, retryWaitSeconds: 600 });
      const t0 = Date.now();
      const err = await p.cone(210.5, -12.25, 0.1, "GaiaSP").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveUnavailableError);
      expect((err as Error).message).toMatch(
        /the Gaia archive \(http:\/\/127\.0\.0\.1:\d+\/tap-server\/tap\) is unreachable: HTTP 503: 503 Service Unavailable \(3 attempts\)/,
      );
      expect(s.requests).toHaveLength(3);
      const retryAt = (err as ArchiveUnavailableError).retryAt.getTime();
      expect(retryAt - t0).toBeGreaterThanOrEqual(600_000 - 1000);
      // until then, no request at all
      await expect(p.cone(210.5, -12.25, 0.1, "GaiaSP")).rejects.toThrow(/not asked again before/);
      expect(s.requests).toHaveLength(3);
      await nothingStored();
    });

    it("an HTML page with status 200 is not a table", async () => {
      const s = await serve();
      s.mode = "html";
      const err = await provider(s)
        .cone(210.5, -12.25, 0.1, "GaiaSP")
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveAnswerError);
      expect((err as Error).message).toMatch(
        /answered wrongly: an HTML page \(HTTP 200: "Gaia Archive - maintenance"\) instead of a table/,
      );
      expect(s.requests).toHaveLength(1); // not retried: a wrong answer is reported at once
      await nothingStored();
    });

    it("a truncated CSV", async () => {
      const s = await serve();
      s.mode = "truncated";
      await expect(provider(s).cone(210.5, -12.25, 0.1, "GaiaSP")).rejects.toThrow(
        /answered wrongly: the CSV answer is (truncated|malformed or truncated)/,
      );
      await nothingStored();
    });

    it("a VOTable with QUERY_STATUS ERROR: the archive's own message", async () => {
      const s = await serve();
      s.mode = "refuse";
      await expect(provider(s).cone(210.5, -12.25, 0.1, "2MASS")).rejects.toThrow(
        /CDS VizieR .* answered wrongly: HTTP 400, the query was refused: Cannot parse query: Encountered "FROM"/,
      );
      await nothingStored();
    });

    it("no answer within the query timeout; a connection reset; a refused connection", async () => {
      const s = await serve();
      s.mode = "hang";
      await expect(
        provider(s, { queryTimeoutMs: 300, retries: 0 }).cone(210.5, -12.25, 0.1, "GaiaSP"),
      ).rejects.toThrow(/unreachable: no complete answer within 0\.3 s \(1 attempt\)/);
      s.mode = "reset";
      await expect(provider(s, { retries: 1 }).cone(210.5, -12.25, 0.1, "GaiaSP")).rejects.toThrow(
        /unreachable: connection reset \(2 attempts\)/,
      );
      const closed = await serve();
      const url = closed.gaiaUrl;
      await closed.close();
      servers.splice(servers.indexOf(closed), 1);
      await expect(
        new ArchiveProvider(t.database, { ...settings(s), gaiaTapUrl: url, retries: 0 }).cone(
          210.5,
          -12.25,
          0.1,
          "GaiaSP",
        ),
      ).rejects.toThrow(/unreachable: connection refused/);
      await nothingStored();
    });

    it("queries queued behind one that fails are not sent: they fail at once with the same retry time", async () => {
      const s = await serve({ delayMs: 50 });
      s.mode = "down";
      const p = provider(s, { concurrency: 1, retries: 0, retryWaitSeconds: 600 });
      const results = await Promise.allSettled(
        [0, 1, 2].map((k) => p.cone(210.3 + 0.2 * k, -12.25, 0.05, "GaiaSP")),
      );
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
      expect(s.requests).toHaveLength(1);
      const times = results.map((r) =>
        ((r as PromiseRejectedResult).reason as ArchiveUnavailableError).retryAt.getTime(),
      );
      expect(new Set(times).size).toBe(1);
      await nothingStored();
    });

    it("back after a failure: the next try (after the pause) fetches and stores", async () => {
      const s = await serve();
      s.mode = "down";
      const p = provider(s, { retries: 0, retryWaitSeconds: 1 });
      await expect(p.cone(210.5, -12.25, 0.1, "GaiaSP")).rejects.toThrow(ArchiveUnavailableError);
      s.mode = "ok";
      await new Promise((r) => setTimeout(r, 1100));
      const cat = await p.cone(210.5, -12.25, 0.1, "GaiaSP");
      expect(cat.raDeg.length).toBe(inside(field, 210.5, -12.25, 0.1).length);
    });
  });
});
