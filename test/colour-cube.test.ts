/**
 * Issue 18's last two items through the API: a debayered colour cube (NAXIS3 = 3, planes R, G, B) is
 * split by the FITS job into three channels, each calibrated to its camera's bayer_bands band → three
 * points within 3σ of the injected magnitudes (an ordinary 2-D frame of the same sky still gives one);
 * and a camera's `colour_index` (here BP-RP) is validated, shown, and used by its V frames' colour term.
 */
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFits } from "../src/astro/fits/write.ts";
import { makeField } from "../src/astro/synth/catalog.ts";
import { makeColourCube } from "../src/astro/synth/bayer.ts";
import { calibrationRuns, calibrations, dataProducts, reducedDatums } from "../src/db/schema/index.ts";
import { processDataProduct } from "../src/domain/dataproducts/process.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { uploadProduct } from "./helpers/multipart.ts";
import { seedField } from "./helpers/field.ts";

const TARGET = { raDeg: 150.01, decDeg: 1.99, v: 15.1, bv: 1.1 };
const SIZE = 512;

/** One small scene for the whole file: a field with GaiaSP and Gaia DR3 magnitudes, rendered R, V, B. */
const FIELD = makeField({
  seed: 1818,
  nStars: 420,
  centerRaDeg: 150,
  centerDecDeg: 2,
  halfWidthDeg: 0.065,
  magRange: [11, 19],
  surveys: ["GaiaSP", "GaiaDR3"],
});
const scene = makeColourCube({
  seed: 18,
  width: SIZE,
  height: SIZE,
  field: FIELD,
  centerRaDeg: 150,
  centerDecDeg: 2,
  pixelScaleArcsec: 0.8,
  fwhmPx: 3.5,
  zeroPointMag: 26,
  target: TARGET,
});
const BAND = { R: "R(GaiaSP)", G: "V(GaiaSP)", B: "B(GaiaSP)" } as const;

describe.each(ENGINES)("colour cubes and a camera's colour index on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;
  const opts = () => ({ dataDir: t.tdb.dataDir, provider: { cone: async () => FIELD.reference } });

  const upload = async (name: string, content: Uint8Array, oname: string, filter = "GaiaSP/any") => {
    return uploadProduct(
      t.app,
      alice.token,
      { target: "Cube", data_product_type: "fits_file", observatory: oname, filter },
      [{ name, content: Buffer.from(content) }],
    );
  };
  const points = (id: number) =>
    t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, id))
      .orderBy(asc(reducedDatums.filter));
  const calibRes = async (id: number) => {
    const res = await t.call("POST", "/calibration/get-calibration-res/", { calibid: id }, alice.token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().data as Record<string, unknown>[];
  };
  let monoId = 0;

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true });
    alice = await t.user("alice");
    staff = await t.user("staffer", { staff: true });
    await seedField(t, alice.token, {
      target: "Cube",
      ra: TARGET.raDeg,
      dec: TARGET.decDeg,
      observatory: "Cube",
      cameras: [
        { cameraName: "Rgb", gain: 1.5 },
        { cameraName: "Mono", gain: 1.5 },
      ],
    });
  });
  afterAll(async () => t.close());

  it("a 3-plane cube gives three calibrations and three points (R, V, B) within 3σ of the injected magnitudes", async () => {
    const fits = writeFits({
      data: scene.data,
      width: SIZE,
      height: SIZE,
      depth: 3,
      bitpix: -32,
      header: scene.header,
    });
    const id = await upload("rgb.fits", fits, "Cube_Rgb");
    await processDataProduct(t.tdb.database, id, opts());
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
    expect(dp.status, dp.statusMessage).toBe("S");
    expect(dp.statusMessage).toMatch(/R: .*; G: .*; B: /);
    const rows = await points(id);
    expect(rows.map((p) => p.channel).sort()).toEqual(["B", "G", "R"]);
    const lines = rows.map((p) => {
      const c = p.channel as "R" | "G" | "B";
      return `${c} ${p.filter}: ${p.value.toFixed(3)} ± ${p.error.toFixed(3)} (injected ${scene.targetMag![c].toFixed(3)})`;
    });
    console.log(`${engine} colour cube upload: ${lines.join("; ")}`);
    for (const p of rows) {
      const c = p.channel as "R" | "G" | "B";
      expect(p.filter).toBe(BAND[c]);
      expect(Math.abs(p.value - scene.targetMag![c]), lines.join("; ")).toBeLessThan(3 * p.error);
    }
    const items = await calibRes(id);
    expect(items.map((i) => i.channel)).toEqual(["R", "G", "B"]);
    expect(items.map((i) => i.filter_request)).toEqual(["GaiaSP/R", "GaiaSP/V", "GaiaSP/B"]);
    const runs = await t.tdb.database.db
      .select()
      .from(calibrationRuns)
      .where(eq(calibrationRuns.dataProductId, id));
    expect(
      runs
        .filter((r) => r.status === "S")
        .map((r) => r.channel)
        .sort(),
    ).toEqual(["B", "G", "R"]);
  });

  it("an ordinary 2-D frame of the same sky still gives one calibration and one point (colour index B-V)", async () => {
    const g = scene.channels.G;
    const fits = writeFits({
      data: g.data,
      width: g.width,
      height: g.height,
      bitpix: -32,
      header: { ...g.header, FILTER: "V" },
    });
    monoId = await upload("mono.fits", fits, "Cube_Mono", "GaiaSP/V");
    await processDataProduct(t.tdb.database, monoId, opts());
    const cals = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, monoId));
    expect(cals.map((c) => c.channel)).toEqual([""]);
    const rows = await points(monoId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: "", filter: "V(GaiaSP)" });
    expect(Math.abs(rows[0].value - scene.targetMag!.G)).toBeLessThan(3 * rows[0].error);
    const [item] = await calibRes(monoId);
    expect(item.colour_term).toMatchObject({ colour_index: "B-V" });
  });

  it("colour_index: validated on the camera API, shown, and the V frame's recalibration fits k in BP−RP", async () => {
    const patch = (body: unknown) =>
      t.app.inject({
        method: "PATCH",
        url: "/api/cameras/Cube_Mono/",
        headers: { authorization: `Token ${staff.token}` },
        payload: body as object,
      });
    const bad = await patch({ colour_index: "U-B" });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(JSON.stringify(bad.json().colour_index)).toContain("B-V, g-r, BP-RP, J-K");
    const ok = await patch({ colour_index: "bp−rp" });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().colour_index).toBe("BP-RP");
    const r = await t.call(
      "POST",
      "/calibration/restart-calib-by-dataproduct/",
      { data_product_id: monoId },
      staff.token,
    );
    expect(r.statusCode, r.body).toBe(200);
    const [queued] = await t.tdb.database.db
      .select()
      .from(calibrationRuns)
      .where(eq(calibrationRuns.dataProductId, monoId))
      .orderBy(asc(calibrationRuns.id))
      .then((rows) => rows.filter((q) => q.status === "C"));
    await processDataProduct(t.tdb.database, monoId, { ...opts(), runId: queued.id });
    const [item] = await calibRes(monoId);
    const msg = JSON.stringify(item.colour_term);
    console.log(`${engine} V frame, camera colour_index BP-RP: ${msg}`);
    expect(item.colour_term, msg).toMatchObject({ colour_index: "BP-RP", k_source: "fit" });
    const rows = await points(monoId);
    expect(rows).toHaveLength(1);
    expect(Math.abs(rows[0].value - scene.targetMag!.G), msg).toBeLessThan(3 * rows[0].error);
    // null restores each band's own index
    const reset = await patch({ colour_index: null });
    expect(reset.json().colour_index).toBeNull();
  });
});
