/**
 * Synthetic CCD frames with known truth (port of astro-notes §3.1, `mkimg.py`).
 *
 *  1. Truth: the stars of a synthetic reference field (`makeField`, §1.2) projected through a TAN (+ SIP)
 *     WCS — CD = s·[[−cos ρ, −sin ρ], [−sin ρ, cos ρ]] (north up, east left, rotated by ρ; astro-notes
 *     §3.1 step 4), CRPIX at the frame centre ((n + 1)/2) — plus an optional target star. Total flux
 *     F = 10^(−0.4 (m − ZP)) ADU.
 *  2. Sky: level + linear gradient (ADU; gradient per pixel from the frame centre). Stars: Moffat (1969)
 *        I(r) = F (β − 1) / (π α²) · (1 + r²/α²)^(−β),   α = FWHM / (2 √(2^{1/β} − 1)),
 *     evaluated at pixel centres (5 × 5 sub-samples per pixel when FWHM < 2 px), r from the true sub-pixel
 *     position, each star only within a stamp of radius r_s where its profile falls to `stampFloorAdu`
 *     (capped at `maxStampRadiusPx`), so a 4096² frame renders in about a second.
 *  3. Noise, in electrons: e = Poisson(λ = I·g) + N(0, RN), ADU = e / g + bias. Poisson by Knuth's method
 *     for λ < 30, else N(λ, λ) (combined with the read noise into one normal deviate). Seeded (mulberry32).
 *  4. Defects after noise: cosmic rays (1–4 pixel tracks, 500–20 000 ADU), hot pixels (2 000–40 000 ADU);
 *     then every pixel is clipped at the saturation level (full well).
 *
 * Truth S/N (`snr`): a circular aperture of radius `snrApertureFwhm`·FWHM (default 1, the extraction's
 * default aperture): F_ap = F·EE(r), EE(r) = 1 − (1 + r²/α²)^{1−β} (Moffat enclosed energy),
 * S/N = F_ap / √(F_ap/g + A σ²), A = π r², σ² = (sky·g + RN²)/g² ADU² (CCD equation, Merline & Howell 1995).
 * Pixel coordinates are FITS 1-based (centre of the first pixel = (1, 1)); array index (y−1)·width + (x−1).
 */
import type { FitsValue } from "../fits/header.ts";
import { formatDecDms, formatRaHms } from "../coords.ts";
import { mjdFromIso } from "../time.ts";
import type { Band } from "../calibrate/bands.ts";
import type { SipDistortion, TanWcs } from "../wcs/tan.ts";
import { skyToPixel } from "../wcs/tan.ts";
import { wcsToHeaderCards } from "../wcs/header.ts";
import type { SynthField } from "./catalog.ts";
import { makeField } from "./catalog.ts";
import type { Rng } from "./random.ts";
import { createRng } from "./random.ts";

export interface SynthImageOptions {
  seed: number;
  width?: number; // 2048
  height?: number; // 2048
  /** Reference field; default makeField({ seed, … }) covering the frame with ≈ nStars on it. */
  field?: SynthField;
  /** Expected number of field stars with centres on the frame (when `field` is not given); default 3000. */
  nStars?: number;
  /** True magnitude range of generated field stars; default [11, 20]. */
  magRange?: readonly [number, number];
  /** Slope of the generated number counts, dex/mag (makeField); default 0.3. */
  countsSlopeDex?: number;
  /** Band of the field magnitudes used for the fluxes; default "V". */
  band?: Band;
  centerRaDeg?: number; // 150
  centerDecDeg?: number; // 2
  pixelScaleArcsec?: number; // 0.6
  /** Position angle ρ of the frame (deg, legacy CROTA2 sense); default 0. */
  rotationDeg?: number;
  /** Optional SIP distortion added to the TAN WCS. */
  sip?: SipDistortion;
  /** Magnitude of a source of 1 ADU total flux; default 25. */
  zeroPointMag?: number;
  fwhmPx?: number; // 3
  moffatBeta?: number; // 3
  skyAdu?: number; // 500
  /** Sky gradient [d/dx, d/dy] in ADU per pixel, about the frame centre; default [0, 0]. */
  skyGradientAduPerPx?: readonly [number, number];
  gainEPerAdu?: number; // 1.5
  readNoiseE?: number; // 8
  biasAdu?: number; // 0
  saturationAdu?: number; // 60000
  cosmicRays?: number; // 0
  hotPixels?: number; // 0
  /** A target star (not in the reference catalogue): its band magnitude and B−V (for the colour term). */
  target?: { raDeg: number; decDeg: number; mag: number; bv?: number };
  /**
   * Colour term of the camera's passband, mag per mag of B−V: field stars are rendered at
   * m_band + k·(B−V) (src/astro/calibrate/colour.ts; the truth table keeps m_band). Default 0.
   */
  colourTerm?: number;
  /** False → noiseless image (sky + stars, still clipped at saturation). Default true. */
  noise?: boolean;
  /** Stamp edge: render each star out to where its profile drops below this many ADU; default 0.05. */
  stampFloorAdu?: number;
  maxStampRadiusPx?: number; // 64
  snrApertureFwhm?: number; // 1
  dateObs?: string; // "2024-03-15T21:30:00.000"
  exptimeS?: number; // 60
  filter?: string; // the band
  object?: string; // "SYNTH"
}

/** Injected stars, aligned arrays; positions FITS 1-based pixels. */
export interface SynthTruth {
  x: Float64Array;
  y: Float64Array;
  raDeg: Float64Array;
  decDeg: Float64Array;
  mag: Float64Array;
  fluxAdu: Float64Array;
  /** Noiseless peak pixel above the sky, ADU. */
  peakAdu: Float64Array;
  snr: Float64Array;
  /** 1 when the noiseless peak + sky reaches the saturation level. */
  saturated: Uint8Array;
  isTarget: Uint8Array;
  /** Index into the field's arrays, −1 for the target. */
  fieldIndex: Int32Array;
}

export interface SynthImage {
  data: Float32Array;
  width: number;
  height: number;
  header: Record<string, FitsValue>;
  wcs: TanWcs;
  truth: SynthTruth;
  /** Moffat α (px) of the PSF. */
  moffatAlphaPx: number;
  /** The reference field the stars came from (given or generated). */
  field: SynthField;
}

const DEG = Math.PI / 180;

/** Moffat α (px) from FWHM (px) and β. */
export function moffatAlpha(fwhmPx: number, beta: number): number {
  return fwhmPx / (2 * Math.sqrt(2 ** (1 / beta) - 1));
}

/** Fraction of a Moffat profile's flux within radius r (px). */
export function moffatEnclosed(rPx: number, alphaPx: number, beta: number): number {
  return 1 - (1 + (rPx * rPx) / (alphaPx * alphaPx)) ** (1 - beta);
}

/** Poisson deviate with mean λ ≥ 0 (Knuth's multiplication method; λ < 30 only). */
function poissonSmall(rng: Rng, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Renders a synthetic frame (file comment). Deterministic for a given seed and options. */
export function makeSyntheticImage(options: SynthImageOptions): SynthImage {
  const width = options.width ?? 2048;
  const height = options.height ?? 2048;
  const scaleDeg = (options.pixelScaleArcsec ?? 0.6) / 3600;
  const rho = (options.rotationDeg ?? 0) * DEG;
  const ra0 = options.centerRaDeg ?? 150;
  const dec0 = options.centerDecDeg ?? 2;
  const zp = options.zeroPointMag ?? 25;
  const fwhm = options.fwhmPx ?? 3;
  const beta = options.moffatBeta ?? 3;
  const alpha = moffatAlpha(fwhm, beta);
  const sky = options.skyAdu ?? 500;
  const [gx, gy] = options.skyGradientAduPerPx ?? [0, 0];
  const gain = options.gainEPerAdu ?? 1.5;
  const rn = options.readNoiseE ?? 8;
  const bias = options.biasAdu ?? 0;
  const satur = options.saturationAdu ?? 60000;
  const band = options.band ?? "V";
  const colourTerm = options.colourTerm ?? 0;
  const floorAdu = options.stampFloorAdu ?? 0.05;
  const maxStamp = options.maxStampRadiusPx ?? 64;
  const rng = createRng(options.seed ^ 0x5eed1234);

  const wcs: TanWcs = {
    crpix: [(width + 1) / 2, (height + 1) / 2],
    crvalDeg: [ra0, dec0],
    cd: [
      [-scaleDeg * Math.cos(rho), -scaleDeg * Math.sin(rho)],
      [-scaleDeg * Math.sin(rho), scaleDeg * Math.cos(rho)],
    ],
  };
  if (options.sip) wcs.sip = options.sip;

  let field = options.field;
  if (!field) {
    // Half-width covering the (rotated) frame; star count scaled from the frame area.
    const cover =
      0.5 * Math.max(width, height) * scaleDeg * (Math.abs(Math.cos(rho)) + Math.abs(Math.sin(rho)));
    const w = cover * 1.02;
    const nOnFrame = options.nStars ?? 3000;
    const nField = Math.round((nOnFrame * (2 * w) ** 2) / (width * height * scaleDeg * scaleDeg));
    field = makeField({
      seed: options.seed,
      nStars: nField,
      centerRaDeg: ra0,
      centerDecDeg: dec0,
      halfWidthDeg: w,
      magRange: options.magRange ?? [11, 20],
      countsSlopeDex: options.countsSlopeDex ?? 0.3,
    });
  }

  // Truth list: field stars within the frame or whose stamp reaches it, then the target.
  /** mag: as rendered (with the colour term); trueMag: the band magnitude (the truth table's). */
  type Star = {
    x: number;
    y: number;
    ra: number;
    dec: number;
    mag: number;
    trueMag: number;
    idx: number;
    target: boolean;
  };
  const stars: Star[] = [];
  const mags = field.mags[band];
  for (let i = 0; i < mags.length; i++) {
    const p = skyToPixel(wcs, field.raDeg[i], field.decDeg[i]);
    if (!p || p.x < 1 - maxStamp || p.x > width + maxStamp || p.y < 1 - maxStamp || p.y > height + maxStamp)
      continue;
    stars.push({
      x: p.x,
      y: p.y,
      ra: field.raDeg[i],
      dec: field.decDeg[i],
      mag: mags[i] + colourTerm * field.bv[i],
      trueMag: mags[i],
      idx: i,
      target: false,
    });
  }
  if (options.target) {
    const t = options.target;
    const p = skyToPixel(wcs, t.raDeg, t.decDeg);
    if (p)
      stars.push({
        x: p.x,
        y: p.y,
        ra: t.raDeg,
        dec: t.decDeg,
        mag: t.mag,
        trueMag: t.mag,
        idx: -1,
        target: true,
      });
  }

  const img = new Float32Array(width * height);
  const cx = (width + 1) / 2;
  const cy = (height + 1) / 2;
  for (let y = 1; y <= height; y++) {
    const o = (y - 1) * width;
    const base = sky + gy * (y - cy);
    for (let x = 1; x <= width; x++) img[o + x - 1] = base + gx * (x - cx);
  }

  const norm = (beta - 1) / (Math.PI * alpha * alpha);
  const invA2 = 1 / (alpha * alpha);
  const sub = fwhm < 2 ? 5 : 1;
  const onFrame: Star[] = [];
  const peak: number[] = [];
  for (const s of stars) {
    const flux = 10 ** (-0.4 * (s.mag - zp));
    const amp = flux * norm;
    const ratio = amp / floorAdu;
    const rs = ratio > 1 ? Math.min(maxStamp, alpha * Math.sqrt(ratio ** (1 / beta) - 1)) : 1;
    const x0 = Math.max(1, Math.ceil(s.x - rs));
    const x1 = Math.min(width, Math.floor(s.x + rs));
    const y0 = Math.max(1, Math.ceil(s.y - rs));
    const y1 = Math.min(height, Math.floor(s.y + rs));
    for (let y = y0; y <= y1; y++) {
      const o = (y - 1) * width - 1;
      for (let x = x0; x <= x1; x++) {
        let v = 0;
        if (sub === 1) {
          const dx = x - s.x;
          const dy = y - s.y;
          v = amp * (1 + (dx * dx + dy * dy) * invA2) ** -beta;
        } else {
          for (let a = 0; a < sub; a++) {
            for (let b = 0; b < sub; b++) {
              const dx = x - 0.5 + (a + 0.5) / sub - s.x;
              const dy = y - 0.5 + (b + 0.5) / sub - s.y;
              v += amp * (1 + (dx * dx + dy * dy) * invA2) ** -beta;
            }
          }
          v /= sub * sub;
        }
        img[o + x] += v;
      }
    }
    if (s.x >= 0.5 && s.x < width + 0.5 && s.y >= 0.5 && s.y < height + 0.5) {
      onFrame.push(s);
      const px = Math.round(s.x);
      const py = Math.round(s.y);
      const r2 = (px - s.x) ** 2 + (py - s.y) ** 2;
      peak.push(amp * (1 + r2 * invA2) ** -beta);
    }
  }

  if (options.noise ?? true) {
    const rn2 = rn * rn;
    for (let i = 0; i < img.length; i++) {
      const lambda = Math.max(0, img[i] * gain);
      const e =
        lambda < 30
          ? poissonSmall(rng, lambda) + rn * rng.gaussian()
          : lambda + Math.sqrt(lambda + rn2) * rng.gaussian();
      img[i] = e / gain + bias;
    }
  } else if (bias !== 0) for (let i = 0; i < img.length; i++) img[i] += bias;

  for (let c = 0; c < (options.cosmicRays ?? 0); c++) {
    let x = rng.uniform(0, width);
    let y = rng.uniform(0, height);
    const len = 1 + rng.int(4);
    const ang = rng.uniform(0, 2 * Math.PI);
    const amp = rng.uniform(500, 20000);
    for (let k = 0; k < len; k++) {
      const xi = Math.floor(x);
      const yi = Math.floor(y);
      if (xi >= 0 && xi < width && yi >= 0 && yi < height) img[yi * width + xi] += amp * rng.uniform(0.5, 1);
      x += Math.cos(ang);
      y += Math.sin(ang);
    }
  }
  for (let h = 0; h < (options.hotPixels ?? 0); h++) {
    img[rng.int(height) * width + rng.int(width)] += rng.uniform(2000, 40000);
  }
  for (let i = 0; i < img.length; i++) if (img[i] > satur) img[i] = satur;

  const n = onFrame.length;
  const rAp = (options.snrApertureFwhm ?? 1) * fwhm;
  const area = Math.PI * rAp * rAp;
  const ee = moffatEnclosed(rAp, alpha, beta);
  const truth: SynthTruth = {
    x: new Float64Array(n),
    y: new Float64Array(n),
    raDeg: new Float64Array(n),
    decDeg: new Float64Array(n),
    mag: new Float64Array(n),
    fluxAdu: new Float64Array(n),
    peakAdu: Float64Array.from(peak),
    snr: new Float64Array(n),
    saturated: new Uint8Array(n),
    isTarget: new Uint8Array(n),
    fieldIndex: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const s = onFrame[i];
    const skyHere = sky + gx * (s.x - cx) + gy * (s.y - cy);
    const flux = 10 ** (-0.4 * (s.mag - zp));
    const fap = flux * ee;
    const var1 = (skyHere * gain + rn * rn) / (gain * gain);
    truth.x[i] = s.x;
    truth.y[i] = s.y;
    truth.raDeg[i] = s.ra;
    truth.decDeg[i] = s.dec;
    truth.mag[i] = s.trueMag;
    truth.fluxAdu[i] = flux;
    truth.snr[i] = fap / Math.sqrt(fap / gain + area * var1);
    truth.saturated[i] = peak[i] + skyHere + bias >= satur ? 1 : 0;
    truth.isTarget[i] = s.target ? 1 : 0;
    truth.fieldIndex[i] = s.idx;
  }

  const dateObs = options.dateObs ?? "2024-03-15T21:30:00.000";
  const mjd = mjdFromIso(dateObs);
  const header: Record<string, FitsValue> = {
    BUNIT: "adu",
    ...wcsToHeaderCards(wcs),
    EQUINOX: 2000,
    "DATE-OBS": dateObs,
    "MJD-OBS": mjd.ok ? mjd.mjd : null,
    EXPTIME: options.exptimeS ?? 60,
    FILTER: options.filter ?? band,
    GAIN: gain,
    RDNOISE: rn,
    SATURATE: satur,
    OBJECT: options.object ?? "SYNTH",
    RA: formatRaHms(ra0),
    DEC: formatDecDms(dec0),
    TELESCOP: "skytom-synth",
    INSTRUME: "synthetic CCD",
    SKYLEVEL: sky + bias,
    PSF: "MOFFAT",
    MOFFBETA: beta,
    FWHM: fwhm,
    MAGZP: zp,
  };
  return { data: img, width, height, header, wcs, truth, moffatAlphaPx: alpha, field };
}
