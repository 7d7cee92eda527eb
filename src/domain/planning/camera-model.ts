/**
 * A camera's photometric model, learnt from its own calibrated FITS frames (repo.ts cameraHistory): per
 * light-curve filter, the median over its frames of
 *   Z₀ = 25 − ZP − 2.5 log₁₀ t + k X     (mag of a source giving 1 ADU/s above the atmosphere: the FITS
 *                                         job measures m_inst = 25 − 2.5 log₁₀ F, F the total ADU in the
 *                                         t-second frame, and CPCS gives m = m_inst − ZP, so
 *                                         F/t = 10^(−0.4 (m + ZP − 25 + 2.5 log₁₀ t)) = 10^(−0.4 (m − Z₀ + k X)))
 *   s = B / t                            (sky, ADU/px/s, B the frame's median background)
 *   FWHM, aperture radius and aperture correction as the FITS job measured them,
 * with the gain, read noise and saturation level of the camera row. The sky annulus is the FITS job's,
 * [3, 5] FWHM (n_sky = 16π FWHM²). Medians, so a cloudy or moonlit frame does not set the model; the
 * spread of Z₀ (1.4826 × MAD) says how much transparency varied.
 *
 * Extinction k (mag per airmass): fitted from the history when it can be — Bouguer's method, night by
 * night: within a night (frames closer than 0.3 d to the previous one) of ≥ 4 frames spanning ≥ 0.3
 * airmass, the Theil–Sen slope (median of the pairwise slopes; robust to a cloudy frame or two) of
 * Z(X) = 25 − ZP − 2.5 log₁₀ t against X is −k; k is the median over such nights, clamped to [0, 1]
 * (transparency changing during a night can fake a negative slope). Otherwise a typical value of a good
 * site: V = 0.15 (ING: La Palma's standard curve has 0.10 on very clear nights, "0.15 is more typical"),
 * the other bands in the usual ratios of a Rayleigh + aerosol curve (U/u 0.50, B 0.25, g 0.20, G_BP 0.20,
 * G 0.15, r/R 0.10, G_RP 0.08, i/I 0.06, z 0.05, J 0.10, H 0.06, K 0.07 — approximate).
 */
import type { PhotometricModel } from "../../astro/etc.ts";
import { DEFAULT_ZERO_POINT_MAG } from "../../astro/image/extract.ts";
import { medianInPlace } from "../../astro/order.ts";
import type { HistoryFrame } from "./repo.ts";
import { groupBy } from "./group.ts";

export const EXTINCTION_MAG_PER_AIRMASS: Readonly<Record<string, number>> = {
  u: 0.5,
  U: 0.5,
  B: 0.25,
  g: 0.2,
  GBP: 0.2,
  V: 0.15,
  G: 0.15,
  r: 0.1,
  R: 0.1,
  GRP: 0.08,
  i: 0.06,
  I: 0.06,
  z: 0.05,
  J: 0.1,
  H: 0.06,
  K: 0.07,
};
export const DEFAULT_EXTINCTION_MAG_PER_AIRMASS = 0.15;
/** The FITS job's sky annulus, in FWHM (src/astro/image/extract.ts). */
const ANNULUS_FWHM = [3, 5] as const;
const MAD_TO_SIGMA = 1.4826;

/** A light-curve filter name: `<band>(<survey>)`, as calibrated points carry it. */
export const filterName = (survey: string, band: string) => `${band}(${survey})`;

/** The band of a light-curve filter name (`V(GaiaSP)` → `V`; other names as they are). */
export function bandOf(filter: string): string {
  const m = /^(.+)\(([^()]+)\)$/.exec(filter);
  return m ? m[1] : filter;
}

export function extinctionFor(filter: string): number {
  return EXTINCTION_MAG_PER_AIRMASS[bandOf(filter)] ?? DEFAULT_EXTINCTION_MAG_PER_AIRMASS;
}

export interface CameraDetector {
  gain: number;
  readoutNoise: number;
  saturationLevel: number;
}

export interface CameraModel {
  filter: string;
  model: PhotometricModel;
  /** `fitted` (Bouguer, from the history) or `typical` (the table). */
  extinctionSource: "fitted" | "typical";
  frames: number;
  lastFrameMjd: number;
  zeroPointScatterMag: number;
  /** Median seeing in arcsec, when the frames carry a pixel scale. */
  fwhmArcsec: number | null;
}

const median = (values: number[]) => medianInPlace(Float64Array.from(values));
function mad(values: number[], centre: number): number {
  return values.length > 1 ? MAD_TO_SIGMA * median(values.map((v) => Math.abs(v - centre))) : 0;
}

/** Z₀ of one frame (file comment), mag; k from `extinction` (default: the table). */
export function frameZeroPoint(frame: HistoryFrame, extinction = extinctionFor(frame.band)): number {
  return (
    DEFAULT_ZERO_POINT_MAG -
    frame.zeropoint -
    2.5 * Math.log10(frame.expTimeS) +
    extinction * (frame.airmass ?? 1)
  );
}

/** Frames closer than this to the previous one belong to the same night, days. */
const NIGHT_GAP_DAYS = 0.3;
const MIN_NIGHT_FRAMES = 4;
const MIN_AIRMASS_SPAN = 0.3;

/** Theil–Sen slope of y on x: the median of the pairwise slopes (Sen 1968), null without two distinct x. */
export function theilSenSlope(x: number[], y: number[]): number | null {
  const slopes: number[] = [];
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) if (x[j] !== x[i]) slopes.push((y[j] - y[i]) / (x[j] - x[i]));
  return slopes.length ? median(slopes) : null;
}

/** Extinction fitted night by night from the frames (file comment), or null when no night qualifies. */
export function fittedExtinction(frames: HistoryFrame[]): number | null {
  const sorted = frames.filter((f) => f.airmass !== null).sort((a, b) => a.mjd - b.mjd);
  const nights: HistoryFrame[][] = [];
  for (const f of sorted) {
    const night = nights[nights.length - 1];
    if (night && f.mjd - night[night.length - 1].mjd < NIGHT_GAP_DAYS) night.push(f);
    else nights.push([f]);
  }
  const ks: number[] = [];
  for (const night of nights) {
    const x = night.map((f) => f.airmass as number);
    if (night.length < MIN_NIGHT_FRAMES || Math.max(...x) - Math.min(...x) < MIN_AIRMASS_SPAN) continue;
    const slope = theilSenSlope(
      x,
      night.map((f) => frameZeroPoint(f, 0)),
    );
    if (slope !== null) ks.push(-slope);
  }
  return ks.length ? Math.min(1, Math.max(0, median(ks))) : null;
}

/** The model of one filter from its frames (at least one); `extinction` overrides the fit and the table. */
export function modelFromFrames(
  filter: string,
  frames: HistoryFrame[],
  detector: CameraDetector,
  extinction?: number,
): CameraModel {
  if (!frames.length) throw new RangeError("no frames");
  const fitted = extinction === undefined ? fittedExtinction(frames) : null;
  const k = extinction ?? fitted ?? extinctionFor(filter);
  const z = frames.map((f) => frameZeroPoint(f, k));
  const zeroPointMag = median(z);
  const fwhmPx = median(frames.map((f) => f.fwhmPx));
  const scales = frames.filter((f) => f.pixelScaleArcsec && f.pixelScaleArcsec > 0);
  return {
    filter,
    extinctionSource: fitted === null ? "typical" : "fitted",
    frames: frames.length,
    lastFrameMjd: Math.max(...frames.map((f) => f.mjd)),
    zeroPointScatterMag: mad(z, zeroPointMag),
    fwhmArcsec: scales.length ? median(scales.map((f) => f.fwhmPx * (f.pixelScaleArcsec as number))) : null,
    model: {
      zeroPointMag,
      extinctionMagPerAirmass: k,
      skyAduPerPxPerS: median(frames.map((f) => Math.max(0, f.backgroundAdu) / f.expTimeS)),
      fwhmPx,
      apertureRadiusPx: median(frames.map((f) => f.apertureRadiusPx)),
      annulusAreaPx: Math.PI * (ANNULUS_FWHM[1] ** 2 - ANNULUS_FWHM[0] ** 2) * fwhmPx ** 2,
      apertureCorrectionMag: median(frames.map((f) => f.apertureCorrectionMag)),
      gainEPerAdu: detector.gain,
      readNoiseE: detector.readoutNoise,
      saturationAdu: detector.saturationLevel,
    },
  };
}

/** Models of every filter the camera has frames in, the most observed filter first. */
export function cameraModels(frames: HistoryFrame[], detector: CameraDetector): CameraModel[] {
  const byFilter = groupBy(frames, (f) => filterName(f.survey, f.band));
  return [...byFilter.entries()]
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .map(([filter, list]) => modelFromFrames(filter, list, detector));
}
