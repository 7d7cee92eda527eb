/**
 * Fields derived from a target's position and light curve, kept true by the service:
 * unit vector (cone search), galactic l/b, IAU constellation, Sun separation, and the observing priority.
 */
import { constellationOf } from "../../astro/constellation.ts";
import { galacticFromEquatorial, unitVector } from "../../astro/coords.ts";
import { sunSeparationDeg } from "../../astro/sun.ts";

export interface PositionFields {
  cx: number;
  cy: number;
  cz: number;
  galacticLng: number;
  galacticLat: number;
  constellation: string | null;
  sunSeparation: number;
}

export function positionFields(raDeg: number, decDeg: number, now: Date): PositionFields {
  const [cx, cy, cz] = unitVector(raDeg, decDeg);
  const { lDeg, bDeg } = galacticFromEquatorial(raDeg, decDeg);
  const con = constellationOf(raDeg, decDeg);
  return {
    cx,
    cy,
    cz,
    galacticLng: lDeg,
    galacticLat: bDeg,
    constellation: con.ok ? con.abbreviation : null,
    sunSeparation: sunSeparationDeg(raDeg, decDeg, now),
  };
}

/** Largest cadence_priority: a target never observed, or overdue by ten cadences or more. */
export const MAX_CADENCE_PRIORITY = 10;

/**
 * Observing priority (documented in the API):
 *   cadence_priority = min(Δt / cadence, 10), Δt = now − mjd_last in days;
 *                      10 when the target has no light-curve point yet; 0 when cadence = 0;
 *   priority         = importance × cadence_priority.
 * So a target of importance 10 observed exactly one cadence ago has priority 10, and one never observed
 * has priority 100. Both are refreshed on every light-curve change and by the daily job.
 */
export function observingPriority(
  importance: number,
  cadenceDays: number,
  mjdLast: number,
  nowMjd: number,
): { priority: number; cadencePriority: number } {
  if (!(cadenceDays > 0)) return { priority: 0, cadencePriority: 0 };
  const cadencePriority =
    mjdLast > 0
      ? Math.min(Math.max(nowMjd - mjdLast, 0) / cadenceDays, MAX_CADENCE_PRIORITY)
      : MAX_CADENCE_PRIORITY;
  return { priority: importance * cadencePriority, cadencePriority };
}

/** The same formula in SQL, for bulk refreshes (columns of `targets`, `$now` = MJD now). */
export const PRIORITY_SQL = {
  cadencePriority: (nowMjd: string) =>
    `CASE WHEN cadence > 0 THEN CASE WHEN mjd_last > 0 THEN LEAST(GREATEST(${nowMjd} - mjd_last, 0) / cadence, ${MAX_CADENCE_PRIORITY}) ELSE ${MAX_CADENCE_PRIORITY} END ELSE 0 END`,
};
