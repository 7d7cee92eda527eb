/**
 * One data product's calibration result for the web page: the product, its calibration and per-band
 * table, its FITS job, its light-curve points, and what the caller may do with it. The rules are the
 * API's: everyone sees the product (as `common/api/data`); the calibration values, plot and FITS preview
 * are for the uploader, the observers and superusers (get-calibration-res); the instrumental catalogue
 * for the uploader, the observers and staff (downloadPhotometryFile); delete for the uploader and staff;
 * restart for staff.
 */
import { and, asc, eq, ne, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/connection.ts";
import type { JobQueue } from "../../db/queue.ts";
import { calibrationBands, calibrations, CHANNELS, reducedDatums } from "../../db/schema/index.ts";
import { getDataProduct } from "../dataproducts/service.ts";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import { isStaff, requireStaff, type Actor } from "../permissions.ts";
import { canSee, restartCalibrations } from "./service.ts";
import { DATUM_COLUMNS, type DatumRow } from "../datums/repo.ts";
import { listRuns, type RunListItem } from "./history.ts";

export type ResultRow = Awaited<ReturnType<typeof getDataProduct>>;

export interface DataProductResult {
  row: ResultRow;
  bands: (typeof calibrationBands.$inferSelect)[];
  points: DatumRow[];
  /** May see the calibration values, plot and preview. */
  canSeeResult: boolean;
  /** May download the instrumental catalogue (when there is one). */
  canDownload: boolean;
  catalogue: string | null;
  canDelete: boolean;
  /** Staff, and the product has a calibration to restart. */
  canRestart: boolean;
  /** Every calibration run, oldest first, with ΔZP and Δmag from the current one (for those who may see them). */
  runs: RunListItem[];
  /** Staff: may make another run current. */
  canUseRun: boolean;
  /**
   * A one-shot-colour frame: each channel's calibration (R, G, B) with its per-band table, for those who
   * may see the result; empty for an ordinary frame (its calibration is `row.cal`).
   */
  channels: { cal: typeof calibrations.$inferSelect; bands: (typeof calibrationBands.$inferSelect)[] }[];
}

/** The instrumental catalogue of a data product: the uploaded one, or the one measured from its image. */
const cataloguePath = (dp: ResultRow["dp"]) =>
  dp.photometryData ?? (dp.dataProductType === "photometry" ? dp.data : null);

export async function dataProductResult(db: Executor, actor: Actor, id: number): Promise<DataProductResult> {
  const row = await getDataProduct(db, id);
  const { dp } = row;
  const canSeeResult = canSee(actor, dp);
  const bands =
    row.cal && canSeeResult
      ? await db
          .select()
          .from(calibrationBands)
          .where(eq(calibrationBands.calibrationId, row.cal.id))
          .orderBy(asc(calibrationBands.id))
      : [];
  const points = await db
    .select(DATUM_COLUMNS)
    .from(reducedDatums)
    .where(eq(reducedDatums.dataProductId, id))
    .orderBy(asc(reducedDatums.mjd), asc(reducedDatums.id))
    .limit(1000);
  const runs = canSeeResult || isStaff(actor) ? await listRuns(db, actor, id) : [];
  const channels = [];
  if (canSeeResult) {
    const cals = await db
      .select()
      .from(calibrations)
      .where(and(eq(calibrations.dataProductId, id), ne(calibrations.channel, "")))
      .orderBy(sql`position(${calibrations.channel} in 'RGB')`);
    for (const cal of cals) {
      const calBands = await db
        .select()
        .from(calibrationBands)
        .where(eq(calibrationBands.calibrationId, cal.id))
        .orderBy(asc(calibrationBands.id));
      channels.push({ cal, bands: calBands });
    }
  }
  return {
    row,
    bands,
    points,
    runs,
    channels,
    canUseRun: isStaff(actor),
    canSeeResult,
    canDownload: dp.userId === actor.id || dp.observers.includes(actor.username) || isStaff(actor),
    catalogue: cataloguePath(dp),
    canDelete: dp.userId === actor.id || isStaff(actor),
    canRestart: isStaff(actor) && row.cal !== null,
  };
}

/**
 * The stored calibration plot (`"plot"`; of one colour channel of a one-shot-colour frame when `channel`
 * names one) or FITS preview (`"preview"`) of a data product, for those who may see its calibration;
 * NotFoundError when there is none.
 */
export async function resultImagePath(
  db: Executor,
  actor: Actor,
  id: number,
  kind: "plot" | "preview",
  channel?: string,
): Promise<string> {
  const row = await getDataProduct(db, id);
  if (!canSee(actor, row.dp))
    throw new ForbiddenError("Only the uploader, the observers and superusers may see this calibration.");
  let plot = row.cal?.calibrationPlot;
  const wanted = CHANNELS.find((c) => c === channel);
  if (kind === "plot" && wanted) {
    const [cal] = await db
      .select({ plot: calibrations.calibrationPlot })
      .from(calibrations)
      .where(and(eq(calibrations.dataProductId, id), eq(calibrations.channel, wanted)));
    plot = cal?.plot;
  }
  const path = kind === "plot" ? plot : row.job?.previewPng;
  if (!path) throw new NotFoundError(kind === "plot" ? "No calibration plot." : "No FITS preview.");
  return path;
}

/** Restart one data product's calibration (staff): back to status C and queued again. */
export async function restartDataProduct(
  database: Database,
  queue: JobQueue,
  actor: Actor,
  id: number,
): Promise<number[]> {
  requireStaff(actor);
  return restartCalibrations(database, queue, "dataproduct", { data_product_id: id });
}
