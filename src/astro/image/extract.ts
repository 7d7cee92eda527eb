/**
 * The image → instrumental catalogue step of the FITS pipeline (CCDPhot, calibration.md §3): background,
 * detection, centroids, FWHM, aperture photometry, flags, optional forced photometry of the target.
 *
 *  1. Background and RMS maps ({@link estimateBackground}).
 *  2. Detection ({@link detectSources}): background subtracted row by row, filtered, above k·RMS (the RMS
 *     row evaluated lazily), 8-connected, deblended. Measurements read the image minus the map's value
 *     at each object, so no background-subtracted copy of the image is made.
 *  3. Frame FWHM: median profile-fit FWHM ({@link profileFwhm}) of up to 30 of the brightest unflagged
 *     objects, each centred by adaptive moments; `fwhmGuessPx` when none qualifies. Per-source FWHM:
 *     windowed-moment FWHM × (frame median of fitted / moment FWHM).
 *  4. Per object: windowed centroid with σ_w = FWHM_frame / 2.3548 from the isophotal barycentre
 *     (CENTROID_FALLBACK when it fails); FWHM from windowed moments (SHARP below half the frame's);
 *     aperture photometry with r = `apertureRadiusFwhm`·FWHM_frame (default 1.0) and a local annulus
 *     [3, 5]·FWHM_frame; CROWDED when another detection lies within r + 2·FWHM_frame.
 *  5. Aperture correction (Stetson 1990, PASP 102, 932 — growth curve, here one large aperture): the median
 *     ratio F(r_big)/F(r) over the 30 brightest unflagged stars with S/N > 100 and no detection within
 *     r_big + FWHM, r_big = 5·FWHM (holds 99.9 % of a β = 3 Moffat PSF), annulus [6, 8]·FWHM. Only the
 *     brightest are used because undetected faint neighbours inside r_big bias the ratio by their flux
 *     relative to the star's (≈ 0.01 mag at S/N ≈ 50 in a field of 3000 stars per 2k²). Fluxes and
 *     magnitudes are corrected by it, so they estimate the total flux (comparable to MAG_AUTO, which
 *     misses ≈ 3 % of a β = 3 Moffat, astro-notes §2.1). Fewer than 3 such stars → no correction.
 *  6. Magnitudes m = ZP − 2.5 log₁₀ F (ZP default 25); sky positions through the WCS.
 *  7. Limiting magnitude (astro-notes §(g), noise model): the flux with S/N = 5 in the aperture,
 *     F = 5 √(F/g + A σ² (1 + (π/2) A/n_sky)), solved for F, then aperture-corrected.
 *  8. Target (target.ts, which can also run it after the extraction): the detection nearest the target
 *     position within `targetMatchRadiusPx` (default 1·FWHM) is the target's row; if there is none, forced
 *     photometry at the position is appended as NUMBER 999999 (CCDPhot convention, calibration.md §2.3),
 *     flagged FORCED.
 *
 * Output pixel coordinates are FITS 1-based (pixel centres at integers).
 */
import { medianInPlace } from "../order.ts";
import type { TanWcs } from "../wcs/tan.ts";
import { pixelToSky } from "../wcs/tan.ts";
import type { BackgroundOptions, ImagePlane } from "./background.ts";
import {
  LazyBackgroundRow,
  backgroundAt,
  backgroundRow,
  createRowScratch,
  estimateBackground,
} from "./background.ts";
import type { CatalogueRow } from "./catalogue.ts";
import type { DetectionOptions } from "./detect.ts";
import { detectSources } from "./detect.ts";
import { SOURCE_FLAGS } from "./flags.ts";
import {
  FWHM_PER_SIGMA,
  MEDIAN_VARIANCE_FACTOR,
  adaptiveFwhm,
  aperturePhotometry,
  fluxToMagnitude,
  fwhmFromWindowedMoments,
  profileFwhm,
  windowedCentroid,
  windowedMoments,
} from "./measure.ts";
import { locateTarget, type TargetPhotometryContext } from "./target.ts";

export { formatSextractorCatalogue } from "./catalogue.ts";
export type { CatalogueRow } from "./catalogue.ts";

export interface ExtractOptions {
  wcs?: TanWcs;
  gainEPerAdu?: number;
  /** Read noise (e⁻); only used for the expected sky RMS in the frame statistics. */
  readNoiseE?: number;
  saturationAdu?: number;
  zeroPointMag?: number; // 25
  background?: BackgroundOptions;
  detection?: Omit<DetectionOptions, "saturationAdu">;
  apertureRadiusFwhm?: number; // 1.0
  /** Annulus for the local background in FWHM units; null → the background map only. Default [3, 5]. */
  annulusFwhm?: readonly [number, number] | null;
  apertureCorrection?: boolean; // true
  apertureCorrectionRadiusFwhm?: number; // 5
  /** FWHM (px) to use when no star gives one; default 3. */
  fwhmGuessPx?: number;
  /** Target position: FITS pixels or sky (needs `wcs`). */
  target?: { x: number; y: number } | { raDeg: number; decDeg: number };
  targetMatchRadiusPx?: number;
}

export interface FrameStatistics {
  backgroundMedianAdu: number;
  backgroundRmsAdu: number;
  /** √(B/g + (RN/g)²) for the median background B, when gain and read noise are given, ADU. */
  expectedRmsAdu: number;
  fwhmMedianPx: number;
  /** Stars behind the FWHM median. */
  fwhmStars: number;
  nSources: number;
  apertureRadiusPx: number;
  /** −2.5 log₁₀ of the aperture correction (mag, ≤ 0 adds flux); 0 when not applied. */
  apertureCorrectionMag: number;
  apertureCorrectionStars: number;
  /** 5σ point-source limit (instrumental, same ZP), mag. */
  limitingMag5Sigma: number;
  /** The detection cap was hit. */
  overflow: boolean;
}

export interface ExtractResult {
  rows: CatalogueRow[];
  stats: FrameStatistics;
  /** Row of the target, −1 when no target was asked for or it is off the image. */
  targetIndex: number;
  /** What the target step needs to run later (target.ts forcedTargetPhotometry). */
  targetContext: TargetPhotometryContext;
  timingsMs: { background: number; detection: number; measurement: number };
}

/** Instrumental zero point of the magnitudes when none is given: m = 25 − 2.5 log₁₀ F (F in ADU). */
export const DEFAULT_ZERO_POINT_MAG = 25;

/** Aperture-correction stars: the brightest this many, each with aperture S/N above AP_MIN_SNR. */
const AP_STARS = 30;
const AP_MIN_SNR = 100;

/** Image as Float32Array: the data itself, or a converted copy. */
function asFloat32(img: { data: ArrayLike<number>; width: number; height: number }): ImagePlane {
  const data = img.data instanceof Float32Array ? img.data : Float32Array.from(img.data);
  return { data, width: img.width, height: img.height };
}

/** Indices of points within `radius` of each point, through a uniform grid of cell size `radius`. */
function neighbourCounts(xs: Float64Array, ys: Float64Array, radius: number): Int32Array {
  const n = xs.length;
  const cell = Math.max(radius, 1);
  const buckets = new Map<number, number[]>();
  const key = (cx: number, cy: number): number => cx * 1_000_003 + cy;
  for (let i = 0; i < n; i++) {
    const k = key(Math.floor(xs[i] / cell), Math.floor(ys[i] / cell));
    const b = buckets.get(k);
    if (b) b.push(i);
    else buckets.set(k, [i]);
  }
  const out = new Int32Array(n);
  const r2 = radius * radius;
  for (let i = 0; i < n; i++) {
    const cx = Math.floor(xs[i] / cell);
    const cy = Math.floor(ys[i] / cell);
    for (let a = -1; a <= 1; a++) {
      for (let b = -1; b <= 1; b++) {
        for (const j of buckets.get(key(cx + a, cy + b)) ?? []) {
          if (j !== i && (xs[j] - xs[i]) ** 2 + (ys[j] - ys[i]) ** 2 < r2) out[i]++;
        }
      }
    }
  }
  return out;
}

/** Runs the extraction step on an image (file comment). Pure; never throws on image content. */
export function extractSources(
  image: { data: ArrayLike<number>; width: number; height: number },
  options: ExtractOptions = {},
): ExtractResult {
  const t0 = performance.now();
  const img = asFloat32(image);
  const zp = options.zeroPointMag ?? DEFAULT_ZERO_POINT_MAG;
  const gain = options.gainEPerAdu;
  const bkg = estimateBackground(img, options.background);
  const t1 = performance.now();
  const backScratch = createRowScratch(bkg);
  const det = detectSources(
    img,
    new LazyBackgroundRow(bkg, "rms"),
    { ...options.detection, saturationAdu: options.saturationAdu },
    (y, out) => backgroundRow(bkg, "back", y, out, backScratch),
  );
  const t2 = performance.now();
  const n = det.count;
  // Background and RMS of the map at each object (constant over its measurement windows).
  const back = new Float64Array(n);
  const rms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    back[i] = backgroundAt(bkg, "back", det.xPx[i], det.yPx[i], backScratch);
    rms[i] = backgroundAt(bkg, "rms", det.xPx[i], det.yPx[i], backScratch);
  }

  // Frame FWHM from the brightest clean objects: profile fit (true FWHM) and moment FWHM (for scaling).
  const bad = SOURCE_FLAGS.SATURATED | SOURCE_FLAGS.EDGE | SOURCE_FLAGS.BLENDED;
  const byFlux = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => det.isoFluxAdu[b] - det.isoFluxAdu[a],
  );
  const fits: number[] = [];
  const moments: number[] = [];
  for (let k = 0; k < n && fits.length < 30; k++) {
    const i = byFlux[k];
    if (det.flags[i] & bad || det.areaPx[i] < 2 * (options.detection?.minAreaPx ?? 5)) continue;
    const a = adaptiveFwhm(img, det.xPx[i], det.yPx[i], (options.fwhmGuessPx ?? 3) / FWHM_PER_SIGMA, back[i]);
    if (!a.ok || !(a.fwhmPx > 0.5)) continue;
    const f = profileFwhm(img, a.xPx, a.yPx, a.fwhmPx, back[i]);
    if (!Number.isFinite(f)) continue;
    fits.push(f);
    moments.push(a.fwhmPx);
  }
  const fwhm = fits.length > 0 ? medianOfList(fits) : (options.fwhmGuessPx ?? 3);
  // Per-source FWHM: windowed-moment FWHM rescaled so that the frame's typical star gets the fitted value.
  const momentScale = fits.length > 0 ? fwhm / medianOfList(moments) : 1;
  const sigmaW = fwhm / FWHM_PER_SIGMA;

  // Centroids, per-source FWHM.
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const fw = new Float64Array(n);
  const flags = Int32Array.from(det.flags);
  for (let i = 0; i < n; i++) {
    const c = windowedCentroid(img, det.xPx[i], det.yPx[i], sigmaW, back[i]);
    xs[i] = c.xPx;
    ys[i] = c.yPx;
    if (!c.ok) flags[i] |= SOURCE_FLAGS.CENTROID_FALLBACK;
    fw[i] =
      momentScale * fwhmFromWindowedMoments(windowedMoments(img, xs[i], ys[i], sigmaW, back[i]), sigmaW);
    if (fw[i] < 0.5 * fwhm || (!Number.isFinite(fw[i]) && det.areaPx[i] <= 2)) flags[i] |= SOURCE_FLAGS.SHARP;
  }

  // Aperture photometry.
  const rAp = (options.apertureRadiusFwhm ?? 1) * fwhm;
  const ann = options.annulusFwhm === undefined ? ([3, 5] as const) : options.annulusFwhm;
  const phot = {
    radiusPx: rAp,
    annulusPx: ann ? ([ann[0] * fwhm, ann[1] * fwhm] as const) : null,
    gainEPerAdu: gain,
  };
  const crowd = neighbourCounts(xs, ys, rAp + 2 * fwhm);
  const flux = new Float64Array(n);
  const fluxErr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = aperturePhotometry(img, xs[i], ys[i], rms[i], { ...phot, backgroundAdu: back[i] });
    flux[i] = p.fluxAdu;
    fluxErr[i] = p.fluxErrAdu;
    flags[i] |= p.flags | (crowd[i] > 0 ? SOURCE_FLAGS.CROWDED : 0);
  }

  // Aperture correction from bright isolated stars.
  const rBig = (options.apertureCorrectionRadiusFwhm ?? 5) * fwhm;
  let apcorr = 1;
  let apStars = 0;
  if (options.apertureCorrection ?? true) {
    const isolated = neighbourCounts(xs, ys, rBig + fwhm);
    const big = { radiusPx: rBig, annulusPx: [rBig + fwhm, rBig + 3 * fwhm] as const, gainEPerAdu: gain };
    const ratios: number[] = [];
    const clean = bad | SOURCE_FLAGS.APERTURE_TRUNCATED | SOURCE_FLAGS.CENTROID_FALLBACK | SOURCE_FLAGS.SHARP;
    for (let k = 0; k < n && ratios.length < AP_STARS; k++) {
      const i = byFlux[k];
      if (flags[i] & clean || isolated[i] > 0 || !(flux[i] > AP_MIN_SNR * fluxErr[i])) continue;
      const p = aperturePhotometry(img, xs[i], ys[i], rms[i], { ...big, backgroundAdu: back[i] });
      if (p.flags === 0 && p.fluxAdu > 0) ratios.push(p.fluxAdu / flux[i]);
    }
    if (ratios.length >= 3) {
      apcorr = medianOfList(ratios);
      apStars = ratios.length;
    }
  }

  const rows: CatalogueRow[] = [];
  const wcs = options.wcs;
  for (let i = 0; i < n; i++) {
    const F = flux[i] * apcorr;
    const E = fluxErr[i] * apcorr;
    const m = fluxToMagnitude(F, E, zp);
    const sky = wcs ? pixelToSky(wcs, xs[i] + 1, ys[i] + 1) : { raDeg: NaN, decDeg: NaN };
    rows.push({
      number: i + 1,
      x: xs[i] + 1,
      y: ys[i] + 1,
      raDeg: sky.raDeg,
      decDeg: sky.decDeg,
      mag: m.mag,
      magErr: m.magErr,
      flux: F,
      fluxErr: E,
      fwhm: fw[i],
      flags: flags[i],
    });
  }

  // Target: matched detection or forced photometry (target.ts).
  const targetContext: TargetPhotometryContext = {
    background: bkg,
    aperture: phot,
    apertureCorrection: apcorr,
    zeroPointMag: zp,
    fwhmPx: fwhm,
  };
  const targetIndex = options.target
    ? locateTarget(img, rows, targetContext, options.target, wcs, options.targetMatchRadiusPx)
    : -1;

  // 5σ limit in the aperture (noise model), aperture-corrected.
  const A = Math.PI * rAp * rAp;
  const nSky = phot.annulusPx ? Math.PI * (phot.annulusPx[1] ** 2 - phot.annulusPx[0] ** 2) : Infinity;
  const V = A * bkg.globalRmsAdu ** 2 * (1 + (MEDIAN_VARIANCE_FACTOR * A) / nSky);
  const ig = gain && gain > 0 ? 1 / gain : 0;
  const fLim = (25 * ig + Math.sqrt(625 * ig * ig + 100 * V)) / 2;
  const rn = options.readNoiseE;
  const stats: FrameStatistics = {
    backgroundMedianAdu: bkg.globalBackAdu,
    backgroundRmsAdu: bkg.globalRmsAdu,
    expectedRmsAdu: gain && rn !== undefined ? Math.sqrt(bkg.globalBackAdu / gain + (rn / gain) ** 2) : NaN,
    fwhmMedianPx: fwhm,
    fwhmStars: fits.length,
    nSources: n,
    apertureRadiusPx: rAp,
    apertureCorrectionMag: -2.5 * Math.log10(apcorr),
    apertureCorrectionStars: apStars,
    limitingMag5Sigma: zp - 2.5 * Math.log10(fLim * apcorr),
    overflow: det.overflow,
  };
  const t3 = performance.now();
  return {
    rows,
    stats,
    targetIndex,
    targetContext,
    timingsMs: { background: t1 - t0, detection: t2 - t1, measurement: t3 - t2 },
  };
}

/** Median of a list (NaN when empty), through the shared quickselect. */
function medianOfList(values: readonly number[]): number {
  return medianInPlace(Float64Array.from(values));
}
