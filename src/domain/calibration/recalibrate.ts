/**
 * Recalibration as a new version (docs/calibration-runs.md): staff select data products (by target, camera,
 * ids, MJD range, the survey of their current calibration), and each gets a new calibration run with the
 * given filter request and matching radius (or its current ones), queued. A run that is to become current
 * replaces the product's point when it finishes (runs.ts makeRunCurrent); with `dry_run` the runs are
 * trials: recorded, compared (compare-runs), never made current by themselves. The restart-calib-*
 * endpoints select their own way and queue runs here too.
 */
import { and, asc, eq, gte, inArray, lte, ne, type SQL } from "drizzle-orm";
import { FilterRequestError, parseFilterRequest } from "../../astro/calibrate/bands.ts";
import { inTransaction, type Database, type Executor } from "../../db/connection.ts";
import type { JobQueue } from "../../db/queue.ts";
import { calibrations, cameras, dataProducts, targets, primaryCalibrationOf } from "../../db/schema/index.ts";
import { PROCESS_JOB } from "../dataproducts/upload.ts";
import { BadRequestError } from "../errors.ts";
import { booleanWord, integerValue } from "../input.ts";
import { isSystem, requireStaff, type Caller } from "../permissions.ts";
import { channelBands } from "../observatories/bayer.ts";
import { createRun, type RunRequest } from "./runs.ts";

/** At most this many data products per request. */
export const RECALIBRATE_LIMIT = 10_000;

/** The body of POST /calibration/recalibrate/ (schemas.ts RecalibrateBody). */
export interface RecalibrateRequest {
  target?: unknown;
  oname?: unknown;
  dataproduct_ids?: unknown;
  mjd_min?: unknown;
  mjd_max?: unknown;
  survey?: unknown;
  filter?: unknown;
  match_dist?: unknown;
  dry_run?: unknown;
}

/** New settings of the queued runs; undefined keeps each product's current one. */
export interface RunSettings {
  filter?: string;
  /** Arcsec; ≤ 0 = automatic. */
  matchDist?: number;
}

const given = (v: unknown) => v !== undefined && v !== null && v !== "";

function number(v: unknown, field: string): number {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new BadRequestError(`${field}: not a number: ${JSON.stringify(v)}`);
  return n;
}

/** The filter request and matching radius of a request, checked. */
export function runSettings(filter: unknown, matchDist: unknown): RunSettings {
  const out: RunSettings = {};
  if (given(filter)) {
    out.filter = String(filter);
    try {
      parseFilterRequest(out.filter);
    } catch (err) {
      if (err instanceof FilterRequestError) throw new BadRequestError(`filter: ${err.message}`);
      throw err;
    }
  }
  if (given(matchDist)) out.matchDist = number(matchDist, "match_dist");
  return out;
}

/** The selection of a recalibration; at least one selector. */
function recalibrateWhere(r: RecalibrateRequest): SQL {
  const w: SQL[] = [];
  if (given(r.target)) w.push(eq(targets.name, String(r.target)));
  if (given(r.oname)) w.push(eq(cameras.prefix, String(r.oname)));
  if (given(r.dataproduct_ids)) {
    const list = Array.isArray(r.dataproduct_ids) ? r.dataproduct_ids : [r.dataproduct_ids];
    const ids = list.map((v) => {
      const n = integerValue(v);
      if (n === undefined) throw new BadRequestError(`dataproduct_ids: ${JSON.stringify(v)} is not an id`);
      return n;
    });
    w.push(inArray(dataProducts.id, ids.length ? ids : [-1]));
  }
  if (given(r.mjd_min)) w.push(gte(dataProducts.mjd, number(r.mjd_min, "mjd_min")));
  if (given(r.mjd_max)) w.push(lte(dataProducts.mjd, number(r.mjd_max, "mjd_max")));
  if (given(r.survey)) w.push(eq(calibrations.survey, String(r.survey)));
  if (w.length === 0)
    throw new BadRequestError(
      "Select data products: give at least one of target, oname, dataproduct_ids, mjd_min, mjd_max, survey.",
    );
  return and(...w)!;
}

/** Ids of the calibratable data products (photometry, fits_file) a selection picks, oldest first. */
async function selectDataProducts(db: Executor, where: SQL): Promise<number[]> {
  const rows = await db
    .selectDistinct({ id: dataProducts.id })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .where(and(where, inArray(dataProducts.dataProductType, ["photometry", "fits_file"])))
    .orderBy(asc(dataProducts.id))
    .limit(RECALIBRATE_LIMIT + 1);
  if (rows.length > RECALIBRATE_LIMIT)
    throw new BadRequestError(
      `The selection has more than ${RECALIBRATE_LIMIT} data products: narrow it (mjd_min/mjd_max).`,
    );
  return rows.map((r) => r.id);
}

/** What queueing runs did: the data products and, in the same order, their new runs. */
export interface QueuedRuns {
  ids: number[];
  runs: number[];
}

/**
 * Queue one new run per data product (a one-shot-colour frame: one per channel, each with the band its
 * camera's bayer_bands names now; a new `filter` applies to ordinary frames only), in one transaction with
 * the jobs that carry them out. A run that is to become current puts its product back to status C
 * ("to do") with the new settings; its points stay until the runs finish. A trial run changes nothing of
 * the product.
 */
export async function queueRuns(
  database: Database,
  queue: JobQueue,
  ids: number[],
  settings: RunSettings,
  how: Pick<RunRequest, "reason" | "makeCurrent" | "requestedBy">,
): Promise<QueuedRuns> {
  if (ids.length === 0) return { ids: [], runs: [] };
  await queue.declare(PROCESS_JOB);
  return inTransaction(database, async (tx, client) => {
    const products = await tx
      .select({
        id: dataProducts.id,
        filter: dataProducts.filter,
        matchDist: dataProducts.matchDist,
        bayerBands: cameras.bayerBands,
      })
      .from(dataProducts)
      .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
      .where(inArray(dataProducts.id, ids))
      .orderBy(asc(dataProducts.id));
    // One-shot-colour products: those calibrated per channel.
    const colour = new Set(
      (
        await tx
          .selectDistinct({ id: calibrations.dataProductId })
          .from(calibrations)
          .where(and(inArray(calibrations.dataProductId, ids), ne(calibrations.channel, "")))
      ).map((r) => r.id),
    );
    const matchDist =
      settings.matchDist === undefined ? undefined : settings.matchDist > 0 ? settings.matchDist : null;
    const runs: number[] = [];
    for (const dp of products) {
      const matchDistRequested = matchDist === undefined ? dp.matchDist : matchDist;
      const requests: Pick<RunRequest, "channel" | "filterRequest">[] = colour.has(dp.id)
        ? channelBands(dp.bayerBands).map(([channel, filterRequest]) => ({ channel, filterRequest }))
        : [{ filterRequest: settings.filter ?? dp.filter }];
      for (const r of requests) {
        const run = await createRun(tx, dp.id, { ...how, ...r, matchDistRequested });
        runs.push(run.id);
        await queue.send(PROCESS_JOB, { dataProductId: dp.id, runId: run.id }, { client });
      }
    }
    const found = products.map((p) => p.id);
    if (how.makeCurrent) {
      const message = how.reason === "restart" ? "Calibration restarted" : "Recalibration queued";
      await tx
        .update(dataProducts)
        .set({
          status: "C",
          statusMessage: message,
          ...(settings.filter ? { filter: settings.filter } : {}),
          ...(matchDist !== undefined ? { matchDist } : {}),
        })
        .where(inArray(dataProducts.id, found));
      await tx
        .update(calibrations)
        .set({
          status: "C",
          statusMessage: message,
          ...(settings.filter ? { filterRequest: settings.filter } : {}),
        })
        .where(inArray(calibrations.dataProductId, found));
    }
    return { ids: found, runs };
  });
}

/** POST /calibration/recalibrate/ (staff): a new run for every selected data product. */
export async function recalibrate(
  database: Database,
  queue: JobQueue,
  caller: Caller,
  body: RecalibrateRequest,
): Promise<QueuedRuns & { dryRun: boolean }> {
  requireStaff(caller);
  const where = recalibrateWhere(body);
  const settings = runSettings(body.filter, body.match_dist);
  const dryRun = given(body.dry_run) ? booleanWord(body.dry_run) : false;
  if (dryRun === undefined)
    throw new BadRequestError(`dry_run: ${JSON.stringify(body.dry_run)} is not a boolean`);
  const ids = await selectDataProducts(database.db, where);
  const queued = await queueRuns(database, queue, ids, settings, {
    reason: "recalibrate",
    makeCurrent: !dryRun,
    requestedBy: isSystem(caller) ? "" : caller.username,
  });
  return { ...queued, dryRun };
}
