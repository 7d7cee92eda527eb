/**
 * Camera health (issue 17, docs/calibration-runs.md): per camera (ONAME) over time, each frame's zero point
 * (normalised to 1 s when the exposure time is known), scatter, limiting magnitude, FWHM and stars matched,
 * and the fraction of uploads calibrated or failed. A frame whose zero point shows > 3σ less light than the
 * camera's running median of earlier frames (src/astro/calibrate/health.ts) gets the quality flag
 * `low_zeropoint` on its calibration run and light-curve point, decided when the run finishes.
 */
import { and, asc, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import {
  HEALTH_DEFAULTS,
  isLowThroughput,
  median,
  zeropointPerSecond,
} from "../../astro/calibrate/health.ts";
import type { Executor } from "../../db/connection.ts";
import {
  calibrationRuns,
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  QUALITY_FLAGS,
  reducedDatums,
  type QualityFlag,
  primaryCalibrationOf,
} from "../../db/schema/index.ts";
import { BadRequestError, NotFoundError } from "../errors.ts";
import type { Caller } from "../permissions.ts";

/** The value camera health compares: the 1-s zero point when the exposure is known, else the zero point. */
const comparable = (zp: number, exposureS: number | null) => zeropointPerSecond(zp, exposureS) ?? zp;

/**
 * Which frames' zero points compare with each other: the same light-curve band (a camera used with several
 * filters has one zero point per filter), and either all normalised to 1 s (exposure known: FITS images) or
 * all as measured (exposure unknown: `photometry` catalogue uploads, whose API carries no exposure time).
 */
const kindOf = (band: string | null, exposureS: number | null) =>
  `${band ?? ""}|${exposureS !== null && exposureS > 0 ? "1s" : "raw"}`;

/** How many of the camera's frames before and after a changed frame re-deciding its neighbours reads. */
const NEIGHBOURS_BEFORE = 2 * HEALTH_DEFAULTS.window;
const NEIGHBOURS_AFTER = 2 * HEALTH_DEFAULTS.window;

/** A calibrated frame of a camera as the flags see it: its current run, zero point, exposure and band. */
interface Frame {
  dp: number;
  mjd: number;
  run: number;
  zp: number;
  exp: number | null;
  band: string | null;
  flag: QualityFlag | null;
}

/** The flag of `frame` judged against the camera's earlier unflagged frames of its kind (`frames`, by MJD). */
function verdict(frame: Frame, earlier: readonly Frame[]): QualityFlag | null {
  const kind = kindOf(frame.band, frame.exp);
  const values = earlier
    .filter((g) => g.mjd < frame.mjd && g.flag === null && kindOf(g.band, g.exp) === kind)
    .map((g) => comparable(g.zp, g.exp));
  return isLowThroughput(comparable(frame.zp, frame.exp), values) ? "low_zeropoint" : null;
}

/** Current, successful calibrations of the camera's frames: the columns a Frame is read from. */
// A camera's frames are its ordinary frames and its one-shot-colour frames' G channels (PRIMARY_CHANNELS).
const FRAME_SQL = sql`select d.id as dp, d.mjd, r.id as run, r.zeropoint as zp,
    coalesce(j.fits_exp, c.exp_time) as exp, r.light_curve_filter as band, r.quality_flag as flag
  from data_products d
  join calibrations c on c.data_product_id = d.id and c.channel in ('', 'G')
  join calibration_runs r on r.id = c.run_id
  left join fits_jobs j on j.data_product_id = d.id`;
const FRAME_WHERE = (cameraId: number) =>
  sql`d.camera_id = ${cameraId} and r.status = 'S' and r.zeropoint is not null`;

const toFrame = (r: Record<string, unknown>): Frame => ({
  dp: Number(r.dp),
  mjd: Number(r.mjd),
  run: Number(r.run),
  zp: Number(r.zp),
  exp: r.exp === null || r.exp === undefined ? null : Number(r.exp),
  band: (r.band as string | null) ?? null,
  flag: (r.flag as QualityFlag | null) ?? null,
});

/**
 * The quality flag of a frame of this data product calibrated to zero point `zp` in light-curve band
 * `band`: judged against the current, unflagged, successful calibrations of the camera's earlier frames
 * (by MJD) of the same kind (kindOf).
 */
export async function qualityFlagFor(
  db: Executor,
  dp: { id: number; cameraId: number | null; mjd: number | null },
  zp: number | null,
  band: string | null,
): Promise<QualityFlag | null> {
  if (dp.cameraId === null || dp.mjd === null || zp === null) return null;
  const [job] = await db
    .select({ exp: fitsJobs.fitsExp })
    .from(fitsJobs)
    .where(eq(fitsJobs.dataProductId, dp.id));
  const exp = job?.exp ?? null;
  const normalised = exp !== null && exp > 0;
  const history = await db.execute<Record<string, unknown>>(sql`${FRAME_SQL}
    where ${FRAME_WHERE(dp.cameraId)} and d.mjd < ${dp.mjd} and d.id <> ${dp.id}
      and r.quality_flag is null and r.light_curve_filter is not distinct from ${band}
      and (coalesce(j.fits_exp, c.exp_time, 0) > 0) = ${normalised}
    order by d.mjd desc, d.id desc limit ${HEALTH_DEFAULTS.window}`);
  const frame: Frame = { dp: dp.id, mjd: dp.mjd, run: 0, zp, exp, band, flag: null };
  return verdict(frame, history.rows.map(toFrame).reverse());
}

/**
 * Serialise, per camera, the transactions that change which run is current (runs.ts) and so re-decide
 * flags: each then reads its neighbours with the others' changes committed, and two never wait on each
 * other's point rows. Inside the caller's transaction; released when it ends.
 */
export async function lockCameraFlags(tx: Executor, dataProductId: number): Promise<void> {
  const [dp] = await tx
    .select({ cameraId: dataProducts.cameraId })
    .from(dataProducts)
    .where(eq(dataProducts.id, dataProductId));
  if (dp?.cameraId !== null && dp?.cameraId !== undefined)
    await tx.execute(sql`select pg_advisory_xact_lock(${FLAG_LOCK}::int4, ${dp.cameraId}::int4)`);
}
/** First key of lockCameraFlags' advisory lock (the second is the camera id). */
const FLAG_LOCK = 0x736b7466; // "sktf"

/**
 * Re-decide the flags of this data product's frame and of the camera's frames after it (by MJD), now that
 * its current run changed (a frame uploaded later for an earlier night, a recalibration, use-run): each is
 * judged again against its earlier unflagged frames, in MJD order (a frame re-flagged or cleared changes the
 * baseline of the frames after it). One bounded query (the NEIGHBOURS_BEFORE frames before, the
 * NEIGHBOURS_AFTER after); the runs whose flag changed and their points are updated in the caller's
 * transaction. Frames further on keep their flags until a run near them changes. Returns how many changed.
 */
export async function redecideLaterFlags(tx: Executor, dataProductId: number): Promise<number> {
  const [dp] = await tx
    .select({ cameraId: dataProducts.cameraId, mjd: dataProducts.mjd })
    .from(dataProducts)
    .where(eq(dataProducts.id, dataProductId));
  if (!dp || dp.cameraId === null || dp.mjd === null) return 0;
  const where = FRAME_WHERE(dp.cameraId);
  const res = await tx.execute<Record<string, unknown>>(sql`
    (${FRAME_SQL} where ${where} and d.mjd < ${dp.mjd}
      order by d.mjd desc, d.id desc limit ${NEIGHBOURS_BEFORE})
    union all
    (${FRAME_SQL} where ${where} and d.mjd >= ${dp.mjd}
      order by d.mjd, d.id limit ${NEIGHBOURS_AFTER + 1})`);
  const frames = res.rows.map(toFrame).sort((a, b) => a.mjd - b.mjd || a.dp - b.dp);
  const changed: Frame[] = [];
  for (const f of frames) {
    if (f.mjd <= dp.mjd && f.dp !== dataProductId) continue;
    const flag = verdict(f, frames);
    if (flag !== f.flag) {
      f.flag = flag;
      changed.push(f);
    }
  }
  for (const flag of [QUALITY_FLAGS[0], null] as const) {
    const runs = changed.filter((f) => f.flag === flag).map((f) => f.run);
    if (!runs.length) continue;
    await tx.update(calibrationRuns).set({ qualityFlag: flag }).where(inArray(calibrationRuns.id, runs));
    await tx
      .update(reducedDatums)
      .set({ qualityFlag: flag })
      .where(inArray(reducedDatums.calibrationRunId, runs));
  }
  return changed.length;
}

export interface CameraHealthRequest {
  oname?: unknown;
  mjd_min?: unknown;
  mjd_max?: unknown;
}

const num = (v: unknown, field: string): number | undefined => {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n)) throw new BadRequestError(`${field}: not a number: ${JSON.stringify(v)}`);
  return n;
};

/** POST /observatory/camera-health/: every frame of the camera in the MJD range, and a summary. */
export async function cameraHealth(db: Executor, _caller: Caller, body: CameraHealthRequest) {
  if (typeof body.oname !== "string" || body.oname === "") throw new BadRequestError("oname is required.");
  const [camera] = await db.select().from(cameras).where(eq(cameras.prefix, body.oname));
  if (!camera) throw new NotFoundError(`Camera ${body.oname} does not exist.`);
  const w: SQL[] = [eq(dataProducts.cameraId, camera.id)];
  const lo = num(body.mjd_min, "mjd_min");
  const hi = num(body.mjd_max, "mjd_max");
  if (lo !== undefined) w.push(gte(dataProducts.mjd, lo));
  if (hi !== undefined) w.push(lte(dataProducts.mjd, hi));
  const rows = await db
    .select({ dp: dataProducts, cal: calibrations, run: calibrationRuns, job: fitsJobs })
    .from(dataProducts)
    .leftJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .leftJoin(calibrationRuns, eq(calibrationRuns.id, calibrations.runId))
    .leftJoin(fitsJobs, eq(fitsJobs.dataProductId, dataProducts.id))
    .where(and(...w))
    .orderBy(asc(dataProducts.mjd), asc(dataProducts.id))
    .limit(10_000);
  const frames = rows
    .filter((r) => r.dp.dataProductType === "photometry" || r.dp.dataProductType === "fits_file")
    .map(({ dp, cal, run, job }) => {
      const exposureS = job?.fitsExp ?? cal?.expTime ?? null;
      const zp = run?.zeropoint ?? cal?.zeropoint ?? null;
      return {
        dataproduct: dp.id,
        mjd: dp.mjd,
        status: dp.status,
        calibration_run: run?.id ?? null,
        exposure_s: exposureS,
        zeropoint: zp,
        zeropoint_1s: zp === null ? null : zeropointPerSecond(zp, exposureS),
        /** False: the exposure time is unknown (a catalogue upload), the zero point is as measured. */
        zeropoint_normalised: exposureS !== null && exposureS > 0,
        filter: run?.lightCurveFilter ?? null,
        scatter: run?.scatter ?? cal?.scatter ?? null,
        limiting_mag: job?.fitsGlim ?? null,
        fwhm_arcsec: job?.fitsSeeing ?? null,
        stars_matched: run?.starsMatched ?? cal?.npoints ?? null,
        quality_flag: run?.qualityFlag ?? null,
      };
    });
  const n = frames.length;
  const share = (s: string) => (n ? frames.filter((f) => f.status === s).length / n : null);
  const zp1 = frames.flatMap((f) => (f.zeropoint_1s === null ? [] : [f.zeropoint_1s]));
  return {
    oname: camera.prefix,
    mjd_min: lo ?? null,
    mjd_max: hi ?? null,
    uploads: n,
    fraction_calibrated: share("S"),
    fraction_failed: share("E"),
    median_zeropoint_1s: zp1.length ? median(zp1) : null,
    flagged: frames.filter((f) => f.quality_flag !== null).length,
    frames,
  };
}
