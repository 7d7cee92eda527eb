/**
 * Exposure-time calculator for aperture photometry of a point source on a CCD: the signal-to-noise
 * ratio of an exposure, and the exposure that reaches a wanted S/N.
 *
 * Noise: the CCD equation (Merline & Howell 1995, Exp. Astron. 6, 163, eq. 1; Howell 2006, Handbook of
 * CCD Astronomy, §4.4) with the sky-estimate term of Stetson (1987, PASP 99, 191) for a median sky — the
 * same model the FITS job's photometry reports its errors with (src/astro/image/photometry.ts), so a
 * prediction is comparable with the errors of measured frames. In electrons:
 *   S/N = N / √(N + A (S + R²) (1 + (π/2) A / n_sky)),
 *   N = g t f_ap 10^(−0.4 (m − Z₀ + k X))        source electrons inside the aperture,
 *   S = g t s                                    sky electrons per pixel,
 * m the source magnitude, X its airmass, t the exposure (s), g the gain (e⁻/ADU), R the read noise (e⁻),
 * Z₀ the magnitude of a source giving 1 ADU/s in total above the atmosphere, k the extinction coefficient
 * (mag per airmass), f_ap the fraction of the source's light inside the aperture (from the aperture
 * correction Δ: f_ap = 10^(0.4 Δ), Δ ≤ 0), s the sky level (ADU/px/s), A = π r² the aperture's area and
 * n_sky the sky annulus's pixels (median: π/2 times the variance of a mean). Dark current is neglected
 * (cooled CCDs; it would add to S).
 *
 * Exposure for a wanted S/N σ: with N = a t and the variance b t + c (b = a + A′ g s, c = A′ R²,
 * A′ = A (1 + (π/2) A / n_sky)), σ² (b t + c) = a² t², the positive root
 *   t = [σ² b + √(σ⁴ b² + 4 a² σ² c)] / (2 a²).
 *
 * Saturation: the peak pixel of a Gaussian PSF of full width at half maximum w holds at most a fraction
 * 4 ln 2 / (π w²) ≈ 0.883 / w² of the light (a Moffat β = 3 profile: 2/(π α²) with w = 1.0196 α, i.e.
 * 0.662 / w²; the Gaussian's larger value is the cautious one).
 */

export interface PhotometricModel {
  /** Magnitude of a source giving 1 ADU/s in total, above the atmosphere (X = 0). */
  zeroPointMag: number;
  /** Extinction, mag per airmass. */
  extinctionMagPerAirmass: number;
  /** Sky level, ADU per pixel per second. */
  skyAduPerPxPerS: number;
  /** Seeing, FWHM in pixels. */
  fwhmPx: number;
  /** Aperture radius, px. */
  apertureRadiusPx: number;
  /** Sky annulus area, px (Infinity: a perfectly known sky). */
  annulusAreaPx: number;
  /** Aperture correction, mag (≤ 0; total = aperture + Δ): f_ap = 10^(0.4 Δ). */
  apertureCorrectionMag: number;
  gainEPerAdu: number;
  readNoiseE: number;
  /** Saturation level, ADU (Infinity: none). */
  saturationAdu: number;
}

export interface SnrEstimate {
  snr: number;
  /** Source electrons in the aperture. */
  sourceE: number;
  /** Sky electrons per pixel. */
  skyEPerPx: number;
  /** Expected magnitude error, 2.5/ln 10 / (S/N), mag. */
  magErr: number;
  /** Peak pixel of the source plus sky, ADU. */
  peakAdu: number;
  saturated: boolean;
}

/** 2.5 / ln 10: magnitude error per unit relative flux error. */
const MAG_ERR_PER_REL_FLUX = 2.5 / Math.LN10;
/** Peak fraction of a Gaussian PSF times FWHM²: 4 ln 2 / π. */
const PEAK_FRACTION_FWHM2 = (4 * Math.LN2) / Math.PI;

/** Source rate above the atmosphere corrected to airmass X, ADU/s (all the light). */
export function sourceRateAduPerS(model: PhotometricModel, mag: number, airmass: number): number {
  return 10 ** (-0.4 * (mag - model.zeroPointMag + model.extinctionMagPerAirmass * airmass));
}

function terms(model: PhotometricModel, mag: number, airmass: number) {
  const area = Math.PI * model.apertureRadiusPx ** 2;
  const effectiveArea = area * (1 + ((Math.PI / 2) * area) / model.annulusAreaPx);
  const fAp = 10 ** (0.4 * Math.min(0, model.apertureCorrectionMag));
  const rate = sourceRateAduPerS(model, mag, airmass);
  const a = model.gainEPerAdu * rate * fAp; // source e⁻ per second in the aperture
  const b = a + effectiveArea * model.gainEPerAdu * model.skyAduPerPxPerS;
  const c = effectiveArea * model.readNoiseE ** 2;
  return { a, b, c, rate };
}

/** S/N of an exposure of `exposureS` seconds of a source of magnitude `mag` at airmass `airmass`. */
export function snrForExposure(
  model: PhotometricModel,
  mag: number,
  airmass: number,
  exposureS: number,
): SnrEstimate {
  const { a, b, c, rate } = terms(model, mag, airmass);
  const sourceE = a * exposureS;
  const snr = sourceE > 0 ? sourceE / Math.sqrt(b * exposureS + c) : 0;
  const peakAdu =
    (rate * exposureS * PEAK_FRACTION_FWHM2) / model.fwhmPx ** 2 + model.skyAduPerPxPerS * exposureS;
  return {
    snr,
    sourceE,
    skyEPerPx: model.gainEPerAdu * model.skyAduPerPxPerS * exposureS,
    magErr: snr > 0 ? MAG_ERR_PER_REL_FLUX / snr : Infinity,
    peakAdu,
    saturated: peakAdu > model.saturationAdu,
  };
}

/** Exposure (s) reaching S/N `snr` for a source of magnitude `mag` at airmass `airmass` (file comment). */
export function exposureForSnr(model: PhotometricModel, mag: number, airmass: number, snr: number): number {
  const { a, b, c } = terms(model, mag, airmass);
  if (!(a > 0) || !(snr > 0)) return Infinity;
  const s2 = snr * snr;
  return (s2 * b + Math.sqrt(s2 * s2 * b * b + 4 * a * a * s2 * c)) / (2 * a * a);
}

/** The longest exposure (s) before the source's peak pixel reaches `fraction` of saturation. */
export function saturationExposureS(model: PhotometricModel, mag: number, airmass: number, fraction = 0.8) {
  const perSecond =
    (sourceRateAduPerS(model, mag, airmass) * PEAK_FRACTION_FWHM2) / model.fwhmPx ** 2 +
    model.skyAduPerPxPerS;
  return perSecond > 0 ? (fraction * model.saturationAdu) / perSecond : Infinity;
}

/** Magnitude reaching S/N `snr` in `exposureS` at airmass `airmass` (the limiting magnitude), by bisection. */
export function limitingMag(model: PhotometricModel, airmass: number, exposureS: number, snr = 5): number {
  let bright = model.zeroPointMag - 40;
  let faint = model.zeroPointMag + 10;
  for (let k = 0; k < 80; k++) {
    const mid = (bright + faint) / 2;
    if (snrForExposure(model, mid, airmass, exposureS).snr >= snr) bright = mid;
    else faint = mid;
  }
  return (bright + faint) / 2;
}
