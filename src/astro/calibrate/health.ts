/**
 * Camera health statistics (issue 17): a frame whose zero point departs from the camera's recent frames is
 * flagged. Pure: no I/O.
 *
 * Zero points are CPCS's, m_inst − m_cat (src/astro/calibrate/target.ts: mag = m_inst − ZP), so less light
 * (clouds, a wrong exposure time or filter in the header) makes the zero point *larger*: a frame is flagged
 * when its zero point exceeds the running median of the camera's previous frames by more than
 * `nSigma`·σ, with σ = 1.4826·MAD of the same frames (the MAD's normal-consistent scale) and never below
 * `sigmaFloorMag` (synthetic or very stable cameras would otherwise flag millimagnitude noise).
 */

export interface HealthOptions {
  /** How many previous frames make the running median. Default 20. */
  window?: number;
  /** Fewer previous frames than this: no verdict. Default 5. */
  minHistory?: number;
  /** Default 3. */
  nSigma?: number;
  /** Smallest σ used, mag. Default 0.05. */
  sigmaFloorMag?: number;
}

export const HEALTH_DEFAULTS: Required<HealthOptions> = {
  window: 20,
  minHistory: 5,
  nSigma: 3,
  sigmaFloorMag: 0.05,
};

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Running median and robust σ of `history`, or null with fewer than minHistory values. */
export function baseline(
  history: readonly number[],
  options: HealthOptions = {},
): { medianMag: number; sigmaMag: number } | null {
  const o = { ...HEALTH_DEFAULTS, ...options };
  const recent = history.slice(-o.window);
  if (recent.length < o.minHistory) return null;
  const med = median(recent);
  const mad = median(recent.map((v) => Math.abs(v - med)));
  return { medianMag: med, sigmaMag: Math.max(1.4826 * mad, o.sigmaFloorMag) };
}

/** Is `zp` more than nSigma·σ above the baseline of the previous frames (less light)? */
export function isLowThroughput(
  zp: number,
  history: readonly number[],
  options: HealthOptions = {},
): boolean {
  const b = baseline(history, options);
  const n = options.nSigma ?? HEALTH_DEFAULTS.nSigma;
  return b !== null && zp > b.medianMag + n * b.sigmaMag;
}

/**
 * Flags for a time-ordered series of zero points: each frame judged against the frames before it (flagged
 * frames are left out of later baselines).
 */
export function flagSeries(zps: readonly number[], options: HealthOptions = {}): boolean[] {
  const good: number[] = [];
  return zps.map((zp) => {
    const flagged = isLowThroughput(zp, good, options);
    if (!flagged) good.push(zp);
    return flagged;
  });
}

/** The zero point for 1 s of exposure, mag: ZP + 2.5·log10(t) (counts ∝ t). Null without a positive time. */
export function zeropointPerSecond(zp: number, exposureS: number | null): number | null {
  return exposureS !== null && exposureS > 0 ? zp + 2.5 * Math.log10(exposureS) : null;
}
