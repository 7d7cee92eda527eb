/**
 * Calibration runs (issue 17): determinism, recalibration as new versions with a consistent light curve,
 * restoring an earlier run exactly, lineage from point to file, and who may do what.
 */
import { createHash } from "node:crypto";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";
import type { ReferenceCatalogue } from "../src/astro/calibrate/bands.ts";
import { CALIBRATION_ALGORITHM_VERSION } from "../src/astro/calibrate/canonical.ts";
import {
  calibrationRuns,
  calibrations,
  cameras,
  observatories,
  reducedDatums,
} from "../src/db/schema/index.ts";
import { calibrateDataProduct } from "../src/domain/calibration/dataproduct.ts";
import type { ReferenceProvider } from "../src/domain/calibration/pipeline.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { uploadProduct } from "./helpers/multipart.ts";
import { pageText, WebClient } from "./helpers/web.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";

const TARGET = { raDeg: 210.02, decDeg: -5.01, mag: 15.8 };
const ZP = 23.9;

/** The same stars in another row order (a seeded shuffle): what a database may return. */
function shuffled(c: ReferenceCatalogue, seed: number): ReferenceCatalogue {
  const order = Array.from(c.raDeg, (_, i) => i);
  let s = seed;
  for (let i = order.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const pick = (a: Float64Array) => Float64Array.from(order, (i) => a[i]);
  const out: ReferenceCatalogue = { raDeg: pick(c.raDeg), decDeg: pick(c.decDeg), bands: {} };
  for (const [band, b] of Object.entries(c.bands)) {
    out.bands[band as keyof ReferenceCatalogue["bands"]] = {
      survey: b.survey,
      mag: pick(b.mag),
      err: pick(b.err),
    };
  }
  return out;
}

/** A run's record without what differs between two runs of the same inputs (id, times, plot file name). */
function reproducible(record: Record<string, unknown>) {
  const {
    id: _id,
    created: _c,
    finished: _f,
    current: _cur,
    reason: _r,
    requested_by: _by,
    make_current: _m,
    ...rest
  } = record;
  const outputs = { ...(rest.outputs as Record<string, unknown>) };
  delete outputs.processing_time;
  delete outputs.calibration_plot;
  return { ...rest, outputs };
}

/** `work(items[k], k)` for every item, `lanes` at a time (as many calibration jobs at once). */
async function inLanes<T>(items: T[], lanes: number, work: (item: T, k: number) => Promise<unknown>) {
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let k = lane; k < items.length; k += lanes) await work(items[k], k);
    }),
  );
}

describe.each(ENGINES)("calibration runs on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let staff: TestUser;
  const field = makeField({ seed: 31, nStars: 250, centerRaDeg: 210, centerDecDeg: -5, halfWidthDeg: 0.1 });
  let shuffleSeed = 0;
  /** Every cone comes back in a different row order. */
  const provider: ReferenceProvider = { cone: async () => shuffled(field.reference, ++shuffleSeed) };
  const frameText = (seed: number, zp = ZP) =>
    ccdphotCatalogue(makeFrame(field, { seed, zp, target: { ...TARGET, forced: false } }).catalogue);

  const upload = async (content: string, target: string, extra: Record<string, string> = {}) => {
    return uploadProduct(
      t.app,
      alice.token,
      {
        target,
        data_product_type: "photometry",
        observatory: "Runs_Cam",
        mjd: "60600.25",
        filter: "GaiaSP/any",
        ...extra,
      },
      [{ name: "frame.cat", content }],
    );
  };
  const calibrate = (id: number, runId?: number) =>
    calibrateDataProduct(t.tdb.database, id, { dataDir: t.tdb.dataDir, provider, runId });
  const getRun = async (run: number, who = alice) => {
    const r = await t.call("POST", "/calibration/get-run/", { run }, who.token);
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const currentRun = async (id: number) => {
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    return cal.runId as number;
  };
  const newTarget = async (name: string) => {
    const r = await t.call(
      "POST",
      "/targets/createTarget/",
      { name, ra: TARGET.raDeg, dec: TARGET.decDeg },
      alice.token,
    );
    expect(r.statusCode, r.body).toBe(201);
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true, referenceProvider: provider });
    alice = await t.user("alice");
    bob = await t.user("bob");
    staff = await t.user("staffer", { staff: true });
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "RunsObs", lon: 20, lat: 50 })
      .returning();
    await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: "Runs_Cam", activeFlg: true });
    await newTarget("RunsT");
  });
  afterAll(async () => t.close());

  it("the same upload calibrated twice (stars in another row order) → identical inputs and outputs in every field", async () => {
    const text = frameText(41);
    const id = await upload(text, "RunsT");
    await calibrate(id);
    const first = await currentRun(id);
    await calibrate(id);
    const second = await currentRun(id);
    expect(second).not.toBe(first);
    const [a, b] = [await getRun(first), await getRun(second)];
    expect(a.status).toBe("S");
    expect(reproducible(b)).toEqual(reproducible(a));
    // The chain: the run names the file, the catalogue, the reference stars and the versions.
    const sha = createHash("sha256").update(text).digest("hex");
    expect(a.inputs).toMatchObject({
      file_sha256: sha,
      catalogue_sha256: sha,
      filter_request: "GaiaSP/any",
      reference: {
        surveys: ["GaiaSP"],
        stars: field.reference.raDeg.length,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    expect(a.calibration_version).toBe(CALIBRATION_ALGORITHM_VERSION);
    expect(a.skytom_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(a.outputs.bands.length).toBeGreaterThan(1);
  });

  it("GaiaSP/any against GaiaSP/V: the V band's numbers are identical", async () => {
    const id = await upload(frameText(42), "RunsT", { mjd: "60600.5" });
    await calibrate(id);
    const anyRun = await getRun(await currentRun(id));
    const r = await t.call(
      "POST",
      "/calibration/recalibrate/",
      { dataproduct_ids: [id], filter: "GaiaSP/V", dry_run: true },
      staff.token,
    );
    expect(r.statusCode, r.body).toBe(200);
    const { runs } = r.json().Success;
    await calibrate(id, runs[0]);
    const vRun = await getRun(runs[0]);
    type Band = { band: string; chosen: boolean };
    const v = (run: { outputs: { bands: Band[] } }) => run.outputs.bands.find((x) => x.band === "V");
    expect(v(vRun)).toBeDefined();
    expect(v(anyRun)).toEqual({ ...v(vRun)!, chosen: v(anyRun)!.chosen });
    expect(vRun.inputs.reference.sha256).toBe(anyRun.inputs.reference.sha256);
    expect(vRun.outputs).toMatchObject({ best_filter: "V", survey: "GaiaSP" });
    // A trial run switched nothing.
    expect(await currentRun(id)).toBe(anyRun.id);
    const cmp = (
      await t.call("POST", "/calibration/compare-runs/", { a: anyRun.id, b: vRun.id }, alice.token)
    ).json();
    expect(cmp.same_inputs).toMatchObject({ file: true, reference_stars: true, filter_request: false });
    expect(cmp.bands.find((x: { band: string }) => x.band === "V").delta_zeropoint).toBe(0);
  });

  it("recalibrating 100 points with another filter: 100 new runs, old kept, a reader always counts 100, switching back restores the exact values", async () => {
    // Uploaded as GaiaSP/V, recalibrated as GaiaSP/B: one band each, so each run draws a one-panel plot
    // (the all-bands plot of GaiaSP/any costs ~4× more to render; /any is covered by the test above).
    const ids: number[] = [];
    for (let i = 0; i < 100; i++)
      ids.push(
        await upload(frameText(1000 + i), "RunsT", { mjd: String(60700 + i / 10), filter: "GaiaSP/V" }),
      );
    await inLanes(ids, 4, (id) => calibrate(id));
    const points = () =>
      t.tdb.database.db
        .select()
        .from(reducedDatums)
        .where(inArray(reducedDatums.dataProductId, ids))
        .orderBy(asc(reducedDatums.dataProductId));
    const before = await points();
    expect(before).toHaveLength(100);
    const oldRuns = new Map(before.map((p) => [p.dataProductId, p.calibrationRunId]));

    const r = await t.call(
      "POST",
      "/calibration/recalibrate/",
      { target: "RunsT", dataproduct_ids: ids, filter: "GaiaSP/B" },
      staff.token,
    );
    expect(r.statusCode, r.body).toBe(200);
    const queued = r.json().Success;
    expect(queued).toMatchObject({ queued: 100, ids, dry_run: false });
    // Queued but not run: the light curve is unchanged.
    expect((await points()).map((p) => p.calibrationRunId)).toEqual(before.map((p) => p.calibrationRunId));

    let done = false;
    const counts: number[] = [];
    const reader = (async () => {
      while (!done) {
        const [{ n }] = await t.tdb.database.db
          .select({ n: sql<number>`count(*)::int` })
          .from(reducedDatums)
          .where(inArray(reducedDatums.dataProductId, ids));
        counts.push(n);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await inLanes(ids, 4, (id, k) => calibrate(id, queued.runs[k]));
    done = true;
    await reader;
    expect(counts.length).toBeGreaterThan(1);
    expect(new Set(counts)).toEqual(new Set([100]));

    const after = await points();
    expect(after).toHaveLength(100);
    expect(after.every((p) => p.filter === "B(GaiaSP)")).toBe(true);
    expect(after.map((p) => p.calibrationRunId)).toEqual(queued.runs);
    const kept = await t.tdb.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(calibrationRuns)
      .where(inArray(calibrationRuns.dataProductId, ids));
    expect(kept[0].n).toBe(200);

    for (const id of ids) {
      const u = await t.call("POST", "/calibration/use-run/", { run: oldRuns.get(id) }, staff.token);
      expect(u.statusCode, u.body).toBe(200);
    }
    const restored = await points();
    const fields = (p: (typeof before)[number]) => ({
      dp: p.dataProductId,
      mjd: p.mjd,
      value: p.value,
      error: p.error,
      filter: p.filter,
      facility: p.facility,
      observer: p.observer,
      run: p.calibrationRunId,
    });
    expect(restored.map(fields)).toEqual(before.map(fields));
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, ids[0]));
    const oldRecord = await getRun(oldRuns.get(ids[0])!);
    expect(cal).toMatchObject({
      runId: oldRecord.id,
      zeropoint: oldRecord.outputs.zeropoint,
      mag: oldRecord.outputs.mag,
      filterRequest: "GaiaSP/V",
    });
  }, 600_000);

  it("lineage: reducedDatum and get-calibration-res items carry calibration_run and calibration_version", async () => {
    const id = await upload(frameText(43), "RunsT", { mjd: "60601.5" });
    await calibrate(id);
    const run = await currentRun(id);
    const list = (
      await t.call("POST", "/common/api/reducedDatum/", { target_name: "RunsT" }, alice.token)
    ).json();
    const item = list.data.find((d: { data_product: number }) => d.data_product === id);
    expect(item).toMatchObject({ calibration_run: run, calibration_version: CALIBRATION_ALGORITHM_VERSION });
    const res = (
      await t.call("POST", "/calibration/get-calibration-res/", { calibid: [id] }, alice.token)
    ).json();
    expect(res.data[0]).toMatchObject({
      calibration_run: run,
      calibration_version: CALIBRATION_ALGORITHM_VERSION,
    });
  });

  it("who may: recalibrate and use-run are for staff; runs are seen by their uploader; bad requests are 400, unknown runs 404", async () => {
    const id = await upload(frameText(44), "RunsT", { mjd: "60602.5" });
    await calibrate(id);
    const run = await currentRun(id);
    expect(
      (await t.call("POST", "/calibration/recalibrate/", { dataproduct_ids: [id] }, alice.token)).statusCode,
    ).toBe(403);
    expect((await t.call("POST", "/calibration/use-run/", { run }, alice.token)).statusCode).toBe(403);
    expect((await t.call("POST", "/calibration/get-run/", { run }, bob.token)).statusCode).toBe(403);
    expect((await t.call("POST", "/calibration/get-run/", { run: 99999999 }, alice.token)).statusCode).toBe(
      404,
    );
    const none = await t.call("POST", "/calibration/recalibrate/", { filter: "GaiaSP/V" }, staff.token);
    expect(none.statusCode).toBe(400);
    expect(none.json().detail).toMatch(/at least one of/);
    expect(
      (
        await t.call(
          "POST",
          "/calibration/recalibrate/",
          { dataproduct_ids: [id], filter: "Foo/Bar" },
          staff.token,
        )
      ).statusCode,
    ).toBe(400);
    const queued = (
      await t.call("POST", "/calibration/recalibrate/", { dataproduct_ids: [id], dry_run: true }, staff.token)
    ).json().Success;
    const unfinished = await t.call("POST", "/calibration/use-run/", { run: queued.runs[0] }, staff.token);
    expect(unfinished.statusCode).toBe(400);
    const [open] = await t.tdb.database.db
      .select()
      .from(calibrationRuns)
      .where(and(eq(calibrationRuns.id, queued.runs[0]), eq(calibrationRuns.status, "C")));
    expect(open.makeCurrent).toBe(false);
  });

  it("web: the data product page lists its runs with ΔZP and Δmag; staff make one current; a point links to its data product", async () => {
    const id = await upload(frameText(45), "RunsT", { mjd: "60603.5" });
    await calibrate(id);
    const first = await currentRun(id);
    const q = (
      await t.call(
        "POST",
        "/calibration/recalibrate/",
        { dataproduct_ids: [id], filter: "GaiaSP/B" },
        staff.token,
      )
    ).json().Success;
    await calibrate(id, q.runs[0]);
    const owner = new WebClient(t.app);
    await owner.login("alice", alice.password);
    const page = await owner.get(`/dataproducts/${id}/`);
    expect(page.statusCode).toBe(200);
    const text = pageText(page.body);
    expect(text).toContain("Calibration runs");
    expect(text).toMatch(/ΔZP/);
    expect(page.body).not.toContain(`action="/dataproducts/${id}/use-run/"`);
    const admin = new WebClient(t.app);
    await admin.login("staffer", staff.password);
    const staffPage = await admin.get(`/dataproducts/${id}/`);
    expect(staffPage.body).toContain(`action="/dataproducts/${id}/use-run/"`);
    expect((await owner.post(`/dataproducts/${id}/use-run/`, { run: String(first) })).statusCode).toBe(403);
    const res = await admin.post(`/dataproducts/${id}/use-run/`, { run: String(first) });
    expect(res.statusCode).toBe(303);
    expect(await currentRun(id)).toBe(first);
    const [point] = await t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, id));
    expect(point.calibrationRunId).toBe(first);
    const link = await owner.get(`/datums/${point.id}/`);
    expect(link.statusCode).toBe(303);
    expect(link.headers.location).toBe(`/dataproducts/${id}/`);
  });

  it("camera health: a frame with 1 mag of injected cloud extinction is flagged on its run and point; the camera's night is summarised", async () => {
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "HealthObs", lon: 20, lat: 50 })
      .returning();
    await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: "HealthObs_Cam", activeFlg: true });
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      const cloudy = i === 7;
      const id = await upload(frameText(2000 + i, cloudy ? ZP + 1 : ZP), "RunsT", {
        observatory: "HealthObs_Cam",
        mjd: String(60800 + i / 100),
        filter: "GaiaSP/V",
      });
      await calibrate(id);
      ids.push(id);
    }
    const runs = await t.tdb.database.db
      .select()
      .from(calibrationRuns)
      .where(inArray(calibrationRuns.dataProductId, ids))
      .orderBy(asc(calibrationRuns.dataProductId));
    expect(runs.map((r) => r.status)).toEqual(Array(10).fill("S"));
    expect(runs.map((r) => r.qualityFlag)).toEqual(ids.map((_, i) => (i === 7 ? "low_zeropoint" : null)));
    const [cloudyPoint] = await t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, ids[7]));
    expect(cloudyPoint.qualityFlag).toBe("low_zeropoint");

    const res = await t.call(
      "POST",
      "/observatory/camera-health/",
      { oname: "HealthObs_Cam", mjd_min: 60799, mjd_max: 60801 },
      bob.token,
    );
    expect(res.statusCode, res.body).toBe(200);
    const health = res.json();
    expect(health).toMatchObject({ uploads: 10, fraction_calibrated: 1, fraction_failed: 0, flagged: 1 });
    expect(health.frames[7]).toMatchObject({ dataproduct: ids[7], quality_flag: "low_zeropoint" });
    expect(health.frames[7].zeropoint - health.frames[6].zeropoint).toBeCloseTo(1, 1);
    expect(health.frames[0].stars_matched).toBeGreaterThan(10);
    expect(
      (await t.call("POST", "/observatory/camera-health/", { oname: "Nope_Cam" }, bob.token)).statusCode,
    ).toBe(404);
  });
});
