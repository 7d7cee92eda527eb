/**
 * Target measurement or limit (CPCS steps 7–8, calibration.md §4.3; astro-notes §(g)).
 *
 * Usable objects (step 1): finite magnitude and error with m_inst < GOOD_MAX_MAG (50) and
 * e_inst < GOOD_MAX_MAG_ERR (1.0), the production values of issue #263.
 *
 * Detection. The target object is CCDPhot's forced measurement (NUMBER = 999999, issue #212) when the
 * catalogue has one; otherwise the usable object nearest to the target position, if closer than the
 * matching radius (chord distance, crossmatch.ts). Its calibrated magnitude is
 *   mag = m_inst − ZP                                    (calibration.md sign convention)
 *   magErr = √(e_inst² + σ_ZP²)
 * — the quadrature sum of the instrumental error and the zero point's standard error, the two independent
 * errors of this one number. (Legacy CPCS stored e_inst alone; the calibration scatter σ is reported
 * separately as "caliberr", as BHTOM does.)
 *
 * Limit. When the target is not found (no forced row and nothing within the radius, or the forced row is
 * not usable — a non-detection), the result is the faintest usable object's calibrated magnitude,
 *   mag = max(m_inst over usable objects) − ZP,   magErr = −1
 * (legacy CPCS; BHTOM's "limit" convention). It estimates the frame's detection limit only as well as the
 * faintest detection does; the noise-model and S/N estimates of astro-notes §(g) need the image itself.
 */

import type { InstrumentalCatalogue } from "../sextractor.ts";
import { separationArcsec } from "../crossmatch.ts";

export interface TargetOptions {
  /** GOOD_MAX_MAG: usable objects have m_inst < this. Default 50. */
  goodMaxMag?: number;
  /** GOOD_MAX_MAG_ERR: usable objects have e_inst < this. Default 1.0. */
  goodMaxMagErr?: number;
}

export const TARGET_DEFAULTS: Required<TargetOptions> = { goodMaxMag: 50, goodMaxMagErr: 1.0 };

export type TargetMeasurement =
  | {
      kind: "detection";
      mag: number;
      magErr: number;
      instMag: number;
      instMagErr: number;
      /** Row of the catalogue. */
      index: number;
      source: "forced" | "nearest";
      separationArcsec: number;
    }
  | {
      kind: "limit";
      mag: number;
      magErr: -1;
      /** Row of the faintest usable object. */
      index: number;
      /** Why no detection: no object within the radius, or the forced row is not usable. */
      reason: string;
      /** Distance of the nearest usable object to the target, arcsec (NaN if none). */
      nearestSeparationArcsec: number;
    }
  | { kind: "none"; mag: number; magErr: number; index: -1; reason: string };

/** 1 where a row passes the step-1 cuts (finite, m < goodMaxMag, e < goodMaxMagErr). */
export function usableMask(catalogue: InstrumentalCatalogue, options: TargetOptions = {}): Uint8Array {
  const o = { ...TARGET_DEFAULTS, ...options };
  const { mag, magErr, raDeg, decDeg } = catalogue;
  return Uint8Array.from(mag, (m, i) =>
    Number.isFinite(m) &&
    Number.isFinite(magErr[i]) &&
    Number.isFinite(raDeg[i]) &&
    Number.isFinite(decDeg[i]) &&
    m < o.goodMaxMag &&
    magErr[i] < o.goodMaxMagErr
      ? 1
      : 0,
  );
}

/** Where to look for the target. */
export interface TargetQuery {
  /** Target position, deg. */
  raDeg: number;
  decDeg: number;
  /** Matching radius, arcsec. */
  radiusArcsec: number;
  /** Row of the forced measurement (NUMBER 999999), −1 if none. */
  targetIndex: number;
  /** The catalogue had a forced row but it carried no measurement (parser dropped it). */
  forcedDropped?: boolean;
}

/**
 * Finds the row that measures the target: the forced row (targetIndex ≥ 0) or the nearest usable row
 * within the radius. Returns index −1 and the nearest distance when there is none.
 */
export function findTargetRow(
  catalogue: InstrumentalCatalogue,
  usable: Uint8Array,
  query: TargetQuery,
): {
  index: number;
  source: "forced" | "nearest";
  separationArcsec: number;
  nearestSeparationArcsec: number;
} {
  const { targetIndex, radiusArcsec } = query;
  const target = query;
  let nearest = -1;
  let nearestSep = Infinity;
  for (let i = 0; i < usable.length; i++) {
    if (!usable[i]) continue;
    const s = separationArcsec(catalogue.raDeg[i], catalogue.decDeg[i], target.raDeg, target.decDeg);
    if (s < nearestSep) {
      nearestSep = s;
      nearest = i;
    }
  }
  const nearestSeparationArcsec = nearest >= 0 ? nearestSep : NaN;
  if (targetIndex >= 0) {
    const sep = separationArcsec(
      catalogue.raDeg[targetIndex],
      catalogue.decDeg[targetIndex],
      target.raDeg,
      target.decDeg,
    );
    return {
      index: usable[targetIndex] ? targetIndex : -1,
      source: "forced",
      separationArcsec: sep,
      nearestSeparationArcsec,
    };
  }
  if (query.forcedDropped) {
    return { index: -1, source: "forced", separationArcsec: NaN, nearestSeparationArcsec };
  }
  const found = nearest >= 0 && nearestSep <= radiusArcsec;
  return {
    index: found ? nearest : -1,
    source: "nearest",
    separationArcsec: found ? nearestSep : NaN,
    nearestSeparationArcsec,
  };
}

/** Calibrated target magnitude or limit for a zero point ZP ± zpErr (mag). */
export function measureTarget(
  catalogue: InstrumentalCatalogue,
  query: TargetQuery,
  zp: number,
  zpErr: number,
  options: TargetOptions = {},
): TargetMeasurement {
  const usable = usableMask(catalogue, options);
  const row = findTargetRow(catalogue, usable, query);
  if (row.index >= 0) {
    const instMag = catalogue.mag[row.index];
    const instMagErr = catalogue.magErr[row.index];
    return {
      kind: "detection",
      mag: instMag - zp,
      magErr: Math.sqrt(instMagErr ** 2 + zpErr ** 2),
      instMag,
      instMagErr,
      index: row.index,
      source: row.source,
      separationArcsec: row.separationArcsec,
    };
  }
  let faintest = -1;
  for (let i = 0; i < usable.length; i++) {
    if (usable[i] && (faintest < 0 || catalogue.mag[i] > catalogue.mag[faintest])) faintest = i;
  }
  if (faintest < 0)
    return { kind: "none", mag: NaN, magErr: NaN, index: -1, reason: "no usable object in the catalogue" };
  const reason =
    row.source === "forced"
      ? "forced measurement (NUMBER 999999) not usable"
      : `no object within ${query.radiusArcsec.toFixed(2)} arcsec of the target`;
  return {
    kind: "limit",
    mag: catalogue.mag[faintest] - zp,
    magErr: -1,
    index: faintest,
    reason,
    nearestSeparationArcsec: row.nearestSeparationArcsec,
  };
}
