/**
 * Deleting leaves nothing behind in the data directory: deleteTarget removes every file of the target's
 * data products (uploads, instrumental catalogues, calibration plots, FITS previews) and its cached
 * downloads; deleteDataProduct removes the files of that data product. The data directory is listed
 * before the target existed and after it is deleted.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { calibrations, cameras, dataProducts, fitsJobs, observatories } from "../src/db/schema/index.ts";
import { setDownloadCacheMinPoints } from "../src/domain/downloads/file-cache.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { type FilePart, uploadProduct } from "./helpers/multipart.ts";

/** Every file and folder (with a trailing "/") under the data directory except the database's own. */
function dataFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out.push(`${p.slice(dir.length + 1)}/`);
        walk(p);
      } else out.push(p.slice(dir.length + 1));
    }
  };
  walk(dir);
  // Shared folders (made on first use, kept for everyone) are not the target's: leave them out.
  const shared = (p: string) =>
    /^[^/]+\/$/.test(p) || ["cache/downloads/", "plots/calibration/", "plots/fits/"].includes(p);
  return out
    .filter((p) => !/^(pg|tmp)\//.test(p) && p !== "skytom.pid" && !p.startsWith(".s.PGSQL") && !shared(p))
    .sort();
}

const CATALOGUE =
  "#   1 NUMBER\n#   2 ALPHA_J2000\n#   3 DELTA_J2000\n#   4 MAG_AUTO\n#   5 MAGERR_AUTO\n 1 150.0 2.0 13.4 0.01\n";

describe.each(ENGINES)("deleting leaves no file behind on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;

  const upload = async (fields: Record<string, string>, files: FilePart[]) => {
    return uploadProduct(t.app, alice.token, fields, files);
  };

  /** What the calibration and FITS workers write for a data product: a plot, a preview, a catalogue. */
  const simulateProcessing = async (id: number) => {
    const db = t.tdb.database.db;
    const [dp] = await db.select().from(dataProducts).where(eq(dataProducts.id, id));
    const files = {
      plot: `plots/calibration/${id}.png`,
      preview: `plots/fits/${id}.png`,
      catalogue: dp.data.replace(/\/[^/]+$/, `/${id}_catalogue.dat`),
    };
    for (const f of Object.values(files)) {
      mkdirSync(dirname(join(t.tdb.dataDir, f)), { recursive: true });
      writeFileSync(join(t.tdb.dataDir, f), `made for ${id}`);
    }
    await db
      .insert(calibrations)
      .values({ dataProductId: id, status: "S", mjd: 60002.5, calibrationPlot: files.plot });
    await db.insert(fitsJobs).values({ dataProductId: id, status: "D", previewPng: files.preview });
    await db.update(dataProducts).set({ photometryData: files.catalogue }).where(eq(dataProducts.id, id));
    return files;
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true });
    alice = await t.user("alice");
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "ROAD", lon: 1, lat: 1 })
      .returning();
    await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "CAM", prefix: "ROAD_CAM", activeFlg: true });
    // A neighbour whose files must survive.
    await t.call("POST", "/targets/createTarget/", { name: "Neighbour", ra: 200, dec: 10 }, alice.token);
    await upload({ target: "Neighbour", data_product_type: "photometry_csv", observatory: "X" }, [
      { name: "n.csv", content: "time,filter,magnitude,error\n60000,R,12,0.1\n" },
    ]);
    setDownloadCacheMinPoints(1);
  });
  afterEach(() => setDownloadCacheMinPoints());
  afterAll(async () => t.close());

  it("deleteTarget: the data directory is as it was before the target was created", async () => {
    const before = dataFiles(t.tdb.dataDir);
    await t.call("POST", "/targets/createTarget/", { name: "Doomed", ra: 100, dec: 10 }, alice.token);
    await upload({ target: "Doomed", data_product_type: "photometry_csv", observatory: "GOTO" }, [
      { name: "lc.csv", content: "time,filter,magnitude,error\n60000,V,15,0.1\n60001,V,15.5,0.1\n" },
    ]);
    const cat = await upload(
      { target: "Doomed", data_product_type: "photometry", observatory: "ROAD_CAM", mjd: "60002.5" },
      [{ name: "frame.cat", content: CATALOGUE }],
    );
    const made = await simulateProcessing(cat);
    const csv = await t.call("POST", "/targets/download-photometry/", { name: "Doomed" }, alice.token);
    expect(csv.statusCode).toBe(200);
    const during = dataFiles(t.tdb.dataDir);
    expect(during).toEqual(expect.arrayContaining(Object.values(made)));
    expect(during.some((f) => f.startsWith("cache/downloads/"))).toBe(true);
    expect(during.length).toBeGreaterThan(before.length + 4);

    const res = await t.call("DELETE", "/targets/deleteTarget/", { name: "Doomed" }, alice.token);
    expect(res.statusCode).toBe(200);
    expect(dataFiles(t.tdb.dataDir)).toEqual(before);
  });

  it("deleteDataProduct: the data product's upload, catalogue, plot and preview go; the rest stays", async () => {
    await t.call("POST", "/targets/createTarget/", { name: "Kept", ra: 120, dec: 10 }, alice.token);
    const before = dataFiles(t.tdb.dataDir);
    const cat = await upload(
      { target: "Kept", data_product_type: "photometry", observatory: "ROAD_CAM", mjd: "60003.5" },
      [{ name: "frame2.cat", content: CATALOGUE }],
    );
    await simulateProcessing(cat);
    expect(dataFiles(t.tdb.dataDir).filter((f) => !f.endsWith("/")).length).toBe(
      before.filter((f) => !f.endsWith("/")).length + 4,
    );
    const res = await t.call("DELETE", "/common/api/deleteDataProduct/", { id: cat }, alice.token);
    expect(res.statusCode).toBe(200);
    expect(dataFiles(t.tdb.dataDir)).toEqual(before);
  });
});
