/**
 * The calibration of a stored data product (CPCS), as the worker runs it for an upload, the FITS job after
 * measuring an image, and a restart: the instrumental catalogue of a `photometry` data product (uploaded)
 * or of a `fits_file` one (measured by the FITS job) is read, run through the pipeline (pipeline.ts) with
 * the target's position and the product's filter request and matching radius, and stored — the calibration row with its
 * per-band table, and (unless a dry run) one light-curve point with filter `<band>(<survey>)`.
 * Status letters move C → P → S or E. Re-running a job replaces its results, never duplicates a point:
 * the result is written in one transaction that first locks the data product's row, so two runs of the
 * same job (a worker presumed dead by its lease while still running, and the retry) write one after
 * the other, and the later one deletes the earlier one's point before adding its own.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { eq } from "drizzle-orm";
import type { CalibrationResult } from "../../astro/calibrate/index.ts";
import { inTransaction, type Database } from "../../db/connection.ts";
import {
  calibrationBands,
  calibrations,
  cameras,
  dataProducts,
  observatories,
  targets,
  users,
} from "../../db/schema/index.ts";
import { storedPath } from "../../storage.ts";
import { replaceDataProductPoints, type NewPoint } from "../datums/store.ts";
import { calibrationPlot, runCalibration, type CalibrationDeps } from "./pipeline.ts";

async function load(database: Database, id: number) {
  const [row] = await database.db
    .select({ dp: dataProducts, target: targets, observatory: observatories.name, uploader: users.username })
    .from(dataProducts)
    .innerJoin(targets, eq(targets.id, dataProducts.targetId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .leftJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .leftJoin(users, eq(users.id, dataProducts.userId))
    .where(eq(dataProducts.id, id));
  return row;
}

async function markStarted(
  database: Database,
  id: number,
  mjd: number,
  filter: string,
  now: Date,
): Promise<number> {
  return inTransaction(database, async (tx) => {
    await tx
      .update(dataProducts)
      .set({ status: "P", statusMessage: "Calibration running" })
      .where(eq(dataProducts.id, id));
    const [existing] = await tx.select().from(calibrations).where(eq(calibrations.dataProductId, id));
    const tries = (existing?.numberTries ?? 0) + 1;
    await tx
      .insert(calibrations)
      .values({
        dataProductId: id,
        status: "P",
        mjd,
        startProcessing: now,
        numberTries: tries,
        filterRequest: filter,
      })
      .onConflictDoUpdate({
        target: calibrations.dataProductId,
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

async function markFailed(database: Database, id: number, message: string, seconds: number): Promise<void> {
  await inTransaction(database, async (tx) => {
    await tx.update(dataProducts).set({ status: "E", statusMessage: message }).where(eq(dataProducts.id, id));
    await tx
      .update(calibrations)
      .set({ status: "E", statusMessage: message, processingTime: seconds })
      .where(eq(calibrations.dataProductId, id));
  });
}

/** What calibrating a stored data product uses: the pipeline's services and the data directory. */
export interface CalibrateOptions extends CalibrationDeps {
  /** Data directory (SKYTOM_DATA): the catalogue is read from it, the plot written to it. */
  dataDir: string;
  now?: () => Date;
}

type Loaded = NonNullable<Awaited<ReturnType<typeof load>>>;

/**
 * Calibrate one `photometry` or `fits_file` data product. Data problems end in status E with a message;
 * infrastructure failures (database, provider) throw so the queue retries the job.
 */
export async function calibrateDataProduct(
  database: Database,
  id: number,
  opts: CalibrateOptions,
): Promise<CalibrateTimings | undefined> {
  const now = opts.now ?? (() => new Date());
  const row = await load(database, id);
  if (!row || (row.dp.dataProductType !== "photometry" && row.dp.dataProductType !== "fits_file"))
    return undefined;
  const { dp, target } = row;
  // An uploaded catalogue, or the one the FITS job measured.
  const cataloguePath = dp.dataProductType === "photometry" ? dp.data : dp.photometryData;
  const t0 = performance.now();
  const seconds = () => +((performance.now() - t0) / 1000).toFixed(3);
  if (dp.mjd === null || target.ra === null || target.dec === null || !cataloguePath) {
    await markFailed(database, id, "no MJD, catalogue or target position to calibrate with", 0);
    return undefined;
  }
  await markStarted(database, id, dp.mjd, dp.filter, now());

  let text: string;
  try {
    text = await readFile(storedPath(opts.dataDir, cataloguePath), "utf8");
  } catch (err) {
    await markFailed(database, id, `cannot read the uploaded file: ${(err as Error).message}`, seconds());
    return undefined;
  }
  const tRun = performance.now();
  const run = await runCalibration(
    {
      catalogueText: text,
      target: { raDeg: target.ra, decDeg: target.dec },
      filterRequest: dp.filter,
      matchDistArcsec: dp.matchDist ?? undefined,
      epochMjd: dp.mjd,
    },
    opts,
  );
  if (!run.ok) {
    await markFailed(database, id, `catalogue: ${run.error}`, seconds());
    return undefined;
  }
  const tPlot = performance.now();
  const plot = calibrationPlot(
    run.result,
    "png",
    `${target.name} — data product ${id}, MJD ${dp.mjd.toFixed(5)}`,
  );
  let plotPath: string | null = null;
  if (plot !== null) {
    plotPath = `plots/calibration/${id}.png`;
    await mkdir(dirname(storedPath(opts.dataDir, plotPath)), { recursive: true });
    await writeFile(storedPath(opts.dataDir, plotPath), plot);
  }
  const tStore = performance.now();
  await storeResult(database, row, run.result, plotPath, seconds());
  return {
    cone: run.coneSeconds * 1000,
    fit: tPlot - tRun - run.coneSeconds * 1000,
    plot: tStore - tPlot,
    store: performance.now() - tStore,
  };
}

/** Where a calibration's time went, ms: reference cone, parse + fit, plot (rendered and written), store. */
export interface CalibrateTimings {
  cone: number;
  fit: number;
  plot: number;
  store: number;
}

/**
 * Store a calibration's result in one transaction: the calibration row and its per-band table, the
 * product's light-curve point (replacing an earlier run's), the target's last point and the status.
 */
async function storeResult(
  database: Database,
  row: Loaded,
  result: CalibrationResult,
  plotPath: string | null,
  seconds: number,
): Promise<void> {
  const { dp, target } = row;
  const id = dp.id;
  const c = result.calibrationData;
  const status = result.ok ? "S" : "E";
  const message = c.status_message;
  await inTransaction(database, async (tx) => {
    // Serialise concurrent runs of this job (see the file comment).
    await tx.select({ id: dataProducts.id }).from(dataProducts).where(eq(dataProducts.id, id)).for("update");
    const [cal] = await tx
      .update(calibrations)
      .set({
        status,
        statusMessage: message,
        mag: c.mag,
        magError: c.mag_error,
        ra: c.ra,
        dec: c.dec,
        zeropoint: c.zeropoint,
        zeropointErr: result.zeropointErr,
        outlierFraction: c.outlier_fraction,
        scatter: c.scatter,
        npoints: c.npoints,
        bestFilter: c.best_filter,
        survey: c.survey,
        matchDist: c.match_distans ?? 0,
        calibrationPlot: plotPath,
        noPlot: plotPath === null,
        processingTime: seconds,
      })
      .where(eq(calibrations.dataProductId, id))
      .returning({ id: calibrations.id });
    await tx.delete(calibrationBands).where(eq(calibrationBands.calibrationId, cal.id));
    if (result.bands.length) {
      await tx.insert(calibrationBands).values(
        result.bands.map((b) => ({
          calibrationId: cal.id,
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
        })),
      );
    }
    const point = lightCurvePoint(row, result);
    await replaceDataProductPoints(tx, target.id, id, point ? [point] : []);
    const summary = result.ok
      ? `${result.isLimit ? "Limit" : "Calibrated"} ${c.mag?.toFixed(3)} in ${result.standardisedTo}` +
        (dp.dryRun ? " (dry run: no point added)" : "")
      : message;
    await tx.update(dataProducts).set({ status, statusMessage: summary }).where(eq(dataProducts.id, id));
  });
}

/** The product's light-curve point: the calibrated magnitude (or limit), none for a failure or dry run. */
function lightCurvePoint({ dp, observatory, uploader }: Loaded, result: CalibrationResult): NewPoint | null {
  const c = result.calibrationData;
  if (!result.ok || dp.dryRun || dp.mjd === null) return null;
  if (c.mag === null || c.mag_error === null || !result.lightCurveFilter) return null;
  return {
    dataType: "photometry",
    sourceLocation: "cpcs",
    mjd: dp.mjd,
    observer: dp.observers[0] ?? uploader ?? "",
    observers: dp.observers,
    facility: observatory ?? dp.facility,
    value: c.mag,
    error: c.mag_error,
    valueUnit: "MAG",
    filter: result.lightCurveFilter,
  };
}

const finite = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;
