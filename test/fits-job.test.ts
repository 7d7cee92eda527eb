/** Upload → FITS job → catalogue → calibration → light-curve point, on the independent fixture frame. */
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  observatories,
  reducedDatums,
} from "../src/db/schema/index.ts";
import { processFits } from "../src/domain/dataproducts/fits.ts";
import { readFitsFile } from "../src/astro/fits/file.ts";
import { writeFits } from "../src/astro/fits/write.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { uploadProduct } from "./helpers/multipart.ts";
import { FIELD_DIR, fixtureReference, WCS_KEYWORDS } from "./helpers/fixtures.ts";

const FIXTURE = FIELD_DIR;

describe("FITS job on the fixture frame (pglite)", () => {
  let t: TestApp;
  let alice: TestUser;
  const upload = async (name: string, content: Buffer) => {
    return uploadProduct(
      t.app,
      alice.token,
      { target: "Fixture", data_product_type: "fits_file", observatory: "Sim_Cam", filter: "GaiaSP/V" },
      [{ name, content }],
    );
  };

  beforeAll(async () => {
    t = await createTestApp("pglite", { queue: true });
    alice = await t.user("alice");
    await t.call("POST", "/targets/createTarget/", { name: "Fixture", ra: 150.012, dec: 1.991 }, alice.token);
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "Sim", lon: -70.4, lat: -30.2, altitude: 2500 })
      .returning();
    await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: "Sim_Cam", activeFlg: true });
  });
  afterAll(async () => t.close());

  it("measures the image, calibrates in V and puts the target on the light curve at 15.80 within 3σ", async () => {
    const id = await upload("frame.fits", readFileSync(`${FIXTURE}/frame-f32.fits`));
    const reference = fixtureReference();
    await processFits(t.tdb.database, id, {
      dataDir: t.tdb.dataDir,
      provider: { cone: async () => reference },
    });
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
    expect(dp.status, dp.statusMessage).toBe("S");
    expect(dp.photometryData).toMatch(/_catalogue\.dat$/);
    const [job] = await t.tdb.database.db.select().from(fitsJobs).where(eq(fitsJobs.dataProductId, id));
    expect(job).toMatchObject({ status: "D", fitsExp: 90, fitsFilter: "V", fitsToiifov: true });
    expect(job.fitsMjd).toBeCloseTo(60748 + 5070.6 / 86400, 8);
    expect(job.fitsFwhmAv).toBeGreaterThan(2.5);
    expect(job.fitsFwhmAv).toBeLessThan(3.5);
    expect(job.fitsPixscale).toBeCloseTo(0.8, 6);
    expect(job.fitsNumstars).toBeGreaterThan(50);
    expect(job.previewPng).toBe(`plots/fits/${id}.png`);
    expect(readFileSync(`${t.tdb.dataDir}/${job.previewPng}`).subarray(1, 4).toString()).toBe("PNG");
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    const [point] = await t.tdb.database.db
      .select()
      .from(reducedDatums)
      .where(eq(reducedDatums.dataProductId, id));
    expect(point.filter).toBe("V(GaiaSP)");
    expect(Math.abs(point.value - 15.8)).toBeLessThan(3 * point.error);
    expect(cal.bestFilter).toBe("V");
    expect(cal.expTime).toBe(90);
    // The limiting magnitude is in the calibrated system (instrumental 5σ limit − zero point): fainter
    // than the measured target, and within the range of a 90 s frame.
    expect(job.fitsGlim).toBeGreaterThan(point.value);
    expect(job.fitsGlim).toBeLessThan(25);
    // The observing geometry for the site: airmass follows the altitude (plane-parallel 1/sin h within
    // 1 % above 30°), distances and the Moon's illuminated fraction in their ranges.
    const altDeg = job.fitsAltitude as number;
    expect(altDeg).toBeGreaterThan(30);
    expect((job.fitsAirmass as number) * Math.sin((altDeg * Math.PI) / 180)).toBeCloseTo(1, 2);
    expect(job.fitsSundist).toBeGreaterThanOrEqual(0);
    expect(job.fitsSundist).toBeLessThanOrEqual(180);
    expect(job.fitsMoonfrac).toBeGreaterThanOrEqual(0);
    expect(job.fitsMoonfrac).toBeLessThanOrEqual(1);
    // the catalogue the job measured can be downloaded
    const file = await t.call("POST", "/common/api/downloadPhotometryFile/", { id }, alice.token);
    expect(file.statusCode).toBe(200);
    expect(file.body).toMatch(/^#\s+1 NUMBER/);
  });

  it("an image without a WCS is solved blind from the camera's pixel scale and the target position", async () => {
    const img = await readFitsFile(`${FIXTURE}/frame-f32.fits`);
    for (const k of [...WCS_KEYWORDS, "RA", "DEC"]) {
      img.header.delete(k);
    }
    const bytes = writeFits({
      data: img.data,
      width: img.width,
      height: img.height,
      bitpix: -32,
      header: img.header,
    });
    const id = await upload("nowcs.fits", Buffer.from(bytes));
    const reference = fixtureReference();
    await processFits(t.tdb.database, id, {
      dataDir: t.tdb.dataDir,
      provider: { cone: async () => reference },
    });
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
    expect(dp.status, dp.statusMessage).toBe("S");
    const [job] = await t.tdb.database.db.select().from(fitsJobs).where(eq(fitsJobs.dataProductId, id));
    expect(job.statusMessage).toMatch(/WCS solved \(\d+ stars, 0\.\d\d″ rms\)/);
    expect(job.fitsPixscale).toBeCloseTo(0.8, 3);
    // Same pixels as the first test: the point is the same observation (deduplicated); check the calibration.
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    expect(cal.status).toBe("S");
    expect(Math.abs((cal.mag as number) - 15.8)).toBeLessThan(3 * (cal.magError as number));
  });

  it("BHTOM's FITS fields are written: fits_data (the image), fits_webp (its preview), fits_observat (OBSERVAT)", async () => {
    const img = await readFitsFile(`${FIXTURE}/frame-f32.fits`);
    img.header.set("OBSERVAT", "Sim Observatory");
    img.header.set("MJD-OBS", 60749.1); // another night than the other tests' frames
    const bytes = writeFits({
      data: img.data,
      width: img.width,
      height: img.height,
      bitpix: -32,
      header: img.header,
    });
    const id = await upload("observat.fits", Buffer.from(bytes));
    await processFits(t.tdb.database, id, {
      dataDir: t.tdb.dataDir,
      provider: { cone: async () => fixtureReference() },
    });
    const listed = await t.call("POST", "/common/api/data/", { fits_data: "observat" }, alice.token);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().count).toBe(1);
    const item = listed.json().data[0];
    expect(item).toMatchObject({ id, fits_webp: `plots/fits/${id}.png`, product_id: null, thumbnail: null });
    expect(item.fits_data).toBe(item.data);
    expect(item.fits_data).toMatch(/observat\.fits$/);
    expect(item.ccdphot_result.fits_observat).toBe("Sim Observatory");
  });

  it("corrupt FITS ends in status E with a message that says what is wrong", async () => {
    const good = readFileSync(`${FIXTURE}/frame-f32.fits`);
    const id = await upload("truncated.fits", good.subarray(0, 20_000));
    await processFits(t.tdb.database, id, {
      dataDir: t.tdb.dataDir,
      provider: { cone: async () => fixtureReference() },
    });
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
    expect(dp.status).toBe("E");
    expect(dp.statusMessage).toMatch(/^FITS: .*truncated/i);
  });
});
