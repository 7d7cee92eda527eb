/**
 * Calibration runs, the gaps of issue 17 closed (docs/calibration-runs.md): a failed recalibration never
 * replaces a good point; the CSV download's opt-in columns carry the quality flag and the run; calibrations
 * made before runs existed get one (backfill); a frame uploaded later re-decides the flags of the frames
 * after it; camera health says which zero points are normalised to 1 s. One small app per engine.
 */
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";
import type { ReferenceCatalogue } from "../src/astro/calibrate/bands.ts";
import {
  calibrationRunBands,
  calibrationRuns,
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  observatories,
  reducedDatums,
} from "../src/db/schema/index.ts";
import { CALIBRATION_ALGORITHM_VERSION } from "../src/astro/calibrate/canonical.ts";
import { backfillCalibrationRuns } from "../src/domain/calibration/backfill.ts";
import { calibrateDataProduct } from "../src/domain/calibration/dataproduct.ts";
import type { ReferenceProvider } from "../src/domain/calibration/pipeline.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { uploadProduct } from "./helpers/multipart.ts";
import { pageText, WebClient } from "./helpers/web.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";

const TARGET = { raDeg: 150.02, decDeg: 10.01, mag: 15.5 };
const ZP = 23.9;
const EMPTY: ReferenceCatalogue = { raDeg: new Float64Array(0), decDeg: new Float64Array(0), bands: {} };

describe.each(ENGINES)("calibration runs' gaps on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;
  const field = makeField({ seed: 77, nStars: 120, centerRaDeg: 150, centerDecDeg: 10, halfWidthDeg: 0.08 });
  /** While true the reference provider finds no stars: every calibration fails (status E). */
  let noStars = false;
  const provider: ReferenceProvider = { cone: async () => (noStars ? EMPTY : field.reference) };
  const frameText = (seed: number, zp = ZP) =>
    ccdphotCatalogue(makeFrame(field, { seed, zp, target: { ...TARGET, forced: false } }).catalogue);

  const upload = async (content: string, extra: Record<string, string> = {}) => {
    return uploadProduct(
      t.app,
      alice.token,
      {
        target: "GapT",
        data_product_type: "photometry",
        observatory: "Gaps_Cam",
        mjd: "60600.25",
        filter: "GaiaSP/any",
        ...extra,
      },
      [{ name: "frame.cat", content }],
    );
  };
  const calibrate = (id: number, runId?: number) =>
    calibrateDataProduct(t.tdb.database, id, { dataDir: t.tdb.dataDir, provider, runId });
  const db = () => t.tdb.database.db;
  const currentRun = async (id: number) => {
    const [cal] = await db().select().from(calibrations).where(eq(calibrations.dataProductId, id));
    return cal?.runId ?? null;
  };
  const pointsOf = (id: number) =>
    db().select().from(reducedDatums).where(eq(reducedDatums.dataProductId, id));
  const recalibrate = async (body: Record<string, unknown>) => {
    const r = await t.call("POST", "/calibration/recalibrate/", body, staff.token);
    expect(r.statusCode, r.body).toBe(200);
    return r.json().Success as { ids: number[]; runs: number[] };
  };
  const addCamera = async (name: string) => {
    const [obs] = await db().insert(observatories).values({ name, lon: 20, lat: 50 }).returning();
    await db()
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: `${name}_Cam`, activeFlg: true });
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true, referenceProvider: provider });
    alice = await t.user("alice");
    staff = await t.user("staffer", { staff: true });
    await addCamera("Gaps");
    const r = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "GapT", ra: TARGET.raDeg, dec: TARGET.decDeg },
      alice.token,
    );
    expect(r.statusCode, r.body).toBe(201);
  });
  afterAll(async () => t.close());

  describe("a failed recalibration never replaces a good point", () => {
    it("the failed run is recorded, the earlier run and its point stay current; use-run of it is a 400", async () => {
      const id = await upload(frameText(11));
      await calibrate(id);
      const good = (await currentRun(id))!;
      const [before] = await pointsOf(id);
      expect(before.calibrationRunId).toBe(good);

      const q = await recalibrate({ dataproduct_ids: [id], filter: "GaiaSP/V" });
      noStars = true;
      try {
        await calibrate(id, q.runs[0]);
      } finally {
        noStars = false;
      }
      const failed = q.runs[0];
      const [failedRow] = await db().select().from(calibrationRuns).where(eq(calibrationRuns.id, failed));
      expect(failedRow.status).toBe("E");
      expect(failedRow.statusMessage).not.toBe("");

      // The good run stays current: calibration row, point (the same row, same values), product status.
      expect(await currentRun(id)).toBe(good);
      const after = await pointsOf(id);
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({
        id: before.id,
        value: before.value,
        error: before.error,
        filter: before.filter,
        calibrationRunId: good,
      });
      const [dp] = await db().select().from(dataProducts).where(eq(dataProducts.id, id));
      expect(dp.status).toBe("S");
      expect(dp.filter).toBe("GaiaSP/any");
      expect(dp.statusMessage).toContain(`run ${failed} failed`);
      const [cal] = await db().select().from(calibrations).where(eq(calibrations.dataProductId, id));
      expect(cal).toMatchObject({ status: "S", filterRequest: "GaiaSP/any" });

      // get-run says it failed and which run is current.
      const rec = (await t.call("POST", "/calibration/get-run/", { run: failed }, alice.token)).json();
      expect(rec).toMatchObject({ status: "E", current: false, current_run: good });
      expect(rec.status_message).toBe(failedRow.statusMessage);
      const list = (await t.call("POST", "/calibration/list-runs/", { runs: [failed] }, alice.token)).json();
      expect(list.data).toMatchObject([{ id: failed, status: "E", current: false }]);

      const use = await t.call("POST", "/calibration/use-run/", { run: failed }, staff.token);
      expect(use.statusCode, use.body).toBe(400);
      expect(use.json().detail).toMatch(new RegExp(`run ${failed} failed.*cannot be made current`));
      expect(await currentRun(id)).toBe(good);

      // The data product page says so, and offers no button for the failed run.
      const admin = new WebClient(t.app);
      await admin.login("staffer", staff.password);
      const page = await admin.get(`/dataproducts/${id}/`);
      expect(page.statusCode).toBe(200);
      expect(pageText(page.body)).toContain(`Run ${failed} (recalibrate) failed`);
      expect(page.body).not.toMatch(new RegExp(`name="run" value="${failed}"`));
    });

    it("an upload's first calibration failing is current as before (status E, no point)", async () => {
      const id = await upload(frameText(12), { mjd: "60601.25" });
      noStars = true;
      try {
        await calibrate(id);
      } finally {
        noStars = false;
      }
      const run = await currentRun(id);
      expect(run).not.toBeNull();
      const [row] = await db().select().from(calibrationRuns).where(eq(calibrationRuns.id, run!));
      expect(row.status).toBe("E");
      expect(await pointsOf(id)).toHaveLength(0);
      const [dp] = await db().select().from(dataProducts).where(eq(dataProducts.id, id));
      expect(dp.status).toBe("E");
      // A later recalibration that succeeds replaces it.
      const q = await recalibrate({ dataproduct_ids: [id] });
      await calibrate(id, q.runs[0]);
      expect(await currentRun(id)).toBe(q.runs[0]);
      expect(await pointsOf(id)).toHaveLength(1);
    });
  });

  it("the photometry CSV keeps BHTOM's six columns; columns=extended adds quality_flag, calibration_run, calibration_version (API and target page)", async () => {
    const id = await upload(frameText(13), { mjd: "60602.25" });
    await calibrate(id);
    const run = (await currentRun(id))!;
    // The flag camera health would set (re-decided flags are tested below).
    await db()
      .update(calibrationRuns)
      .set({ qualityFlag: "low_zeropoint" })
      .where(eq(calibrationRuns.id, run));
    await db()
      .update(reducedDatums)
      .set({ qualityFlag: "low_zeropoint" })
      .where(eq(reducedDatums.dataProductId, id));
    const [point] = await pointsOf(id);

    const plain = await t.call("POST", "/targets/download-photometry/", { name: "GapT" }, alice.token);
    expect(plain.statusCode).toBe(200);
    const plainLines = plain.body.trimEnd().split("\n");
    expect(plainLines[0]).toBe("MJD;Magnitude;Error;Facility;Filter;Observer");
    expect(plainLines.slice(1).every((l) => l.split(";").length === 6)).toBe(true);
    const same = await t.call(
      "POST",
      "/targets/download-photometry/",
      { name: "GapT", columns: "bhtom" },
      alice.token,
    );
    expect(same.body).toBe(plain.body);

    const ext = await t.call(
      "POST",
      "/targets/download-photometry/",
      { name: "GapT", columns: "extended" },
      alice.token,
    );
    expect(ext.statusCode, ext.body).toBe(200);
    expect(ext.headers["content-disposition"]).toContain("target_GapT_photometry_extended.csv");
    const lines = ext.body.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "MJD;Magnitude;Error;Facility;Filter;Observer;quality_flag;calibration_run;calibration_version",
    );
    expect(lines).toHaveLength(plainLines.length);
    // The first six columns are the default download's, line for line.
    expect(lines.slice(1).map((l) => l.split(";").slice(0, 6).join(";"))).toEqual(plainLines.slice(1));
    const mine = lines.find((l) => l.startsWith(`${point.mjd};`))!.split(";");
    expect(mine.slice(6)).toEqual(["low_zeropoint", String(run), CALIBRATION_ALGORITHM_VERSION]);

    const bad = await t.call(
      "POST",
      "/targets/download-photometry/",
      { name: "GapT", columns: "wide" },
      alice.token,
    );
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.json())).toEqual(["columns"]);

    const web = new WebClient(t.app);
    await web.login("alice", alice.password);
    const page = await web.get("/targets/GapT/");
    expect(page.body).toContain('href="/targets/GapT/photometry.csv?columns=extended"');
    const file = await web.get("/targets/GapT/photometry.csv?columns=extended");
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe(ext.body);
  });

  it("backfill: calibrations made before runs existed get a run (reason backfill) at start; chain point → run → file hash; idempotent", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await upload(frameText(20 + i), { mjd: String(60603.25 + i / 10) });
      await calibrate(id);
      ids.push(id);
    }
    // Back to before migration 0013: no runs, calibration rows and points without one.
    await db().update(calibrations).set({ runId: null }).where(inArray(calibrations.dataProductId, ids));
    await db()
      .update(reducedDatums)
      .set({ calibrationRunId: null })
      .where(inArray(reducedDatums.dataProductId, ids));
    await db().delete(calibrationRuns).where(inArray(calibrationRuns.dataProductId, ids));

    // Batches of 2: two statements for three calibrations.
    expect(await backfillCalibrationRuns(db(), 2)).toEqual({ runs: 3, points: 3 });
    expect(await backfillCalibrationRuns(db(), 2)).toEqual({ runs: 0, points: 0 });

    for (const id of ids) {
      const [point] = await pointsOf(id);
      const [cal] = await db().select().from(calibrations).where(eq(calibrations.dataProductId, id));
      const [dp] = await db().select().from(dataProducts).where(eq(dataProducts.id, id));
      expect(point.calibrationRunId).not.toBeNull();
      expect(cal.runId).toBe(point.calibrationRunId);
      const rec = (
        await t.call("POST", "/calibration/get-run/", { run: point.calibrationRunId }, alice.token)
      ).json();
      expect(rec).toMatchObject({
        dataproduct: id,
        current: true,
        status: "S",
        reason: "backfill",
        calibration_version: null,
        inputs: {
          file_sha256: dp.sha256,
          catalogue_sha256: dp.sha256,
          filter_request: "GaiaSP/any",
          reference: { sha256: null },
        },
        outputs: {
          mag: cal.mag,
          zeropoint: cal.zeropoint,
          light_curve_filter: point.filter,
          is_limit: false,
        },
      });
      const bands = await db()
        .select()
        .from(calibrationRunBands)
        .where(eq(calibrationRunBands.runId, point.calibrationRunId!))
        .orderBy(asc(calibrationRunBands.id));
      expect(bands.length).toBeGreaterThan(1);
      expect(rec.outputs.bands).toEqual(
        bands.map((b) => expect.objectContaining({ band: b.band, zeropoint: b.zeropoint, chosen: b.chosen })),
      );
    }
    const list = (
      await t.call("POST", "/common/api/reducedDatum/", { target_name: "GapT" }, alice.token)
    ).json();
    const item = list.data.find((d: { data_product: number }) => d.data_product === ids[0]);
    expect(item).toMatchObject({ calibration_version: null });
    expect(item.calibration_run).toEqual(expect.any(Number));
    // Nothing is left without a run.
    const orphans = await db()
      .select()
      .from(calibrations)
      .where(and(inArray(calibrations.dataProductId, ids), isNull(calibrations.runId)));
    expect(orphans).toHaveLength(0);
  });

  describe("camera health", () => {
    const frame = async (oname: string, seed: number, mjd: number, zp = ZP, exposureS?: number) => {
      const id = await upload(frameText(seed, zp), {
        observatory: oname,
        mjd: String(mjd),
        filter: "GaiaSP/V",
      });
      if (exposureS !== undefined)
        await db().insert(fitsJobs).values({ dataProductId: id, fitsExp: exposureS });
      await calibrate(id);
      return id;
    };
    const flagOf = async (id: number) => {
      const run = (await currentRun(id))!;
      const [r] = await db().select().from(calibrationRuns).where(eq(calibrationRuns.id, run));
      const [p] = await pointsOf(id);
      return { run: r.qualityFlag, point: p.qualityFlag };
    };
    const health = async (oname: string) => {
      const r = await t.call("POST", "/observatory/camera-health/", { oname }, alice.token);
      expect(r.statusCode, r.body).toBe(200);
      return r.json();
    };

    it("flags are re-decided: frames uploaded later for earlier nights flag an older cloudy frame; its point follows", async () => {
      await addCamera("Reflag");
      await frame("Reflag_Cam", 30, 60900.01);
      await frame("Reflag_Cam", 31, 60900.02);
      // 1 mag of cloud, uploaded when the camera had two earlier frames: no verdict yet.
      const cloudy = await frame("Reflag_Cam", 32, 60900.1, ZP + 1);
      expect(await flagOf(cloudy)).toEqual({ run: null, point: null });
      await frame("Reflag_Cam", 33, 60900.03);
      await frame("Reflag_Cam", 34, 60900.04);
      expect(await flagOf(cloudy)).toEqual({ run: null, point: null });
      // The fifth earlier night gives the cloudy frame a baseline: flagged now, run and point alike.
      const fifth = await frame("Reflag_Cam", 35, 60900.05);
      expect(await flagOf(cloudy)).toEqual({ run: "low_zeropoint", point: "low_zeropoint" });
      expect(await flagOf(fifth)).toEqual({ run: null, point: null });
      const h = await health("Reflag_Cam");
      expect(h.flagged).toBe(1);
      expect(h.frames.find((f: { dataproduct: number }) => f.dataproduct === cloudy).quality_flag).toBe(
        "low_zeropoint",
      );
      // The CSV's extended columns carry it.
      const csv = await t.call(
        "POST",
        "/targets/download-photometry/",
        { name: "GapT", columns: "extended" },
        alice.token,
      );
      const [point] = await pointsOf(cloudy);
      expect(csv.body).toContain(`;low_zeropoint;${point.calibrationRunId};`);
    });

    it("ZP normalised to 1 s only when the exposure is known; catalogue uploads' zero points are compared only with each other", async () => {
      await addCamera("Mixed");
      const raw: number[] = [];
      for (let i = 0; i < 5; i++) raw.push(await frame("Mixed_Cam", 40 + i, 60950.01 + i / 100));
      // The same sky with a known 100-s exposure: its 1-s zero point is 5 mag larger than the raw ones,
      // which is no cloud: it has no frames of its kind to be judged against.
      const timed = await frame("Mixed_Cam", 45, 60950.06, ZP, 100);
      expect(await flagOf(timed)).toEqual({ run: null, point: null });
      // A cloudy catalogue upload is still judged against the catalogue uploads.
      const cloudy = await frame("Mixed_Cam", 46, 60950.07, ZP + 1);
      expect(await flagOf(cloudy)).toEqual({ run: "low_zeropoint", point: "low_zeropoint" });

      const h = await health("Mixed_Cam");
      type F = {
        dataproduct: number;
        zeropoint: number;
        zeropoint_1s: number | null;
        zeropoint_normalised: boolean;
        filter: string;
      };
      const byId = new Map<number, F>(h.frames.map((f: F) => [f.dataproduct, f]));
      for (const id of raw)
        expect(byId.get(id)).toMatchObject({ zeropoint_normalised: false, zeropoint_1s: null });
      const tf = byId.get(timed)!;
      expect(tf.zeropoint_normalised).toBe(true);
      expect(tf.zeropoint_1s! - tf.zeropoint).toBeCloseTo(5, 10);
      expect(tf.filter).toBe("V(GaiaSP)");
      expect(h.median_zeropoint_1s).toBeCloseTo(tf.zeropoint_1s!, 10);
      const web = new WebClient(t.app);
      await web.login("alice", alice.password);
      const page = await web.get("/observatory/camera/Mixed_Cam/health/");
      expect(page.statusCode).toBe(200);
      expect(pageText(page.body)).toContain("not normalised");
    });
  });
});
