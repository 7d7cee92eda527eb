/**
 * Celestial coordinates: angular separation, unit vectors, ICRS → Galactic, and sexagesimal text.
 *
 * Public API works in degrees; RA is wrapped into [0, 360), Dec lies in [−90, +90].
 * Separations use the Vincenty (atan2) form, accurate from 0 to 180° (plain `acos` loses all digits
 * below ~1e-8 rad, because cos θ rounds to 1, and near 180°).
 */

const DEG = Math.PI / 180;

/** A Cartesian unit vector [x, y, z] (x → RA 0, Dec 0; z → north celestial pole). */
export type Vec3 = [number, number, number];

/** Wrap an RA (or any longitude) in degrees into [0, 360). `NaN` stays `NaN`; −0 becomes 0. */
export function normaliseRaDeg(raDeg: number): number {
  let r = raDeg % 360;
  if (r < 0) r += 360;
  if (r >= 360) r -= 360; // e.g. −1e-15 % 360 + 360 rounds to 360
  return r === 0 ? 0 : r;
}

/**
 * Great-circle separation in degrees, Vincenty's formula for a sphere (T. Vincenty 1975, Survey Review 23,
 * 88; the form used by astropy `angular_separation`):
 *   θ = atan2( √[(cos δ2 sin Δα)² + (cos δ1 sin δ2 − sin δ1 cos δ2 cos Δα)²],
 *              sin δ1 sin δ2 + cos δ1 cos δ2 cos Δα )
 * Well conditioned at every θ in [0, 180°].
 */
export function angularSeparationDeg(
  ra1Deg: number,
  dec1Deg: number,
  ra2Deg: number,
  dec2Deg: number,
): number {
  const dRa = (ra2Deg - ra1Deg) * DEG;
  const [d1, d2] = [dec1Deg * DEG, dec2Deg * DEG];
  const [s1, c1, s2, c2] = [Math.sin(d1), Math.cos(d1), Math.sin(d2), Math.cos(d2)];
  const [sdRa, cdRa] = [Math.sin(dRa), Math.cos(dRa)];
  const num = Math.hypot(c2 * sdRa, c1 * s2 - s1 * c2 * cdRa);
  const den = s1 * s2 + c1 * c2 * cdRa;
  return Math.atan2(num, den) / DEG;
}

/** Unit vector of (RA, Dec) in degrees: [cos δ cos α, cos δ sin α, sin δ]. */
export function unitVector(raDeg: number, decDeg: number): Vec3 {
  const [a, d] = [raDeg * DEG, decDeg * DEG];
  const cd = Math.cos(d);
  return [cd * Math.cos(a), cd * Math.sin(a), Math.sin(d)];
}

/**
 * Inverse of {@link unitVector}: RA in [0, 360) and Dec in degrees, via atan2 (the vector need not be
 * exactly normalised). At a pole RA is 0 by convention.
 */
export function raDecFromUnitVector(v: Vec3): { raDeg: number; decDeg: number } {
  const [x, y, z] = v;
  return { raDeg: normaliseRaDeg(Math.atan2(y, x) / DEG), decDeg: Math.atan2(z, Math.hypot(x, y)) / DEG };
}

function rotationDeg(angleDeg: number, axis: 0 | 1 | 2): number[][] {
  // Passive rotation of the frame about an axis (astropy `rotation_matrix` convention).
  const [c, s] = [Math.cos(angleDeg * DEG), Math.sin(angleDeg * DEG)];
  // prettier-ignore
  if (axis === 0) return [[1, 0, 0], [0, c, s], [0, -s, c]];
  // prettier-ignore
  if (axis === 1) return [[c, 0, -s], [0, 1, 0], [s, 0, c]];
  // prettier-ignore
  return [[c, s, 0], [-s, c, 0], [0, 0, 1]];
}

function matMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));
}

/**
 * ICRS → Galactic rotation matrix, built exactly as astropy (≥ 4) does it, so results match astropy
 * `SkyCoord(...).galactic` to < 0.01 mas:
 *   1. ICRS → FK5 J2000 frame bias (USNO Circular 179, Kaplan 2005, eq. 3.4):
 *      η0 = −19.9 mas, ξ0 = 9.1 mas, dα0 = −22.9 mas;  B = R1(−η0) R2(ξ0) R3(dα0).
 *   2. FK5 J2000 → Galactic: R3(180° − l_NCP) R2(90° − δ_NGP) R3(α_NGP) with the NGP at
 *      α = 192.8594812065348°, δ = 27.12825118085622° and l_NCP = 122.9319185680026°, i.e. the IAU 1958
 *      definition (Blaauw et al. 1960, B1950 NGP 192.25°, 27.4°, l_NCP 123°) carried to FK5 J2000
 *      (astropy `Galactic._ngp_J2000`, `_lon0_J2000`).
 * The Hipparcos matrix A_G (ESA 1997, SP-1200 vol. 1, §1.5.3), which applies the rounded FK5 angles
 * directly to ICRS, differs from this by ≤ 1e-7 (≤ 20 mas on the sky); Liu, Zhu & Zhang 2011 (A&A 526,
 * A16) discuss that inconsistency.
 */
export const ICRS_TO_GALACTIC: readonly (readonly number[])[] = (() => {
  const mas = 1 / 3_600_000;
  const bias = matMul(
    matMul(rotationDeg(19.9 * mas, 0), rotationDeg(9.1 * mas, 1)),
    rotationDeg(-22.9 * mas, 2),
  );
  const fk5ToGal = matMul(
    matMul(rotationDeg(180 - 122.9319185680026, 2), rotationDeg(90 - 27.12825118085622, 1)),
    rotationDeg(192.8594812065348, 2),
  );
  return matMul(fk5ToGal, bias);
})();

function rotate(m: readonly (readonly number[])[], v: Vec3, transpose: boolean): Vec3 {
  const e = (i: number, j: number) => (transpose ? m[j][i] : m[i][j]);
  return [0, 1, 2].map((i) => e(i, 0) * v[0] + e(i, 1) * v[1] + e(i, 2) * v[2]) as Vec3;
}

/** Galactic longitude l in [0, 360) and latitude b (degrees) of an ICRS/J2000 position: g = A·u. */
export function galacticFromEquatorial(raDeg: number, decDeg: number): { lDeg: number; bDeg: number } {
  const { raDeg: lDeg, decDeg: bDeg } = raDecFromUnitVector(
    rotate(ICRS_TO_GALACTIC, unitVector(raDeg, decDeg), false),
  );
  return { lDeg, bDeg };
}

/** ICRS RA in [0, 360) and Dec (degrees) from Galactic (l, b): u = Aᵀ·g. */
export function equatorialFromGalactic(lDeg: number, bDeg: number): { raDeg: number; decDeg: number } {
  return raDecFromUnitVector(rotate(ICRS_TO_GALACTIC, unitVector(lDeg, bDeg), true));
}

// ---------------------------------------------------------------------------------------------------
// Sexagesimal text
// ---------------------------------------------------------------------------------------------------

/** Parsed angle in degrees, or a message for the user. */
export type AngleResult = { ok: true; deg: number } | { ok: false; error: string };

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const LAST = String.raw`(\d+(?:\.\d*)?|\.\d+)`;
// hh mm ss.s with ":" or whitespace or h/m/s markers; the last field may carry a fraction.
const RA_HMS = new RegExp(String.raw`^(\d+)(?:\s*[h:]\s*|\s+)(\d+)(?:\s*[m:]\s*|\s+)${LAST}(?:\s*s)?$`, "i");
const RA_HM = new RegExp(String.raw`^(\d+)(?:\s*[h:]\s*|\s+)${LAST}(?:\s*m)?$`, "i");
// ±dd mm ss.s with ":" or whitespace or d/°, m/′/', s/″/" markers; the sign is captured on its own.
const DEC_DMS = new RegExp(
  String.raw`^([+-]?)\s*(\d+)(?:\s*[d°:]\s*|\s+)(\d+)(?:\s*[m'′:]\s*|\s+)${LAST}(?:\s*(?:s|"|″|''))?$`,
  "i",
);
const DEC_DM = new RegExp(String.raw`^([+-]?)\s*(\d+)(?:\s*[d°:]\s*|\s+)${LAST}(?:\s*[m'′])?$`, "i");

const fail = (error: string): AngleResult => ({ ok: false, error });

function checkMinSec(label: string, text: string, minutes: number, seconds: number): string | null {
  if (minutes >= 60) return `${label} "${text}": minutes must be below 60, got ${minutes}`;
  if (seconds >= 60) return `${label} "${text}": seconds must be below 60, got ${seconds}`;
  return null;
}

function checkRaDeg(deg: number, shown: string): AngleResult {
  if (!Number.isFinite(deg)) return fail(`RA ${shown} is not a finite number`);
  if (deg < 0 || deg >= 360) return fail(`RA ${shown} is outside 0 <= RA < 360 degrees`);
  return { ok: true, deg: deg === 0 ? 0 : deg };
}

/**
 * Right ascension in degrees from a number (degrees) or text: decimal degrees (`"266.41"`) or
 * sexagesimal HOURS (`"17:45:40.04"`, `"17 45 40.04"`, `"17h45m40.04s"`, `"17:45.5"`).
 * Hours 0–23, minutes and seconds < 60; the result must lie in [0, 360).
 */
export function parseRa(value: number | string): AngleResult {
  if (typeof value === "number") return checkRaDeg(value, String(value));
  if (typeof value !== "string") return fail("RA must be a number of degrees or a string");
  const s = value.trim();
  if (s === "") return fail("RA is empty");
  if (DECIMAL.test(s)) return checkRaDeg(Number(s), `"${value}"`);
  const m = RA_HMS.exec(s) ?? RA_HM.exec(s);
  if (m === null) {
    return fail(
      `RA "${value}" is neither decimal degrees nor sexagesimal hours (e.g. 17:45:40.04, 17 45 40.04 or 17h45m40.04s)`,
    );
  }
  const hours = Number(m[1]);
  const [minutes, seconds] = m[3] !== undefined ? [Number(m[2]), Number(m[3])] : [Number(m[2]), 0];
  if (hours > 23) return fail(`RA "${value}": hours must be 0-23, got ${hours}`);
  const bad = checkMinSec("RA", value, minutes, seconds);
  if (bad !== null) return fail(bad);
  return checkRaDeg(15 * (hours + minutes / 60 + seconds / 3600), `"${value}"`);
}

function checkDecDeg(deg: number, shown: string): AngleResult {
  if (!Number.isFinite(deg)) return fail(`Dec ${shown} is not a finite number`);
  if (deg < -90 || deg > 90) return fail(`Dec ${shown} is outside -90..+90 degrees`);
  return { ok: true, deg };
}

/**
 * Declination in degrees from a number (degrees) or text: decimal degrees (`"-29.0078"`) or sexagesimal
 * degrees (`"-29:00:28.2"`, `"-29 00 28.2"`, `"-29d00m28.2s"`, `"+05:00:00"`, `"-29:00.47"`).
 * The sign applies to the whole angle, so `"-00:30:00"` is −0.5°. A Unicode minus (U+2212) is accepted.
 */
export function parseDec(value: number | string): AngleResult {
  if (typeof value === "number") return checkDecDeg(value, String(value));
  if (typeof value !== "string") return fail("Dec must be a number of degrees or a string");
  const s = value.trim().replace(/^\u2212/, "-");
  if (s === "") return fail("Dec is empty");
  if (DECIMAL.test(s)) return checkDecDeg(Number(s), `"${value}"`);
  const m = DEC_DMS.exec(s) ?? DEC_DM.exec(s);
  if (m === null) {
    return fail(
      `Dec "${value}" is neither decimal degrees nor sexagesimal degrees (e.g. -29:00:28.2, -29 00 28.2 or -29d00m28.2s)`,
    );
  }
  const sign = m[1] === "-" ? -1 : 1;
  const degrees = Number(m[2]);
  const [minutes, seconds] = m[4] !== undefined ? [Number(m[3]), Number(m[4])] : [Number(m[3]), 0];
  const bad = checkMinSec("Dec", value, minutes, seconds);
  if (bad !== null) return fail(bad);
  return checkDecDeg(sign * (degrees + minutes / 60 + seconds / 3600), `"${value}"`);
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * Split a non-negative angle, given in units of 1/(60·60·10^decimals) of its largest unit, into
 * "AA:MM:SS.sss". Rounding is done once on the integer count, so 59.9999 s carries into the minute
 * instead of printing as 60.
 */
function sexagesimal(count: number, decimals: number, leadWidth: number): string {
  const scale = 10 ** decimals;
  const frac = count % scale;
  const totalSeconds = (count - frac) / scale;
  const [a, mm, ss] = [
    Math.floor(totalSeconds / 3600),
    Math.floor(totalSeconds / 60) % 60,
    totalSeconds % 60,
  ];
  const secText = decimals > 0 ? `${pad(ss, 2)}.${pad(frac, decimals)}` : pad(ss, 2);
  return `${pad(a, leadWidth)}:${pad(mm, 2)}:${secText}`;
}

function checkDecimals(decimals: number): number {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 9) {
    throw new RangeError(`decimals must be an integer 0..9, got ${decimals}`);
  }
  return decimals;
}

/** RA in degrees as "hh:mm:ss.ss" (hours; RA wrapped first, 24:00:00 carries to 00:00:00). "NaN" if not finite. */
export function formatRaHms(raDeg: number, decimals = 2): string {
  checkDecimals(decimals);
  if (!Number.isFinite(raDeg)) return "NaN";
  const perDay = 24 * 3600 * 10 ** decimals;
  const count = Math.round((normaliseRaDeg(raDeg) / 15) * 3600 * 10 ** decimals) % perDay;
  return sexagesimal(count, decimals, 2);
}

/** Dec in degrees as "±dd:mm:ss.s"; a value that rounds to zero prints as "+00:00:00.0". "NaN" if not finite. */
export function formatDecDms(decDeg: number, decimals = 1): string {
  checkDecimals(decimals);
  if (!Number.isFinite(decDeg)) return "NaN";
  const count = Math.round(Math.abs(decDeg) * 3600 * 10 ** decimals);
  return `${decDeg < 0 && count > 0 ? "-" : "+"}${sexagesimal(count, decimals, 2)}`;
}
