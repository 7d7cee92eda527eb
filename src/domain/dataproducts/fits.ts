/**
 * The FITS job (BHTOM's CCDPhot): an uploaded image → standardised header → WCS from the header →
 * sources measured → a 7-column SExtractor catalogue stored as the data product's `photometry_data` →
 * the calibration job → a light-curve point. The image's facts (time, exposure, filter, FWHM, airmass,
 * Sun/Moon geometry, source count, limiting magnitude) go to the fits_jobs row (BHTOM's ccdphot_result),
 * with a zscale PNG preview with the target marked.
 * Images without a usable WCS are solved blind (triangle matching against the reference stars around the
 * header pointing or the target, with the camera's pixel scale as prior) or refused with the reason.
 * The measuring itself (measure.ts) runs in a worker thread; this file keeps the database's side.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import { surveysOfRequest } from "../../astro/calibrate/bands.ts";
import { angularSeparationDeg } from "../../astro/coords.ts";
import { airmass, altAzDeg, moonIllumination, moonPositionDeg, sunPositionDeg } from "../../astro/sun.ts";
import { dateFromMjd } from "../../astro/time.ts";
import type { StandardHeader } from "../../astro/fits/standardise.ts";
import { inTransaction, type Database } from "../../db/connection.ts";
import {
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  observatories,
  PRIMARY_CHANNELS,
  targets,
} from "../../db/schema/index.ts";
import { storedPath } from "../../storage.ts";
import {
  calibrateDataProduct,
  channelCataloguePath,
  type CalibrateOptions,
  type CalibrateTimings,
} from "../calibration/dataproduct.ts";
import { failRun, openRun } from "../calibration/runs.ts";
import { channelBands } from "../observatories/bayer.ts";
import type { Measured, MeasureInput, MeasureTimings } from "./measure.ts";
import { measureInThread } from "./measure-pool.ts";

type JobFields = Partial<typeof fitsJobs.$inferInsert>;

async function setJob(database: Database, dataProductId: number, fields: JobFields): Promise<void> {
  await database.db
    .insert(fitsJobs)
    .values({ dataProductId, ...fields, statusTime: new Date() })
    .onConflictDoUpdate({ target: fitsJobs.dataProductId, set: { ...fields, statusTime: new Date() } });
}

async function fail(database: Database, id: number, message: string): Promise<void> {
  await inTransaction(database, async (tx) => {
    await tx.update(dataProducts).set({ status: "E", statusMessage: message }).where(eq(dataProducts.id, id));
    await tx
      .update(fitsJobs)
      .set({ status: "E", statusMessage: message, statusTime: new Date() })
      .where(eq(fitsJobs.dataProductId, id));
  });
}

/** Where a FITS job's time went, ms: the thread's steps (measure.ts), the thread round trip, store, calibrate. */
export type FitsJobTimings = MeasureTimings & {
  thread: number;
  store: number;
  calibrate: number;
  /** Parts of `calibrate`: the reference cone, parse + fit, the calibration plot. */
  calibrateCone: number;
  calibrateFit: number;
  calibratePlot: number;
};

/** Measure, store and calibrate an uploaded image; the timings of its steps when it got that far. */
export async function processFits(
  database: Database,
  id: number,
  opts: CalibrateOptions,
): Promise<FitsJobTimings | undefined> {
  const [row] = await database.db
    .select({ dp: dataProducts, target: targets, camera: cameras, site: observatories })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .where(eq(dataProducts.id, id));
  if (!row || row.dp.dataProductType !== "fits_file") return undefined;
  const { dp, target, camera, site } = row;
  await setJob(database, id, { status: "R", statusMessage: "Measuring the image", startTime: new Date() });
  await database.db
    .update(dataProducts)
    .set({ status: "P", statusMessage: "Measuring the image" })
    .where(eq(dataProducts.id, id));

  if (target.ra === null || target.dec === null) {
    await fail(database, id, "the target has no position");
    return undefined;
  }
  const t0 = performance.now();
  // Read, WCS (or blind solve), extraction, preview and catalogue in a worker thread (measure-pool.ts):
  // seconds of CPU for a big frame, which on this thread would stall requests and the job's lease.
  const measured = await measureInThread(
    {
      path: storedPath(opts.dataDir, dp.data),
      camera: cameraKeywords(camera),
      target: { raDeg: target.ra, decDeg: target.dec },
    },
    opts.provider,
    surveysOfRequest(dp.filter),
  );
  if (!measured.ok) {
    await fail(database, id, measured.message);
    return undefined;
  }
  const tMeasured = performance.now();
  const { image, header: h, result, pix, solvedNote } = measured;
  const inField =
    pix !== null && pix.x >= 0.5 && pix.y >= 0.5 && pix.x <= image.width + 0.5 && pix.y <= image.height + 0.5;
  const when = dateFromMjd(h.mjdMid);
  const scale = measured.pixelScaleArcsec;
  const geometry = site ? observingGeometry(site, { raDeg: target.ra, decDeg: target.dec }, when) : {};
  const previewPath = `plots/fits/${id}.png`;
  await mkdir(dirname(storedPath(opts.dataDir, previewPath)), { recursive: true });
  await writeFile(storedPath(opts.dataDir, previewPath), measured.previewPng);
  const cataloguePath = dp.data.replace(/\/[^/]+$/, `/${dp.id}_catalogue.dat`);
  await mkdir(dirname(storedPath(opts.dataDir, cataloguePath)), { recursive: true });
  await writeFile(storedPath(opts.dataDir, cataloguePath), measured.catalogue);
  await setJob(database, id, {
    status: "D",
    statusMessage: `${result.stats.nSources} sources measured${solvedNote}`,
    ...headerFacts(measured.facts, h),
    fitsFwhmAv: result.stats.fwhmMedianPx,
    fitsSeeing: result.stats.fwhmMedianPx * scale,
    fitsNumstars: result.stats.nSources,
    fitsPixscale: scale,
    fitsBinning: h.binning,
    fitsToiifov: inField,
    fitsNaxis1: image.width,
    fitsNaxis2: image.height,
    fitsBackgroundAdu: finiteOrNull(result.stats.backgroundMedianAdu),
    fitsBackgroundRmsAdu: finiteOrNull(result.stats.backgroundRmsAdu),
    fitsApertureRadiusPx: finiteOrNull(result.stats.apertureRadiusPx),
    fitsApertureCorrectionMag: finiteOrNull(result.stats.apertureCorrectionMag),
    previewPng: previewPath,
    ...geometry,
  });
  await database.db
    .update(dataProducts)
    .set({ photometryData: cataloguePath, mjd: h.mjdMid, statusMessage: "Calibrating" })
    .where(eq(dataProducts.id, id));
  if (measured.channels) {
    for (const c of ["R", "G", "B"] as const)
      await writeFile(
        storedPath(opts.dataDir, channelCataloguePath(cataloguePath, c)),
        measured.channels[c].catalogue,
      );
  }
  const tStored = performance.now();
  const cal = measured.channels
    ? await calibrateChannels(database, { ...dp, photometryData: cataloguePath, mjd: h.mjdMid }, camera, opts)
    : await calibrateDataProduct(database, id, opts);
  await storeCalibratedFacts(database, id, h.exposureS, result.stats.limitingMag5Sigma);
  const inThread = Object.values(measured.timingsMs).reduce((a, b) => a + b, 0);
  return {
    ...measured.timingsMs,
    thread: tMeasured - t0 - inThread,
    store: tStored - tMeasured,
    calibrate: performance.now() - tStored,
    calibrateCone: cal?.cone ?? 0,
    calibrateFit: cal?.fit ?? 0,
    calibratePlot: cal?.plot ?? 0,
  };
}

/**
 * A one-shot-colour frame: one calibration run per channel the camera calibrates (bayer_bands; default
 * R → GaiaSP/R, G → GaiaSP/V, B → GaiaSP/B), all opened first so the product stays "running" until the
 * last one finishes, then carried out in turn. A queued ordinary run (a restart of a frame never measured)
 * is closed: the channel runs replace it. Returns the timings summed over the channels.
 */
async function calibrateChannels(
  database: Database,
  dp: typeof dataProducts.$inferSelect,
  camera: typeof cameras.$inferSelect | null,
  opts: CalibrateOptions,
): Promise<CalibrateTimings> {
  if (opts.runId !== undefined)
    await failRun(database.db, opts.runId, {}, "one-shot-colour frame: calibrated per channel (R, G, B)", 0);
  const runs: number[] = [];
  for (const [channel, filterRequest] of channelBands(camera?.bayerBands)) {
    const run = await openRun(database.db, dp, undefined, { channel, filterRequest });
    if (run) runs.push(run.id);
  }
  const sum: CalibrateTimings = { cone: 0, fit: 0, plot: 0, store: 0 };
  for (const runId of runs) {
    const t = await calibrateDataProduct(database, dp.id, { ...opts, runId });
    if (t) for (const k of Object.keys(sum) as (keyof CalibrateTimings)[]) sum[k] += t[k];
  }
  return sum;
}

/** The camera's header keywords and detector values (defaults without a camera), for the measurement. */
function cameraKeywords(camera: typeof cameras.$inferSelect | null): MeasureInput["camera"] {
  return {
    dateTimeKeyword: camera?.dateTimeKeyword ?? "DATE-OBS",
    timeKeyword: camera?.timeKeyword ?? "TIME-OBS",
    exposureTimeKeyword: camera?.exposureTimeKeyword ?? "EXPTIME",
    gainEPerAdu: camera?.gain ?? 2,
    readNoiseE: camera?.readoutNoise ?? 2,
    saturationAdu: camera?.saturationLevel ?? 63000,
    pixelScaleArcsec: camera?.pixelScale ?? null,
  };
}

/** The header's facts as BHTOM's ccdphot_result columns. */
function headerFacts(facts: Measured["facts"], h: StandardHeader): JobFields {
  return {
    fitsObject: h.object,
    fitsRa: facts.ra,
    fitsDec: facts.dec,
    fitsMjd: h.mjdMid,
    fitsExp: h.exposureS,
    fitsFilter: h.filter,
    fitsDateobs: h.dateObs.slice(0, 50),
    fitsOrigin: facts.origin,
    fitsObservat: facts.observat,
    fitsTelescop: facts.telescop,
    fitsInstrume: facts.instrume,
    fitsObserver: facts.observer,
  };
}

/**
 * Where the target, the Sun and the Moon stood for the observatory at mid-exposure: target altitude,
 * azimuth and airmass; Sun and Moon elevation (deg) and distance from the target (deg); the Moon's
 * illuminated fraction.
 */
function observingGeometry(
  site: { lat: number; lon: number; altitude: number },
  target: { raDeg: number; decDeg: number },
  when: Date,
): JobFields {
  const place = { latDeg: site.lat, lonDeg: site.lon, heightM: site.altitude };
  const alt = altAzDeg(target.raDeg, target.decDeg, when, place);
  const sun = sunPositionDeg(when);
  const moon = moonPositionDeg(when);
  return {
    fitsAltitude: alt.altDeg,
    fitsAzimuth: alt.azDeg,
    fitsAirmass: airmass(alt.apparentAltDeg),
    fitsSunelev: altAzDeg(sun.raDeg, sun.decDeg, when, place).altDeg,
    fitsMoonelev: altAzDeg(moon.raDeg, moon.decDeg, when, place).altDeg,
    fitsSundist: angularSeparationDeg(target.raDeg, target.decDeg, sun.raDeg, sun.decDeg),
    fitsMoondist: angularSeparationDeg(target.raDeg, target.decDeg, moon.raDeg, moon.decDeg),
    fitsMoonfrac: moonIllumination(when),
  };
}

/**
 * After the calibration: the exposure time on the calibration rows, and the limiting magnitude in the
 * calibrated system (instrumental 5σ limit − zero point; a one-shot-colour frame's G channel) on the FITS
 * job row.
 */
async function storeCalibratedFacts(
  database: Database,
  id: number,
  exposureS: number,
  limitingMag5SigmaInst: number,
): Promise<void> {
  await database.db
    .update(calibrations)
    .set({ expTime: exposureS })
    .where(eq(calibrations.dataProductId, id));
  const [cal] = await database.db
    .select()
    .from(calibrations)
    .where(and(eq(calibrations.dataProductId, id), inArray(calibrations.channel, PRIMARY_CHANNELS)));
  if (!cal) return;
  if (cal.zeropoint !== null) {
    await database.db
      .update(fitsJobs)
      .set({ fitsGlim: limitingMag5SigmaInst - cal.zeropoint })
      .where(eq(fitsJobs.dataProductId, id));
  }
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
