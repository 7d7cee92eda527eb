/**
 * The FITS job (BHTOM's CCDPhot): an uploaded image → standardised header → WCS from the header →
 * sources measured → a 7-column SExtractor catalogue stored as the data product's `photometry_data` →
 * the calibration job → a light-curve point. The image's facts (time, exposure, filter, FWHM, airmass,
 * Sun/Moon geometry, source count, limiting magnitude) go to the fits_jobs row (BHTOM's ccdphot_result),
 * with a zscale PNG preview with the target marked.
 * Images without a usable WCS are solved blind (triangle matching against the reference stars around the
 * header pointing or the target, with the camera's pixel scale as prior) or refused with the reason.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { eq } from "drizzle-orm";
import { surveysOfRequest } from "../../astro/calibrate/bands.ts";
import { angularSeparationDeg } from "../../astro/coords.ts";
import { isFitsError } from "../../astro/fits/errors.ts";
import { readFitsFile } from "../../astro/fits/file.ts";
import { standardiseHeader } from "../../astro/fits/standardise.ts";
import { extractSources, formatSextractorCatalogue } from "../../astro/image/extract.ts";
import { previewPng } from "../../astro/image/preview.ts";
import { airmass, altAzDeg, moonIllumination, moonPositionDeg, sunPositionDeg } from "../../astro/sun.ts";
import { dateFromMjd } from "../../astro/time.ts";
import { pixelScaleArcsec, skyToPixel, wcsFromHeader, type TanWcs } from "../../astro/wcs/index.ts";
import { solveWcs } from "../../astro/wcs/solve.ts";
import type { StandardHeader } from "../../astro/fits/standardise.ts";
import type { FitsImage } from "../../astro/fits/read.ts";
import type { ReferenceProvider } from "../../catalog/provider.ts";
import { inTransaction, type Database } from "../../db/connection.ts";
import {
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  observatories,
  targets,
} from "../../db/schema/index.ts";
import { storedPath } from "../../storage.ts";
import { calibrateDataProduct, type CalibrateOptions } from "../calibration/dataproduct.ts";

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

export async function processFits(database: Database, id: number, opts: CalibrateOptions): Promise<void> {
  const [row] = await database.db
    .select({ dp: dataProducts, target: targets, camera: cameras, site: observatories })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .where(eq(dataProducts.id, id));
  if (!row || row.dp.dataProductType !== "fits_file") return;
  const { dp, target, camera, site } = row;
  await setJob(database, id, { status: "R", statusMessage: "Measuring the image", startTime: new Date() });
  await database.db
    .update(dataProducts)
    .set({ status: "P", statusMessage: "Measuring the image" })
    .where(eq(dataProducts.id, id));

  const read = await readImage(opts.dataDir, dp.data, camera);
  if (!read.ok) {
    await fail(database, id, read.reason);
    return;
  }
  const { image, header: h } = read;
  if (target.ra === null || target.dec === null) {
    await fail(database, id, "the target has no position");
    return;
  }
  const astrometry = await imageWcs(image, h, target, camera, opts.provider, dp.filter);
  if (!astrometry.ok) {
    await fail(database, id, astrometry.reason);
    return;
  }
  const { wcs, note: solvedNote } = astrometry;
  const result = extractSources(image, {
    wcs,
    gainEPerAdu: h.gainEPerAdu,
    readNoiseE: h.readNoiseE,
    saturationAdu: h.saturationAdu,
    target: { raDeg: target.ra, decDeg: target.dec },
  });
  const pix = skyToPixel(wcs, target.ra, target.dec);
  const inField =
    pix !== null && pix.x >= 0.5 && pix.y >= 0.5 && pix.x <= image.width + 0.5 && pix.y <= image.height + 0.5;
  const when = dateFromMjd(h.mjdMid);
  const scale = pixelScaleArcsec(wcs);
  const geometry = site ? observingGeometry(site, { raDeg: target.ra, decDeg: target.dec }, when) : {};
  const previewPath = `plots/fits/${id}.png`;
  await mkdir(dirname(storedPath(opts.dataDir, previewPath)), { recursive: true });
  await writeFile(storedPath(opts.dataDir, previewPath), previewPng(image, pix ? { marker: pix } : {}));
  const cataloguePath = dp.data.replace(/\/[^/]+$/, `/${dp.id}_catalogue.dat`);
  await mkdir(dirname(storedPath(opts.dataDir, cataloguePath)), { recursive: true });
  await writeFile(storedPath(opts.dataDir, cataloguePath), formatSextractorCatalogue(result.rows));
  await setJob(database, id, {
    status: "D",
    statusMessage: `${result.stats.nSources} sources measured${solvedNote}`,
    ...headerFacts(image, h),
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
  await calibrateDataProduct(database, id, opts);
  await storeCalibratedFacts(database, id, h.exposureS, result.stats.limitingMag5Sigma);
}

/** The stored image and its header standardised with the camera's keywords and detector values. */
async function readImage(
  dataDir: string,
  path: string,
  camera: typeof cameras.$inferSelect | null,
): Promise<{ ok: true; image: FitsImage; header: StandardHeader } | { ok: false; reason: string }> {
  let image: FitsImage;
  try {
    image = await readFitsFile(storedPath(dataDir, path));
  } catch (err) {
    const reason = isFitsError(err)
      ? `FITS: ${err.message}`
      : `cannot read the image: ${(err as Error).message}`;
    return { ok: false, reason };
  }
  const std = standardiseHeader(image.header, {
    dateTimeKeyword: camera?.dateTimeKeyword ?? "DATE-OBS",
    timeKeyword: camera?.timeKeyword ?? "TIME-OBS",
    exposureTimeKeyword: camera?.exposureTimeKeyword ?? "EXPTIME",
    gainEPerAdu: camera?.gain ?? 2,
    readNoiseE: camera?.readoutNoise ?? 2,
    saturationAdu: camera?.saturationLevel ?? 63000,
  });
  if (!std.ok) return { ok: false, reason: `FITS header: ${std.error}` };
  return { ok: true, image, header: std.header };
}

/** The image's WCS: from the header, else solved blind; or why there is none. */
async function imageWcs(
  image: FitsImage,
  h: StandardHeader,
  target: { ra: number | null; dec: number | null },
  camera: { pixelScale: number } | null,
  provider: ReferenceProvider,
  filterRequest: string,
): Promise<{ ok: true; wcs: TanWcs; note: string } | { ok: false; reason: string }> {
  const headerWcs = wcsFromHeader((k) => image.header.get(k) as number | string | boolean | undefined);
  if (headerWcs.ok) return { ok: true, wcs: headerWcs.wcs, note: "" };
  const solved = await solveFromPriors(image, h, target, camera, provider, filterRequest);
  if (!solved.ok) {
    return {
      ok: false,
      reason: `no usable WCS in the header (${headerWcs.reason}) and blind solving failed: ${solved.reason}`,
    };
  }
  const note = `; WCS solved (${solved.matched} stars, ${solved.rmsArcsec.toFixed(2)}″ rms)`;
  return { ok: true, wcs: solved.wcs, note };
}

/** The header's facts as BHTOM's ccdphot_result columns. */
function headerFacts(image: FitsImage, h: StandardHeader): JobFields {
  const text = (key: string) => image.header.getString(key)?.slice(0, 100) ?? null;
  return {
    fitsObject: h.object,
    fitsRa: image.header.getNumber("RA") ?? null,
    fitsDec: image.header.getNumber("DEC") ?? null,
    fitsMjd: h.mjdMid,
    fitsExp: h.exposureS,
    fitsFilter: h.filter,
    fitsDateobs: h.dateObs.slice(0, 50),
    fitsOrigin: text("ORIGIN"),
    fitsObservat: text("OBSERVAT"),
    fitsTelescop: text("TELESCOP"),
    fitsInstrume: text("INSTRUME"),
    fitsObserver: text("OBSERVER"),
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
 * After the calibration: the exposure time on the calibration row, and the limiting magnitude in the
 * calibrated system (instrumental 5σ limit − zero point) on the FITS job row.
 */
async function storeCalibratedFacts(
  database: Database,
  id: number,
  exposureS: number,
  limitingMag5SigmaInst: number,
): Promise<void> {
  const [cal] = await database.db.select().from(calibrations).where(eq(calibrations.dataProductId, id));
  if (!cal) return;
  await database.db.update(calibrations).set({ expTime: exposureS }).where(eq(calibrations.id, cal.id));
  if (cal.zeropoint !== null) {
    await database.db
      .update(fitsJobs)
      .set({ fitsGlim: limitingMag5SigmaInst - cal.zeropoint })
      .where(eq(fitsJobs.dataProductId, id));
  }
}

/** Blind astrometry: detected sources vs reference stars around the header pointing (or the target). */
async function solveFromPriors(
  image: FitsImage,
  h: StandardHeader,
  target: { ra: number | null; dec: number | null },
  camera: { pixelScale: number } | null,
  provider: ReferenceProvider,
  filterRequest: string,
) {
  const ra = image.header.getNumber("RA") ?? target.ra;
  const dec = image.header.getNumber("DEC") ?? target.dec;
  if (ra === undefined || ra === null || dec === undefined || dec === null || !camera) {
    return { ok: false as const, reason: "no pointing or camera pixel scale to start from" };
  }
  const scale = camera.pixelScale * (h.binning ?? 1);
  const detected = extractSources(image, { gainEPerAdu: h.gainEPerAdu, saturationAdu: h.saturationAdu });
  const rows = detected.rows.filter((r) => Number.isFinite(r.flux) && r.flux > 0);
  const diagonalDeg = (Math.hypot(image.width, image.height) * scale) / 3600;
  // The calibration's surveys, at the frame's epoch: the cone the calibration asks next lies inside this one.
  const reference = await provider.cone(
    ra,
    dec,
    Math.min(5, diagonalDeg * 1.2),
    surveysOfRequest(filterRequest),
    {
      epochMjd: h.mjdMid,
    },
  );
  const band = reference.bands.V ?? Object.values(reference.bands)[0];
  if (!band) return { ok: false as const, reason: "no reference stars around the pointing" };
  return solveWcs({
    sources: {
      x: Float64Array.from(rows, (r) => r.x),
      y: Float64Array.from(rows, (r) => r.y),
      flux: Float64Array.from(rows, (r) => r.flux),
    },
    reference: usable(reference.raDeg, reference.decDeg, band.mag),
    centreRaDeg: ra,
    centreDecDeg: dec,
    pixelScaleArcsec: scale,
    width: image.width,
    height: image.height,
  });
}

/** Reference stars with a finite magnitude in the chosen band. */
function usable(ra: Float64Array, dec: Float64Array, mag: Float64Array) {
  const keep: number[] = [];
  for (let i = 0; i < mag.length; i++) if (Number.isFinite(mag[i])) keep.push(i);
  return {
    raDeg: Float64Array.from(keep, (i) => ra[i]),
    decDeg: Float64Array.from(keep, (i) => dec[i]),
    mag: Float64Array.from(keep, (i) => mag[i]),
  };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
