/** The calibration worker on a synthetic field with known truth: upload → calibrate → light-curve point. */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeField, makeFrame, type SynthFrame } from "../src/astro/synth/catalog.ts";
import { calibrationBands, calibrations, dataProducts, reducedDatums } from "../src/db/schema/index.ts";
import pino from "pino";
import { calibrateDataProduct } from "../src/domain/calibration/dataproduct.ts";
import type { ReferenceProvider } from "../src/domain/calibration/pipeline.ts";
import { startWorkers } from "../src/jobs/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart, uploadProduct } from "./helpers/multipart.ts";
import { seedField } from "./helpers/field.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";

const TARGET = { raDeg: 150.02, decDeg: 2.01, mag: 16.2 };
const ZP = 24.3;

/** The CCDPhot 7-column layout with an ASCII_HEAD header. */
function catalogueText(frame: SynthFrame): string {
  const c = frame.catalogue;
  return ccdphotCatalogue(c);
}

describe.each(ENGINES)("calibration worker on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  const field = makeField({ seed: 5, nStars: 400, centerRaDeg: 150, centerDecDeg: 2, halfWidthDeg: 0.1 });
  const provider: ReferenceProvider = { cone: async () => field.reference };
  const frame = makeFrame(field, { seed: 6, zp: ZP, target: { ...TARGET, forced: false } });

  const upload = async (content: string, extra: Record<string, string> = {}) => {
    return uploadProduct(
      t.app,
      alice.token,
      {
        target: "SynthT",
        data_product_type: "photometry",
        observatory: "Synth_Cam",
        mjd: "60500.25",
        filter: "GaiaSP/V",
        ...extra,
      },
      [{ name: "frame.cat", content }],
    );
  };
  const run = (id: number) => calibrateDataProduct(t.tdb.database, id, { dataDir: t.tdb.dataDir, provider });
  const pointsOf = (id: number) =>
    t.tdb.database.db.select().from(reducedDatums).where(eq(reducedDatums.dataProductId, id));

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true, referenceProvider: provider });
    alice = await t.user("alice");
    await seedField(t, alice.token, {
      target: "SynthT",
      ra: TARGET.raDeg,
      dec: TARGET.decDeg,
      observatory: "Synth",
      cameras: [{ cameraName: "Cam" }],
    });
  });
  afterAll(async () => t.close());

  it("a queued catalogue becomes a calibrated point: status S, the injected magnitude within 3σ", async () => {
    const id = await upload(catalogueText(frame));
    await run(id);
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
    expect(dp.status).toBe("S");
    expect(dp.statusMessage).toMatch(/^Calibrated 16\.\d{3} in GaiaSP\/V$/);
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    expect(cal).toMatchObject({
      status: "S",
      survey: "GaiaSP",
      bestFilter: "V",
      numberTries: 1,
      mjd: 60500.25,
    });
    expect(Math.abs((cal.zeropoint as number) - ZP)).toBeLessThan(0.01);
    expect(Math.abs((cal.mag as number) - TARGET.mag)).toBeLessThan(3 * (cal.magError as number));
    expect(cal.processingTime).toBeGreaterThan(0);
    const bands = await t.tdb.database.db
      .select()
      .from(calibrationBands)
      .where(eq(calibrationBands.calibrationId, cal.id));
    expect(bands.filter((b) => b.chosen).map((b) => b.band)).toEqual(["V"]);
    const points = await pointsOf(id);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({
      filter: "V(GaiaSP)",
      facility: "Synth",
      observer: "alice",
      mjd: 60500.25,
      sourceLocation: "cpcs",
    });
    expect(points[0].value).toBeCloseTo(cal.mag as number, 10);
    const [target] = (await t.call("POST", "/targets/getTargetList/", { name: "SynthT" }, alice.token)).json()
      .data;
    expect(target).toMatchObject({ mjd_last: 60500.25, filter_last: "V(GaiaSP)" });
    // re-running the job replaces the result: still one point, a second try counted
    await run(id);
    expect(await pointsOf(id)).toHaveLength(1);
    const [again] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    expect(again.numberTries).toBe(2);
  });

  it("a dry run calibrates and stores the result but adds no point", async () => {
    const frame2 = makeFrame(field, { seed: 9, zp: ZP, target: { ...TARGET, forced: false } });
    const id = await upload(catalogueText(frame2), { dry_run: "True", mjd: "60501.5" });
    await run(id);
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    expect(cal.status).toBe("S");
    expect(await pointsOf(id)).toEqual([]);
  });

  it("a target absent from the frame gives a limit (mag_error −1)", async () => {
    const frame3 = makeFrame(field, { seed: 10, zp: ZP });
    const id = await upload(catalogueText(frame3), { mjd: "60502.5" });
    await run(id);
    const [point] = await pointsOf(id);
    expect(point.error).toBe(-1);
  });

  it("an unreadable catalogue ends in status E with a message", async () => {
    const id = await upload("this is not a catalogue\n1 2 3\n", { mjd: "60503.5" });
    await run(id);
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
    expect(dp.status).toBe("E");
    expect(dp.statusMessage).toMatch(/^catalogue: /);
    expect(await pointsOf(id)).toEqual([]);
  });

  it("one pipeline: /calibFile/ answers exactly the numbers the worker stores for the same catalogue", async () => {
    const text = catalogueText(makeFrame(field, { seed: 14, zp: ZP, target: { ...TARGET, forced: false } }));
    const id = await upload(text, { mjd: "60505.5", match_dist: "2.5" });
    await run(id);
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    const { payload, contentType } = multipart(
      { ra: String(TARGET.raDeg), dec: String(TARGET.decDeg), filter: "GaiaSP/V", match_dist: "2.5" },
      [{ field: "photometry_file", name: "frame.cat", content: text }],
    );
    const res = await t.app.inject({
      method: "POST",
      url: "/calibFile/",
      headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
      payload,
    });
    expect(res.statusCode, res.body).toBe(200);
    const now = res.json();
    expect(cal.status).toBe("S");
    expect({
      mag: now.mag,
      mag_error: now.mag_error,
      zeropoint: now.zeropoint,
      zeropoint_err: now.zeropoint_err,
      scatter: now.scatter,
      npoints: now.npoints,
      best_filter: now.best_filter,
      match_distans: now.match_distans,
    }).toEqual({
      mag: cal.mag,
      mag_error: cal.magError,
      zeropoint: cal.zeropoint,
      zeropoint_err: cal.zeropointErr,
      scatter: cal.scatter,
      npoints: cal.npoints,
      best_filter: cal.bestFilter,
      match_distans: cal.matchDist,
    });
    expect(now.match_distans).toBe(2.5);
  });

  it("through the queue: the worker started by the server processes an upload on its own", async () => {
    // Its own workers, stopped at the end: no later test shares them (a restart below would race them).
    const workers = await startWorkers(t.queue!, t.tdb.database, {
      concurrency: 1,
      logger: pino({ level: "silent" }),
      dataDir: t.tdb.dataDir,
      provider,
    });
    try {
      const frame5 = makeFrame(field, { seed: 21, zp: ZP, target: { ...TARGET, forced: false } });
      const id = await upload(catalogueText(frame5), { mjd: "60510.5" });
      const deadline = Date.now() + 30_000;
      let status = "C";
      while (status !== "S" && status !== "E" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await t.call("POST", "/common/api/data/", { id }, alice.token)).json().data[0].status;
      }
      expect(status).toBe("S");
      expect(await pointsOf(id)).toHaveLength(1);
    } finally {
      await workers.stop();
    }
  });

  describe("results and restarts", () => {
    let id: number;
    let bob: TestUser;
    let root: TestUser;
    let staff: TestUser;
    beforeAll(async () => {
      bob = await t.user("bob");
      root = await t.user("root", { superuser: true });
      staff = await t.user("staffer", { staff: true });
      const frame4 = makeFrame(field, { seed: 12, zp: ZP, target: { ...TARGET, forced: false } });
      id = await upload(catalogueText(frame4), { mjd: "60504.5" });
      await run(id);
    });
    const res = (body: Record<string, unknown>, who: TestUser) =>
      t.call("POST", "/calibration/get-calibration-res/", body, who.token);

    it("get-calibration-res: the uploader and superusers see the result; others a placeholder; unknown ids an error item", async () => {
      const mine = (await res({ calibid: [id, 999999], getPlot: false }, alice)).json();
      expect(mine).toMatchObject({ count: 2, num_pages: 1, current_page: 1 });
      expect(mine.data[0]).toMatchObject({
        dataproduct: id,
        status: "S",
        survey: "GaiaSP",
        best_filter: "V",
        plot: null,
        match_distans: expect.any(Number),
      });
      expect(mine.data[0].bands.some((b: { chosen: boolean }) => b.chosen)).toBe(true);
      expect(mine.data[0].file_download_link).toMatch(
        new RegExp(`/common/api/downloadPhotometryFile/\\?id=${id}$`),
      );
      expect(mine.data[1]).toEqual({ Error: "File with id 999999 does not exist" });
      expect((await res({ calibid: [id] }, bob)).json().data[0]).toEqual({
        "calib-res": "It's not your data",
        plot: null,
      });
      expect((await res({ calibid: [id] }, root)).json().data[0].dataproduct).toBe(id);
    });

    it("the official script's `files` list and filename substrings work; nothing asked → 400", async () => {
      const byFiles = (await res({ files: [id] }, alice)).json();
      expect(byFiles.data[0].dataproduct).toBe(id);
      const byName = (await res({ filename: ["frame.cat"] }, alice)).json();
      expect(byName.count).toBeGreaterThanOrEqual(1);
      const none = await res({}, alice);
      expect(none.statusCode).toBe(400);
      expect(none.json()).toEqual({ Error: "'calibid' or 'filename' fields are required." });
    });

    it("restart-calib-by-dataproduct (staff) re-queues with a new filter; the next run uses it", async () => {
      expect(
        (
          await t.call(
            "POST",
            "/calibration/restart-calib-by-dataproduct/",
            { data_product_id: id },
            alice.token,
          )
        ).statusCode,
      ).toBe(403);
      const r = await t.call(
        "POST",
        "/calibration/restart-calib-by-dataproduct/",
        { data_product_id: id, filter: "GaiaSP/B", match_dist: 1.5 },
        staff.token,
      );
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ Success: { restarted: 1, ids: [id] } });
      const [queued] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
      expect(queued).toMatchObject({ filter: "GaiaSP/B", matchDist: 1.5, status: "C" });
      await run(id);
      const [cal] = await t.tdb.database.db
        .select()
        .from(calibrations)
        .where(eq(calibrations.dataProductId, id));
      expect(cal).toMatchObject({ bestFilter: "B", filterRequest: "GaiaSP/B", matchDist: 1.5 });
      expect(await pointsOf(id)).toHaveLength(1);
      expect((await pointsOf(id))[0].filter).toBe("B(GaiaSP)");
    });

    it("restart by target and by id range select the documented rows; bad input → 400", async () => {
      const byTarget = (
        await t.call(
          "POST",
          "/calibration/restart-calib-by-target/",
          { target_name: "SynthT", mjd_min: 60504, mjd_max: 60505 },
          staff.token,
        )
      ).json();
      expect(byTarget.Success.ids).toEqual([id]);
      const [cal] = await t.tdb.database.db
        .select()
        .from(calibrations)
        .where(eq(calibrations.dataProductId, id));
      const byId = (
        await t.call(
          "POST",
          "/calibration/restart-calib-by-id/",
          { id_from: cal.id, id_to: cal.id },
          staff.token,
        )
      ).json();
      expect(byId.Success.ids).toEqual([id]);
      expect(
        (await t.call("POST", "/calibration/restart-calib-by-target/", {}, staff.token)).statusCode,
      ).toBe(400);
      expect(
        (
          await t.call(
            "POST",
            "/calibration/restart-calib-by-dataproduct/",
            { data_product_id: id, filter: "Foo/Bar" },
            staff.token,
          )
        ).statusCode,
      ).toBe(400);
    });
  });
});
