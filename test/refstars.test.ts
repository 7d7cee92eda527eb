/**
 * Reference stars for a field nobody imported, end to end: uploads (a SExtractor catalogue, FITS frames with
 * and without a WCS, 2MASS and GaiaDR3 requests) go through the queue and the worker, whose reference stars
 * come from a local stand-in of the Gaia archive and VizieR (test/helpers/tap-server.ts) serving a seeded
 * synthetic field in the archives' formats; the calibrated points must lie within 3σ of the injected truth.
 * Then the cache (a second frame of a field asks nothing) and the faults: an archive that is down or answers
 * nonsense makes the frame wait, and it is calibrated — once, one point — when the archive is back.
 */
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Band } from "../src/astro/calibrate/bands.ts";
import { angularSeparationDeg } from "../src/astro/coords.ts";
import { readFits } from "../src/astro/fits/read.ts";
import { writeFits } from "../src/astro/fits/write.ts";
import { makeField, makeFrame, type SynthField } from "../src/astro/synth/catalog.ts";
import { ArchiveProvider } from "../src/catalog/archive.ts";
import type { ArchiveSettings } from "../src/catalog/settings.ts";
import {
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  observatories,
  reducedDatums,
} from "../src/db/schema/index.ts";
import {
  DEMO_CAMERA,
  planNight,
  renderCatalogue,
  renderFrame,
  type VariableStar,
} from "../src/demo/night.ts";
import { startWorkers } from "../src/jobs/index.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";
import { multipart, uploadProduct } from "./helpers/multipart.ts";
import { TapReplayServer } from "./helpers/tap-server.ts";
import { WCS_KEYWORDS } from "./helpers/fixtures.ts";

/** Regions of the sky, far apart (each fetch covers < 1°): one per scenario, so each starts uncached. */
const REGIONS = {
  catalogue: [250.4, 36.5],
  fits: [252.4, 36.5],
  nowcs: [254.4, 36.5],
  tmass: [256.4, 36.5],
  dr3: [258.4, 36.5],
  down: [260.4, 36.5],
  garbage: [262.4, 36.5],
  calibfile: [264.4, 36.5],
} as const;
type Region = keyof typeof REGIONS;

/** One field of all three surveys per region; stars 11–19.5 mag, ~6,700 per deg². */
const fields = Object.fromEntries(
  Object.entries(REGIONS).map(([name, [ra, dec]], k) => [
    name,
    makeField({
      seed: 100 + k,
      nStars: 2400,
      centerRaDeg: ra,
      centerDecDeg: dec,
      halfWidthDeg: 0.3,
      magRange: [11, 19.5],
      surveys: ["GaiaSP", "GaiaDR3", "2MASS"],
    }),
  ]),
) as Record<Region, SynthField>;

/** The regions' fields as one (what the archive stand-in serves). */
function union(list: SynthField[]): SynthField {
  const cat = (get: (f: SynthField) => Float64Array | undefined) =>
    Float64Array.from(list.flatMap((f) => Array.from(get(f) ?? [])));
  const bandNames = Object.keys(list[0].reference.bands) as Band[];
  return {
    raDeg: cat((f) => f.raDeg),
    decDeg: cat((f) => f.decDeg),
    bv: cat((f) => f.bv),
    mags: Object.fromEntries(
      Object.keys(list[0].mags).map((b) => [b, cat((f) => f.mags[b as Band])]),
    ) as SynthField["mags"],
    reference: {
      raDeg: cat((f) => f.reference.raDeg),
      decDeg: cat((f) => f.reference.decDeg),
      bands: Object.fromEntries(
        bandNames.map((b) => [
          b,
          {
            survey: list[0].reference.bands[b]!.survey,
            mag: cat((f) => f.reference.bands[b]?.mag),
            err: cat((f) => f.reference.bands[b]?.err),
          },
        ]),
      ),
    },
  };
}

/** A variable star near the region's centre with no field star within 15″ (no blend). */
function variableIn(region: Region): VariableStar {
  const [ra0, dec0] = REGIONS[region];
  const f = fields[region];
  for (let k = 0; ; k++) {
    const ra = ra0 + 0.002 * (k % 10);
    const dec = dec0 + 0.002 * Math.floor(k / 10);
    let clear = true;
    for (let i = 0; i < f.raDeg.length && clear; i++)
      clear = angularSeparationDeg(ra, dec, f.raDeg[i], f.decDeg[i]) * 3600 > 15;
    if (clear)
      return { raDeg: ra, decDeg: dec, meanMag: 15.4, amplitudeMag: 0.3, periodDays: 0.31, epochMjd: 61000 };
  }
}

const NIGHT_MJD = 61210.1; // 2026.5

describe("reference stars for a field nobody imported, through the archives (pglite)", () => {
  let t: TestApp;
  let alice: TestUser;
  let archive: TapReplayServer;
  const settings = (): ArchiveSettings => ({
    gaiaTapUrl: archive.gaiaUrl,
    vizierTapUrl: archive.vizierUrl,
    offline: false,
    connectTimeoutMs: 2000,
    queryTimeoutMs: 10_000,
    concurrency: 2,
    retries: 1,
    retryWaitSeconds: 1,
  });
  const targets = new Map<Region, VariableStar>();

  const upload = async (
    region: Region,
    type: "fits_file" | "photometry",
    name: string,
    content: Buffer | string,
    extra: Record<string, string> = {},
  ) => {
    return uploadProduct(
      t.app,
      alice.token,
      {
        target: `T-${region}`,
        data_product_type: type,
        observatory: "Sim_Cam",
        filter: "GaiaSP/V",
        ...extra,
      },
      [{ name, content: Buffer.isBuffer(content) ? content : Buffer.from(content) }],
    );
  };

  const product = async (id: number) =>
    (await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id)))[0];
  /** Polls the data product until `done` says so (the worker runs in the background). */
  const waitFor = async (
    id: number,
    done: (dp: Awaited<ReturnType<typeof product>>) => boolean,
    ms = 60_000,
  ) => {
    const until = Date.now() + ms;
    for (;;) {
      const dp = await product(id);
      if (done(dp)) return dp;
      if (Date.now() > until) throw new Error(`data product ${id} still ${dp.status}: ${dp.statusMessage}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const settled = (id: number) => waitFor(id, (dp) => dp.status === "S" || dp.status === "E");
  const calibration = async (id: number) =>
    (await t.tdb.database.db.select().from(calibrations).where(eq(calibrations.dataProductId, id)))[0];
  const points = (id: number) =>
    t.tdb.database.db.select().from(reducedDatums).where(eq(reducedDatums.dataProductId, id));
  const exposures = (region: Region) =>
    planNight({
      star: targets.get(region)!,
      targetName: `T-${region}`,
      startMjd: NIGHT_MJD,
      frames: 2,
      catalogues: 2,
      seed: 7,
    });

  /** The point is the injected magnitude within 3σ. */
  const expectTruth = async (id: number, injectedMag: number) => {
    const dp = await settled(id);
    expect(dp.status, dp.statusMessage).toBe("S");
    const cal = await calibration(id);
    expect(Math.abs((cal.mag as number) - injectedMag)).toBeLessThan(3 * (cal.magError as number));
    const pts = await points(id);
    expect(pts).toHaveLength(1);
    return cal;
  };

  beforeAll(async () => {
    archive = await new TapReplayServer({
      field: union(Object.values(fields)),
      vizierFormat: "binary2",
    }).start();
    t = await createTestApp("pglite", {
      queue: true,
      referenceProvider: (db) => new ArchiveProvider(db, settings(), { retryBaseMs: 5 }),
    });
    alice = await t.user("alice");
    for (const region of Object.keys(REGIONS) as Region[]) {
      const star = variableIn(region);
      targets.set(region, star);
      const res = await t.call(
        "POST",
        "/targets/createTarget/",
        { name: `T-${region}`, ra: star.raDeg, dec: star.decDeg },
        alice.token,
      );
      expect(res.statusCode, res.body).toBe(201);
    }
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "Sim", lon: -17.9, lat: 28.8, altitude: 2300 })
      .returning();
    await t.tdb.database.db.insert(cameras).values({
      observatoryId: obs.id,
      cameraName: "Cam",
      prefix: "Sim_Cam",
      activeFlg: true,
      pixelScale: DEMO_CAMERA.pixelScaleArcsec,
      gain: DEMO_CAMERA.gainEPerAdu,
      readoutNoise: DEMO_CAMERA.readNoiseE,
      saturationLevel: DEMO_CAMERA.saturationAdu,
    });
    await startWorkers(t.queue!, t.tdb.database, {
      concurrency: 1,
      logger: pino({ level: "silent" }),
      dataDir: t.tdb.dataDir,
      provider: new ArchiveProvider(t.tdb.database, settings(), { retryBaseMs: 5 }),
    });
  });
  afterAll(async () => {
    await t.close();
    await archive.close();
  });

  it("a SExtractor catalogue: one archive round trip, then a point within 3σ; a second frame of the field asks nothing", async () => {
    const [first, second] = exposures("catalogue").filter((e) => e.kind === "catalogue");
    const star = targets.get("catalogue")!;
    const id = await upload(
      "catalogue",
      "photometry",
      "a.cat",
      renderCatalogue(fields.catalogue, star, first),
      { mjd: first.midMjd.toFixed(6) },
    );
    await expectTruth(id, first.injectedMag);
    expect(archive.requests.map((r) => [r.service, r.table])).toEqual([
      ["gaia", "gaiadr3.synthetic_photometry_gspc"],
    ]);
    const id2 = await upload(
      "catalogue",
      "photometry",
      "b.cat",
      renderCatalogue(fields.catalogue, star, second),
      { mjd: second.midMjd.toFixed(6) },
    );
    await expectTruth(id2, second.injectedMag);
    expect(archive.requests).toHaveLength(1);
  });

  it("a FITS frame with a WCS", async () => {
    const before = archive.requests.length;
    const e = exposures("fits").find((x) => x.kind === "fits")!;
    const id = await upload(
      "fits",
      "fits_file",
      "f.fits",
      Buffer.from(renderFrame(fields.fits, targets.get("fits")!, e, "T-fits")),
    );
    const cal = await expectTruth(id, e.injectedMag);
    expect(cal.bestFilter).toBe("V");
    expect(archive.requests.length - before).toBe(1);
  });

  it("a FITS frame without a WCS: solved blind against the archive's stars, then calibrated from the same cone", async () => {
    const before = archive.requests.length;
    const e = exposures("nowcs").find((x) => x.kind === "fits")!;
    const image = readFits(renderFrame(fields.nowcs, targets.get("nowcs")!, e, "T-nowcs"));
    for (const k of WCS_KEYWORDS) {
      image.header.delete(k);
    }
    const bytes = writeFits({
      data: image.data,
      width: image.width,
      height: image.height,
      bitpix: -32,
      header: image.header,
    });
    const id = await upload("nowcs", "fits_file", "n.fits", Buffer.from(bytes));
    await expectTruth(id, e.injectedMag);
    const [job] = await t.tdb.database.db.select().from(fitsJobs).where(eq(fitsJobs.dataProductId, id));
    expect(job.statusMessage).toMatch(/WCS solved \(\d+ stars/);
    expect(archive.requests.length - before).toBe(1); // the calibration's cone lies inside the solver's
  });

  it.each([
    ["tmass", "J", "2MASS/J", "vizier", '"II/246/out"'],
    ["dr3", "G", "GaiaDR3/G", "gaia", "gaiadr3.gaia_source"],
  ] as const)(
    "%s: a %s-band catalogue calibrated with %s from %s",
    async (region, band, filter, service, table) => {
      const before = archive.requests.length;
      const star = targets.get(region)!;
      const frame = makeFrame(fields[region], {
        seed: 9,
        band,
        zp: -22.5,
        target: { raDeg: star.raDeg, decDeg: star.decDeg, mag: 14.2 },
      });
      const id = await upload(region, "photometry", `${region}.cat`, ccdphotCatalogue(frame.catalogue), {
        mjd: "61210.3",
        filter,
      });
      const cal = await expectTruth(id, 14.2);
      expect([cal.survey, cal.bestFilter]).toEqual([filter.split("/")[0], band]);
      expect(archive.requests.slice(before).map((r) => [r.service, r.table])).toEqual([[service, table]]);
    },
  );

  it("the archive down, then answering an HTML page: the frame waits (status C, why, next try), nothing cached; back up: calibrated, one point", async () => {
    const star = targets.get("down")!;
    const e = exposures("down").find((x) => x.kind === "catalogue")!;
    archive.mode = "down";
    const id = await upload("down", "photometry", "d.cat", renderCatalogue(fields.down, star, e), {
      mjd: e.midMjd.toFixed(6),
    });
    let dp = await waitFor(id, (d) => d.status === "C" && /Waiting/.test(d.statusMessage));
    expect(dp.statusMessage).toMatch(
      /^Waiting for reference stars: the Gaia archive \(http:\/\/127\.0\.0\.1:\d+\/tap-server\/tap\) is unreachable: HTTP 503: 503 Service Unavailable \(2 attempts\)\. Next try at \d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
    );
    archive.mode = "html";
    dp = await waitFor(id, (d) => d.status === "C" && /HTML/.test(d.statusMessage));
    expect(dp.statusMessage).toMatch(
      /answered wrongly: an HTML page \(HTTP 200: "Gaia Archive - maintenance"\) instead of a table\. Next try at/,
    );
    const cones = await t.tdb.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from reference_cones where abs(ra - ${REGIONS.down[0]}) < 1`,
    );
    expect(cones.rows[0].n).toBe(0);
    archive.mode = "ok";
    await expectTruth(id, e.injectedMag);
    const target = (await t.call("POST", "/targets/getTargetList/", { name: "T-down" }, alice.token)).json()
      .data[0];
    expect(target.mjd_last).toBeCloseTo(e.midMjd, 6);
  });

  it("/calibFile/ asks the archive too; with the archive down it answers 503 with Retry-After", async () => {
    const star = targets.get("calibfile")!;
    const e = exposures("calibfile").find((x) => x.kind === "catalogue")!;
    const post = async () => {
      const { payload, contentType } = multipart(
        { ra: String(star.raDeg), dec: String(star.decDeg), survey: "GaiaSP", filter: "V", no_plot: "true" },
        [{ name: "photometry_file", content: Buffer.from(renderCatalogue(fields.calibfile, star, e)) }],
      );
      return t.app.inject({
        method: "POST",
        url: "/calibFile/",
        headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
        payload,
      });
    };
    archive.mode = "down";
    const down = await post();
    expect(down.statusCode).toBe(503);
    expect(down.headers["retry-after"]).toMatch(/^\d+$/);
    expect(down.json().detail).toMatch(
      /^Reference stars cannot be had now: the Gaia archive .* is unreachable: HTTP 503/,
    );
    archive.mode = "ok";
    await new Promise((r) => setTimeout(r, 1100)); // the pause after a failure
    const ok = await post();
    expect(ok.statusCode, ok.body).toBe(200);
    expect(Math.abs(ok.json().mag - e.injectedMag)).toBeLessThan(3 * ok.json().mag_error);
  });
});
