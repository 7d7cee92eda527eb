/**
 * IAU constellation containing a J2000 position (BHTOM's `constellation` field).
 *
 * The 88 constellation boundaries were fixed by Delporte (1930) along lines of constant RA and Dec of the
 * B1875.0 equinox (tabulated by Roman 1987, PASP 99, 695; CDS catalogue VI/42). astronomy-engine
 * `Constellation(raHours, decDeg)` takes J2000 (EQJ) coordinates with RA in HOURS, precesses them to
 * B1875 itself (`Rotation_EQJ_EQD` at 1874-12-31T18:12:21.950Z) and looks the point up in that table.
 * A point within the precession error (≲ 1″) of a boundary may fall on either side.
 */

import { Constellation } from "astronomy-engine";
import { normaliseRaDeg } from "./coords.ts";

/** Constellation of a position, or a message when the position is invalid. */
export type ConstellationResult =
  | {
      ok: true;
      /** IAU three-letter abbreviation, e.g. "Sgr", "UMi". */
      abbreviation: string;
      /** Full Latin name, e.g. "Sagittarius", "Ursa Minor". */
      name: string;
    }
  | { ok: false; error: string };

/**
 * IAU constellation of a J2000/ICRS position.
 * @param raDeg right ascension in DEGREES (any finite value; wrapped into [0, 360) and divided by 15).
 * @param decDeg declination in degrees, −90..90.
 */
export function constellationOf(raDeg: number, decDeg: number): ConstellationResult {
  if (!Number.isFinite(raDeg)) return { ok: false, error: `RA ${raDeg} is not a finite number` };
  if (!Number.isFinite(decDeg) || decDeg < -90 || decDeg > 90) {
    return { ok: false, error: `Dec ${decDeg} is outside -90..+90 degrees` };
  }
  const info = Constellation(normaliseRaDeg(raDeg) / 15, decDeg);
  return { ok: true, abbreviation: info.symbol, name: info.name };
}
