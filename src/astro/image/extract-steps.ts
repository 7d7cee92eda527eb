/**
 * The steps of the extraction after detection (extract.ts, steps 3–8), cut where the per-source work can
 * be shared among threads: {@link planMeasurement} (frame FWHM, serial), {@link measureRange} (per-source
 * centroid, FWHM and aperture photometry of any range of sources, independent of the others), and
 * {@link finishExtraction} (crowding, aperture correction, magnitudes, target, statistics).
 */
import { medianInPlace } from "../order.ts";
import type { TanWcs } from "../wcs/tan.ts";
import { pixelToSky } from "../wcs/tan.ts";
import type { BackgroundModel, BackgroundOptions, ImagePlane } from "./background.ts";
import { backgroundAt, createRowScratch } from "./background.ts";
import type { CatalogueRow } from "./catalogue.ts";
import type { Detections, DetectionOptions } from "./detect.ts";
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

/** What every per-source measurement needs (plain data: it is sent to worker threads as it is). */
export interface MeasurePlan {
  width: number;
  /** Isophotal barycentres, 0-based pixels; detection flags and areas. */
  xPx: Float64Array;
  yPx: Float64Array;
  detFlags: Int32Array;
  areaPx: Int32Array;
  /** The objects' own pixels (Detections.pixelStart, .pixels). */
  pixelStart: Int32Array;
  pixels: Int32Array;
  /** Background and RMS of the map at each object, ADU. */
  back: Float64Array;
  rms: Float64Array;
  /** Frame FWHM (px), moment-to-fit scale, window σ (px). */
  fwhm: number;
  momentScale: number;
  sigmaW: number;
  phot: { radiusPx: number; annulusPx: readonly [number, number] | null; gainEPerAdu: number | undefined };
}

/** Per-source results of sources [i0, i1) (arrays indexed i − i0). */
export interface MeasuredRange {
  i0: number;
  xs: Float64Array;
  ys: Float64Array;
  fw: Float64Array;
  flags: Int32Array;
  flux: Float64Array;
  fluxErr: Float64Array;
}

/** The plan plus what only the finishing step needs. */
export interface FramePlan extends MeasurePlan {
  /** Object indices by decreasing isophotal flux. */
  byFlux: Int32Array;
  /** Stars behind the FWHM median. */
  fwhmStars: number;
}

const BAD = SOURCE_FLAGS.SATURATED | SOURCE_FLAGS.EDGE | SOURCE_FLAGS.BLENDED;

/** Steps 3 and the per-object background: frame FWHM from the brightest clean objects. */
export function planMeasurement(
  img: ImagePlane,
  bkg: BackgroundModel,
  det: Detections,
  options: ExtractOptions,
): FramePlan {
  const n = det.count;
  const backScratch = createRowScratch(bkg);
  // Background and RMS of the map at each object (constant over its measurement windows).
  const back = new Float64Array(n);
  const rms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    back[i] = backgroundAt(bkg, "back", det.xPx[i], det.yPx[i], backScratch);
    rms[i] = backgroundAt(bkg, "rms", det.xPx[i], det.yPx[i], backScratch);
  }

  // Frame FWHM from the brightest clean objects: profile fit (true FWHM) and moment FWHM (for scaling).
  const byFlux = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => det.isoFluxAdu[b] - det.isoFluxAdu[a],
  );
  const fits: number[] = [];
  const moments: number[] = [];
  for (let k = 0; k < n && fits.length < 30; k++) {
    const i = byFlux[k];
    if (det.flags[i] & BAD || det.areaPx[i] < 2 * (options.detection?.minAreaPx ?? 5)) continue;
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
  const rAp = (options.apertureRadiusFwhm ?? 1) * fwhm;
  const ann = options.annulusFwhm === undefined ? ([3, 5] as const) : options.annulusFwhm;
  return {
    width: img.width,
    xPx: det.xPx,
    yPx: det.yPx,
    detFlags: det.flags,
    areaPx: det.areaPx,
    pixelStart: det.pixelStart,
    pixels: det.pixels,
    back,
    rms,
    fwhm,
    momentScale,
    sigmaW: fwhm / FWHM_PER_SIGMA,
    phot: {
      radiusPx: rAp,
      annulusPx: ann ? ([ann[0] * fwhm, ann[1] * fwhm] as const) : null,
      gainEPerAdu: options.gainEPerAdu,
    },
    byFlux,
    fwhmStars: fits.length,
  };
}

/** Whether the pixel nearest (x, y) (0-based) is one of detection i's own (deblended) pixels. */
function ownsPixel(plan: MeasurePlan, i: number, x: number, y: number): boolean {
  const p = Math.round(y) * plan.width + Math.round(x);
  for (let j = plan.pixelStart[i]; j < plan.pixelStart[i + 1]; j++) if (plan.pixels[j] === p) return true;
  return false;
}

/** Step 4 for sources [i0, i1): centroid, per-source FWHM, aperture photometry (crowding comes later). */
export function measureRange(img: ImagePlane, plan: MeasurePlan, i0: number, i1: number): MeasuredRange {
  const m = i1 - i0;
  const { sigmaW, momentScale, fwhm, back, rms } = plan;
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  const fw = new Float64Array(m);
  const flags = plan.detFlags.slice(i0, i1);
  const flux = new Float64Array(m);
  const fluxErr = new Float64Array(m);
  for (let i = i0; i < i1; i++) {
    const k = i - i0;
    const c = windowedCentroid(img, plan.xPx[i], plan.yPx[i], sigmaW, back[i]);
    xs[k] = c.xPx;
    ys[k] = c.yPx;
    if (!c.ok) flags[k] |= SOURCE_FLAGS.CENTROID_FALLBACK;
    else if (plan.detFlags[i] & SOURCE_FLAGS.BLENDED && !ownsPixel(plan, i, xs[k], ys[k])) {
      xs[k] = plan.xPx[i];
      ys[k] = plan.yPx[i];
      flags[k] |= SOURCE_FLAGS.CENTROID_FALLBACK;
    }
    fw[k] =
      momentScale * fwhmFromWindowedMoments(windowedMoments(img, xs[k], ys[k], sigmaW, back[i]), sigmaW);
    if (fw[k] < 0.5 * fwhm || (!Number.isFinite(fw[k]) && plan.areaPx[i] <= 2))
      flags[k] |= SOURCE_FLAGS.SHARP;
  }
  for (let i = i0; i < i1; i++) {
    const k = i - i0;
    const p = aperturePhotometry(img, xs[k], ys[k], rms[i], { ...plan.phot, backgroundAdu: back[i] });
    flux[k] = p.fluxAdu;
    fluxErr[k] = p.fluxErrAdu;
    flags[k] |= p.flags;
  }
  return { i0, xs, ys, fw, flags, flux, fluxErr };
}

/** Ranges measured apart (ascending, adjoining, covering [0, n)) as one. */
export function joinRanges(parts: readonly MeasuredRange[], n: number): MeasuredRange {
  if (parts.length === 1) return parts[0];
  const out: MeasuredRange = {
    i0: 0,
    xs: new Float64Array(n),
    ys: new Float64Array(n),
    fw: new Float64Array(n),
    flags: new Int32Array(n),
    flux: new Float64Array(n),
    fluxErr: new Float64Array(n),
  };
  for (const p of parts) {
    out.xs.set(p.xs, p.i0);
    out.ys.set(p.ys, p.i0);
    out.fw.set(p.fw, p.i0);
    out.flags.set(p.flags, p.i0);
    out.flux.set(p.flux, p.i0);
    out.fluxErr.set(p.fluxErr, p.i0);
  }
  return out;
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

/** Steps 4 (crowding) to 8 from the measurements of all sources. */
export function finishExtraction(
  img: ImagePlane,
  bkg: BackgroundModel,
  det: Detections,
  plan: FramePlan,
  measured: MeasuredRange,
  options: ExtractOptions,
): Omit<ExtractResult, "timingsMs"> {
  const n = det.count;
  const zp = options.zeroPointMag ?? DEFAULT_ZERO_POINT_MAG;
  const gain = options.gainEPerAdu;
  const { fwhm, phot, byFlux, rms, back } = plan;
  const { xs, ys, fw, flags, flux, fluxErr } = measured;
  const rAp = phot.radiusPx;
  const crowd = neighbourCounts(xs, ys, rAp + 2 * fwhm);
  for (let i = 0; i < n; i++) if (crowd[i] > 0) flags[i] |= SOURCE_FLAGS.CROWDED;
  // Aperture correction from bright isolated stars.
  const rBig = (options.apertureCorrectionRadiusFwhm ?? 5) * fwhm;
  let apcorr = 1;
  let apStars = 0;
  if (options.apertureCorrection ?? true) {
    const isolated = neighbourCounts(xs, ys, rBig + fwhm);
    const big = { radiusPx: rBig, annulusPx: [rBig + fwhm, rBig + 3 * fwhm] as const, gainEPerAdu: gain };
    const ratios: number[] = [];
    const clean = BAD | SOURCE_FLAGS.APERTURE_TRUNCATED | SOURCE_FLAGS.CENTROID_FALLBACK | SOURCE_FLAGS.SHARP;
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
    fwhmStars: plan.fwhmStars,
    nSources: n,
    apertureRadiusPx: rAp,
    apertureCorrectionMag: -2.5 * Math.log10(apcorr),
    apertureCorrectionStars: apStars,
    limitingMag5Sigma: zp - 2.5 * Math.log10(fLim * apcorr),
    overflow: det.overflow,
  };
  return { rows, stats, targetIndex, targetContext };
}

/** Median of a list (NaN when empty), through the shared quickselect. */
function medianOfList(values: readonly number[]): number {
  return medianInPlace(Float64Array.from(values));
}
