/**
 * Choice of the calibration band (CPCS steps 4 and 6, calibration.md §4.3).
 *
 * Input: one star sample — the instrumental stars matched to the reference and kept by the RA/Dec
 * offset filter — and, for each candidate (survey, band), the reference magnitudes of those same stars.
 * Computing the sample once and evaluating every band on it follows the fix of BHTOM issue #213
 * (calibration.md §4.2).
 *
 * Per band: keep pairs with finite catalogue magnitude and error and e_cat < maxCatErr (MAX_CAT_ERROR =
 * 0.3, legacy); fit the zero point (zeropoint.ts). Quality check (production values, issue #263): passes if
 * f < maxOutlierFraction (0.5) and N ≥ minPoints (5) and σ < maxScatter (1.5 mag). Among passing bands the
 * best minimises σ/√N (CPCS since 2024, issue #185); ties go to the earlier candidate. N counts outliers.
 */

import type { Band, Survey } from "./bands.ts";
import type { ColourIndex, ColourTermOptions, KSource } from "./colour.ts";
import { fitColourTerm } from "./colour.ts";
import type { ZeroPointFit } from "./zeropoint.ts";
import { fitZeroPoint, inlierProbabilities } from "./zeropoint.ts";

export interface SelectionOptions {
  /** MAX_OUT_FRAC: a band passes only if f < this. Default 0.5 (production). */
  maxOutlierFraction?: number;
  /** MIN_POINTS: N ≥ this. Default 5. */
  minPoints?: number;
  /** MIN_PRECISION: σ < this (mag). Default 1.5. */
  maxScatter?: number;
  /** MAX_CAT_ERROR: per-star catalogue error cut (mag). Default 0.3. */
  maxCatErr?: number;
}

export const SELECTION_DEFAULTS: Required<SelectionOptions> = {
  maxOutlierFraction: 0.5,
  minPoints: 5,
  maxScatter: 1.5,
  maxCatErr: 0.3,
};

/** Reference magnitudes of one candidate band, aligned with the star sample. */
export interface CandidateBand {
  survey: Survey;
  band: Band;
  mag: ArrayLike<number>;
  err: ArrayLike<number>;
  /**
   * With a colour term (colour.ts): the reference colour of each sample star (NaN where unknown) and the
   * fit's options. Only stars with a colour are then fitted; with fewer than minPoints of them the band is
   * fitted without a colour term.
   */
  colour?: { index: ColourIndex; values: ArrayLike<number>; options: ColourTermOptions };
}

/** The colour term of one band's fit (colour.ts). */
export interface BandColourTerm {
  index: ColourIndex;
  /** mag per mag of colour. */
  k: number;
  kErr: number;
  kSource: KSource;
  /** Reference colour c₀, mag (median of the fitted stars). */
  c0: number;
  /** Robust spread of the fitted stars' colours, mag. */
  colourSpread: number;
}

export interface BandFitRow {
  survey: Survey;
  band: Band;
  zp: number;
  zpErr: number;
  scatter: number;
  outlierFraction: number;
  n: number;
  converged: boolean;
  /** Ranking metric σ/√N (mag). */
  metric: number;
  passed: boolean;
  /** Why the band failed ("" when it passed). */
  reason: string;
  /** The colour term, null when the band was fitted without one. */
  colour: BandColourTerm | null;
}

/** Data of one calibration-plot panel: x = catalogue mag, y = instrumental mag, line y = x + ZP. */
export interface BandPanel {
  survey: Survey;
  band: Band;
  /** Indices into the star sample of the stars used for this band. */
  sampleIndex: Int32Array;
  catMag: Float64Array;
  catErr: Float64Array;
  instMag: Float64Array;
  instErr: Float64Array;
  /** 1 where the inlier membership probability is ≥ ½. */
  inlier: Uint8Array;
  /** Reference colour of each star (with a colour term; the plot's residual-vs-colour panel). */
  colour?: Float64Array;
}

export interface BandSelection {
  rows: BandFitRow[];
  /** One panel per row (same order). */
  panels: BandPanel[];
  /** Index of the chosen row, −1 when no band passed. */
  best: number;
}

function emptyFit(n: number): ZeroPointFit {
  return {
    zp: NaN,
    zpErr: NaN,
    scatter: NaN,
    outlierFraction: NaN,
    n,
    logLikelihood: NaN,
    converged: false,
    iterations: 0,
  };
}

/** The rows of the sample usable for a band (finite catalogue magnitude and error, e_cat < maxCatErr). */
function goodRows(
  c: CandidateBand,
  nSample: number,
  maxCatErr: number,
  colour: ArrayLike<number> | undefined,
): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < nSample; i++) {
    if (!(Number.isFinite(c.mag[i]) && Number.isFinite(c.err[i]) && c.err[i] < maxCatErr)) continue;
    if (colour && !Number.isFinite(colour[i])) continue;
    out.push(i);
  }
  return Int32Array.from(out);
}

/** The panel of one band: the sample stars it uses, their magnitudes, (later) the inlier mask. */
function bandPanel(
  c: CandidateBand,
  sampleIndex: Int32Array,
  instMag: ArrayLike<number>,
  instErr: ArrayLike<number>,
): BandPanel {
  const m = sampleIndex.length;
  const panel: BandPanel = {
    survey: c.survey,
    band: c.band,
    sampleIndex,
    catMag: new Float64Array(m),
    catErr: new Float64Array(m),
    instMag: new Float64Array(m),
    instErr: new Float64Array(m),
    inlier: new Uint8Array(m),
  };
  for (let k = 0; k < m; k++) {
    const i = sampleIndex[k];
    panel.catMag[k] = c.mag[i];
    panel.catErr[k] = c.err[i];
    panel.instMag[k] = instMag[i];
    panel.instErr[k] = instErr[i];
  }
  return panel;
}

/** CPCS's quality check of one band's fit, as a row of the per-band table. */
function fitRow(
  c: CandidateBand,
  fit: ZeroPointFit,
  colour: BandColourTerm | null,
  o: Required<SelectionOptions>,
): BandFitRow {
  const reasons: string[] = [];
  if (!(fit.n >= o.minPoints)) reasons.push(`N = ${fit.n} < ${o.minPoints}`);
  if (fit.n > 0 && !(fit.outlierFraction < o.maxOutlierFraction)) {
    reasons.push(`outlier fraction ${fit.outlierFraction.toFixed(3)} ≥ ${o.maxOutlierFraction}`);
  }
  if (fit.n > 0 && !(fit.scatter < o.maxScatter))
    reasons.push(`sigma ${fit.scatter.toFixed(3)} ≥ ${o.maxScatter}`);
  return {
    survey: c.survey,
    band: c.band,
    zp: fit.zp,
    zpErr: fit.zpErr,
    scatter: fit.scatter,
    outlierFraction: fit.outlierFraction,
    n: fit.n,
    converged: fit.converged,
    metric: fit.scatter / Math.sqrt(fit.n),
    passed: reasons.length === 0,
    reason: reasons.join("; "),
    colour,
  };
}

/** The plain CPCS zero-point fit of one band (no colour term). */
function fitBandZeroPoint(
  c: CandidateBand,
  instMag: ArrayLike<number>,
  instErr: ArrayLike<number>,
  o: Required<SelectionOptions>,
): { row: BandFitRow; panel: BandPanel; fit: ZeroPointFit } {
  const panel = bandPanel(c, goodRows(c, instMag.length, o.maxCatErr, undefined), instMag, instErr);
  const m = panel.sampleIndex.length;
  const fit = m > 0 ? fitZeroPoint(panel.instMag, panel.instErr, panel.catMag, panel.catErr) : emptyFit(0);
  if (m > 0) {
    const delta = panel.instMag.map((v, k) => v - panel.catMag[k]);
    const w = inlierProbabilities(fit, delta, panel.instErr, panel.catErr);
    for (let k = 0; k < m; k++) panel.inlier[k] = w[k] >= 0.5 ? 1 : 0;
  }
  return { row: fitRow(c, fit, null, o), panel, fit };
}

/** Same stars in the same order. */
function sameSample(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * The colour-term fit of one band (colour.ts) on the stars with a colour; null when fewer than minPoints
 * of them have one.
 */
function fitBandColour(
  c: CandidateBand,
  instMag: ArrayLike<number>,
  instErr: ArrayLike<number>,
  o: Required<SelectionOptions>,
  zeroPoint?: { panel: BandPanel; fit: ZeroPointFit },
): { row: BandFitRow; panel: BandPanel } | null {
  const colour = c.colour;
  if (!colour) return null;
  const panel = bandPanel(c, goodRows(c, instMag.length, o.maxCatErr, colour.values), instMag, instErr);
  const m = panel.sampleIndex.length;
  if (m < o.minPoints || m === 0) return null;
  panel.colour = Float64Array.from(panel.sampleIndex, (i) => colour.values[i]);
  // Every star of the band's zero-point sample has a colour: its fit is the colour fit's start at k = 0.
  const same = zeroPoint && sameSample(zeroPoint.panel.sampleIndex, panel.sampleIndex);
  const cf = fitColourTerm(
    panel.instMag,
    panel.instErr,
    panel.catMag,
    panel.catErr,
    panel.colour,
    same ? { ...colour.options, zeroPointFit: zeroPoint.fit } : colour.options,
  );
  for (let k = 0; k < m; k++) panel.inlier[k] = cf.inlierWeight[k] >= 0.5 ? 1 : 0;
  const term: BandColourTerm = {
    index: colour.index,
    k: cf.k,
    kErr: cf.kErr,
    kSource: cf.kSource,
    c0: cf.c0,
    colourSpread: cf.colourSpread,
  };
  return { row: fitRow(c, cf, term, o), panel };
}

/**
 * Fits every candidate band on the same star sample with the plain CPCS zero point and chooses the best
 * passing band; then, when the chosen band has a colour (`CandidateBand.colour`), refits that band alone
 * with its colour term (the other bands keep their zero-point rows: the choice never depends on colour
 * terms, and a colour-term fit costs several zero-point fits). When the refit fails the quality check, the
 * chosen band keeps its zero-point fit.
 */
export function selectBand(
  instMag: ArrayLike<number>,
  instErr: ArrayLike<number>,
  candidates: readonly CandidateBand[],
  options: SelectionOptions = {},
): BandSelection {
  const o = { ...SELECTION_DEFAULTS, ...options };
  const rows: BandFitRow[] = [];
  const panels: BandPanel[] = [];
  const fits: ZeroPointFit[] = [];
  let best = -1;
  for (const c of candidates) {
    const { row, panel, fit } = fitBandZeroPoint(c, instMag, instErr, o);
    if (row.passed && (best < 0 || row.metric < rows[best].metric)) best = rows.length;
    rows.push(row);
    panels.push(panel);
    fits.push(fit);
  }
  if (best >= 0) {
    const refit = fitBandColour(candidates[best], instMag, instErr, o, {
      panel: panels[best],
      fit: fits[best],
    });
    if (refit?.row.passed) {
      rows[best] = refit.row;
      panels[best] = refit.panel;
    }
  }
  return { rows, panels, best };
}
