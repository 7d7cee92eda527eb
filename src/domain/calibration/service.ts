/**
 * Calibration results and restarts (bhtom-behaviour.md §C): get-calibration-res per data product id or
 * file name (owner, observers and superusers see the values), and staff restarts that re-queue selected
 * calibrations with a new filter or matching radius.
 */
import { readFile } from "node:fs/promises";
import { and, asc, eq, gte, like, lte, sql, type SQL } from "drizzle-orm";
import type { Database, Executor } from "../../db/connection.ts";
import type { JobQueue } from "../../db/queue.ts";
import {
  calibrationBands,
  calibrationRuns,
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  targets,
} from "../../db/schema/index.ts";
import { storedPath } from "../../storage.ts";
import { ccdphotBlock } from "../dataproducts/service.ts";
import { BadRequestError } from "../errors.ts";
import { booleanWord, containsPattern, integerValue } from "../input.ts";
import type { Actor } from "../permissions.ts";
import { ensureCalibrationPlot } from "./plotfile.ts";
import { queueRuns, runSettings } from "./recalibrate.ts";
import { bandColour } from "./colour.ts";

type CalRow = typeof calibrations.$inferSelect;
type DpRow = typeof dataProducts.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function resultItem(
  c: CalRow,
  dp: DpRow,
  bands: (typeof calibrationBands.$inferSelect)[],
  link: string,
  version: string | null,
) {
  return {
    dataproduct: dp.id,
    /** One-shot-colour channel (R, G, B) of this calibration; "" for an ordinary frame. */
    channel: c.channel,
    use_catalog: null,
    status: c.status,
    status_message: c.statusMessage,
    mjd: c.mjd,
    exp_time: c.expTime,
    mag: c.mag,
    mag_error: c.magError,
    ra: c.ra,
    dec: c.dec,
    zeropoint: c.zeropoint,
    zeropoint_err: c.zeropointErr,
    outlier_fraction: c.outlierFraction,
    scatter: c.scatter,
    npoints: c.npoints,
    processing_time: c.processingTime,
    created: iso(c.created),
    modified: iso(c.modified),
    start_processing: iso(c.startProcessing),
    best_filter: c.bestFilter,
    survey: c.survey,
    match_distans: c.matchDist,
    no_plot: c.noPlot,
    calibration_plot: c.calibrationPlot,
    number_tries: c.numberTries,
    calibration_log: c.calibrationLog,
    filter_request: c.filterRequest,
    bands: bands.map((b) => ({
      survey: b.survey,
      band: b.band,
      zeropoint: b.zeropoint,
      zeropoint_err: b.zeropointErr,
      scatter: b.scatter,
      outlier_fraction: b.outlierFraction,
      npoints: b.npoints,
      passed: b.passed,
      chosen: b.chosen,
      reason: b.reason,
      ...bandColour(b),
    })),
    colour_term: c.colourTerm ?? null,
    file_download_link: link,
    calibration_run: c.runId,
    calibration_version: version,
  };
}

export interface ResultRequest {
  calibid?: unknown;
  filename?: unknown;
  files?: unknown;
  getPlot?: unknown;
}

/** Data product ids and file-name substrings from `calibid`, `filename` and the script's `files`. */
export function requestedItems(body: ResultRequest): Array<{ id: number } | { name: string }> {
  const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
  const out: Array<{ id: number } | { name: string }> = [];
  for (const v of list(body.calibid)) {
    const n = integerValue(v);
    if (n === undefined) throw new BadRequestError(`calibid: ${JSON.stringify(v)} is not a data product id`);
    out.push({ id: n });
  }
  for (const v of list(body.files)) out.push(typeof v === "number" ? { id: v } : { name: String(v) });
  for (const v of list(body.filename)) out.push({ name: String(v) });
  if (out.length === 0) throw new BadRequestError("'calibid' or 'filename' fields are required.");
  return out;
}

/** Who sees a calibration's values, plot and log: the uploader, the observers and superusers (as BHTOM). */
export const canSee = (actor: Actor, dp: Pick<DpRow, "userId" | "observers">) =>
  dp.userId === actor.id || dp.observers.includes(actor.username) || actor.isSuperuser;

/**
 * The items of get-calibration-res, in request order (ids first as given, then names). A name matching
 * several data products gives one item each.
 */
export async function calibrationResults(
  db: Executor,
  dataDir: string,
  actor: Actor,
  body: ResultRequest,
  baseUrl: string,
): Promise<Record<string, unknown>[]> {
  const wanted = requestedItems(body);
  const withPlot = booleanWord(body.getPlot) === true;
  const items: Record<string, unknown>[] = [];
  for (const w of wanted) {
    const where = "id" in w ? eq(dataProducts.id, w.id) : like(dataProducts.data, containsPattern(w.name));
    const rows = await db
      .select({ c: calibrations, dp: dataProducts, job: fitsJobs, version: calibrationRuns.algorithmVersion })
      .from(dataProducts)
      .innerJoin(calibrations, eq(calibrations.dataProductId, dataProducts.id))
      .leftJoin(fitsJobs, eq(fitsJobs.dataProductId, dataProducts.id))
      .leftJoin(calibrationRuns, eq(calibrationRuns.id, calibrations.runId))
      .where(where)
      // A one-shot-colour frame: one item per channel, R, G, B.
      .orderBy(asc(dataProducts.id), sql`position(${calibrations.channel} in 'RGB')`)
      .limit(200);
    if (rows.length === 0) {
      items.push({
        Error: "id" in w ? `File with id ${w.id} does not exist` : `File with name ${w.name} does not exist`,
      });
      continue;
    }
    for (const { c, dp, job, version } of rows) {
      if (!canSee(actor, dp)) {
        items.push({ "calib-res": "It's not your data", plot: null });
        continue;
      }
      const bands = await db
        .select()
        .from(calibrationBands)
        .where(eq(calibrationBands.calibrationId, c.id))
        .orderBy(asc(calibrationBands.id));
      const item: Record<string, unknown> = resultItem(
        c,
        dp,
        bands,
        `${baseUrl}/common/api/downloadPhotometryFile/?id=${dp.id}`,
        version,
      );
      item.plot = withPlot && c.calibrationPlot ? await plotDataUrl(dataDir, c.calibrationPlot) : null;
      if (dp.dataProductType === "fits_file") item.ccdphot_results = ccdphotBlock(job);
      items.push(item);
    }
  }
  return items;
}

/** The stored plot PNG as a data URL (drawn first when it is not yet: plotfile.ts); null when it is gone. */
async function plotDataUrl(dataDir: string, path: string): Promise<string | null> {
  try {
    await ensureCalibrationPlot(dataDir, path);
    return `data:image/png;base64,${(await readFile(storedPath(dataDir, path))).toString("base64")}`;
  } catch {
    return null;
  }
}

export interface RestartRequest {
  id_from?: unknown;
  id_to?: unknown;
  target_name?: unknown;
  target_id?: unknown;
  data_product_id?: unknown;
  mjd_min?: unknown;
  mjd_max?: unknown;
  filter?: unknown;
  old_filter?: unknown;
  match_dist?: unknown;
  oname?: unknown;
  status?: unknown;
  status_message?: unknown;
}

const given = (v: unknown) => v !== undefined && v !== null && v !== "";
function num(v: unknown, field: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BadRequestError(`${field}: not a number: ${JSON.stringify(v)}`);
  return n;
}

/** Which calibrations a restart selects, from the documented selection fields. */
function restartWhere(kind: "id" | "target" | "dataproduct", r: RestartRequest): SQL {
  const w: SQL[] = [];
  if (kind === "id") {
    if (!given(r.id_from) && !given(r.id_to))
      throw new BadRequestError("id_from and/or id_to (calibration ids) are required.");
    if (given(r.id_from)) w.push(gte(calibrations.id, num(r.id_from, "id_from")));
    if (given(r.id_to)) w.push(lte(calibrations.id, num(r.id_to, "id_to")));
  } else if (kind === "target") {
    if (given(r.target_name) === given(r.target_id))
      throw new BadRequestError("Provide either 'target_name' or 'target_id', not both.");
    if (given(r.target_id)) w.push(eq(dataProducts.targetId, num(r.target_id, "target_id")));
    else w.push(eq(targets.name, String(r.target_name)));
    if (given(r.mjd_min)) w.push(gte(calibrations.mjd, num(r.mjd_min, "mjd_min")));
    if (given(r.mjd_max)) w.push(lte(calibrations.mjd, num(r.mjd_max, "mjd_max")));
  } else {
    if (!given(r.data_product_id)) throw new BadRequestError("data_product_id is required.");
    w.push(eq(dataProducts.id, num(r.data_product_id, "data_product_id")));
  }
  if (given(r.old_filter)) w.push(eq(calibrations.filterRequest, String(r.old_filter)));
  if (given(r.oname)) w.push(eq(cameras.prefix, String(r.oname)));
  if (given(r.status)) w.push(eq(calibrations.status, String(r.status) as never));
  if (given(r.status_message))
    w.push(sql`${calibrations.statusMessage} ilike ${containsPattern(String(r.status_message))}`);
  return and(...w)!;
}

/**
 * Restart the selected calibrations (staff): each gets a new calibration run (recalibrate.ts), optionally
 * with a new filter request and matching radius (negative or 0 = automatic), queued; the product goes back
 * to status C and keeps its point until the run finishes. Returns the data product ids.
 */
export async function restartCalibrations(
  database: Database,
  queue: JobQueue,
  kind: "id" | "target" | "dataproduct",
  r: RestartRequest,
  requestedBy = "",
): Promise<number[]> {
  const where = restartWhere(kind, r);
  const settings = runSettings(r.filter, r.match_dist);
  const rows = await database.db
    .select({ dpId: dataProducts.id })
    .from(calibrations)
    .innerJoin(dataProducts, eq(dataProducts.id, calibrations.dataProductId))
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .where(where)
    .orderBy(asc(dataProducts.id))
    .limit(10_000);
  const queued = await queueRuns(
    database,
    queue,
    rows.map((x) => x.dpId),
    settings,
    { reason: "restart", makeCurrent: true, requestedBy },
  );
  return queued.ids;
}
