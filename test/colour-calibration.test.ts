/**
 * Colour terms in stored calibrations (issue 18, docs/colour.md): through the upload API and the
 * calibration job, on seeded synthetic truth — a red target through a camera with k = 0.15, the camera's
 * learnt k for a sparse frame, an unfiltered (Clear) FITS frame calibrated to Gaia G, use-run restoring the
 * colour outputs, and the camera settings.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReferenceCatalogue } from "../src/astro/calibrate/bands.ts";
import { writeFits } from "../src/astro/fits/write.ts";
import { makeField, makeFrame, type SynthField } from "../src/astro/synth/catalog.ts";
import { makeSyntheticImage } from "../src/astro/synth/image.ts";
import {
  calibrations,
  cameraColourTerms,
  cameras,
  observatories,
  reducedDatums,
  targets,
} from "../src/db/schema/index.ts";
import { calibrateDataProduct } from "../src/domain/calibration/dataproduct.ts";
import { runCalibration, type ReferenceProvider } from "../src/domain/calibration/pipeline.ts";
import { processFits } from "../src/domain/dataproducts/fits.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";
import { ENGINES } from "./helpers/db.ts";
import { uploadProduct } from "./helpers/multipart.ts";
import { pageText, WebClient } from "./helpers/web.ts";

const K = 0.15;
const ZP = 23.9;
const median = (a: ArrayLike<number>) => {
  const s = Array.from(a).sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};

/** Three seeded fields: a dense one, a sparse one (18 stars) and one with Gaia G, BP, RP for the FITS frame. */
const DENSE = makeField({ seed: 1801, nStars: 250, centerRaDeg: 210, centerDecDeg: -5, halfWidthDeg: 0.1 });
const SPARSE = makeField({
  seed: 1802,
  nStars: 18,
  centerRaDeg: 180,
  centerDecDeg: 10,
  halfWidthDeg: 0.05,
  magRange: [12, 17],
});
const GAIA = makeField({
  seed: 1803,
  nStars: 400,
  centerRaDeg: 150,
  centerDecDeg: 2,
  halfWidthDeg: 0.06,
  magRange: [12, 18.5],
  surveys: ["GaiaSP", "GaiaDR3"],
});
const FIELDS: [number, SynthField][] = [
  [210, DENSE],
  [180, SPARSE],
  [150, GAIA],
];
/** The field whose centre is nearest the cone's. */
const provider: ReferenceProvider = {
  cone: async (ra: number): Promise<ReferenceCatalogue> =>
    FIELDS.reduce((best, f) => (Math.abs(f[0] - ra) < Math.abs(best[0] - ra) ? f : best))[1].reference,
};

const RED = { raDeg: 210.02, decDeg: -5.01, mag: 15.8, colour: median(DENSE.bv) + 1 };
const SPARSE_T = { raDeg: 180.01, decDeg: 10.01, mag: 15, colour: median(SPARSE.bv) + 1 };

describe.each(ENGINES)("colour terms in stored calibrations on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let staff: TestUser;
  let obsId = 0;

  const addCamera = async (name: string, extra: Partial<typeof cameras.$inferInsert> = {}) => {
    const [c] = await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obsId, cameraName: name, prefix: `ColObs_${name}`, activeFlg: true, ...extra })
      .returning();
    return c;
  };
  const newTarget = async (name: string, raDeg: number, decDeg: number) => {
    const r = await t.call("POST", "/targets/createTarget/", { name, ra: raDeg, dec: decDeg }, alice.token);
    expect(r.statusCode, r.body).toBe(201);
    const [row] = await t.tdb.database.db.select().from(targets).where(eq(targets.name, name));
    return row.id;
  };
  /** B(GaiaSP) and V(GaiaSP) points of the target from the observatory, 20 and 30 min from the frame. */
  const colourPoints = async (targetId: number, mjd: number, v: number, bv: number) => {
    await t.tdb.database.db.insert(reducedDatums).values([
      { targetId, mjd: mjd - 20 / 1440, value: v + bv, error: 0.01, filter: "B(GaiaSP)", facility: "ColObs" },
      { targetId, mjd: mjd + 30 / 1440, value: v, error: 0.01, filter: "V(GaiaSP)", facility: "ColObs" },
      // farther than an hour: not used
      { targetId, mjd: mjd + 0.1, value: v + 3, error: 0.01, filter: "B(GaiaSP)", facility: "ColObs" },
    ]);
  };
  const upload = async (
    name: string,
    content: string | Buffer,
    fields: Record<string, string>,
  ): Promise<number> => {
    return uploadProduct(t.app, alice.token, { filter: "GaiaSP/any", ...fields }, [{ name, content }]);
  };
  const uploadFrame = (text: string, target: string, camera: string, mjd: number, filter = "GaiaSP/any") =>
    upload("frame.cat", text, {
      target,
      data_product_type: "photometry",
      observatory: `ColObs_${camera}`,
      mjd: String(mjd),
      filter,
    });
  const calibrate = (id: number, runId?: number) =>
    calibrateDataProduct(t.tdb.database, id, { dataDir: t.tdb.dataDir, provider, runId });
  const result = async (id: number) => {
    const r = await t.call("POST", "/calibration/get-calibration-res/", { calibid: [id] }, alice.token);
    expect(r.statusCode, r.body).toBe(200);
    return r.json().data[0];
  };
  const redFrame = (seed: number) =>
    ccdphotCatalogue(
      makeFrame(DENSE, { seed, zp: ZP, colourTerm: K, target: { ...RED, forced: false } }).catalogue,
    );

  beforeAll(async () => {
    t = await createTestApp(engine, { queue: true, referenceProvider: provider });
    alice = await t.user("alice");
    staff = await t.user("colstaff", { staff: true });
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "ColObs", lon: 20, lat: 50 })
      .returning();
    obsId = obs.id;
  });
  afterAll(async () => t.close());

  it("a target 1 mag redder than the field median through k = 0.15 is stored within 0.02 mag (ZP-only: off by ≈ 0.15)", async () => {
    await addCamera("Cam");
    await addCamera("Plain", { colourTerms: false });
    const targetId = await newTarget("RedT", RED.raDeg, RED.decDeg);
    const mjd = 60600.25;
    await colourPoints(targetId, mjd, RED.mag, RED.colour);
    const text = redFrame(1811);
    const withId = await uploadFrame(text, "RedT", "Cam", mjd);
    // the same stars through a camera without colour terms (one more newline: not the same file twice)
    const plainText = `${text}\n`;
    const plainId = await uploadFrame(plainText, "RedT", "Plain", mjd);
    await calibrate(withId);
    await calibrate(plainId);
    const [withColour, plain] = [await result(withId), await result(plainId)];
    const errColour = withColour.mag - RED.mag;
    const errPlain = plain.mag - RED.mag;
    const msg = `colour term: ${errColour.toFixed(4)} mag, ZP only: ${errPlain.toFixed(4)} mag (truth ${RED.mag}, k ${K})`;
    console.log(`red target, stored calibration — ${msg}`);
    expect(withColour.status, withColour.status_message).toBe("S");
    expect(Math.abs(errColour), msg).toBeLessThan(0.02);
    expect(Math.abs(errPlain - K), msg).toBeLessThan(0.03);
    expect(withColour.colour_term).toMatchObject({
      colour_index: "B-V",
      k_source: "fit",
      target_colour_source: "points",
    });
    expect(withColour.colour_term.k, msg).toBeCloseTo(K, 1);
    expect(withColour.colour_term.target_colour).toBeCloseTo(RED.colour, 6);
    const chosen = withColour.bands.find((b: { chosen: boolean }) => b.chosen);
    expect(chosen).toMatchObject({ colour_k_source: "fit", colour_k: withColour.colour_term.k });
    expect(chosen.colour_c0).toBe(withColour.colour_term.c0);
    // only the chosen band is fitted with a colour term
    for (const b of withColour.bands.filter((x: { chosen: boolean }) => !x.chosen))
      expect(b.colour_k).toBeNull();

    // The data product page shows the colour term and the target colour used.
    const web = new WebClient(t.app);
    await web.login("alice", alice.password);
    const page = pageText((await web.get(`/dataproducts/${withId}/`)).body);
    expect(page).toMatch(/Colour term\s*k = 0\.1\d\d ± 0\.\d+ per mag of B-V \(fitted on this frame/);
    expect(page).toMatch(
      /Target colour\s*B-V = \d\.\d{3} ± 0\.014 \(from points of this camera within 1 h\)/,
    );

    // colour_terms = false: no colour term, and the numbers of the plain CPCS pipeline to the bit.
    expect(plain.colour_term).toBeNull();
    const direct = await runCalibration(
      {
        catalogueText: plainText,
        target: { raDeg: RED.raDeg, decDeg: RED.decDeg },
        filterRequest: "GaiaSP/any",
        epochMjd: mjd,
      },
      { provider },
    );
    if (!direct.ok) throw new Error(direct.error);
    expect(plain.mag).toBe(direct.result.calibrationData.mag);
    expect(plain.zeropoint).toBe(direct.result.calibrationData.zeropoint);
    expect(plain.scatter).toBe(direct.result.calibrationData.scatter);
    expect(plain.mag_error).toBe(direct.result.calibrationData.mag_error);

    // The frame taught its camera (and only that camera) its k; shown with the camera.
    const obs = await t.call("GET", "/api/observatories/ColObs/", undefined, alice.token);
    expect(obs.statusCode, obs.body).toBe(200);
    const cams = obs.json().cameras as { camera_name: string; learnt_colour_terms: unknown[] }[];
    const cam = cams.find((c) => c.camera_name === "Cam")!;
    expect(cam).toMatchObject({ colour_terms: true, unfiltered_band: "GaiaDR3/G" });
    expect(cam.learnt_colour_terms).toEqual([
      expect.objectContaining({
        survey: withColour.survey,
        band: withColour.best_filter,
        colour_index: "B-V",
        k: withColour.colour_term.k,
        n_frames: 1,
      }),
    ]);
    expect(cams.find((c) => c.camera_name === "Plain")!.learnt_colour_terms).toEqual([]);
    const obsPage = pageText((await web.get(`/observatory/${obsId}/`)).body);
    expect(obsPage).toMatch(
      /Learnt colour terms\s*GaiaSP\/\w+\s*: k = 0\.1\d\d ± 0\.\d{3} per mag of B-V \(1 frames\)/,
    );
    expect(obsPage).toContain("off (plain zero point)");
  });

  it("a sparse frame (< 30 stars with colours) uses the camera's learnt k", async () => {
    const cam = await addCamera("Learner");
    for (let i = 0; i < 3; i++) {
      const id = await uploadFrame(redFrame(1820 + i), "RedT", "Learner", 60610 + i, "GaiaSP/V");
      await calibrate(id);
      expect((await result(id)).colour_term.k_source).toBe("fit");
    }
    const [learnt] = await t.tdb.database.db
      .select()
      .from(cameraColourTerms)
      .where(and(eq(cameraColourTerms.cameraId, cam.id), eq(cameraColourTerms.band, "V")));
    expect(learnt.nFrames).toBe(3);
    expect(Math.abs(learnt.k - K)).toBeLessThan(0.03);

    const targetId = await newTarget("SparseT", SPARSE_T.raDeg, SPARSE_T.decDeg);
    const mjd = 60620.3;
    await colourPoints(targetId, mjd, SPARSE_T.mag, SPARSE_T.colour);
    const frame = makeFrame(SPARSE, {
      seed: 1830,
      zp: ZP,
      colourTerm: K,
      target: { ...SPARSE_T, forced: false },
    });
    const id = await uploadFrame(ccdphotCatalogue(frame.catalogue), "SparseT", "Learner", mjd, "GaiaSP/V");
    await calibrate(id);
    const r = await result(id);
    const msg = `sparse frame: ${r.mag} for ${SPARSE_T.mag}, k ${r.colour_term?.k} (learnt ${learnt.k})`;
    expect(r.status, r.status_message).toBe("S");
    expect(r.colour_term, msg).toMatchObject({
      k_source: "camera",
      k: learnt.k,
      target_colour_source: "points",
    });
    expect(Math.abs(r.mag - SPARSE_T.mag), msg).toBeLessThan(0.03);
    // a prior k teaches nothing
    const [after] = await t.tdb.database.db
      .select()
      .from(cameraColourTerms)
      .where(and(eq(cameraColourTerms.cameraId, cam.id), eq(cameraColourTerms.band, "V")));
    expect(after.nFrames).toBe(3);
  });

  it("use-run restores a run's colour outputs exactly; camera settings are checked", async () => {
    const id = await uploadFrame(redFrame(1840), "RedT", "Cam", 60630.25);
    await calibrate(id);
    const before = await result(id);
    expect(before.colour_term).not.toBeNull();
    const runA = before.calibration_run as number;

    const bad = await t.call(
      "PATCH",
      "/api/cameras/ColObs_Cam/",
      { unfiltered_band: "GaiaDR3/GBP" },
      staff.token,
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().unfiltered_band?.[0], bad.body).toMatch(/expected GaiaDR3\/G or one GaiaSP band/);
    const off = await t.call(
      "PATCH",
      "/api/cameras/ColObs_Cam/",
      { colour_terms: false, unfiltered_band: "gaiasp/R" },
      staff.token,
    );
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ colour_terms: false, unfiltered_band: "GaiaSP/R" });

    // The web forms: a new camera starts with colour terms on; the unfiltered band is a field.
    const web = new WebClient(t.app);
    await web.login("alice", alice.password);
    const form = (await web.get("/observatory/create/")).body;
    expect(form).toMatch(/name="colour_terms" type="checkbox" value="true" checked/);
    expect(form).toContain('name="unfiltered_band"');

    const q = await t.call("POST", "/calibration/recalibrate/", { dataproduct_ids: [id] }, staff.token);
    expect(q.statusCode, q.body).toBe(200);
    await calibrate(id, q.json().Success.runs[0]);
    const plain = await result(id);
    expect(plain.calibration_run).not.toBe(runA);
    expect(plain.colour_term).toBeNull();
    expect(plain.mag).not.toBe(before.mag);

    const use = await t.call("POST", "/calibration/use-run/", { run: runA }, staff.token);
    expect(use.statusCode, use.body).toBe(200);
    const restored = await result(id);
    const strip = (r: Record<string, unknown>) => {
      const { modified: _m, number_tries: _n, start_processing: _s, ...rest } = r;
      return rest;
    };
    expect(strip(restored)).toEqual(strip(before));
    const run = await t.call("POST", "/calibration/get-run/", { run: runA }, alice.token);
    expect(run.json().outputs.colour_term).toEqual(before.colour_term);
    expect(run.json().outputs.bands.find((b: { chosen: boolean }) => b.chosen).colour_k).toBe(
      before.colour_term.k,
    );
    await t.call("PATCH", "/api/cameras/ColObs_Cam/", { colour_terms: true }, staff.token);
  });

  it("a Clear FITS frame is calibrated to the camera's unfiltered band, Gaia G, within 0.03 mag", async () => {
    await addCamera("Clear");
    const size = 512;
    // An unfiltered CCD: G-like with a colour term of 0.12 per mag of B−V (BP−RP absorbs it).
    const im = makeSyntheticImage({
      seed: 1850,
      width: size,
      height: size,
      field: GAIA,
      band: "G",
      colourTerm: 0.12,
      filter: "Clear",
      centerRaDeg: 150,
      centerDecDeg: 2,
      dateObs: "2024-03-15T21:30:00.000",
    });
    // The target: the reddest star of G < 16.5 well inside the frame (its colour from its reference star).
    const tr = im.truth;
    const bprp = (i: number) => GAIA.mags.GBP[i] - GAIA.mags.GRP[i];
    let best = -1;
    for (let s = 0; s < tr.x.length; s++) {
      const i = tr.fieldIndex[s];
      if (i < 0 || tr.x[s] < 40 || tr.y[s] < 40 || tr.x[s] > size - 40 || tr.y[s] > size - 40) continue;
      if (GAIA.mags.G[i] > 16.5 || tr.saturated[s]) continue;
      if (best < 0 || bprp(i) > bprp(tr.fieldIndex[best])) best = s;
    }
    const gi = tr.fieldIndex[best];
    await newTarget("ClearT", tr.raDeg[best], tr.decDeg[best]);
    const fits = Buffer.from(
      writeFits({ data: im.data, width: size, height: size, bitpix: -32, header: im.header }),
    );
    const id = await upload("clear.fits", fits, {
      target: "ClearT",
      data_product_type: "fits_file",
      observatory: "ColObs_Clear",
    });
    await processFits(t.tdb.database, id, { dataDir: t.tdb.dataDir, provider });
    const r = await result(id);
    const err = r.mag - GAIA.mags.G[gi];
    const msg = `Clear → ${r.survey}/${r.best_filter}: ${r.mag} for G = ${GAIA.mags.G[gi].toFixed(3)} (BP−RP ${bprp(gi).toFixed(2)}), error ${err.toFixed(4)}; ${r.status_message}`;
    console.log(msg);
    expect(r.status, msg).toBe("S");
    expect(r.filter_request).toBe("GaiaSP/any");
    expect(r).toMatchObject({ survey: "GaiaDR3", best_filter: "G" });
    expect(r.colour_term, msg).toMatchObject({
      colour_index: "BP-RP",
      k_source: "fit",
      target_colour_source: "reference",
    });
    expect(Math.abs(err), msg).toBeLessThan(0.03);
    const [cal] = await t.tdb.database.db
      .select()
      .from(calibrations)
      .where(eq(calibrations.dataProductId, id));
    expect(cal.colourTerm?.k_source).toBe("fit");
  });
});
