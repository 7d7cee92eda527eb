/**
 * Colour terms: the zero-point fit extended to
 *   m_inst − m_cat = ZP + k·(c − c₀)
 * with c the reference colour that fits the band, c₀ the median colour of the fitted stars (so ZP is the
 * zero point of a star of the field's median colour and is nearly uncorrelated with k), and the CPCS
 * inlier/outlier mixture kept (zeropoint.ts, calibration.md §4.3 step 5).
 *
 * Colour per band family (COLOUR_INDEX_OF_BAND):
 *   Johnson–Cousins U B V R I (GaiaSP)  → B − V   (GaiaSP B, V)
 *   SDSS u g r i z (GaiaSP)             → g − r   (GaiaSP g, r)
 *   Gaia G, GBP, GRP (GaiaDR3), Clear   → BP − RP (GaiaDR3 GBP, GRP)
 *   2MASS J H K                         → J − K   (2MASS J, K)
 *
 * Fit (fitColourTerm), an expectation–maximisation on the mixture with k as an extra parameter: for a given
 * k the colour-corrected residuals δᵢ − k·xᵢ (xᵢ = cᵢ − c₀) are fitted by the CPCS zero-point fit, which
 * gives (ZP, σ, f) and each star's inlier probability wᵢ; with those, (ZP, k) maximise the inlier part of the
 * likelihood — a weighted least squares with weights wᵢ/(σ² + e_inst,i² + e_cat,i²). The two steps alternate
 * until k moves by < 1e−5 mag/mag (3–6 rounds in practice). kErr is the weighted least-squares standard
 * error of the slope at the optimum; the ZP error adds the slope's share at the sample's weighted mean x.
 *
 * Sparse frames: k is fitted only when at least `minStars` stars have a colour (COLOUR_FIT_MIN_STARS,
 * chosen by the seeded simulation in bench/colour-threshold.bench.ts; docs/colour.md says why). Below it
 * k is fixed to the prior (a camera's learnt k, else 0) and only ZP is fitted on the corrected residuals.
 *
 * Target (colourCorrection): m = m_inst − ZP − k·(c_t − c₀). The target colour c_t comes from the caller
 * (given, or the reference counterpart at the target position); without one c_t = c₀ and the systematic
 * term |k|·s_c is added in quadrature to the error, s_c the robust spread (1.4826·MAD) of the fitted stars'
 * colours — the error a target of a typical field colour carries when its own colour is unknown.
 */

import type { Band, ReferenceCatalogue, Survey } from "./bands.ts";
import { medianInPlace } from "../order.ts";
import type { ZeroPointFit } from "./zeropoint.ts";
import { fitZeroPoint, inlierProbabilities } from "./zeropoint.ts";

/** The colour indices used as c; blue − red, each from two bands of one survey. */
export const COLOUR_INDICES = {
  "B-V": { survey: "GaiaSP", blue: "B", red: "V" },
  "g-r": { survey: "GaiaSP", blue: "g", red: "r" },
  "BP-RP": { survey: "GaiaDR3", blue: "GBP", red: "GRP" },
  "J-K": { survey: "2MASS", blue: "J", red: "K" },
} as const satisfies Record<string, { survey: Survey; blue: Band; red: Band }>;

export type ColourIndex = keyof typeof COLOUR_INDICES;
export const COLOUR_INDEX_NAMES = Object.keys(COLOUR_INDICES) as ColourIndex[];

/**
 * A camera's `colour_index` setting checked: "" → null (each band's own index, COLOUR_INDEX_OF_BAND), else
 * one of B-V, g-r, BP-RP, J-K, used for every band — case, spaces and a Unicode minus (−) are forgiven.
 * Throws an Error that names the choices.
 */
export function checkColourIndex(value: string): ColourIndex | null {
  const key = value.replace(/[\s_]/g, "").replace(/[−–]/g, "-").toUpperCase();
  if (key === "") return null;
  const found = COLOUR_INDEX_NAMES.find((n) => n.toUpperCase() === key);
  if (!found) {
    throw new Error(
      `"${value}" is not a colour index: use one of ${COLOUR_INDEX_NAMES.join(", ")}, or empty for each band's default`,
    );
  }
  return found;
}

/** The colour that fits each band (file comment). */
export const COLOUR_INDEX_OF_BAND: Record<Band, ColourIndex> = {
  U: "B-V",
  B: "B-V",
  V: "B-V",
  R: "B-V",
  I: "B-V",
  u: "g-r",
  g: "g-r",
  r: "g-r",
  i: "g-r",
  z: "g-r",
  G: "BP-RP",
  GBP: "BP-RP",
  GRP: "BP-RP",
  J: "J-K",
  H: "J-K",
  K: "J-K",
};

/**
 * Smallest number of stars with a colour for which k is fitted (below it the prior k is used). From
 * bench/colour-threshold.bench.ts (300 seeded frames per n; B−V spread 0.3 mag, V 12–18.5, 5 % outliers,
 * 0.02 mag extra scatter, k = 0.15): the fitted k's RMS error is 0.046 at 10 stars, 0.025 at 20, 0.020 at
 * 30, 0.010 at 100; a target 1 mag from c₀ is then as accurate with the fitted k as with a learnt camera k
 * 0.02 off (RMS 0.021 both) at 30 stars, worse below, better above.
 */
export const COLOUR_FIT_MIN_STARS = 30;

/** Colour of every reference star in one index (NaN where a band is missing) and its error. */
export function referenceColours(
  reference: ReferenceCatalogue,
  index: ColourIndex,
): { colour: Float64Array; err: Float64Array } | null {
  const def = COLOUR_INDICES[index];
  const blue = reference.bands[def.blue];
  const red = reference.bands[def.red];
  if (!blue || !red || blue.survey !== def.survey || red.survey !== def.survey) return null;
  const n = reference.raDeg.length;
  const colour = new Float64Array(n);
  const err = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    colour[i] = blue.mag[i] - red.mag[i];
    err[i] = Math.hypot(blue.err[i], red.err[i]);
  }
  return { colour, err };
}

export interface ColourTermOptions {
  /** Fit k only with at least this many stars with a colour; default COLOUR_FIT_MIN_STARS. */
  minStars?: number;
  /** k used when the frame is too sparse (a camera's learnt k); default 0. */
  priorK?: number;
  /** Its uncertainty (mag/mag), propagated to the target; default 0. */
  priorKErr?: number;
  /** Where priorK comes from (recorded in the result); default "default". */
  priorSource?: "camera" | "default";
  /** Always use this k (no fit). */
  fixedK?: number;
  /**
   * The zero-point fit (fitZeroPoint) of exactly these stars — same instMag, instErr, catMag, catErr — when
   * the caller has it: the fit at k = 0 is that fit (m − 0·x = m), so it is not made again.
   */
  zeroPointFit?: ZeroPointFit;
}

export type KSource = "fit" | "camera" | "default" | "fixed";

export interface ColourTermFit extends ZeroPointFit {
  /** Colour-term slope k (mag per mag of colour). */
  k: number;
  /** Its standard error (the prior's for a prior k). */
  kErr: number;
  /** Where k comes from. */
  kSource: KSource;
  /** Reference colour c₀ (mag): the median colour of the fitted stars. */
  c0: number;
  /** Robust spread of the fitted stars' colours, 1.4826·MAD (mag). */
  colourSpread: number;
  /** Stars with a colour (the sample of this fit). */
  nColour: number;
  /** EM rounds. */
  rounds: number;
  /** Inlier probability of each star of the sample (the plot's mask). */
  inlierWeight: Float64Array;
}

function median(a: ArrayLike<number>): number {
  return a.length ? medianInPlace(Float64Array.from(a)) : NaN;
}

/** Weighted least squares y = a + b·x: slope, intercept and their standard errors. */
function weightedLine(x: Float64Array, y: Float64Array, w: Float64Array) {
  let s = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    s += w[i];
    sx += w[i] * x[i];
    sy += w[i] * y[i];
    sxx += w[i] * x[i] * x[i];
    sxy += w[i] * x[i] * y[i];
  }
  const det = s * sxx - sx * sx;
  if (!(det > 0)) return null;
  return {
    b: (s * sxy - sx * sy) / det,
    a: (sxx * sy - sx * sxy) / det,
    bErr: Math.sqrt(s / det),
    /** Weighted mean of x. */
    xMean: sx / s,
  };
}

/**
 * Fits ZP and k (or ZP with a prior k, below minStars) to stars with a colour. Inputs are aligned arrays
 * (mag); stars without a finite colour must be left out by the caller. Never throws.
 */
export function fitColourTerm(
  instMag: ArrayLike<number>,
  instErr: ArrayLike<number>,
  catMag: ArrayLike<number>,
  catErr: ArrayLike<number>,
  colour: ArrayLike<number>,
  options: ColourTermOptions = {},
): ColourTermFit {
  const n = instMag.length;
  const c0 = median(colour);
  const x = Float64Array.from(colour, (c) => c - c0);
  const absDev = Float64Array.from(x, Math.abs);
  const colourSpread = n ? 1.4826 * medianInPlace(absDev) : NaN;
  const delta = Float64Array.from(instMag, (m, i) => m - catMag[i]);
  const corrected = new Float64Array(n);
  const fitAt = (k: number) => {
    for (let i = 0; i < n; i++) corrected[i] = instMag[i] - k * x[i];
    return fitZeroPoint(corrected, instErr, catMag, catErr);
  };

  const minStars = options.minStars ?? COLOUR_FIT_MIN_STARS;
  let kSource: KSource;
  let k: number;
  let kErr: number;
  if (options.fixedK !== undefined) {
    kSource = "fixed";
    k = options.fixedK;
    kErr = 0;
  } else if (n < minStars) {
    kSource = options.priorSource ?? (options.priorK !== undefined ? "camera" : "default");
    k = options.priorK ?? 0;
    kErr = options.priorKErr ?? 0;
  } else {
    kSource = "fit"; // from k = 0, whatever the prior: the fit depends on the frame alone
    k = 0;
    kErr = NaN;
  }

  let fit = k === 0 && options.zeroPointFit ? options.zeroPointFit : fitAt(k);
  let rounds = 0;
  let xMean = 0;
  if (kSource === "fit") {
    const w = new Float64Array(n);
    for (rounds = 1; rounds <= 50; rounds++) {
      const p = inlierProbabilities(
        fit,
        delta.map((d, i) => d - k * x[i]),
        instErr,
        catErr,
      );
      for (let i = 0; i < n; i++) w[i] = p[i] / (fit.scatter ** 2 + instErr[i] ** 2 + catErr[i] ** 2);
      const line = weightedLine(x, delta, w);
      if (!line) break;
      const moved = Math.abs(line.b - k);
      k = line.b;
      kErr = line.bErr;
      xMean = line.xMean;
      fit = fitAt(k);
      if (moved < 1e-5) break;
    }
  }
  const inlierWeight = inlierProbabilities(
    fit,
    delta.map((d, i) => d - k * x[i]),
    instErr,
    catErr,
  );
  const zpErr = kSource === "fit" ? Math.hypot(fit.zpErr, kErr * xMean) : fit.zpErr;
  return {
    ...fit,
    zpErr,
    k,
    kErr,
    kSource,
    c0,
    colourSpread,
    nColour: n,
    rounds,
    inlierWeight,
  };
}

/** Where the target colour came from. */
export type TargetColourSource = "given" | "points" | "reference" | "none";

export interface TargetColour {
  value: number;
  err: number;
  source: TargetColourSource;
}

/**
 * The colour correction of a target: m = m_inst − (ZP + shift), and the variance it adds:
 *   shift = k·(c_t − c₀);  var = (c_t − c₀)²·kErr² + k²·e_c²      (with a colour)
 *   shift = 0;             var = (k·s_c)²                         (without: the systematic term)
 */
export function colourCorrection(
  fit: Pick<ColourTermFit, "k" | "kErr" | "c0" | "colourSpread">,
  target: TargetColour | null,
): { shift: number; variance: number; systematic: number } {
  if (!target || !Number.isFinite(target.value)) {
    const systematic = Math.abs(fit.k) * (Number.isFinite(fit.colourSpread) ? fit.colourSpread : 0);
    return { shift: 0, variance: systematic ** 2, systematic };
  }
  const dc = target.value - fit.c0;
  const kErr = Number.isFinite(fit.kErr) ? fit.kErr : 0;
  const cErr = Number.isFinite(target.err) ? target.err : 0;
  return { shift: fit.k * dc, variance: dc * dc * kErr * kErr + fit.k * fit.k * cErr * cErr, systematic: 0 };
}

/** A camera's learnt k for one band (the robust running estimate of updateLearntK). */
export interface LearntK {
  k: number;
  /** Standard error of k, mag/mag: kScatter/√min(nFrames, LEARNT_K_WINDOW). */
  kErr: number;
  /** Robust scatter of the frames' k about the estimate, mag/mag. */
  kScatter: number;
  nFrames: number;
}

/** Frames the running estimate effectively averages over (it forgets older frames past this). */
export const LEARNT_K_WINDOW = 50;
/** Huber clipping of a frame's deviation, in units of max(kScatter, the frame's kErr). */
const LEARNT_K_CLIP = 2.5;

/**
 * Folds one frame's fitted k (± kErr) into a camera's learnt k: a Huber-clipped running mean (deviations
 * beyond 2.5 scatters count as 2.5 scatters, so a frame with a wrong k — a crowded field, a cloud edge —
 * moves it little), with weight 1/n up to LEARNT_K_WINDOW frames and 1/LEARNT_K_WINDOW after (an
 * exponential window: a changed filter or camera is followed). The scatter is the matching running RMS of
 * the clipped deviations, floored by the frame's own kErr.
 */
export function updateLearntK(prev: LearntK | null, k: number, kErr: number): LearntK {
  const err = Number.isFinite(kErr) && kErr > 0 ? kErr : 0.01;
  if (!prev) return { k, kErr: err, kScatter: err, nFrames: 1 };
  const s = Math.max(prev.kScatter, err, 1e-3);
  const r = k - prev.k;
  const limit = LEARNT_K_CLIP * s;
  const rc = Math.max(-limit, Math.min(limit, r));
  const nFrames = prev.nFrames + 1;
  const w = 1 / Math.min(nFrames, LEARNT_K_WINDOW);
  const kNew = prev.k + w * rc;
  const scatter = Math.max(Math.sqrt((1 - w) * prev.kScatter ** 2 + w * rc * rc), err * 0.5);
  return {
    k: kNew,
    kErr: scatter / Math.sqrt(Math.min(nFrames, LEARNT_K_WINDOW)),
    kScatter: scatter,
    nFrames,
  };
}
