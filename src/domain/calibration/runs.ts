/**
 * Calibration runs (docs/calibration-runs.md): every calibration of a data product is a run, an immutable
 * record of its inputs, versions and outputs once finished. A data product has one current run
 * (`calibrations.run_id`); the calibration row, its per-band table and the product's light-curve point
 * carry the current run's values. Making a run current (a finished calibration, or `use-run`) rewrites
 * those three in one transaction that first locks the data product's row: a reader sees the old point or
 * the new one, never none or both.
 */
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { CALIBRATION_ALGORITHM_VERSION, CALIBRATION_CUTS } from "../../astro/calibrate/canonical.ts";
import type { CalibrationResult } from "../../astro/calibrate/index.ts";
import type { Executor } from "../../db/connection.ts";
import {
  calibrationBands,
  calibrationRunBands,
  calibrationRuns,
  calibrations,
  cameras,
  dataProducts,
  observatories,
  targets,
  users,
  type CalibrationChannel,
  type QualityFlag,
} from "../../db/schema/index.ts";
import { VERSION } from "../../version.ts";
import { replaceDataProductPoints, type NewPoint } from "../datums/store.ts";
import { storedColourTerm } from "./colour.ts";
import { lockCameraFlags, redecideLaterFlags } from "./health.ts";

export type RunRow = typeof calibrationRuns.$inferSelect;
export type RunBandRow = typeof calibrationRunBands.$inferSelect;

/** A data product with what its calibration and its point need: target, observatory name, uploader. */
export async function loadDataProduct(db: Executor, id: number) {
  const [row] = await db
    .select({ dp: dataProducts, target: targets, observatory: observatories.name, uploader: users.username })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .leftJoin(users, eq(users.id, dataProducts.userId))
    .where(eq(dataProducts.id, id));
  return row;
}
export type LoadedDataProduct = NonNullable<Awaited<ReturnType<typeof loadDataProduct>>>;

/** What a new run is asked to do. */
export interface RunRequest {
  filterRequest: string;
  /** Arcsec; null = automatic. */
  matchDistRequested: number | null;
  reason: "upload" | "restart" | "recalibrate";
  makeCurrent: boolean;
  requestedBy: string;
  /** One-shot-colour channel (R, G, B) the run calibrates; "" or absent for an ordinary frame. */
  channel?: CalibrationChannel;
}

/** Queue a run (status C) for a data product; the job that calibrates it is sent by the caller. */
export async function createRun(db: Executor, dataProductId: number, r: RunRequest): Promise<RunRow> {
  const [run] = await db
    .insert(calibrationRuns)
    .values({ dataProductId, status: "C", ...r })
    .returning();
  return run;
}

/**
 * The run a calibration of this data product records: `runId` when given (null when that run has finished
 * already: a job delivered twice), else the product's latest unfinished run of that channel that is to
 * become current (a restart queued it), else a new one with the product's own filter request (or the
 * channel's, `fresh.filterRequest`) and matching radius.
 */
export async function openRun(
  db: Executor,
  dp: LoadedDataProduct["dp"],
  runId?: number,
  fresh: { channel?: CalibrationChannel; filterRequest?: string } = {},
): Promise<RunRow | null> {
  const channel = fresh.channel ?? "";
  let run: RunRow | undefined;
  if (runId !== undefined) {
    [run] = await db
      .select()
      .from(calibrationRuns)
      .where(and(eq(calibrationRuns.id, runId), eq(calibrationRuns.dataProductId, dp.id)));
    if (!run || run.status === "S" || run.status === "E") return null;
  } else {
    [run] = await db
      .select()
      .from(calibrationRuns)
      .where(
        and(
          eq(calibrationRuns.dataProductId, dp.id),
          inArray(calibrationRuns.status, ["C", "P"]),
          eq(calibrationRuns.makeCurrent, true),
          eq(calibrationRuns.channel, channel),
        ),
      )
      .orderBy(desc(calibrationRuns.id))
      .limit(1);
    run ??= await createRun(db, dp.id, {
      channel,
      filterRequest: fresh.filterRequest ?? dp.filter,
      matchDistRequested: dp.matchDist,
      reason: "upload",
      makeCurrent: true,
      requestedBy: "",
    });
  }
  const [started] = await db
    .update(calibrationRuns)
    .set({ status: "P" })
    .where(eq(calibrationRuns.id, run.id))
    .returning();
  return started;
}

/** The inputs a run records besides its request. */
export interface RunInputs {
  fileSha256: string;
  catalogueSha256: string | null;
  targetRa: number | null;
  targetDec: number | null;
  epochMjd: number | null;
  referenceSurveys?: string[];
  coneRadiusDeg?: number;
  referenceStars?: number;
  referenceSha256?: string;
  /** Decided with the result (camera health: health.ts), recorded with it. */
  qualityFlag?: QualityFlag | null;
}

const finite = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

/** Fields every finished run records: versions, cuts, time. */
const finishedFields = (seconds: number) => ({
  finished: new Date(),
  algorithmVersion: CALIBRATION_ALGORITHM_VERSION,
  skytomVersion: VERSION,
  cuts: { ...CALIBRATION_CUTS },
  processingTime: seconds,
});

/**
 * The run, while it is not finished: a finished run is never written again. Two deliveries of one job that
 * finish the same run: the second UPDATE waits for the first's row lock, then matches nothing.
 */
const stillOpen = (runId: number) =>
  and(eq(calibrationRuns.id, runId), inArray(calibrationRuns.status, ["C", "P"]));

/** Record a run that ended before a result (no file, unreadable catalogue): status E with the message. */
export async function failRun(
  db: Executor,
  runId: number,
  inputs: Partial<RunInputs>,
  message: string,
  seconds: number,
): Promise<RunRow | undefined> {
  const [run] = await db
    .update(calibrationRuns)
    .set({ status: "E", statusMessage: message, ...inputs, ...finishedFields(seconds) })
    .where(stillOpen(runId))
    .returning();
  return run;
}

/**
 * Record a run's result: its inputs, outputs and per-band table (status S, or E with CPCS's message).
 * Undefined when the run had finished already (see stillOpen).
 */
export async function finishRun(
  db: Executor,
  runId: number,
  inputs: RunInputs,
  result: CalibrationResult,
  plotPath: string | null,
  seconds: number,
): Promise<RunRow | undefined> {
  const c = result.calibrationData;
  const [run] = await db
    .update(calibrationRuns)
    .set({
      status: result.ok ? "S" : "E",
      statusMessage: c.status_message,
      ...inputs,
      ...finishedFields(seconds),
      mag: c.mag,
      magError: c.mag_error,
      zeropoint: c.zeropoint,
      zeropointErr: result.zeropointErr,
      outlierFraction: c.outlier_fraction,
      scatter: c.scatter,
      npoints: c.npoints,
      bestFilter: c.best_filter,
      survey: c.survey,
      matchDist: c.match_distans,
      isLimit: result.isLimit,
      lightCurveFilter: result.lightCurveFilter,
      rowsTotal: result.counts.rows,
      rowsUsable: result.counts.usable,
      starsMatched: result.counts.matched,
      starsKept: result.counts.kept,
      calibrationPlot: plotPath,
      colourTerm: storedColourTerm(result.colourTerm),
    })
    .where(stillOpen(runId))
    .returning();
  if (run && result.bands.length) {
    await db.insert(calibrationRunBands).values(
      result.bands.map((b) => ({
        runId,
        survey: b.survey,
        band: b.band,
        zeropoint: finite(b.zp),
        zeropointErr: finite(b.zpErr),
        scatter: finite(b.scatter),
        outlierFraction: finite(b.outlierFraction),
        npoints: b.n,
        passed: b.passed,
        chosen: b.survey === c.survey && b.band === c.best_filter,
        reason: b.reason ?? "",
        colourK: b.colour ? finite(b.colour.k) : null,
        colourKErr: b.colour ? finite(b.colour.kErr) : null,
        colourKSource: b.colour?.kSource ?? null,
        colourC0: b.colour ? finite(b.colour.c0) : null,
      })),
    );
  }
  return run;
}

/** A run's per-band table, in the calibration's order. */
export function runBands(db: Executor, runId: number): Promise<RunBandRow[]> {
  return db
    .select()
    .from(calibrationRunBands)
    .where(eq(calibrationRunBands.runId, runId))
    .orderBy(asc(calibrationRunBands.id));
}

/** The run's light-curve point: its magnitude (or limit); none for a failure or a dry-run upload. */
function lightCurvePoint({ dp, observatory, uploader }: LoadedDataProduct, run: RunRow): NewPoint | null {
  if (run.status !== "S" || dp.dryRun || dp.mjd === null) return null;
  if (run.mag === null || run.magError === null || !run.lightCurveFilter) return null;
  return {
    dataType: "photometry",
    sourceLocation: "cpcs",
    mjd: dp.mjd,
    observer: dp.observers[0] ?? uploader ?? "",
    observers: dp.observers,
    facility: observatory ?? dp.facility,
    value: run.mag,
    error: run.magError,
    valueUnit: "MAG",
    filter: run.lightCurveFilter,
    calibrationRunId: run.id,
    qualityFlag: run.qualityFlag,
    channel: run.channel,
  };
}

/** The data product's status message for a current run. */
function summary(dp: LoadedDataProduct["dp"], run: RunRow): string {
  if (run.status !== "S") return run.statusMessage;
  const what = run.isLimit ? "Limit" : "Calibrated";
  return (
    `${what} ${run.mag?.toFixed(3)} in ${run.survey}/${run.bestFilter}` +
    (dp.dryRun ? " (dry run: no point added)" : "")
  );
}

/**
 * A one-shot-colour product's status from its channels: P while a channel run that is to become current
 * is queued or running, then S when any channel calibrated, else E; the message lists each channel.
 */
async function channelsSummary(
  tx: Executor,
  dp: LoadedDataProduct["dp"],
): Promise<{ status: RunRow["status"]; statusMessage: string }> {
  const open = await tx
    .select({ id: calibrationRuns.id })
    .from(calibrationRuns)
    .where(
      and(
        eq(calibrationRuns.dataProductId, dp.id),
        eq(calibrationRuns.makeCurrent, true),
        inArray(calibrationRuns.status, ["C", "P"]),
      ),
    )
    .limit(1);
  const rows = await tx
    .select({
      channel: calibrations.channel,
      status: calibrations.status,
      statusMessage: calibrations.statusMessage,
      mag: calibrations.mag,
      magError: calibrations.magError,
      survey: calibrations.survey,
      bestFilter: calibrations.bestFilter,
    })
    .from(calibrations)
    .where(eq(calibrations.dataProductId, dp.id));
  const order = (c: string) => "RGB".indexOf(c);
  rows.sort((a, b) => order(a.channel) - order(b.channel));
  const busy = open.length > 0;
  const status = busy ? "P" : rows.some((r) => r.status === "S") ? "S" : "E";
  const parts = rows.map((r) =>
    r.status === "S"
      ? `${r.channel}: ${r.magError === -1 ? "limit " : ""}${r.mag?.toFixed(3)} in ${r.survey}/${r.bestFilter}`
      : `${r.channel}: ${r.status === "E" ? r.statusMessage : "calibrating"}`,
  );
  const head = busy ? "Calibrating channels" : "One-shot-colour frame";
  return {
    status,
    statusMessage:
      `${head} — ${parts.join("; ")}` + (dp.dryRun && !busy ? " (dry run: no points added)" : ""),
  };
}

/**
 * Make a finished run the data product's current one (of its channel), inside the caller's transaction:
 * the calibration row of that channel, its per-band table, the light-curve point of that channel
 * (replacing the earlier run's), the target's last point, the product's status, filter request and
 * matching radius all become the run's; then the quality flags of the frame and of the camera's frames
 * after it are re-decided (health.ts redecideLaterFlags). A channel run (one-shot-colour) leaves the
 * product's filter request alone; the product's status sums up its channels.
 */
export async function makeRunCurrent(tx: Executor, run: RunRow): Promise<void> {
  // Serialise with the camera's other frames changing (their flags depend on this one: health.ts).
  await lockCameraFlags(tx, run.dataProductId);
  // Serialise with other runs of this product finishing (the later one wins).
  await tx
    .select({ id: dataProducts.id })
    .from(dataProducts)
    .where(eq(dataProducts.id, run.dataProductId))
    .for("update");
  const row = await loadDataProduct(tx, run.dataProductId);
  if (!row) return;
  const { dp, target } = row;
  const values = {
    status: run.status,
    statusMessage: run.statusMessage,
    mag: run.mag,
    magError: run.magError,
    ra: run.targetRa,
    dec: run.targetDec,
    zeropoint: run.zeropoint,
    zeropointErr: run.zeropointErr,
    outlierFraction: run.outlierFraction,
    scatter: run.scatter,
    npoints: run.npoints,
    bestFilter: run.bestFilter,
    survey: run.survey,
    matchDist: run.matchDist ?? 0,
    calibrationPlot: run.calibrationPlot,
    noPlot: run.calibrationPlot === null,
    processingTime: run.processingTime,
    filterRequest: run.filterRequest,
    colourTerm: run.colourTerm,
    runId: run.id,
    channel: run.channel,
  };
  let cal: { id: number } | undefined;
  if (dp.mjd !== null) {
    [cal] = await tx
      .insert(calibrations)
      .values({ dataProductId: dp.id, mjd: dp.mjd, ...values })
      .onConflictDoUpdate({
        target: [calibrations.dataProductId, calibrations.channel],
        set: { mjd: dp.mjd, ...values },
      })
      .returning({ id: calibrations.id });
  } else {
    [cal] = await tx
      .update(calibrations)
      .set(values)
      .where(and(eq(calibrations.dataProductId, dp.id), eq(calibrations.channel, run.channel)))
      .returning({ id: calibrations.id });
  }
  if (cal) {
    await tx.delete(calibrationBands).where(eq(calibrationBands.calibrationId, cal.id));
    const bands = await runBands(tx, run.id);
    if (bands.length)
      await tx
        .insert(calibrationBands)
        .values(bands.map(({ id: _id, runId: _run, ...b }) => ({ ...b, calibrationId: cal.id })));
  }
  const point = lightCurvePoint(row, run);
  await replaceDataProductPoints(tx, target.id, dp.id, point ? [point] : [], run.channel);
  await tx
    .update(dataProducts)
    .set(
      run.channel === ""
        ? {
            status: run.status,
            statusMessage: summary(dp, run),
            filter: run.filterRequest,
            matchDist: run.matchDistRequested,
          }
        : { ...(await channelsSummary(tx, dp)), matchDist: run.matchDistRequested },
    )
    .where(eq(dataProducts.id, dp.id));
  // The frame's flag and those of the frames after it, against the camera's frames as they are now.
  await redecideLaterFlags(tx, dp.id);
}

/** The data product's current run of a channel (undefined: none yet). */
async function currentRun(
  db: Executor,
  dataProductId: number,
  channel: CalibrationChannel,
): Promise<RunRow | undefined> {
  const [row] = await db
    .select({ run: calibrationRuns })
    .from(calibrations)
    .innerJoin(calibrationRuns, eq(calibrationRuns.id, calibrations.runId))
    .where(and(eq(calibrations.dataProductId, dataProductId), eq(calibrations.channel, channel)));
  return row?.run;
}

/**
 * A failed run that would have replaced a successful one: the product keeps its current run, calibration
 * row and point; its status goes back to that run's, with a note naming the failed run.
 */
async function keepCurrentRun(tx: Executor, keep: RunRow, failed: RunRow): Promise<void> {
  const row = await loadDataProduct(tx, keep.dataProductId);
  if (!row) return;
  await tx
    .update(calibrations)
    .set({ status: keep.status, statusMessage: keep.statusMessage, filterRequest: keep.filterRequest })
    .where(and(eq(calibrations.dataProductId, keep.dataProductId), eq(calibrations.channel, keep.channel)));
  const note = `recalibration run ${failed.id} failed (${failed.statusMessage || "no message"}), run ${keep.id} stays current`;
  if (keep.channel !== "") {
    // A channel of a one-shot-colour frame: the product's status sums up its channels.
    const channels = await channelsSummary(tx, row.dp);
    await tx
      .update(dataProducts)
      .set({ ...channels, statusMessage: `${channels.statusMessage}; ${keep.channel}: ${note}` })
      .where(eq(dataProducts.id, keep.dataProductId));
    return;
  }
  await tx
    .update(dataProducts)
    .set({
      status: keep.status,
      statusMessage: `${summary(row.dp, keep)}; ${note}`,
      filter: keep.filterRequest,
      matchDist: keep.matchDistRequested,
    })
    .where(eq(dataProducts.id, keep.dataProductId));
}

/**
 * Settle a finished run that is to become current, inside the caller's transaction. A successful run
 * becomes current (makeRunCurrent). A failed one becomes current only when the product has no successful
 * current run (an upload's first calibration failing): a failed recalibration never replaces a good
 * point — it stays recorded (status E, its message) and the earlier run stays current.
 * Returns whether the run became current.
 */
export async function settleRun(tx: Executor, run: RunRow): Promise<boolean> {
  await lockCameraFlags(tx, run.dataProductId);
  if (run.status === "E") {
    await tx
      .select({ id: dataProducts.id })
      .from(dataProducts)
      .where(eq(dataProducts.id, run.dataProductId))
      .for("update");
    const keep = await currentRun(tx, run.dataProductId, run.channel);
    if (keep && keep.status === "S" && keep.id !== run.id) {
      await keepCurrentRun(tx, keep, run);
      return false;
    }
  }
  await makeRunCurrent(tx, run);
  return true;
}

/** The data product's current run id of a channel ("" for an ordinary frame; null: none yet). */
export async function currentRunId(
  db: Executor,
  dataProductId: number,
  channel: CalibrationChannel = "",
): Promise<number | null> {
  const [cal] = await db
    .select({ runId: calibrations.runId })
    .from(calibrations)
    .where(and(eq(calibrations.dataProductId, dataProductId), eq(calibrations.channel, channel)));
  return cal?.runId ?? null;
}

/** The data product's current run ids, by channel ("" for an ordinary frame). */
export async function currentRunIds(db: Executor, dataProductId: number): Promise<Map<string, number>> {
  const rows = await db
    .select({ channel: calibrations.channel, runId: calibrations.runId })
    .from(calibrations)
    .where(eq(calibrations.dataProductId, dataProductId));
  return new Map(rows.filter((r) => r.runId !== null).map((r) => [r.channel, r.runId!]));
}

/** Every run of a data product, oldest first. */
export function runsOf(db: Executor, dataProductId: number): Promise<RunRow[]> {
  return db
    .select()
    .from(calibrationRuns)
    .where(eq(calibrationRuns.dataProductId, dataProductId))
    .orderBy(asc(calibrationRuns.id));
}
