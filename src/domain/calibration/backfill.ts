/**
 * Calibration runs for calibrations made before runs existed (migration 0013, docs/calibration-runs.md):
 * such a calibration has `run_id` NULL and its point no `calibration_run_id`. At start each one gets a run
 * (reason `backfill`) built from the stored calibration row, its per-band table and its data product, so
 * every calibrated point has the chain point → run → file hash. What was not stored then is unknown and
 * stays NULL: the reference stars' hash and cone, the cuts, the algorithm and skytom versions
 * (`calibration_version` null), and the catalogue's hash of a FITS image (a `photometry` upload's
 * catalogue is the file itself). Idempotent (only rows still without a run), batched (one statement per
 * batch), and safe with several processes starting at once (rows taken FOR UPDATE SKIP LOCKED).
 * Calibrations still queued or running (C, P) are left to their job, which opens a run when it runs.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../../db/connection.ts";

/** Calibrations given a run per statement. */
export const BACKFILL_BATCH = 500;

/** One batch: up to `limit` calibrations without a run get one; their bands and points follow. */
async function backfillBatch(db: Executor, limit: number): Promise<{ runs: number; points: number }> {
  const result = await db.execute<{ runs: number; points: number }>(sql`
    with picked as (
      select c.id from calibrations c join data_products d on d.id = c.data_product_id
      where c.run_id is null and c.status in ('S', 'E')
        and d.data_product_type in ('photometry', 'fits_file')
      order by c.id limit ${limit}
      for update of c skip locked
    ), ins as (
      insert into calibration_runs (data_product_id, status, status_message, reason, make_current,
        requested_by, created, finished, file_sha256, catalogue_sha256, filter_request, match_dist_requested,
        target_ra, target_dec, epoch_mjd, mag, mag_error, zeropoint, zeropoint_err, outlier_fraction, scatter,
        npoints, best_filter, survey, match_dist, is_limit, light_curve_filter, calibration_plot,
        processing_time)
      select c.data_product_id, c.status, c.status_message, 'backfill', true, '', c.created, c.modified,
        d.sha256, case when d.data_product_type = 'photometry' then d.sha256 end, c.filter_request,
        d.match_dist, c.ra, c.dec, c.mjd, c.mag, c.mag_error, c.zeropoint, c.zeropoint_err,
        c.outlier_fraction, c.scatter, c.npoints, c.best_filter, c.survey, c.match_dist,
        coalesce(c.mag_error < 0, false),
        coalesce(
          (select p.filter from reduced_datums p
            where p.data_product_id = c.data_product_id and p.data_type = 'photometry'
            order by p.id limit 1),
          case when c.status = 'S' and c.best_filter is not null and c.survey is not null
            then c.best_filter || '(' || c.survey || ')' end),
        c.calibration_plot, c.processing_time
      from picked join calibrations c on c.id = picked.id join data_products d on d.id = c.data_product_id
      order by c.id
      returning id, data_product_id
    ), bands as (
      insert into calibration_run_bands (run_id, survey, band, zeropoint, zeropoint_err, scatter,
        outlier_fraction, npoints, passed, chosen, reason)
      select ins.id, b.survey, b.band, b.zeropoint, b.zeropoint_err, b.scatter, b.outlier_fraction,
        b.npoints, b.passed, b.chosen, b.reason
      from ins join calibrations c on c.data_product_id = ins.data_product_id
        join calibration_bands b on b.calibration_id = c.id
      order by b.id
      returning 1
    ), cals as (
      update calibrations c set run_id = ins.id from ins where c.data_product_id = ins.data_product_id
      returning 1
    ), pts as (
      update reduced_datums p set calibration_run_id = ins.id from ins
      where p.data_product_id = ins.data_product_id and p.data_type = 'photometry'
        and p.calibration_run_id is null
      returning 1
    )
    select (select count(*) from ins)::int as runs, (select count(*) from pts)::int as points,
      (select count(*) from bands)::int as bands, (select count(*) from cals)::int as cals`);
  return { runs: Number(result.rows[0].runs), points: Number(result.rows[0].points) };
}

/** Give every calibration made before runs existed its run; how many runs and points were backfilled. */
export async function backfillCalibrationRuns(
  db: Executor,
  batchSize = BACKFILL_BATCH,
): Promise<{ runs: number; points: number }> {
  const total = { runs: 0, points: 0 };
  for (;;) {
    const n = await backfillBatch(db, batchSize);
    total.runs += n.runs;
    total.points += n.points;
    if (n.runs < batchSize) return total;
  }
}
