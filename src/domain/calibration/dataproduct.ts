/**
 * The calibration of a stored data product (CPCS), as the worker runs it for an upload, the FITS job after
 * measuring an image, and a restart: the instrumental catalogue of a `photometry` data product (uploaded)
 * or of a `fits_file` one (measured by the FITS job) is read, run through the pipeline (pipeline.ts) with
 * the target's position and the product's filter request and matching radius, and stored — the calibration row with its
 * per-band table, and (unless a dry run) one light-curve point with filter `<band>(<survey>)`.
 * Status letters move C → P → S or E. Each calibration is a calibration run (runs.ts): re-running a job
 * makes a new run whose result replaces the earlier one's, never duplicating a point — the result is
 * written in one transaction that first locks the data product's row; two deliveries of the same job
 * (a worker presumed dead by its lease while still running, and the retry) carry out the same run, and
 * only the first to finish records it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { and, eq } from "drizzle-orm";
import { inTransaction, type Database } from "../../db/connection.ts";
import {
  calibrations,
  dataProducts,
  PRIMARY_CHANNELS,
  type CalibrationChannel,
} from "../../db/schema/index.ts";
import { storedPath } from "../../storage.ts";
import { cameraOf, colourRequestFor, frameRequest, learnColourTerm } from "./colour.ts";
import { qualityFlagFor } from "./health.ts";
import { runCalibration, type CalibrationDeps } from "./pipeline.ts";
import { storePlotData } from "./plotfile.ts";
import { failRun, finishRun, loadDataProduct, openRun, settleRun, type RunInputs } from "./runs.ts";

/**
 * The instrumental catalogue of one channel of a one-shot-colour frame, next to the product's own
 * (`…/12_catalogue.dat` → `…/12_catalogue_R.dat`); the product's own for an ordinary frame ("").
 */
export function channelCataloguePath(path: string, channel: CalibrationChannel): string {
  if (channel === "") return path;
  const dot = path.lastIndexOf(".");
  return dot > path.lastIndexOf("/")
    ? `${path.slice(0, dot)}_${channel}${path.slice(dot)}`
    : `${path}_${channel}`;
}

/** The product and its calibration row (of the channel) go to P (running); returns the try's number. */
async function markStarted(
  database: Database,
  id: number,
  mjd: number,
  filter: string,
  now: Date,
  channel: CalibrationChannel,
): Promise<number> {
  return inTransaction(database, async (tx) => {
    await tx
      .update(dataProducts)
      .set({ status: "P", statusMessage: "Calibration running" })
      .where(eq(dataProducts.id, id));
    const [existing] = await tx
      .select()
      .from(calibrations)
      .where(and(eq(calibrations.dataProductId, id), eq(calibrations.channel, channel)));
    const tries = (existing?.numberTries ?? 0) + 1;
    await tx
      .insert(calibrations)
      .values({
        dataProductId: id,
        channel,
        status: "P",
        mjd,
        startProcessing: now,
        numberTries: tries,
        filterRequest: filter,
      })
      .onConflictDoUpdate({
        target: [calibrations.dataProductId, calibrations.channel],
        set: {
          status: "P",
          statusMessage: "",
          startProcessing: now,
          numberTries: tries,
          filterRequest: filter,
          mjd,
        },
      });
    return tries;
  });
}

/** What calibrating a stored data product uses: the pipeline's services and the data directory. */
export interface CalibrateOptions extends CalibrationDeps {
  /** Data directory (SKYTOM_DATA): the catalogue is read from it, the plot's data written to it. */
  dataDir: string;
  now?: () => Date;
  /** The queued run to carry out (recalibrate, restart); default: the product's own (runs.ts openRun). */
  runId?: number;
}

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * Calibrate one `photometry` or `fits_file` data product as one calibration run (runs.ts). Data problems
 * end in status E with a message; infrastructure failures (database, provider) throw so the queue retries
 * the job (the run stays open and the retry carries it out). A run that is to become current replaces the
 * product's calibration and point when it finishes; a trial run (dry_run) is only recorded.
 */
export async function calibrateDataProduct(
  database: Database,
  id: number,
  opts: CalibrateOptions,
): Promise<CalibrateTimings | undefined> {
  const now = opts.now ?? (() => new Date());
  const row = await loadDataProduct(database.db, id);
  if (!row || (row.dp.dataProductType !== "photometry" && row.dp.dataProductType !== "fits_file"))
    return undefined;
  const { dp, target } = row;
  const run = await openRun(database.db, dp, opts.runId);
  if (!run) return undefined;
  // An uploaded catalogue, or the one the FITS job measured (of the run's channel for a colour frame).
  const measuredPath = dp.photometryData && channelCataloguePath(dp.photometryData, run.channel);
  const cataloguePath = dp.dataProductType === "photometry" ? dp.data : measuredPath;
  const t0 = performance.now();
  const seconds = () => +((performance.now() - t0) / 1000).toFixed(3);
  const inputs: RunInputs = {
    fileSha256: dp.sha256,
    catalogueSha256: null,
    targetRa: target.ra,
    targetDec: target.dec,
    epochMjd: dp.mjd,
  };
  const fail = (message: string) =>
    inTransaction(database, async (tx) => {
      const failed = await failRun(tx, run.id, inputs, message, seconds());
      if (failed?.makeCurrent) await settleRun(tx, failed);
    });
  if (dp.mjd === null || target.ra === null || target.dec === null || !cataloguePath) {
    await fail("no MJD, catalogue or target position to calibrate with");
    return undefined;
  }
  if (run.makeCurrent) await markStarted(database, id, dp.mjd, run.filterRequest, now(), run.channel);

  let text: string;
  try {
    text = await readFile(storedPath(opts.dataDir, cataloguePath), "utf8");
  } catch (err) {
    await fail(`cannot read the uploaded file: ${(err as Error).message}`);
    return undefined;
  }
  inputs.catalogueSha256 = sha256(text);
  const tRun = performance.now();
  // Colour terms (docs/colour.md): the camera's setting, its learnt k, the target's colour from points.
  const camera = await cameraOf(database.db, dp.cameraId);
  const colour = await colourRequestFor(database.db, camera, {
    targetId: target.id,
    facility: row.observatory ?? dp.facility,
    mjd: dp.mjd,
    dataProductId: dp.id,
  });
  const result = await runCalibration(
    {
      catalogueText: text,
      target: { raDeg: target.ra, decDeg: target.dec },
      filterRequest: await frameRequest(database.db, dp, camera, run.filterRequest),
      matchDistArcsec: run.matchDistRequested ?? undefined,
      epochMjd: dp.mjd,
      colour,
    },
    opts,
  );
  if (!result.ok) {
    await fail(`catalogue: ${result.error}`);
    return undefined;
  }
  Object.assign(inputs, {
    referenceSurveys: result.surveys,
    coneRadiusDeg: result.radiusDeg,
    referenceStars: result.reference.raDeg.length,
    referenceSha256: result.referenceSha256,
    // The camera's zero-point history is of its ordinary frames and G channels (PRIMARY_CHANNELS).
    qualityFlag:
      result.result.ok && PRIMARY_CHANNELS.includes(run.channel)
        ? await qualityFlagFor(
            database.db,
            dp,
            result.result.calibrationData.zeropoint,
            result.result.lightCurveFilter,
          )
        : null,
  });
  // The plot is drawn on first view (plotfile.ts): the run stores what it draws, and the PNG's path.
  const tPlot = performance.now();
  let plotPath: string | null = null;
  if (result.result.plot.length > 0) {
    plotPath = `plots/calibration/${id}-run${run.id}.png`;
    const title =
      `${target.name} — data product ${id}${run.channel ? ` (${run.channel} channel)` : ""}, run ${run.id}, ` +
      `MJD ${dp.mjd.toFixed(5)}`;
    await storePlotData(opts.dataDir, plotPath, result.result, title);
  }
  const tStore = performance.now();
  await inTransaction(database, async (tx) => {
    const finished = await finishRun(tx, run.id, inputs, result.result, plotPath, seconds());
    const current = finished?.makeCurrent ? await settleRun(tx, finished) : false;
    // A frame that fitted its own k teaches its camera (trial runs and runs that did not become current
    // do not: they change nothing).
    if (current && finished && camera && finished.survey && finished.bestFilter)
      await learnColourTerm(tx, camera.id, finished.survey, finished.bestFilter, finished.colourTerm);
  });
  return {
    cone: result.coneSeconds * 1000,
    fit: tPlot - tRun - result.coneSeconds * 1000,
    plot: tStore - tPlot,
    store: performance.now() - tStore,
  };
}

/** Where a calibration's time went, ms: reference cone, parse + fit, plot (its data stored), store. */
export interface CalibrateTimings {
  cone: number;
  fit: number;
  plot: number;
  store: number;
}
