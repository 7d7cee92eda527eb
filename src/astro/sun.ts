/**
 * Sun and Moon positions, target altitude/azimuth at a site, and airmass.
 *
 * Ephemerides come from astronomy-engine 2.x (D. Cross, MIT; truncated VSOP87 for the Earth, the Improved
 * Lunar Ephemeris (1954) for the Moon, IAU 2006 precession, IAU 2000B nutation), accurate to about an
 * arcminute or better, far below what target scheduling needs.
 * Non-finite angles or an invalid Date give NaN results instead of astronomy-engine's exceptions.
 *
 * Frames. "J2000" = geocentric direction on the J2000 mean equator and equinox (astronomy-engine EQJ,
 * ≈ ICRS to 20 mas), the frame of catalogue target coordinates, so separations from targets stored in J2000
 * are consistent. "ofDate" = true equator and equinox of the date (EQD), the frame in which the March
 * equinox puts the Sun at Dec 0; it differs from J2000 by precession (≈ 50″/yr along the ecliptic, 0.35°
 * by 2025). The Sun is corrected for light time and annual aberration (its apparent direction); the Moon
 * is geometric. Both are GEOCENTRIC: the Moon's topocentric position differs by up to ≈ 1° (parallax).
 */

import {
  Body,
  EquatorFromVector,
  GeoVector,
  HorizonFromVector,
  Illumination,
  Observer,
  Refraction,
  RotateVector,
  Rotation_EQJ_EQD,
  Rotation_EQJ_HOR,
  Spherical,
  VectorFromSphere,
} from "astronomy-engine";
import type { Vector } from "astronomy-engine";
import { angularSeparationDeg, normaliseRaDeg } from "./coords.ts";

/** Equatorial frame of a returned position; see the file comment. */
export type EquatorialFrame = "J2000" | "ofDate";

/** Observing site: geodetic latitude (north +), longitude (EAST +, degrees), height above sea level (m). */
export interface Site {
  latDeg: number;
  lonDeg: number;
  heightM: number;
}

const NAN_RADEC = { raDeg: Number.NaN, decDeg: Number.NaN };

function validDate(date: Date): boolean {
  return date instanceof Date && Number.isFinite(date.getTime());
}

function raDecOf(vecEqj: Vector, date: Date, frame: EquatorialFrame): { raDeg: number; decDeg: number } {
  const vec = frame === "J2000" ? vecEqj : RotateVector(Rotation_EQJ_EQD(date), vecEqj);
  const eq = EquatorFromVector(vec);
  return { raDeg: normaliseRaDeg(eq.ra * 15), decDeg: eq.dec };
}

/**
 * Geocentric apparent direction of the Sun (RA, Dec in degrees) at a UTC instant.
 * @param frame "J2000" (default; use against J2000 target coordinates) or "ofDate".
 */
export function sunPositionDeg(
  date: Date,
  frame: EquatorialFrame = "J2000",
): { raDeg: number; decDeg: number } {
  if (!validDate(date)) return { ...NAN_RADEC };
  return raDecOf(GeoVector(Body.Sun, date, true), date, frame);
}

/** Geocentric direction of the Moon (RA, Dec in degrees) at a UTC instant; frame as for the Sun. */
export function moonPositionDeg(
  date: Date,
  frame: EquatorialFrame = "J2000",
): { raDeg: number; decDeg: number } {
  if (!validDate(date)) return { ...NAN_RADEC };
  return raDecOf(GeoVector(Body.Moon, date, false), date, frame);
}

/**
 * Angular distance in degrees (0–180) between a J2000 target and the Sun at a UTC instant — BHTOM's
 * `sun_separation`. Vincenty separation against the J2000 (EQJ) solar direction.
 */
export function sunSeparationDeg(raDeg: number, decDeg: number, date: Date): number {
  const sun = sunPositionDeg(date, "J2000");
  return angularSeparationDeg(raDeg, decDeg, sun.raDeg, sun.decDeg);
}

/**
 * Illuminated fraction of the Moon's disc (0 = new, 1 = full) seen from the Earth's centre:
 * (1 + cos i) / 2 with i the Sun–Moon–Earth phase angle (astronomy-engine `Illumination().phase_fraction`).
 */
export function moonIllumination(date: Date): number {
  return validDate(date) ? Illumination(Body.Moon, date).phase_fraction : Number.NaN;
}

/**
 * Horizontal coordinates of a J2000 target seen from a site at a UTC instant.
 *
 * The J2000 unit vector is rotated to the local horizon with astronomy-engine `Rotation_EQJ_HOR`
 * (precession, nutation, Earth rotation angle, site latitude/longitude). Annual aberration of the target
 * (≤ 20.5″), polar motion and diurnal aberration are neglected.
 *
 * @returns altDeg geometric (airless) altitude, −90..90; azDeg azimuth in [0, 360) measured from north
 *   through east; apparentAltDeg altitude including standard refraction (astronomy-engine "normal", the
 *   Saemundsson/Meeus formula for 10 °C and 1010 hPa, tapered below −1°).
 */
export function altAzDeg(
  raDeg: number,
  decDeg: number,
  date: Date,
  site: Site,
): { altDeg: number; azDeg: number; apparentAltDeg: number } {
  const inputs = [raDeg, decDeg, site.latDeg, site.lonDeg, site.heightM];
  if (!validDate(date) || !inputs.every(Number.isFinite) || Math.abs(site.latDeg) > 90) {
    return { altDeg: Number.NaN, azDeg: Number.NaN, apparentAltDeg: Number.NaN };
  }
  const observer = new Observer(site.latDeg, site.lonDeg, site.heightM);
  const vecEqj = VectorFromSphere(new Spherical(decDeg, raDeg, 1), date);
  const hor = HorizonFromVector(RotateVector(Rotation_EQJ_HOR(date, observer), vecEqj), "");
  const altDeg = hor.lat;
  return { altDeg, azDeg: normaliseRaDeg(hor.lon), apparentAltDeg: altDeg + Refraction("normal", altDeg) };
}

/**
 * Relative airmass (1 at the zenith) at an APPARENT altitude in degrees, Pickering (2002), "The Southern
 * Limits of the Ancient Star Catalog", DIO 12, 1:
 *   X = 1 / sin(h + 244 / (165 + 47 h^1.1)),  h in degrees.
 * Smooth from the zenith (X = 1.0000) to the horizon (X ≈ 38.8), within 0.3 % of Kasten & Young
 * (1989, Appl. Opt. 28, 4735) above 5° altitude and within 2.2 % down to the horizon. Returns `null` below the horizon (h < 0) or for non-finite input.
 */
export function airmass(apparentAltDeg: number): number | null {
  if (!Number.isFinite(apparentAltDeg) || apparentAltDeg < 0 || apparentAltDeg > 90) return null;
  const h = apparentAltDeg;
  return 1 / Math.sin(((h + 244 / (165 + 47 * h ** 1.1)) * Math.PI) / 180);
}
