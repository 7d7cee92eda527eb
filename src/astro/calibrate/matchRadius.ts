/**
 * RA/Dec offset filter and automatic matching radius (CPCS step 3, calibration.md §4.3; issues #212, #263).
 *
 * Input: pairs (instrumental source, reference star) from the generous initial cross-match (5″).
 * Offsets in arcsec, instrumental − reference: ΔRA = wrap(α_inst − α_ref)·cos δ_ref·3600, ΔDec =
 * (δ_inst − δ_ref)·3600. Each distribution is fitted with the same robust mixture as the zero point
 * (zeropoint.ts, no per-star errors), giving a centre, σ and outlier fraction per axis, printed by CPCS as
 * "CPCS filter on RA/DEC: ZP = … sigma = … arcsec, frac = …". σ_radec = √(σ_RA² + σ_Dec²) ("Combined
 * Ra-Dec sigma"; the quadrature sum is calibration.md's reading) and the automatic radius is
 * r = 2·σ_radec ("I use 2x sigma_ra_dec"; e.g. σ = 2.61″ → 5.22″).
 *
 * Iteration (our choice, [INFERRED] in calibration.md): the fit starts on all pairs (window 5″); it is then
 * repeated on the pairs whose offset from the fitted centre is within a window of 1.5·r (≈ 4.2σ per axis,
 * so the Gaussian core is not truncated while chance neighbours far out are dropped), until the window
 * changes by < 1 % or after 5 passes. The filter keeps pairs within r of the fitted centre (≈ 98 % of true
 * matches for a Gaussian). With fewer than minPoints (20, "min_points_filter_radec") pairs the filter is
 * skipped, all pairs are kept and the radius falls back to 2″ (the legacy default match distance).
 *
 * A positive user `match_dist` is used as the radius as given (source "user"); the offset filter still
 * uses the fitted 2σ_radec, since per BHTOM docs the radius only serves to identify the target.
 */

import { fitZeroPoint } from "./zeropoint.ts";

export interface MatchRadiusOptions {
  /** Radius of the initial cross-match and first fit window, arcsec. Default 5. */
  initialRadiusArcsec?: number;
  /** Minimum pairs for the offset fit (min_points_filter_radec). Default 20. */
  minPointsFilterRadec?: number;
  /** Radius when the fit is impossible, arcsec. Default 2 (legacy matchDist). */
  fallbackRadiusArcsec?: number;
  /** Maximum fit passes. Default 5. */
  maxPasses?: number;
}

export const MATCH_RADIUS_DEFAULTS: Required<MatchRadiusOptions> = {
  initialRadiusArcsec: 5,
  minPointsFilterRadec: 20,
  fallbackRadiusArcsec: 2,
  maxPasses: 5,
};

export interface AxisOffsetFit {
  /** Fitted centre of the offsets, arcsec. */
  centreArcsec: number;
  sigmaArcsec: number;
  outlierFraction: number;
  n: number;
}

export interface MatchRadiusResult {
  /** Radius used to identify the target, arcsec (Calibration_data.match_distans). */
  radiusArcsec: number;
  source: "user" | "auto" | "fallback";
  /** 2·σ_radec from the fit; NaN when the fit was not possible. */
  autoRadiusArcsec: number;
  sigmaRaDecArcsec: number;
  ra: AxisOffsetFit | null;
  dec: AxisOffsetFit | null;
  passes: number;
  /** True when the offset filter was applied. */
  filtered: boolean;
  /** Per pair: 1 if kept by the filter. */
  keep: Uint8Array;
  /** Offsets per pair, arcsec (instrumental − reference). */
  dRaArcsec: Float64Array;
  dDecArcsec: Float64Array;
}

const DEG = Math.PI / 180;

/** Offsets (arcsec) of aligned position pairs, instrumental − reference, RA wrapped into [−180°, 180°). */
export function pairOffsetsArcsec(
  instRaDeg: ArrayLike<number>,
  instDecDeg: ArrayLike<number>,
  refRaDeg: ArrayLike<number>,
  refDecDeg: ArrayLike<number>,
): { dRaArcsec: Float64Array; dDecArcsec: Float64Array } {
  const n = instRaDeg.length;
  const dRaArcsec = new Float64Array(n);
  const dDecArcsec = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let dRa = (instRaDeg[i] - refRaDeg[i]) % 360;
    if (dRa >= 180) dRa -= 360;
    if (dRa < -180) dRa += 360;
    dRaArcsec[i] = dRa * Math.cos(refDecDeg[i] * DEG) * 3600;
    dDecArcsec[i] = (instDecDeg[i] - refDecDeg[i]) * 3600;
  }
  return { dRaArcsec, dDecArcsec };
}

function fitAxis(values: Float64Array): AxisOffsetFit {
  const zeros = new Float64Array(values.length);
  const fit = fitZeroPoint(values, zeros, zeros, zeros);
  return { centreArcsec: fit.zp, sigmaArcsec: fit.scatter, outlierFraction: fit.outlierFraction, n: fit.n };
}

/**
 * Fits the RA/Dec offsets of matched pairs, returns the kept-pair mask and the matching radius.
 * `matchDistArcsec` > 0 is used as given; absent, zero, negative or NaN means automatic.
 */
export function matchRadius(
  dRaArcsec: Float64Array,
  dDecArcsec: Float64Array,
  matchDistArcsec?: number,
  options: MatchRadiusOptions = {},
): MatchRadiusResult {
  const o = { ...MATCH_RADIUS_DEFAULTS, ...options };
  const n = dRaArcsec.length;
  const user = matchDistArcsec !== undefined && matchDistArcsec > 0 ? matchDistArcsec : undefined;
  const base = {
    ra: null as AxisOffsetFit | null,
    dec: null as AxisOffsetFit | null,
    passes: 0,
    dRaArcsec,
    dDecArcsec,
  };

  let window = o.initialRadiusArcsec;
  let cRa = 0;
  let cDec = 0;
  const within = (r: number) => {
    const sel: number[] = [];
    for (let i = 0; i < n; i++) if (Math.hypot(dRaArcsec[i] - cRa, dDecArcsec[i] - cDec) <= r) sel.push(i);
    return sel;
  };
  for (let pass = 1; pass <= o.maxPasses; pass++) {
    const sel = within(window);
    if (sel.length < o.minPointsFilterRadec) break;
    const ra = fitAxis(Float64Array.from(sel, (i) => dRaArcsec[i]));
    const dec = fitAxis(Float64Array.from(sel, (i) => dDecArcsec[i]));
    if (!Number.isFinite(ra.sigmaArcsec) || !Number.isFinite(dec.sigmaArcsec)) break;
    Object.assign(base, { ra, dec, passes: pass });
    cRa = ra.centreArcsec;
    cDec = dec.centreArcsec;
    const next = Math.min(o.initialRadiusArcsec, 1.5 * 2 * Math.hypot(ra.sigmaArcsec, dec.sigmaArcsec));
    const done = Math.abs(next - window) <= 0.01 * window;
    window = next;
    if (done) break;
  }

  if (!base.ra || !base.dec) {
    return {
      ...base,
      radiusArcsec: user ?? o.fallbackRadiusArcsec,
      source: user !== undefined ? "user" : "fallback",
      autoRadiusArcsec: NaN,
      sigmaRaDecArcsec: NaN,
      filtered: false,
      keep: new Uint8Array(n).fill(1),
    };
  }
  const sigmaRaDec = Math.hypot(base.ra.sigmaArcsec, base.dec.sigmaArcsec);
  const auto = 2 * sigmaRaDec;
  const keep = new Uint8Array(n);
  for (const i of within(auto)) keep[i] = 1;
  return {
    ...base,
    radiusArcsec: user ?? auto,
    source: user !== undefined ? "user" : "auto",
    autoRadiusArcsec: auto,
    sigmaRaDecArcsec: sigmaRaDec,
    filtered: true,
    keep,
  };
}
