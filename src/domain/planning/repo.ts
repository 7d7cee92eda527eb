/**
 * What planning reads: a camera's calibrated FITS frames (its photometric history), targets' recent
 * light-curve points, the target list, cameras with their sites, a user's favourite cameras, and the
 * latest FITS preview of a target.
 */
import { and, asc, desc, eq, gte, isNotNull, sql } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";
import {
  calibrations,
  cameras,
  dataProducts,
  favourites,
  fitsJobs,
  observatories,
  targets,
  primaryCalibrationOf,
} from "../../db/schema/index.ts";
import type { CameraRow, ObservatoryRow } from "../observatories/repo.ts";

/** Frames of the history, newest first. */
export const HISTORY_FRAMES = 100;

/** One calibrated FITS frame of a camera: what the exposure-time calculator learns from. */
export interface HistoryFrame {
  dataProductId: number;
  mjd: number;
  /** CPCS zero point (m_cal = m_inst − ZP), mag. */
  zeropoint: number;
  zeropointErr: number | null;
  expTimeS: number;
  survey: string;
  band: string;
  airmass: number | null;
  fwhmPx: number;
  pixelScaleArcsec: number | null;
  backgroundAdu: number;
  apertureRadiusPx: number;
  apertureCorrectionMag: number;
  /** The target's calibrated magnitude and error in this frame (−1 error: a limit). */
  mag: number | null;
  magErr: number | null;
}

/** The newest HISTORY_FRAMES calibrated FITS frames of a camera (the FITS job's measurements with them). */
export async function cameraHistory(
  db: Executor,
  cameraId: number,
  limit = HISTORY_FRAMES,
): Promise<HistoryFrame[]> {
  const rows = await db
    .select({
      dataProductId: dataProducts.id,
      mjd: calibrations.mjd,
      zeropoint: calibrations.zeropoint,
      zeropointErr: calibrations.zeropointErr,
      expTimeS: calibrations.expTime,
      survey: calibrations.survey,
      band: calibrations.bestFilter,
      airmass: fitsJobs.fitsAirmass,
      fwhmPx: fitsJobs.fitsFwhmAv,
      pixelScaleArcsec: fitsJobs.fitsPixscale,
      backgroundAdu: fitsJobs.fitsBackgroundAdu,
      apertureRadiusPx: fitsJobs.fitsApertureRadiusPx,
      apertureCorrectionMag: fitsJobs.fitsApertureCorrectionMag,
      mag: calibrations.mag,
      magErr: calibrations.magError,
    })
    .from(dataProducts)
    .innerJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    .innerJoin(fitsJobs, eq(fitsJobs.dataProductId, dataProducts.id))
    .where(
      and(
        eq(dataProducts.cameraId, cameraId),
        eq(dataProducts.dataProductType, "fits_file"),
        eq(calibrations.status, "S"),
        isNotNull(calibrations.zeropoint),
        isNotNull(calibrations.bestFilter),
        isNotNull(calibrations.survey),
        sql`${calibrations.expTime} > 0`,
        isNotNull(fitsJobs.fitsBackgroundAdu),
        isNotNull(fitsJobs.fitsApertureRadiusPx),
        sql`${fitsJobs.fitsFwhmAv} > 0`,
      ),
    )
    .orderBy(desc(calibrations.mjd), desc(dataProducts.id))
    .limit(limit);
  return rows.map((r) => ({
    ...r,
    zeropoint: r.zeropoint as number,
    expTimeS: r.expTimeS as number,
    survey: r.survey as string,
    band: r.band as string,
    fwhmPx: r.fwhmPx as number,
    backgroundAdu: r.backgroundAdu as number,
    apertureRadiusPx: r.apertureRadiusPx as number,
    apertureCorrectionMag: r.apertureCorrectionMag ?? 0,
  }));
}

/** A light-curve point as magnitude prediction reads it. */
export interface CurvePoint {
  targetId: number;
  filter: string;
  mjd: number;
  mag: number;
  err: number;
}

/** Points kept per target and filter (the newest). */
export const POINTS_PER_FILTER = 200;

/**
 * Active magnitude points (not limits: error > 0) of these targets, the newest POINTS_PER_FILTER per
 * filter, up to `beforeMjd`.
 */
export async function recentPoints(
  db: Executor,
  targetIds: number[],
  beforeMjd: number,
): Promise<CurvePoint[]> {
  if (!targetIds.length) return [];
  const result = await db.execute<{
    target_id: number;
    filter: string;
    mjd: number;
    value: number;
    error: number;
  }>(sql`
    select target_id, filter, mjd, value, error from (
      select target_id, filter, mjd, value, error,
             row_number() over (partition by target_id, filter order by mjd desc, id desc) as k
      from reduced_datums
      where target_id in (${sql.join(
        targetIds.map((id) => sql`${id}`),
        sql`, `,
      )})
        and active_flg and value_unit = 'MAG' and error > 0 and mjd <= ${beforeMjd}
    ) p where k <= ${POINTS_PER_FILTER}
    order by target_id, filter, mjd`);
  return result.rows.map((r) => ({
    targetId: Number(r.target_id),
    filter: r.filter,
    mjd: Number(r.mjd),
    mag: Number(r.value),
    err: Number(r.error),
  }));
}

export interface CandidateTarget {
  id: number;
  name: string;
  ra: number;
  dec: number;
  importance: number;
  cadence: number;
  mjdLast: number;
  magLast: number;
  filterLast: string;
}

/** Sidereal targets with a position and importance ≥ `minImportance`, most important first. */
export async function candidateTargets(db: Executor, minImportance: number): Promise<CandidateTarget[]> {
  const rows = await db
    .select({
      id: targets.id,
      name: targets.name,
      ra: targets.ra,
      dec: targets.dec,
      importance: targets.importance,
      cadence: targets.cadence,
      mjdLast: targets.mjdLast,
      magLast: targets.magLast,
      filterLast: targets.filterLast,
    })
    .from(targets)
    .where(
      and(
        isNotNull(targets.ra),
        isNotNull(targets.dec),
        gte(targets.importance, minImportance),
        eq(targets.type, "SIDEREAL"),
      ),
    )
    .orderBy(desc(targets.importance), asc(targets.id));
  return rows.map((r) => ({ ...r, ra: r.ra as number, dec: r.dec as number }));
}

export interface CameraSite {
  camera: CameraRow;
  observatory: ObservatoryRow;
}

/** Active cameras with their observatories, by ONAME. */
export async function activeCameras(db: Executor): Promise<CameraSite[]> {
  return db
    .select({ camera: cameras, observatory: observatories })
    .from(cameras)
    .innerJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .where(eq(cameras.activeFlg, true))
    .orderBy(asc(cameras.prefix));
}

/** A user's active favourite cameras (active ones), with their observatories. */
export async function favouriteCameras(db: Executor, userId: number): Promise<CameraSite[]> {
  return db
    .select({ camera: cameras, observatory: observatories })
    .from(favourites)
    .innerJoin(cameras, eq(cameras.id, favourites.cameraId))
    .innerJoin(observatories, eq(observatories.id, cameras.observatoryId))
    .where(and(eq(favourites.userId, userId), eq(favourites.activeFlg, true), eq(cameras.activeFlg, true)))
    .orderBy(asc(cameras.prefix));
}

/** The newest processed FITS frame of a target with a preview (optionally from one camera). */
export async function latestPreview(
  db: Executor,
  targetId: number,
  cameraId?: number,
): Promise<
  { previewPng: string; mjd: number | null; oname: string | null; pixscale: number | null } | undefined
> {
  const [row] = await db
    .select({
      previewPng: fitsJobs.previewPng,
      mjd: fitsJobs.fitsMjd,
      oname: cameras.prefix,
      pixscale: fitsJobs.fitsPixscale,
    })
    .from(fitsJobs)
    .innerJoin(dataProducts, eq(dataProducts.id, fitsJobs.dataProductId))
    .leftJoin(cameras, eq(cameras.id, dataProducts.cameraId))
    .where(
      and(
        eq(dataProducts.targetId, targetId),
        isNotNull(fitsJobs.previewPng),
        eq(fitsJobs.status, "D"),
        cameraId === undefined ? undefined : eq(dataProducts.cameraId, cameraId),
      ),
    )
    .orderBy(desc(fitsJobs.fitsMjd), desc(fitsJobs.id))
    .limit(1);
  return row ? { ...row, previewPng: row.previewPng as string } : undefined;
}

/** The newest frame's image size and measured pixel scale for a camera (its field when the row has none). */
export async function latestFrameGeometry(
  db: Executor,
  cameraId: number,
): Promise<{ naxis1: number; naxis2: number; pixscale: number } | undefined> {
  const [row] = await db
    .select({ naxis1: fitsJobs.fitsNaxis1, naxis2: fitsJobs.fitsNaxis2, pixscale: fitsJobs.fitsPixscale })
    .from(fitsJobs)
    .innerJoin(dataProducts, eq(dataProducts.id, fitsJobs.dataProductId))
    .where(
      and(
        eq(dataProducts.cameraId, cameraId),
        isNotNull(fitsJobs.fitsNaxis1),
        isNotNull(fitsJobs.fitsNaxis2),
        sql`${fitsJobs.fitsPixscale} > 0`,
      ),
    )
    .orderBy(desc(fitsJobs.id))
    .limit(1);
  return row
    ? { naxis1: row.naxis1 as number, naxis2: row.naxis2 as number, pixscale: row.pixscale as number }
    : undefined;
}
