/**
 * The calibration plot drawn on first view (src/domain/calibration/plotfile.ts), through the web page and
 * the API: a calibration stores the plot's data, not its PNG; the first request for the PNG (the page's
 * plot.png, get-calibration-res with getPlot) draws and stores it, concurrent first requests included;
 * use-run brings back an earlier run's plot; deleting the data product removes the plot's data and PNG;
 * calibrations from before (PNG only) are served as they were.
 */
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";
import { calibrationRuns, calibrations } from "../src/db/schema/index.ts";
import { calibrateDataProduct } from "../src/domain/calibration/dataproduct.ts";
import type { ReferenceProvider } from "../src/domain/calibration/pipeline.ts";
import { decodePlotData, plotDataPath } from "../src/domain/calibration/plotfile.ts";
import { renderCalibrationPlot } from "../src/plots/calibration.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { seedField } from "./helpers/field.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";
import { ENGINES } from "./helpers/db.ts";
import { uploadProduct } from "./helpers/multipart.ts";
import { WebClient } from "./helpers/web.ts";

const TARGET = { raDeg: 210.02, decDeg: -5.01, mag: 15.8 };

describe.each(ENGINES)("calibration plot drawn on first view on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;
  let web: WebClient;
  const field = makeField({ seed: 31, nStars: 250, centerRaDeg: 210, centerDecDeg: -5, halfWidthDeg: 0.1 });
  const provider: ReferenceProvider = { cone: async () => field.reference };
  const stored = (relative: string) => join(t.tdb.dataDir, relative);

  const upload = async (seed: number, mjd: string) => {
    const text = ccdphotCatalogue(
      makeFrame(field, { seed, zp: 23.9, target: { ...TARGET, forced: false } }).catalogue,
    );
    return uploadProduct(
      t.app,
      alice.token,
      {
        target: "PlotT",
        data_product_type: "photometry",
        observatory: "Plot_Cam",
        mjd,
        filter: "GaiaSP/any",
      },
      [{ name: "frame.cat", content: text }],
    );
  };
  const calibrate = (id: number, runId?: number) =>
    calibrateDataProduct(t.tdb.database, id, { dataDir: t.tdb.dataDir, provider, runId });
  const plotPathOf = async (id: number) => {
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    return cal.calibrationPlot as string;
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true, referenceProvider: provider });
    alice = await t.user("alice");
    staff = await t.user("staffer", { staff: true });
    await seedField(t, alice.token, {
      target: "PlotT",
      ra: TARGET.raDeg,
      dec: TARGET.decDeg,
      observatory: "PlotObs",
      cameras: [{ cameraName: "Cam", prefix: "Plot_Cam" }],
    });
    web = new WebClient(t.app);
    await web.login("alice", alice.password);
  });
  afterAll(async () => t.close());

  it("a calibration stores the plot's data, no PNG; concurrent first views draw one whole PNG, the one its data draws", async () => {
    const id = await upload(51, "60600.25");
    await calibrate(id);
    const png = await plotPathOf(id);
    const [run] = await t.tdb.database.db
      .select()
      .from(calibrationRuns)
      .where(eq(calibrationRuns.dataProductId, id));
    expect(png).toBe(`plots/calibration/${id}-run${run.id}.png`);
    expect(run.calibrationPlot).toBe(png);
    expect(existsSync(stored(png))).toBe(false);
    expect(existsSync(stored(plotDataPath(png)))).toBe(true);

    const views = await Promise.all(Array.from({ length: 4 }, () => web.get(`/dataproducts/${id}/plot.png`)));
    for (const v of views) {
      expect(v.statusCode).toBe(200);
      expect(v.headers["content-type"]).toBe("image/png");
      expect(v.rawPayload).toEqual(views[0].rawPayload);
    }
    const { input, title } = await decodePlotData(readFileSync(stored(plotDataPath(png))));
    expect(title).toBe(`PlotT — data product ${id}, run ${run.id}, MJD 60600.25000`);
    const drawn = Buffer.from(renderCalibrationPlot(input, { format: "png", title }));
    expect(views[0].rawPayload).toEqual(drawn);
    expect(readFileSync(stored(png))).toEqual(drawn);
    expect(readdirSync(stored("plots/calibration")).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("get-calibration-res with getPlot draws a plot nobody has looked at yet; the data URL is the stored PNG", async () => {
    const id = await upload(52, "60600.5");
    await calibrate(id);
    const png = await plotPathOf(id);
    expect(existsSync(stored(png))).toBe(false);
    const res = await t.call(
      "POST",
      "/calibration/get-calibration-res/",
      { calibid: [id], getPlot: true },
      alice.token,
    );
    expect(res.statusCode, res.body).toBe(200);
    const item = res.json().data[0] as { plot: string; calibration_plot: string };
    expect(item.calibration_plot).toBe(png);
    expect(item.plot.startsWith("data:image/png;base64,")).toBe(true);
    expect(Buffer.from(item.plot.slice("data:image/png;base64,".length), "base64")).toEqual(
      readFileSync(stored(png)),
    );
  });

  it("use-run brings back the earlier run's plot (drawn from its data); deleting the data product removes data and PNGs", async () => {
    const id = await upload(53, "60601.25");
    await calibrate(id);
    const first = await plotPathOf(id);
    const firstView = (await web.get(`/dataproducts/${id}/plot.png`)).rawPayload;
    const r = await t.call("POST", "/calibration/recalibrate/", { dataproduct_ids: [id] }, staff.token);
    expect(r.statusCode, r.body).toBe(200);
    await calibrate(id, r.json().Success.runs[0]);
    const second = await plotPathOf(id);
    expect(second).not.toBe(first);
    const secondView = (await web.get(`/dataproducts/${id}/plot.png`)).rawPayload;
    expect(secondView).not.toEqual(firstView); // the title names the run
    rmPng(first); // as if nobody had looked at the first run's plot
    const [firstRun] = await t.tdb.database.db
      .select({ id: calibrationRuns.id })
      .from(calibrationRuns)
      .where(eq(calibrationRuns.calibrationPlot, first));
    const u = await t.call("POST", "/calibration/use-run/", { run: firstRun.id }, staff.token);
    expect(u.statusCode, u.body).toBe(200);
    expect(await plotPathOf(id)).toBe(first);
    expect((await web.get(`/dataproducts/${id}/plot.png`)).rawPayload).toEqual(firstView);

    const files = [first, plotDataPath(first), second, plotDataPath(second)];
    for (const f of files) expect(existsSync(stored(f)), f).toBe(true);
    const del = await t.call("DELETE", "/common/api/deleteDataProduct/", { id }, alice.token);
    expect(del.statusCode, del.body).toBe(200);
    for (const f of files) expect(existsSync(stored(f)), f).toBe(false);
  });

  it("a calibration from before (its PNG stored, no plot data) is served as it was", async () => {
    const id = await upload(54, "60601.5");
    await calibrate(id);
    const png = await plotPathOf(id);
    rmData(png);
    writeFileSync(stored(png), "an old PNG");
    const view = await web.get(`/dataproducts/${id}/plot.png`);
    expect(view.statusCode).toBe(200);
    expect(view.body).toBe("an old PNG");
    rmPng(png);
    expect((await web.get(`/dataproducts/${id}/plot.png`)).statusCode).toBe(404);
  });

  const rmPng = (png: string) => rmFile(stored(png));
  const rmData = (png: string) => rmFile(stored(plotDataPath(png)));
});

function rmFile(path: string): void {
  unlinkSync(path);
}
