/**
 * CPCS calibration of one instrumental catalogue (calibration.md §4.3, steps 1–8). Pure: no I/O, no clock.
 *
 *  1. usable rows: finite, m_inst < GOOD_MAX_MAG, e_inst < GOOD_MAX_MAG_ERR (target.ts); the forced target
 *     row (NUMBER 999999) is never a calibration star;
 *  2. nearest-neighbour match of usable rows to the reference within 5″ (crossmatch.ts);
 *  3. RA/Dec offset fit → kept pairs and matching radius (2σ_radec, or the user's positive match_dist)
 *     (matchRadius.ts); the row identified as the target is then removed from the star sample;
 *  4–6. every requested band fitted on that one sample; quality cuts; best band by σ/√N (select.ts);
 *  7–8. target magnitude m_inst − ZP with √(e_inst² + σ_ZP²), or the limit with mag_error −1 (target.ts).
 *
 * The result carries the fields of BHTOM's Calibration_data row (bhtom-behaviour.md §4.9; names as in the
 * model, including `match_distans`), the per-band table (cpcs_results) and the calibration-plot data
 * (calibration.md §4.4: per passing band, catalogue vs instrumental magnitude and an inlier mask).
 * Failures are results with status "E" and a message, never exceptions. processing_time is left to the
 * caller (this function reads no clock).
 */

import { crossMatch, separationArcsec } from "../crossmatch.ts";
import type { InstrumentalCatalogue } from "../sextractor.ts";
import { TARGET_NUMBER } from "../sextractor.ts";
import type { Band, FilterRequest, ReferenceCatalogue, Survey } from "./bands.ts";
import {
  DEFAULT_FILTER_REQUEST,
  FilterRequestError,
  lightCurveFilterName,
  parseFilterRequest,
  standardisedToName,
} from "./bands.ts";
import type { ColourIndex, KSource, TargetColour } from "./colour.ts";
import { COLOUR_FIT_MIN_STARS, COLOUR_INDEX_OF_BAND, colourCorrection, referenceColours } from "./colour.ts";
import type { MatchRadiusOptions, MatchRadiusResult } from "./matchRadius.ts";
import { MATCH_RADIUS_DEFAULTS, matchRadius, pairOffsetsArcsec } from "./matchRadius.ts";
import type { BandColourTerm, BandFitRow, BandPanel, CandidateBand, SelectionOptions } from "./select.ts";
import { selectBand } from "./select.ts";
import type { TargetMeasurement, TargetOptions } from "./target.ts";
import { findTargetRow, measureTarget, usableMask } from "./target.ts";

export type CalibrationOptions = SelectionOptions & MatchRadiusOptions & TargetOptions;

export interface CalibrationInput {
  catalogue: InstrumentalCatalogue;
  reference: ReferenceCatalogue;
  /** BHTOM target position, deg (Calibration_data.ra/dec). */
  target: { raDeg: number; decDeg: number };
  /** Force-filter request, e.g. "GaiaSP/any" (default), "GaiaSP/V", "no". */
  request?: string;
  /** match_dist in arcsec; absent or ≤ 0 → automatic (2σ_radec). */
  matchDistArcsec?: number;
  /** Row of the forced target measurement; default: the row with NUMBER 999999, if any. */
  targetIndex?: number;
  /** The parser dropped a NUMBER 999999 row (no measurement) → the result is a limit. */
  forcedTargetDropped?: boolean;
  /** Colour terms (colour.ts); absent → the plain CPCS zero point. */
  colour?: ColourRequest;
  options?: CalibrationOptions;
}

/** How colour terms are fitted and the target's colour found. */
export interface ColourRequest {
  /** The colour used for a band, when not the family's (COLOUR_INDEX_OF_BAND); a camera setting. */
  indexOf?: Partial<Record<Band, ColourIndex>>;
  /** Prior k per band for sparse frames (a camera's learnt k), mag/mag. */
  priorK?: Partial<Record<Band, { k: number; kErr: number }>>;
  /** Fit k only with this many stars with a colour; default COLOUR_FIT_MIN_STARS. */
  minStars?: number;
  /** The target's colour when known; used when its index is the chosen band's. */
  targetColour?: { index: ColourIndex; value: number; err?: number };
  /**
   * Target colours from quasi-simultaneous light-curve points of the same camera in the two bands of an
   * index (src/domain/calibration/colour.ts); used, for the chosen band's index, before the reference.
   */
  pointColours?: { index: ColourIndex; value: number; err: number }[];
}

/** The colour term of the chosen band and the target colour it was applied with. */
export interface ResultColourTerm {
  index: ColourIndex;
  k: number;
  kErr: number;
  kSource: KSource;
  c0: number;
  colourSpread: number;
  /** Target colour used (mag), null when unknown (then the systematic term applies). */
  targetColour: number | null;
  targetColourErr: number | null;
  targetColourSource: TargetColour["source"];
  /** Shift applied to the target, k·(c_t − c₀), mag. */
  shift: number;
  /** |k|·s_c added in quadrature when the target colour is unknown, mag (0 otherwise). */
  systematicErr: number;
}

/** The Calibration_data fields CPCS fills (null where BHTOM leaves them null on error). */
export interface CalibrationData {
  status: "S" | "E";
  status_message: string;
  mag: number | null;
  /** −1 marks a limit. */
  mag_error: number | null;
  ra: number;
  dec: number;
  zeropoint: number | null;
  outlier_fraction: number | null;
  scatter: number | null;
  npoints: number | null;
  best_filter: Band | null;
  survey: Survey | null;
  /** Matching radius used, arcsec (spelling as in BHTOM's model). */
  match_distans: number | null;
}

export interface PlotPanel extends BandPanel {
  zp: number;
  scatter: number;
  outlierFraction: number;
  /** The chosen band (drawn with a red title). */
  chosen: boolean;
  /** The band's colour term (the plot adds residuals against colour), null without one. */
  colourTerm: BandColourTerm | null;
}

export interface CalibrationResult {
  ok: boolean;
  calibrationData: CalibrationData;
  /** Standard error of the chosen zero point, mag. */
  zeropointErr: number | null;
  isLimit: boolean;
  /** `V(GaiaSP)` — ReducedDatum.filter; null on failure. */
  lightCurveFilter: string | null;
  /** `GaiaSP/V`; null on failure. */
  standardisedTo: string | null;
  target: TargetMeasurement | null;
  /** Every candidate band, in request order (passed or not, with the reason). */
  bands: BandFitRow[];
  /** Plot data for the bands that passed. */
  plot: PlotPanel[];
  astrometry: MatchRadiusResult | null;
  counts: { rows: number; usable: number; matched: number; kept: number };
  /** The chosen band's colour term; null without colour terms. */
  colourTerm: ResultColourTerm | null;
}

function failure(
  input: CalibrationInput,
  message: string,
  rest: Partial<Pick<CalibrationResult, "bands" | "astrometry" | "counts">> = {},
): CalibrationResult {
  return {
    ok: false,
    calibrationData: {
      status: "E",
      status_message: message,
      mag: null,
      mag_error: null,
      ra: input.target.raDeg,
      dec: input.target.decDeg,
      zeropoint: null,
      outlier_fraction: null,
      scatter: null,
      npoints: null,
      best_filter: null,
      survey: null,
      match_distans: rest.astrometry ? rest.astrometry.radiusArcsec : null,
    },
    zeropointErr: null,
    isLimit: false,
    lightCurveFilter: null,
    standardisedTo: null,
    target: null,
    bands: rest.bands ?? [],
    plot: [],
    astrometry: rest.astrometry ?? null,
    counts: rest.counts ?? { rows: input.catalogue.mag.length, usable: 0, matched: 0, kept: 0 },
    colourTerm: null,
  };
}

/** Colour index of a band under a colour request. */
function colourIndexOf(colour: ColourRequest, band: Band): ColourIndex {
  return colour.indexOf?.[band] ?? COLOUR_INDEX_OF_BAND[band];
}

/**
 * The target's colour in `index`: the given one, else one from quasi-simultaneous points in two bands,
 * else that of its reference counterpart — the nearest reference star with a colour within
 * max(radius, 1″) of the target position — else none.
 */
function targetColourFor(
  input: CalibrationInput,
  index: ColourIndex,
  radiusArcsec: number,
): TargetColour | null {
  const given = input.colour?.targetColour;
  if (given && given.index === index && Number.isFinite(given.value)) {
    return { value: given.value, err: given.err ?? 0, source: "given" };
  }
  const fromPoints = input.colour?.pointColours?.find((p) => p.index === index && Number.isFinite(p.value));
  if (fromPoints) return { value: fromPoints.value, err: fromPoints.err, source: "points" };
  const colours = referenceColours(input.reference, index);
  if (!colours) return null;
  const r = Math.max(radiusArcsec, 1);
  const { raDeg, decDeg } = input.reference;
  let best = -1;
  let bestSep = Infinity;
  for (let i = 0; i < raDeg.length; i++) {
    if (!Number.isFinite(colours.colour[i])) continue;
    if (Math.abs(decDeg[i] - input.target.decDeg) * 3600 > r) continue;
    const sep = separationArcsec(raDeg[i], decDeg[i], input.target.raDeg, input.target.decDeg);
    if (sep <= r && sep < bestSep) {
      best = i;
      bestSep = sep;
    }
  }
  return best < 0 ? null : { value: colours.colour[best], err: colours.err[best], source: "reference" };
}

/** a[idx[0]], a[idx[1]], … */
function gather(a: Float64Array, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = a[idx[k]];
  return out;
}

/** Calibrates an instrumental catalogue against a reference catalogue and measures the target. */
export function calibrateCatalogue(input: CalibrationInput): CalibrationResult {
  const { catalogue, reference, target, options = {} } = input;
  let request: FilterRequest;
  try {
    request = parseFilterRequest(input.request ?? DEFAULT_FILTER_REQUEST);
  } catch (e) {
    if (e instanceof FilterRequestError) return failure(input, e.message);
    throw e;
  }

  // Step 1: usable rows; the forced target row is not a calibration star.
  const targetIndex = input.targetIndex ?? catalogue.number.findIndex((n) => n === TARGET_NUMBER);
  const usable = usableMask(catalogue, options);
  const starRows: number[] = [];
  usable.forEach((u, i) => u && i !== targetIndex && starRows.push(i));
  const rows = catalogue.mag.length;
  const counts = { rows, usable: usable.reduce((a, b) => a + b, 0), matched: 0, kept: 0 };

  // Step 2: generous initial match.
  const initial = options.initialRadiusArcsec ?? MATCH_RADIUS_DEFAULTS.initialRadiusArcsec;
  const pick = gather;
  const m = crossMatch(
    pick(catalogue.raDeg, starRows),
    pick(catalogue.decDeg, starRows),
    reference.raDeg,
    reference.decDeg,
    initial,
  );
  const pairRow: number[] = [];
  const pairRef: number[] = [];
  m.index.forEach((j, k) => {
    if (j >= 0) {
      pairRow.push(starRows[k]);
      pairRef.push(j);
    }
  });
  counts.matched = pairRow.length;
  if (pairRow.length === 0)
    return failure(input, `Failed to match: no star within ${initial} arcsec of the reference catalogue`, {
      counts,
    });

  // Step 3: offsets, filter, radius; identify the target row and keep it out of the sample.
  const off = pairOffsetsArcsec(
    pick(catalogue.raDeg, pairRow),
    pick(catalogue.decDeg, pairRow),
    pick(reference.raDeg, pairRef),
    pick(reference.decDeg, pairRef),
  );
  const astrometry = matchRadius(off.dRaArcsec, off.dDecArcsec, input.matchDistArcsec, options);
  const query = {
    raDeg: target.raDeg,
    decDeg: target.decDeg,
    radiusArcsec: astrometry.radiusArcsec,
    targetIndex,
    forcedDropped: input.forcedTargetDropped,
  };
  const targetRow = findTargetRow(catalogue, usable, query).index;
  const kept = pairRow.map((_, k) => k).filter((k) => astrometry.keep[k] && pairRow[k] !== targetRow);
  counts.kept = kept.length;

  // Steps 4–6: candidate bands on the one sample.
  const keptRef = Int32Array.from(kept, (k) => pairRef[k]);
  const colourReq = input.colour;
  const coloursByIndex = new Map<ColourIndex, Float64Array | null>();
  const sampleColours = (index: ColourIndex) => {
    if (!coloursByIndex.has(index)) {
      const all = referenceColours(reference, index);
      coloursByIndex.set(index, all ? gather(all.colour, keptRef) : null);
    }
    return coloursByIndex.get(index) ?? null;
  };
  const candidates: CandidateBand[] = [];
  const missing: BandFitRow[] = [];
  for (const c of request.candidates) {
    const ref = reference.bands[c.band];
    if (ref && ref.survey === c.survey) {
      const candidate: CandidateBand = { ...c, mag: gather(ref.mag, keptRef), err: gather(ref.err, keptRef) };
      if (colourReq) {
        const index = colourIndexOf(colourReq, c.band);
        const values = sampleColours(index);
        const prior = colourReq.priorK?.[c.band];
        if (values) {
          candidate.colour = {
            index,
            values,
            options: {
              minStars: colourReq.minStars ?? COLOUR_FIT_MIN_STARS,
              ...(prior ? { priorK: prior.k, priorKErr: prior.kErr, priorSource: "camera" as const } : {}),
            },
          };
        }
      }
      candidates.push(candidate);
    } else {
      const nan = { zp: NaN, zpErr: NaN, scatter: NaN, outlierFraction: NaN, metric: NaN };
      missing.push({
        ...c,
        ...nan,
        n: 0,
        converged: false,
        passed: false,
        reason: "band not in the reference catalogue",
        colour: null,
      });
    }
  }
  const keptRow = Int32Array.from(kept, (k) => pairRow[k]);
  const instMag = gather(catalogue.mag, keptRow);
  const instErr = gather(catalogue.magErr, keptRow);
  const sel = selectBand(instMag, instErr, candidates, options);
  const bands = [...sel.rows, ...missing];
  if (sel.best < 0) {
    const why = bands.map((b) => `${b.survey}/${b.band}: ${b.reason}`).join("; ");
    return failure(input, `Failed to match: no band passed the quality check (${why})`, {
      bands,
      astrometry,
      counts,
    });
  }

  // Steps 7–8: target or limit with the chosen band.
  const best = sel.rows[sel.best];
  let colourTerm: ResultColourTerm | null = null;
  let zpTarget = best.zp;
  let zpErrTarget = best.zpErr;
  if (best.colour) {
    const tc = targetColourFor(input, best.colour.index, astrometry.radiusArcsec);
    const corr = colourCorrection(best.colour, tc);
    zpTarget = best.zp + corr.shift;
    zpErrTarget = Math.sqrt(best.zpErr ** 2 + corr.variance);
    colourTerm = {
      ...best.colour,
      targetColour: tc ? tc.value : null,
      targetColourErr: tc ? tc.err : null,
      targetColourSource: tc ? tc.source : "none",
      shift: corr.shift,
      systematicErr: corr.systematic,
    };
  }
  const t = measureTarget(catalogue, query, zpTarget, zpErrTarget, options);
  if (t.kind === "none") return failure(input, `Failed: ${t.reason}`, { bands, astrometry, counts });
  const plot: PlotPanel[] = sel.rows.flatMap((r, i) =>
    r.passed
      ? [
          {
            ...sel.panels[i],
            zp: r.zp,
            scatter: r.scatter,
            outlierFraction: r.outlierFraction,
            chosen: i === sel.best,
            colourTerm: r.colour,
          },
        ]
      : [],
  );
  return {
    ok: true,
    calibrationData: {
      status: "S",
      status_message: "Calibration finished",
      mag: t.mag,
      mag_error: t.magErr,
      ra: target.raDeg,
      dec: target.decDeg,
      zeropoint: best.zp,
      outlier_fraction: best.outlierFraction,
      scatter: best.scatter,
      npoints: best.n,
      best_filter: best.band,
      survey: best.survey,
      match_distans: astrometry.radiusArcsec,
    },
    zeropointErr: best.zpErr,
    isLimit: t.kind === "limit",
    lightCurveFilter: lightCurveFilterName(best.survey, best.band),
    standardisedTo: standardisedToName(best.survey, best.band),
    target: t,
    bands,
    plot,
    astrometry,
    counts,
    colourTerm,
  };
}

export type { BandFitRow, BandPanel } from "./select.ts";
export type { TargetMeasurement } from "./target.ts";
export type { MatchRadiusResult } from "./matchRadius.ts";
