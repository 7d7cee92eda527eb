/**
 * Keeping derived target fields true: the latest point (mag_last, mjd_last, filter_last) and the
 * priority whenever a light curve changes, and Sun separation plus priority for every target daily.
 */
import { sql } from "drizzle-orm";
import { unitVector } from "../../astro/coords.ts";
import { sunPositionDeg } from "../../astro/sun.ts";
import { mjdFromDate } from "../../astro/time.ts";
import type { Executor } from "../../db/connection.ts";
import { MAX_CADENCE_PRIORITY } from "./derived.ts";

/** SQL for cadence_priority and priority at `nowMjd` (the formula of derived.ts `observingPriority`). */
function prioritySql(nowMjd: number) {
  const cp = sql`case when cadence > 0 then case when mjd_last > 0
      then least(greatest(${nowMjd}::float8 - mjd_last, 0) / cadence, ${MAX_CADENCE_PRIORITY}::float8)
      else ${MAX_CADENCE_PRIORITY}::float8 end else 0 end`;
  return { cadencePriority: cp, priority: sql`importance * (${cp})` };
}

/**
 * Recompute mag_last / mjd_last / filter_last from the latest active magnitude detection (error ≥ 0;
 * limits are not magnitudes), then the priority. Call after any change to a target's light curve.
 */
export async function refreshLastPoint(db: Executor, targetId: number, now = new Date()): Promise<void> {
  await db.execute(sql`
    update targets t set
      mag_last = coalesce(p.value, 100), mjd_last = coalesce(p.mjd, 0), filter_last = coalesce(p.filter, '')
    from (select 1) one
    left join lateral (
      select value, mjd, filter from reduced_datums r
      where r.target_id = ${targetId} and r.active_flg and r.data_type = 'photometry' and r.value_unit = 'MAG'
        and r.error >= 0
      order by r.mjd desc, r.id desc limit 1
    ) p on true
    where t.id = ${targetId}`);
  const p = prioritySql(mjdFromDate(now));
  await db.execute(
    sql`update targets set cadence_priority = ${p.cadencePriority}, priority = ${p.priority} where id = ${targetId}`,
  );
}

/**
 * Daily: Sun separation (deg, atan2 form on unit vectors, exact at all angles) and priority of every
 * target, in one statement each. Returns the number of targets updated.
 */
export async function refreshAllTargets(db: Executor, now = new Date()): Promise<number> {
  const sun = sunPositionDeg(now);
  const [sx, sy, sz] = unitVector(sun.raDeg, sun.decDeg);
  const p = prioritySql(mjdFromDate(now));
  const res = await db.execute(sql`
    update targets set
      sun_separation = case when cx is null then null else degrees(atan2(
        sqrt(power(cy * ${sz}::float8 - cz * ${sy}::float8, 2) + power(cz * ${sx}::float8 - cx * ${sz}::float8, 2)
             + power(cx * ${sy}::float8 - cy * ${sx}::float8, 2)),
        cx * ${sx}::float8 + cy * ${sy}::float8 + cz * ${sz}::float8)) end,
      cadence_priority = ${p.cadencePriority},
      priority = ${p.priority}`);
  return res.rowCount ?? 0;
}
