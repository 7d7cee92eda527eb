/**
 * Proper motion: a catalogue position at its reference epoch moved to the epoch of an observation.
 *
 * Gaia DR3 gives ICRS positions at epoch J2016.0 (TCB) with proper motions μα* = μα cos δ and μδ in mas/yr.
 * A frame taken in 2026 sees a star of 1″/yr ten arcseconds away from that position — enough to miss the
 * cross-match radius or to be taken for the wrong star near the target — so reference positions are
 * propagated to the frame's time before matching.
 *
 * Method: the rigorous propagation of Gaia DR3 documentation §4.1.7 ("Transformations of astrometric data",
 * after the Hipparcos Catalogue, ESA SP-1200 vol. 1 §1.2.8) with the radial proper motion μr = ϖ·vr/A set to
 * zero (parallax and radial velocity not used; their effect over decades is below 1 mas for all but the
 * nearest stars):
 *   r₀ = [cos δ cos α, cos δ sin α, sin δ]            (unit vector at the reference epoch)
 *   p₀ = [−sin α, cos α, 0],  q₀ = [−sin δ cos α, −sin δ sin α, cos δ]   (local east and north)
 *   μ₀ = p₀ μα* + q₀ μδ                              (proper-motion vector, rad/yr)
 *   u(t) = (r₀ + μ₀ t) / |r₀ + μ₀ t|,  t = epoch − reference epoch (Julian years)
 * i.e. uniform straight-line motion in space seen from far away; α, δ from u with atan2 (exact at the poles
 * and across RA 0/360). Checked against astropy `SkyCoord.apply_space_motion` and ERFA `pmsafe`
 * (test/astro/propermotion.test.ts).
 *
 * Epochs: Julian epoch J = 2000.0 + (JD − 2451545.0)/365.25 (IAU 1976; Lieske 1979), i.e. from MJD
 * J = 2000.0 + (MJD − 51544.5)/365.25. UTC is used for TCB here: the minute between them moves a 1″/yr
 * star by 2 µas.
 */
import { raDecFromUnitVector } from "./coords.ts";

const DEG = Math.PI / 180;
/** Radians per milliarcsecond. */
const RAD_PER_MAS = DEG / 3.6e6;
/** MJD of J2000.0 (JD 2451545.0). */
const MJD_J2000 = 51544.5;
const DAYS_PER_JULIAN_YEAR = 365.25;

/** Julian epoch (years, e.g. 2016.0) of a modified Julian date. */
export function julianYearFromMjd(mjd: number): number {
  return 2000 + (mjd - MJD_J2000) / DAYS_PER_JULIAN_YEAR;
}

/** Modified Julian date of a Julian epoch (years). */
export function mjdFromJulianYear(year: number): number {
  return MJD_J2000 + (year - 2000) * DAYS_PER_JULIAN_YEAR;
}

/**
 * Position (deg) at `toYear` of a star at (raDeg, decDeg) at `fromYear` moving with proper motion
 * pmraMasYr (μα* = μα cos δ) and pmdecMasYr, in mas per Julian year; epochs are Julian years. A missing
 * (NaN) proper motion leaves the position as it is.
 */
export function propagatePosition(
  raDeg: number,
  decDeg: number,
  pmraMasYr: number,
  pmdecMasYr: number,
  fromYear: number,
  toYear: number,
): { raDeg: number; decDeg: number } {
  const t = toYear - fromYear;
  if (!Number.isFinite(pmraMasYr) || !Number.isFinite(pmdecMasYr) || !Number.isFinite(t) || t === 0) {
    return { raDeg, decDeg };
  }
  const [a, d] = [raDeg * DEG, decDeg * DEG];
  const [sa, ca, sd, cd] = [Math.sin(a), Math.cos(a), Math.sin(d), Math.cos(d)];
  const muA = pmraMasYr * RAD_PER_MAS * t;
  const muD = pmdecMasYr * RAD_PER_MAS * t;
  // r₀ + μ₀ t, with p₀ = (−sin α, cos α, 0) and q₀ = (−sin δ cos α, −sin δ sin α, cos δ).
  const x = cd * ca - sa * muA - sd * ca * muD;
  const y = cd * sa + ca * muA - sd * sa * muD;
  const z = sd + cd * muD;
  return raDecFromUnitVector([x, y, z]);
}
