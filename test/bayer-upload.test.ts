/**
 * One-shot-colour (Bayer) uploads through the API (issue 18): an RGGB frame → the FITS job splits it into
 * R, G and B → three calibrations (R → GaiaSP/R, G → GaiaSP/V, B → GaiaSP/B), three runs, three
 * light-curve points within 3σ of the injected magnitudes; an ordinary frame still gives one; a restart
 * gives three new runs and again one point per channel.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFits } from "../src/astro/fits/write.ts";
import { makeBayerImage, type BayerImage } from "../src/astro/synth/bayer.ts";
import { calibrationRuns, calibrations, dataProducts, reducedDatums } from "../src/db/schema/index.ts";
import { processDataProduct } from "../src/domain/dataproducts/process.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { uploadProduct } from "./helpers/multipart.ts";
import { seedField } from "./helpers/field.ts";
import { WebClient } from "./helpers/web.ts";

const TARGET = { raDeg: 150.01, decDeg: 1.99, v: 15.1, bv: 1.1 };

/** One small RGGB scene for the whole file (768² mosaic → 384² channels). */
const scene: BayerImage = makeBayerImage({
  seed: 5,
  width: 768,
  height: 768,
  nStars: 450,
  magRange: [11, 19],
  centerRaDeg: 150,
  centerDecDeg: 2,
  pixelScaleArcsec: 0.8,
  fwhmPx: 4,
  zeroPointMag: 26,
  pattern: "RGGB",
  target: TARGET,
});
const reference = scene.channels.G.field.reference;
const BAND = { R: "R(GaiaSP)", G: "V(GaiaSP)", B: "B(GaiaSP)" } as const;

describe.each(ENGINES)("one-shot-colour uploads on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;
  const opts = () => ({ dataDir: t.tdb.dataDir, provider: { cone: async () => reference } });

  const upload = async (name: string, content: Uint8Array, oname: string, filter = "GaiaSP/any") => {
    return uploadProduct(
      t.app,
      alice.token,
      { target: "Osc", data_product_type: "fits_file", observatory: oname, filter },
      [{ name, content: Buffer.from(content) }],
    );
  };
  const points = (id: number) =>
    t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, id))
      .orderBy(asc(reducedDatums.filter));
  /** Each point within 3σ of the channel's injected magnitude; the lines for the message. */
  const checkTruth = (rows: (typeof reducedDatums.$inferSelect)[]) => {
    const lines = rows.map((p) => {
      const c = p.channel as "R" | "G" | "B";
      return `${c} ${p.filter}: ${p.value.toFixed(3)} ± ${p.error.toFixed(3)} (injected ${scene.targetMag![c].toFixed(3)})`;
    });
    for (const p of rows) {
      const c = p.channel as "R" | "G" | "B";
      expect(p.filter).toBe(BAND[c]);
      expect(Math.abs(p.value - scene.targetMag![c]), lines.join("; ")).toBeLessThan(3 * p.error);
    }
    return lines;
  };
  let oscId = 0;

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true });
    alice = await t.user("alice");
    staff = await t.user("staffer", { staff: true });
    await seedField(t, alice.token, {
      target: "Osc",
      ra: TARGET.raDeg,
      dec: TARGET.decDeg,
      observatory: "Osc",
      cameras: [
        { cameraName: "S50", gain: 1.5 },
        { cameraName: "Mono", gain: 1.5 },
      ],
    });
  });
  afterAll(async () => t.close());

  it("an RGGB frame gives three calibrations and three points (R, V, B) within 3σ of the injected magnitudes", async () => {
    const fits = writeFits({ data: scene.data, width: 768, height: 768, bitpix: -32, header: scene.header });
    oscId = await upload("osc.fits", fits, "Osc_S50");
    await processDataProduct(t.tdb.database, oscId, opts());
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, oscId));
    expect(dp.status, dp.statusMessage).toBe("S");
    expect(dp.statusMessage).toMatch(/R: .*; G: .*; B: /);
    const rows = await points(oscId);
    expect(rows.map((p) => p.channel).sort()).toEqual(["B", "G", "R"]);
    console.log(`${engine} RGGB upload: ${checkTruth(rows).join("; ")}`);
    // get-calibration-res: one item per channel, R, G, B, each with its own run
    const res = await t.call("POST", "/calibration/get-calibration-res/", { calibid: oscId }, alice.token);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().data as Record<string, unknown>[];
    expect(items.map((i) => i.channel)).toEqual(["R", "G", "B"]);
    expect(items.map((i) => i.filter_request)).toEqual(["GaiaSP/R", "GaiaSP/V", "GaiaSP/B"]);
    expect(new Set(items.map((i) => i.calibration_run)).size).toBe(3);
    const run = await t.call("POST", "/calibration/get-run/", { run: items[0].calibration_run }, alice.token);
    expect(run.json()).toMatchObject({ channel: "R", current: true, status: "S" });
    // the data product page lists each channel's result with its plot
    const web = new WebClient(t.app);
    await web.login("alice", alice.password);
    const page = await web.get(`/dataproducts/${oscId}/`);
    expect(page.statusCode).toBe(200);
    for (const c of ["R", "G", "B"]) expect(page.body).toContain(`plot.png?channel=${c}`);
    const plot = await web.get(`/dataproducts/${oscId}/plot.png?channel=B`);
    expect(plot.statusCode).toBe(200);
    expect(plot.headers["content-type"]).toMatch(/png/);
  });

  it("bayer_bands: validated on the camera API, shown with the camera, and used by the next calibration", async () => {
    const patch = (body: unknown) =>
      t.app.inject({
        method: "PATCH",
        url: "/api/cameras/Osc_Mono/",
        headers: { authorization: `Token ${staff.token}` },
        payload: body as object,
      });
    for (const [bad, why] of [
      [{ R: "GaiaSP/any" }, /more than one band/],
      [{ R: "GaiaSP/V", G: "GaiaSP/V" }, /each channel its own band/],
      [{ X: "GaiaSP/V" }, /not a channel/],
      ["{oops", /not JSON/],
    ] as const) {
      const r = await patch({ bayer_bands: bad });
      expect(r.statusCode, r.body).toBe(400);
      expect(JSON.stringify(r.json().bayer_bands), r.body).toMatch(why);
    }
    const ok = await patch({ bayer_bands: { R: "GaiaSP/r", G: "GaiaSP/g" } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().bayer_bands).toEqual({ R: "GaiaSP/r", G: "GaiaSP/g" });
    const reset = await patch({ bayer_bands: null });
    expect(reset.json().bayer_bands).toEqual({ R: "GaiaSP/R", G: "GaiaSP/V", B: "GaiaSP/B" });
  });

  it("an ordinary frame of the same sky still gives one calibration and one point", async () => {
    const g = scene.channels.G;
    const fits = writeFits({
      data: g.data,
      width: g.width,
      height: g.height,
      bitpix: -32,
      header: { ...g.header, FILTER: "V" },
    });
    const id = await upload("mono.fits", fits, "Osc_Mono", "GaiaSP/V");
    await processDataProduct(t.tdb.database, id, opts());
    const cals = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    expect(cals.map((c) => c.channel)).toEqual([""]);
    const rows = await points(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: "", filter: "V(GaiaSP)" });
    expect(Math.abs(rows[0].value - scene.targetMag!.G)).toBeLessThan(3 * rows[0].error);
  });

  it("a restart gives three new runs and one point per channel (no duplicates)", async () => {
    const before = (await points(oscId)).map((p) => p.calibrationRunId);
    const r = await t.call(
      "POST",
      "/calibration/restart-calib-by-dataproduct/",
      { data_product_id: oscId },
      staff.token,
    );
    expect(r.statusCode, r.body).toBe(200);
    const queued = await t.tdb.database.db
      .select()
      .from(calibrationRuns)
      .where(and(eq(calibrationRuns.dataProductId, oscId), inArray(calibrationRuns.status, ["C"])));
    expect(queued.map((q) => q.channel).sort()).toEqual(["B", "G", "R"]);
    expect(queued.every((q) => q.reason === "restart")).toBe(true);
    for (const q of queued) await processDataProduct(t.tdb.database, oscId, { ...opts(), runId: q.id });
    const rows = await points(oscId);
    expect(rows).toHaveLength(3);
    expect(rows.map((p) => p.calibrationRunId).sort()).toEqual(queued.map((q) => q.id).sort());
    expect(rows.some((p) => before.includes(p.calibrationRunId))).toBe(false);
    checkTruth(rows);
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, oscId));
    expect(dp.status, dp.statusMessage).toBe("S");
  });
});
