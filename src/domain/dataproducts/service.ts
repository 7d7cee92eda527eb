/**
 * Data products (bhtom-behaviour.md §G.2, G.3, G.8, G.9): the list with every filter, delete, change
 * observers, and the instrumental photometry file. Everyone sees every upload (as BHTOM); changes are
 * limited to the uploader and staff; the photometry file to the uploader, its observers and staff.
 */
import { and, desc, eq, gte, ilike, inArray, like, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import {
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  observatories,
  spectra,
  targets,
  users,
  primaryCalibrationOf,
} from "../../db/schema/index.ts";
import { BadRequestError, ForbiddenError, NotFoundError } from "../errors.ts";
import { containsPattern, dateRangeConditions, requireInteger } from "../input.ts";
import { isStaff, requireOwnerOrStaff, type Actor } from "../permissions.ts";
import { refreshLastPoint } from "../targets/refresh.ts";
import { toFloat } from "../targets/list.ts";
import { storedFilesOf } from "./files.ts";
import type { DataListInput } from "./schemas.ts";

const row = {
  dp: dataProducts,
  targetName: targets.name,
  username: users.username,
  firstName: users.firstName,
  lastName: users.lastName,
  oname: cameras.prefix,
  observatoryName: observatories.name,
  observatoryId: observatories.id,
  cal: calibrations,
  job: fitsJobs,
};

function baseQuery(db: Executor) {
  return db
    .select(row)
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(users, eq(users.id, dataProducts.userId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .leftJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .leftJoin(fitsJobs, eq(fitsJobs.dataProductId, dataProducts.id));
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>["execute"]>>[number];

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const blank = <T>(v: T | null | undefined): T | "" => (v === null || v === undefined ? "" : v);

/** BHTOM's `calibration_data` block: "" where there is no value (a real 0 stays 0). */
function calibrationBlock(r: Row) {
  const c = r.cal;
  return {
    id: blank(c?.id),
    time_photometry: blank(iso(c?.modified)),
    mjd: blank(c?.mjd),
    calib_survey_filter: c ? c.filterRequest : "",
    standardised_to: c?.survey && c?.bestFilter ? `${c.survey}/${c.bestFilter}` : "",
    magnitude: blank(c?.mag),
    mag_error: blank(c?.magError),
    zp: blank(c?.zeropoint),
    scatter: blank(c?.scatter),
    "number of datapoints used for calibration": blank(c?.npoints),
    "outlier fraction": blank(c?.outlierFraction),
    "matching radius[arcsec]": c ? c.matchDist : "",
  };
}

/** BHTOM's `ccdphot_result` block: the FITS job's fields, or {} (names as in CCDPhotJob). */
export function ccdphotBlock(j: typeof fitsJobs.$inferSelect | null) {
  if (!j) return {};
  return {
    status: j.status,
    status_message: j.statusMessage,
    start_time: iso(j.startTime),
    status_time: iso(j.statusTime),
    fits_object: j.fitsObject,
    fits_ra: j.fitsRa,
    fits_dec: j.fitsDec,
    fits_mjd: j.fitsMjd,
    fits_exp: j.fitsExp,
    fits_filter: j.fitsFilter,
    fits_origin: j.fitsOrigin,
    fits_observat: j.fitsObservat,
    fits_telescop: j.fitsTelescop,
    fits_instrume: j.fitsInstrume,
    fits_observer: j.fitsObserver,
    fits_dateobs: j.fitsDateobs,
    fits_fwhm_av: j.fitsFwhmAv,
    fits_seeing: j.fitsSeeing,
    fits_airmass: j.fitsAirmass,
    fits_moonelev: j.fitsMoonelev,
    fits_sunelev: j.fitsSunelev,
    fits_moondist: j.fitsMoondist,
    fits_sundist: j.fitsSundist,
    fits_moonfrac: j.fitsMoonfrac,
    fits_numstars: j.fitsNumstars,
    fits_binning: j.fitsBinning,
    fits_pixscale: j.fitsPixscale,
    fits_glim: j.fitsGlim,
    fits_toiifov: j.fitsToiifov,
    preview_png: j.previewPng,
    fits_altitude: j.fitsAltitude,
    fits_azimuth: j.fitsAzimuth,
  };
}

/** One data product as `common/api/data` lists it (BHTOM's keys, plus status_message, filter, mjd). */
export function dataProductItem(r: Row) {
  const dp = r.dp;
  return {
    id: dp.id,
    user_name: r.username === null ? "" : [r.firstName, r.lastName].filter(Boolean).join(" ") || r.username,
    target_name: r.targetName,
    target: dp.targetId,
    user: r.username,
    camera: r.oname,
    observatory_name: r.observatoryName,
    observatory: r.observatoryId,
    calibration_data: calibrationBlock(r),
    ccdphot_result: ccdphotBlock(r.job),
    product_id: null,
    observers: dp.observers,
    data: dp.data,
    status: dp.status,
    status_message: dp.statusMessage,
    photometry_data: dp.photometryData,
    fits_data: dp.fitsData,
    fits_webp: r.job?.previewPng ?? null,
    extra_data: "",
    created: iso(dp.created),
    modified: iso(dp.modified),
    data_product_type: dp.dataProductType,
    featured: false,
    thumbnail: null,
    dryRun: dp.dryRun,
    comment: dp.comment,
    observation_record: null,
    group: [],
    facility: dp.facility,
    filter: dp.filter,
    mjd: dp.mjd,
    original_name: dp.originalName,
    size_bytes: dp.sizeBytes,
  };
}

const given = (v: unknown) => v !== undefined && v !== null && v !== "";
/** WHERE of `common/api/data`. Differs from BHTOM2: mag_min, mag_max and filter work; bad values are 400. */
function dataWhere(f: DataListInput): SQL | undefined {
  const w: SQL[] = [];
  if (given(f.id)) w.push(eq(dataProducts.id, requireInteger(f.id, "id")));
  if (given(f.data_product_type))
    w.push(eq(dataProducts.dataProductType, String(f.data_product_type) as never));
  if (given(f.status)) w.push(eq(dataProducts.status, String(f.status) as never));
  if (given(f.fits_data)) w.push(like(dataProducts.fitsData, containsPattern(String(f.fits_data))));
  if (given(f.photometry_data)) w.push(like(dataProducts.data, containsPattern(String(f.photometry_data))));
  if (given(f.oname)) w.push(eq(cameras.prefix, String(f.oname)));
  w.push(
    ...dateRangeConditions(
      dataProducts.created,
      { start: f.created_start, end: f.created_end },
      { start: "created_start", end: "created_end" },
    ),
  );
  if (given(f.target_name)) w.push(ilike(targets.name, containsPattern(String(f.target_name))));
  if (given(f.target_id)) w.push(eq(dataProducts.targetId, requireInteger(f.target_id, "target_id")));
  if (given(f.mjd)) {
    const m = toFloat(f.mjd);
    w.push(
      or(
        eq(calibrations.mjd, m),
        eq(dataProducts.mjd, m),
        sql`exists (select 1 from ${spectra} s where s.data_product_id = "data_products"."id" and s.mjd = ${m})`,
      )!,
    );
  }
  if (given(f.mjd_min)) w.push(gte(calibrations.mjd, toFloat(f.mjd_min)));
  if (given(f.mjd_max)) w.push(lte(calibrations.mjd, toFloat(f.mjd_max)));
  if (given(f.mag_min)) w.push(gte(calibrations.mag, toFloat(f.mag_min)));
  if (given(f.mag_max)) w.push(lte(calibrations.mag, toFloat(f.mag_max)));
  if (given(f.magerr_min)) w.push(gte(calibrations.magError, toFloat(f.magerr_min)));
  if (given(f.magerr_max)) w.push(lte(calibrations.magError, toFloat(f.magerr_max)));
  if (given(f.filter)) {
    const filter = String(f.filter);
    w.push(
      or(
        eq(dataProducts.filter, filter),
        sql`${calibrations.survey} || '/' || ${calibrations.bestFilter} = ${filter}`,
      )!,
    );
  }
  return w.length ? and(...w) : undefined;
}

export function dataPageSize(actor: Actor): number {
  return isStaff(actor) ? 1000 : 500;
}

export async function listDataProducts<P extends { offset: number; limit: number }>(
  db: Executor,
  input: DataListInput,
  page: (count: number) => P,
) {
  const where = dataWhere(input);
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .where(where);
  const p = page(n);
  const rows = await baseQuery(db)
    .where(where)
    .orderBy(desc(dataProducts.created), desc(dataProducts.id))
    .offset(p.offset)
    .limit(p.limit);
  return { count: n, page: p, items: rows.map(dataProductItem) };
}

export async function getDataProduct(db: Executor, id: number) {
  const [r] = await baseQuery(db).where(eq(dataProducts.id, id)).limit(1);
  if (!r) throw new NotFoundError("DataProduct not found");
  return r;
}

function requireId(value: unknown): number {
  if (value === undefined || value === null || value === "")
    throw new BadRequestError("Missing required parameter 'id'.");
  return requireInteger(value, "id");
}

/** Delete a data product with its points, calibration and job; returns its stored files to remove. */
export async function deleteDataProduct(db: Db, actor: Actor, rawId: unknown): Promise<string[]> {
  const id = requireId(rawId);
  return db.transaction(async (tx) => {
    const { dp } = await getDataProduct(tx, id);
    requireOwnerOrStaff(actor, dp.userId, "this data product");
    const files = await storedFilesOf(tx, eq(dataProducts.id, id));
    await tx.delete(dataProducts).where(eq(dataProducts.id, id));
    await refreshLastPoint(tx, dp.targetId);
    return files;
  });
}

/** Replace the observers (registered usernames; a list, a comma-separated string, or one name). */
export async function changeObservers(
  db: Db,
  actor: Actor,
  rawId: unknown,
  observers: string | string[] | undefined,
) {
  if (!rawId || observers === undefined) {
    throw new BadRequestError("Missing required fields: 'id' and/or 'observers'");
  }
  const id = requireId(rawId);
  const names = [
    ...new Set(
      (Array.isArray(observers) ? observers : [observers])
        .flatMap((o) => o.split(","))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  return db.transaction(async (tx) => {
    const { dp } = await getDataProduct(tx, id);
    requireOwnerOrStaff(actor, dp.userId, "this data product");
    if (names.length) {
      const found = await tx.select({ u: users.username }).from(users).where(inArray(users.username, names));
      const known = new Set(found.map((f) => f.u));
      const unknown = names.filter((n) => !known.has(n));
      if (unknown.length)
        throw new BadRequestError(`The following usernames do not exist: ${unknown.join(", ")}`);
    }
    await tx.update(dataProducts).set({ observers: names }).where(eq(dataProducts.id, id));
    return dataProductItem(await getDataProduct(tx, id));
  });
}

/** The instrumental photometry file of a data product (path relative to the data directory). */
export async function photometryFile(db: Executor, actor: Actor, rawId: unknown): Promise<string> {
  if (rawId === undefined || rawId === null || rawId === "") throw new BadRequestError("ID not provided");
  const { dp } = await getDataProduct(db, requireInteger(rawId, "id"));
  const allowed = dp.userId === actor.id || dp.observers.includes(actor.username) || isStaff(actor);
  if (!allowed)
    throw new ForbiddenError("Only the uploader, the observers and staff may download this file.");
  const path = dp.photometryData ?? (dp.dataProductType === "photometry" ? dp.data : null);
  if (!path) throw new NotFoundError("File not found");
  return path;
}

/** Which uploads `listUploads` shows: one user's (null = everyone's), or the given ids. */
export interface UploadScope {
  userId?: number | null;
  ids?: number[];
}

/**
 * Uploads for the web pages, newest first: the caller's own by default; staff may name another user or
 * everyone (`userId: null`). Others asking for someone else's list get their own (every upload is visible
 * one by one, as BHTOM, but "my uploads" is per user). With `ids`, exactly those data products.
 */
export async function listUploads<P extends { offset: number; limit: number }>(
  db: Executor,
  actor: Actor,
  scope: UploadScope,
  page: (count: number) => P,
) {
  const w: SQL[] = [];
  if (scope.ids) w.push(inArray(dataProducts.id, scope.ids.length ? scope.ids : [-1]));
  else {
    const userId = isStaff(actor) && scope.userId !== undefined ? scope.userId : actor.id;
    if (userId !== null) w.push(eq(dataProducts.userId, userId));
  }
  const where = w.length ? and(...w) : undefined;
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(dataProducts)
    .where(where);
  const p = page(n);
  const rows = await baseQuery(db)
    .where(where)
    .orderBy(desc(dataProducts.created), desc(dataProducts.id))
    .offset(p.offset)
    .limit(p.limit);
  return { count: n, page: p, rows };
}

export type UploadRow = Row;

/**
 * Target names for an upload form's suggestions: those the user uploaded to most recently, then the
 * newest targets, without repeats, at most `limit`.
 */
export async function recentTargetNames(db: Executor, actor: Actor, limit = 20): Promise<string[]> {
  const mine = await db
    .select({ name: targets.name, last: sql<string>`max(${dataProducts.created})` })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .where(eq(dataProducts.userId, actor.id))
    .groupBy(targets.name)
    .orderBy(sql`max(${dataProducts.created}) desc`)
    .limit(limit);
  const newest = await db
    .select({ name: targets.name })
    .from(targets)
    .orderBy(desc(targets.created), desc(targets.id))
    .limit(limit);
  return [...new Set([...mine, ...newest].map((r) => r.name))].slice(0, limit);
}
