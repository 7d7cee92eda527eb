/**
 * `skytom demo`: the simulated night is uploaded and calibrated, and the calibrated light curve follows
 * the injected one; a second run reuses the demo's user, observatory, target and catalogue; the command
 * as a user runs it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseInstrumentalCatalogue } from "../src/astro/sextractor.ts";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { CALIBRATION_ALGORITHM_VERSION } from "../src/astro/calibrate/canonical.ts";
import {
  calibrationRuns,
  cameras,
  dataProducts,
  observatories,
  reducedDatums,
  referenceCatalogues,
  targets,
  users,
} from "../src/db/schema/index.ts";
import {
  DEMO_TARGET_BV,
  demoField,
  injectedMag,
  planNight,
  renderCatalogue,
  type VariableStar,
} from "../src/demo/night.ts";
import { coloursFromV } from "../src/astro/synth/catalog.ts";
import { runDemo, type DemoResult } from "../src/demo/run.ts";
import { storedPath } from "../src/storage.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { copyTemplate } from "./helpers/template.ts";

const NOW = new Date("2025-03-20T12:00:00Z");

describe("simulated night (pure)", () => {
  const star: VariableStar = {
    raDeg: 120,
    decDeg: 20,
    meanMag: 15.4,
    amplitudeMag: 0.3,
    periodDays: 0.3,
    epochMjd: 60000,
  };

  it("the light curve is V₀ − A sin(2π(t − T₀)/P): mean at T₀, faintest a quarter period before", () => {
    expect(injectedMag(star, 60000)).toBeCloseTo(15.4, 12);
    expect(injectedMag(star, 60000 + 0.075)).toBeCloseTo(15.1, 12);
    expect(injectedMag(star, 60000 - 0.075)).toBeCloseTo(15.7, 12);
    expect(injectedMag(star, 60000 + 10 * 0.3)).toBeCloseTo(15.4, 9);
  });

  it("plans frames and catalogues in time order with mid-exposure times", () => {
    const night = planNight({
      star,
      targetName: "V 1",
      startMjd: 60100.8,
      frames: 20,
      catalogues: 4,
      seed: 3,
    });
    expect(night.filter((e) => e.kind === "fits")).toHaveLength(20);
    expect(night.filter((e) => e.kind === "catalogue")).toHaveLength(4);
    for (let i = 1; i < night.length; i++) expect(night[i].startMjd).toBeGreaterThan(night[i - 1].startMjd);
    for (const e of night) {
      expect(e.midMjd - e.startMjd).toBeCloseTo(30 / 86400, 10);
      expect(e.injectedMag).toBe(injectedMag(star, e.midMjd));
    }
    expect(night[0].fileName).toMatch(/^V_1_\d{8}T\d{6}_001\.fits$/);
    expect(new Set(night.map((e) => e.fileName)).size).toBe(24);
  });

  it("a catalogue reads back with the target at V − ZP and field stars at their true V − ZP", () => {
    const field = demoField({ raDeg: star.raDeg, decDeg: star.decDeg, seed: 9 });
    const [e] = planNight({ star, targetName: "x", startMjd: 60100.8, frames: 0, catalogues: 1, seed: 4 });
    const parsed = parseInstrumentalCatalogue(renderCatalogue(field, star, e));
    if (!parsed.ok) throw new Error(parsed.error);
    const c = parsed.catalogue;
    expect(parsed.format).toBe("ascii_head");
    expect(c.mag.length).toBeGreaterThan(300);
    // the row nearest the target position is the target, within 4σ of its injected instrumental magnitude
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < c.raDeg.length; i++) {
      const d = Math.hypot(
        (c.raDeg[i] - star.raDeg) * Math.cos((star.decDeg * Math.PI) / 180),
        c.decDeg[i] - star.decDeg,
      );
      if (d < bestD) [best, bestD] = [i, d];
    }
    expect(bestD * 3600).toBeLessThan(1);
    expect(Math.abs(c.mag[best] - (e.injectedMag - e.zeroPointMag))).toBeLessThan(4 * c.magErr[best]);
    // no other star within the cleared radius
    const near = [...c.raDeg.keys()].filter(
      (i) =>
        i !== best &&
        Math.hypot(
          (c.raDeg[i] - star.raDeg) * Math.cos((star.decDeg * Math.PI) / 180),
          c.decDeg[i] - star.decDeg,
        ) *
          3600 <
          10,
    );
    expect(near).toEqual([]);
  });
});

describe("runDemo on the embedded database", () => {
  let tdb: TestDatabase;
  let first: DemoResult;

  beforeAll(async () => {
    tdb = await createTestDatabase("pglite");
    first = await runDemo(tdb.database, tdb.dataDir, { frames: 6, catalogues: 2, now: NOW, port: 8123 });
  }, 180_000);
  afterAll(async () => tdb?.destroy());

  it("every data product ends as S with a V(GaiaSP) point", async () => {
    expect(first.processedBy).toBe("demo");
    // 6 frames, 2 catalogues and 1 one-shot-colour frame (frames < 10)
    expect(first.products).toHaveLength(9);
    expect(first.products.filter((p) => p.kind === "fits")).toHaveLength(7);
    const rows = await tdb.database.db
      .select()
      .from(dataProducts)
      .where(
        eq(
          dataProducts.targetId,
          (await tdb.database.db.select().from(targets).where(eq(targets.name, "DemoVar-1")))[0].id,
        ),
      );
    expect(rows).toHaveLength(9);
    for (const r of rows) expect(r.status, `${r.originalName}: ${r.statusMessage}`).toBe("S");
    expect(rows.filter((r) => r.dataProductType === "fits_file")).toHaveLength(7);
    expect(rows.filter((r) => r.dataProductType === "photometry")).toHaveLength(2);
    expect(first.summary).toMatchObject({ total: 9, calibrated: 9, failed: [], ok: true });
    expect(first.target.url).toBe("http://127.0.0.1:8123/targets/DemoVar-1/");
    expect(first.user.username).toBe("demo");
    expect(first.user.password.length).toBeGreaterThanOrEqual(12);
  });

  it("every point has a complete chain: point → calibration run → reference stars' hash → file hash", async () => {
    const [target] = await tdb.database.db.select().from(targets).where(eq(targets.name, "DemoVar-1"));
    const chain = await tdb.database.db
      .select({ point: reducedDatums, run: calibrationRuns, dp: dataProducts })
      .from(reducedDatums)
      .leftJoin(calibrationRuns, eq(calibrationRuns.id, reducedDatums.calibrationRunId))
      .leftJoin(dataProducts, eq(dataProducts.id, reducedDatums.dataProductId))
      .where(eq(reducedDatums.targetId, target.id));
    expect(chain).toHaveLength(11); // 8 V points + R, V, B of the one-shot-colour frame
    for (const { point, run, dp } of chain) {
      expect(run, `point ${point.id}`).not.toBeNull();
      expect(run!.status).toBe("S");
      expect(run!.dataProductId).toBe(point.dataProductId);
      expect(run!.referenceSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(run!.referenceStars).toBeGreaterThan(0);
      expect(run!.catalogueSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(run!.fileSha256).toBe(dp!.sha256);
      expect(run!.algorithmVersion).toBe(CALIBRATION_ALGORITHM_VERSION);
      const stored = readFileSync(storedPath(tdb.dataDir, dp!.data));
      expect(createHash("sha256").update(stored).digest("hex")).toBe(run!.fileSha256);
      expect(point.value).toBe(run!.mag);
    }
  });

  it("the calibrated light curve follows the injected one within the errors", async () => {
    const [target] = await tdb.database.db.select().from(targets).where(eq(targets.name, "DemoVar-1"));
    const all = await tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.targetId, target.id));
    expect(all).toHaveLength(11);
    const v = first.variable;
    const star = { raDeg: 0, decDeg: 0, ...v };
    // The one-shot-colour frame: R and B points besides V, each on the injected curve shifted by the
    // target's colour (B−V = DEMO_TARGET_BV; R from coloursFromV).
    const colour = all.filter((p) => p.channel === "R" || p.channel === "B");
    expect(colour.map((p) => p.filter).sort()).toEqual(["B(GaiaSP)", "R(GaiaSP)"]);
    for (const p of colour) {
      const truth = coloursFromV(injectedMag(star, p.mjd), DEMO_TARGET_BV)[p.channel === "R" ? "R" : "B"];
      expect(Math.abs(p.value - truth), `${p.filter} ${p.value} ± ${p.error} vs ${truth}`).toBeLessThan(
        4 * Math.hypot(p.error, 0.005),
      );
    }
    const points = all.filter((p) => p.filter === "V(GaiaSP)");
    expect(points).toHaveLength(9);
    const residuals = points.map((p) => {
      expect(p.filter).toBe("V(GaiaSP)");
      expect(p.error).toBeGreaterThan(0);
      expect(p.error).toBeLessThan(0.05);
      // the point's own MJD (from the FITS header or the upload) on the injected curve
      return { d: p.value - injectedMag(star, p.mjd), err: p.error };
    });
    for (const r of residuals) expect(Math.abs(r.d)).toBeLessThan(4 * Math.hypot(r.err, 0.005));
    const rms = Math.sqrt(residuals.reduce((s, r) => s + r.d * r.d, 0) / residuals.length);
    expect(rms).toBeLessThan(0.03);
    expect(first.summary.residualRmsMag).toBeCloseTo(rms, 6);
    // it follows the variation, not a constant: the calibrated range spans the injected one
    const inj = points.map((p) => injectedMag(star, p.mjd));
    const cal = points.map((p) => p.value);
    const span = (a: number[]) => Math.max(...a) - Math.min(...a);
    expect(span(inj)).toBeGreaterThan(0.2);
    expect(Math.abs(span(cal) - span(inj))).toBeLessThan(0.05);
    // least-squares slope of calibrated on injected ≈ 1
    const mi = inj.reduce((s, x) => s + x, 0) / inj.length;
    const mc = cal.reduce((s, x) => s + x, 0) / cal.length;
    const slope =
      inj.reduce((s, x, i) => s + (x - mi) * (cal[i] - mc), 0) / inj.reduce((s, x) => s + (x - mi) ** 2, 0);
    expect(slope).toBeGreaterThan(0.9);
    expect(slope).toBeLessThan(1.1);
  });

  it("a second run reuses the user, observatory, target and catalogue and adds another night", async () => {
    const second = await runDemo(tdb.database, tdb.dataDir, { frames: 2, catalogues: 1, now: NOW });
    expect(second.summary).toMatchObject({ total: 4, calibrated: 4, ok: true });
    expect(second.user).toMatchObject({ username: "demo", created: false });
    expect(second.user.password).not.toBe(first.user.password);
    expect(second.observatory.created).toBe(false);
    expect(second.target.created).toBe(false);
    expect(second.catalogue.created).toBe(false);
    expect(second.night.startMjd).toBeCloseTo(first.night.startMjd - 1, 6);
    expect(second.summary.lightCurvePoints).toBe(17);
    const db = tdb.database.db;
    expect(await db.select().from(users).where(like(users.username, "demo%"))).toHaveLength(1);
    expect(await db.select().from(observatories)).toHaveLength(1);
    expect(await db.select().from(cameras)).toHaveLength(2); // the CCD and the one-shot-colour camera
    expect(await db.select().from(targets)).toHaveLength(1);
    expect(await db.select().from(referenceCatalogues)).toHaveLength(1);
  }, 120_000);

  it("refuses to add simulated data to a target it did not make", async () => {
    await tdb.database.db
      .update(targets)
      .set({ description: "a real star" })
      .where(eq(targets.name, "DemoVar-1"));
    await expect(runDemo(tdb.database, tdb.dataDir, { frames: 1, catalogues: 0, now: NOW })).rejects.toThrow(
      /not made by skytom demo/,
    );
  });
});

describe("skytom demo (subprocess)", () => {
  const BIN = new URL("../bin/skytom.js", import.meta.url).pathname;
  let dataDir: string;
  const run = async (...args: string[]) => {
    try {
      const r = await promisify(execFile)(process.execPath, [BIN, ...args], {
        env: { ...process.env, SKYTOM_DATA: dataDir, DATABASE_URL: "", HOST: "127.0.0.1", PORT: "1" },
        timeout: 150_000,
      });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "skytom-demo-"));
    copyTemplate(dataDir);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("`skytom demo --frames 4` calibrates the night and prints the target URL and the login", async () => {
    const r = await run("demo", "--frames", "4");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/calibrated: 7\/7 exposures/);
    expect(r.out).toMatch(/calibrated − injected: rms 0\.0\d\d mag/);
    expect(r.out).toContain("Target page: http://127.0.0.1:1/targets/DemoVar-1/");
    expect(r.out).toMatch(/Log in as demo, password \S{12}/);
    expect(r.out).toMatch(/Start the server first: npm start/);
    expect(r.out.match(/^\[\d\/7\] DemoVar-1_\S+\s+V\(GaiaSP\) 1\d\.\d{3} ± 0\.\d{3} mag/gm)).toHaveLength(7);
  }, 150_000);

  it("bad arguments: a clear message and a non-zero exit", async () => {
    const r = await run("demo", "--frames", "0");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--frames: "0" is not an integer from 1 to 200/);
  });
});
