/**
 * Camera health (issue 17, docs/calibration-runs.md): per camera (ONAME) over time, each frame's zero point
 * (normalised to 1 s when the exposure time is known), scatter, limiting magnitude, FWHM and stars matched,
 * and the fraction of uploads calibrated or failed. A frame whose zero point shows > 3σ less light than the
 * camera's running median of earlier frames (src/astro/calibrate/health.ts) gets the quality flag
 * `low_zeropoint` on its calibration run and light-curve point, decided when the run finishes.
 */
import { and, asc, desc, eq, gte, isNull, lt, lte, ne, type SQL } from "drizzle-orm";
import { isLowThroughput, median, zeropointPerSecond } from "../../astro/calibrate/health.ts";
import type { Executor } from "../../db/connection.ts";
import {
  calibrationRuns,
  calibrations,
  cameras,
  dataProducts,
  fitsJobs,
  type QualityFlag,
  primaryCalibrationOf,
} from "../../db/schema/index.ts";
import { BadRequestError, NotFoundError } from "../errors.ts";
import type { Caller } from "../permissions.ts";

/** The value camera health compares: the 1-s zero point when the exposure is known, else the zero point. */
const comparable = (zp: number, exposureS: number | null) => zeropointPerSecond(zp, exposureS) ?? zp;

/**
 * The quality flag of a frame of this data product calibrated to zero point `zp`: judged against the
 * current, unflagged, successful calibrations of the camera's earlier frames (by MJD).
 */
export async function qualityFlagFor(
  db: Executor,
  dp: { id: number; cameraId: number | null; mjd: number | null },
  zp: number | null,
): Promise<QualityFlag | null> {
  if (dp.cameraId === null || dp.mjd === null || zp === null) return null;
  const [job] = await db
    .select({ exp: fitsJobs.fitsExp })
    .from(fitsJobs)
    .where(eq(fitsJobs.dataProductId, dp.id));
  const history = await db
    .select({ zp: calibrationRuns.zeropoint, exp: fitsJobs.fitsExp, calExp: calibrations.expTime })
    .from(dataProducts)
    .innerJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .innerJoin(calibrationRuns, eq(calibrationRuns.id, calibrations.runId))
    .leftJoin(fitsJobs, eq(fitsJobs.dataProductId, dataProducts.id))
    .where(
      and(
        eq(dataProducts.cameraId, dp.cameraId),
        lt(dataProducts.mjd, dp.mjd),
        ne(dataProducts.id, dp.id),
        eq(calibrationRuns.status, "S"),
        isNull(calibrationRuns.qualityFlag),
      ),
    )
    .orderBy(desc(dataProducts.mjd))
    .limit(20);
  const values = history
    .filter((h) => h.zp !== null)
    .map((h) => comparable(h.zp!, h.exp ?? h.calExp))
    .reverse();
  return isLowThroughput(comparable(zp, job?.exp ?? null), values) ? "low_zeropoint" : null;
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
