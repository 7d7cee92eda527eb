/**
 * Seeded synthetic star fields and instrumental catalogues for testing the calibration (CPCS) chain.
 *
 * Field (`makeField`): N stars uniform in a square of half-width w around (α₀, δ₀) (RA span w / cos δ₀).
 * True V drawn from number counts dN/dm ∝ 10^{k·m}, k = 0.3 dex/mag (Galactic-latitude-typical slope),
 * by inverting the cumulative counts. Colour B−V ~ N(0.75, 0.30) clipped to [−0.2, 1.8]; other bands from
 * crude linear main-sequence relations (good to ~0.1 mag, enough for tests — not for astrophysics):
 *   U−B = 1.05(B−V) − 0.45,  V−R = 0.58(B−V) − 0.02,  V−I = 1.12(B−V) − 0.03            (Johnson–Cousins)
 *   g = V + 0.60(B−V) − 0.12,  r = V − 0.42(B−V) + 0.11,  u = g + 1.28(U−B) + 1.13,
 *   i = r − (R−I) + 0.21,  z = r − 1.42(R−I) + 0.26                                       (Jester et al. 2005)
 *   G = V − 0.02704 + 0.01424x − 0.2156x² + 0.01426x³, x = V−I  (Riello et al. 2021); GBP = G + 0.45x − 0.05,
 *   GRP = GBP − (1.09x − 0.05);  J = V − 1.65(B−V) − 0.11,  H = J − 0.45(B−V),  K = H − 0.12(B−V) + 0.02.
 * Reference catalogue: per band, error e(m) = √(floor² + (e_ref·10^{0.4(m − m_ref)})²) (background-limited
 * growth), observed mag = true + N(0, e); positions with optional Gaussian astrometric noise per axis.
 *
 * Frame (`makeFrame`): instrumental m_inst = m_band + ZP + c·(B−V) + N(0, e_inst) [+ N(0, s)] [+ outlier shift],
 * e_inst(m) = √(floor² + (0.2·10^{0.4(m − m₅σ)})²) (0.2 mag = S/N 5 at m₅σ); stars with true band
 * magnitude ≤ limitMag are detected. Outliers: a fraction of stars shifted by ±U(0.3, 1.5) mag (variables)
 * or −U(0.2, 1.2) mag (blends, brighter). Positions get per-axis Gaussian noise. A target absent from the
 * reference can be appended (NUMBER 999999 when it is CCDPhot's forced measurement).
 * ZP follows calibration.md: m_inst = m_cat + ZP, so the calibrated magnitude is m_inst − ZP.
 */

import type { Band, ReferenceBand, ReferenceCatalogue, Survey } from "../calibrate/bands.ts";
import { SURVEY_BANDS } from "../calibrate/bands.ts";
import { COLOUR_INDICES, type ColourIndex } from "../calibrate/colour.ts";
import type { InstrumentalCatalogue } from "../sextractor.ts";
import { TARGET_NUMBER } from "../sextractor.ts";
import { createRng } from "./random.ts";

const DEG = Math.PI / 180;

export interface FieldOptions {
  seed: number;
  nStars?: number; // default 200
  centerRaDeg?: number; // default 150
  centerDecDeg?: number; // default 2
  halfWidthDeg?: number; // default 0.1
  /** True V range [bright, faint]; default [12, 19]. */
  magRange?: readonly [number, number];
  countsSlopeDex?: number; // default 0.3
  /** Surveys whose bands go into the reference catalogue; default ["GaiaSP"]. */
  surveys?: readonly Survey[];
  catErrFloor?: number; // default 0.003 mag
  /** Catalogue error e_ref reached at m_ref (in each band's own magnitude); default [18, 0.02]. */
  catErrAt?: readonly [number, number];
  /** Per-axis astrometric noise of the reference positions, arcsec; default 0. */
  refAstrometricNoiseArcsec?: number;
}

export interface SynthField {
  /** True positions, deg. */
  raDeg: Float64Array;
  decDeg: Float64Array;
  bv: Float64Array;
  /** True magnitudes in every band. */
  mags: Record<Band, Float64Array>;
  reference: ReferenceCatalogue;
}

const ALL_BANDS: Band[] = [...SURVEY_BANDS.GaiaSP, ...SURVEY_BANDS.GaiaDR3, ...SURVEY_BANDS["2MASS"]];

/** True magnitudes of every band from V and B−V (relations in the file comment). */
export function coloursFromV(v: number, bv: number): Record<Band, number> {
  const ub = 1.05 * bv - 0.45;
  const vr = 0.58 * bv - 0.02;
  const vi = 1.12 * bv - 0.03;
  const B = v + bv;
  const R = v - vr;
  const I = v - vi;
  const g = v + 0.6 * bv - 0.12;
  const r = v - 0.42 * bv + 0.11;
  const G = v - 0.02704 + 0.01424 * vi - 0.2156 * vi ** 2 + 0.01426 * vi ** 3;
  const GBP = G + 0.45 * vi - 0.05;
  const J = v - 1.65 * bv - 0.11;
  const H = J - 0.45 * bv;
  return {
    U: B + ub,
    B,
    V: v,
    R,
    I,
    g,
    r,
    u: g + 1.28 * ub + 1.13,
    i: r - (R - I) + 0.21,
    z: r - 1.42 * (R - I) + 0.26,
    G,
    GBP,
    GRP: GBP - (1.09 * vi - 0.05),
    J,
    H,
    K: H - 0.12 * bv + 0.02,
  };
}

/** Builds a seeded synthetic field and its reference catalogue. */
export function makeField(options: FieldOptions): SynthField {
  const rng = createRng(options.seed);
  const n = options.nStars ?? 200;
  const ra0 = options.centerRaDeg ?? 150;
  const dec0 = options.centerDecDeg ?? 2;
  const w = options.halfWidthDeg ?? 0.1;
  const [m1, m2] = options.magRange ?? [12, 19];
  const k = options.countsSlopeDex ?? 0.3;
  const floor = options.catErrFloor ?? 0.003;
  const [mRef, eRef] = options.catErrAt ?? [18, 0.02];
  const sigRef = options.refAstrometricNoiseArcsec ?? 0;

  const raDeg = new Float64Array(n);
  const decDeg = new Float64Array(n);
  const bv = new Float64Array(n);
  const mags = Object.fromEntries(ALL_BANDS.map((b) => [b, new Float64Array(n)])) as Record<
    Band,
    Float64Array
  >;
  const c1 = 10 ** (k * m1);
  const c2 = 10 ** (k * m2);
  for (let i = 0; i < n; i++) {
    decDeg[i] = dec0 + rng.uniform(-w, w);
    raDeg[i] = ra0 + rng.uniform(-w, w) / Math.cos(dec0 * DEG);
    const v = Math.log10(c1 + rng.next() * (c2 - c1)) / k;
    bv[i] = Math.min(1.8, Math.max(-0.2, rng.gaussian(0.75, 0.3)));
    const all = coloursFromV(v, bv[i]);
    for (const b of ALL_BANDS) mags[b][i] = all[b];
  }

  const refRa = new Float64Array(n);
  const refDec = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    refDec[i] = decDeg[i] + rng.gaussian(0, sigRef) / 3600;
    refRa[i] = raDeg[i] + rng.gaussian(0, sigRef) / 3600 / Math.cos(decDeg[i] * DEG);
  }
  const bands: Partial<Record<Band, ReferenceBand>> = {};
  for (const survey of options.surveys ?? ["GaiaSP"]) {
    for (const b of SURVEY_BANDS[survey] as readonly Band[]) {
      const mag = new Float64Array(n);
      const err = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        err[i] = Math.sqrt(floor ** 2 + (eRef * 10 ** (0.4 * (mags[b][i] - mRef))) ** 2);
        mag[i] = mags[b][i] + rng.gaussian(0, err[i]);
      }
      bands[b] = { survey, mag, err };
    }
  }
  return { raDeg, decDeg, bv, mags, reference: { raDeg: refRa, decDeg: refDec, bands } };
}

export interface FrameOptions {
  seed: number;
  band?: Band; // default "V"
  zp?: number; // default 0; m_inst = m_cat + ZP
  instErrFloor?: number; // default 0.003
  /** Magnitude (in `band`) with S/N = 5 (error 0.2 mag); default 20. */
  mag5Sigma?: number;
  /** Detection limit on the true band magnitude; default mag5Sigma − 0.75 (error ≈ 0.1). */
  limitMag?: number;
  /** Per-axis astrometric noise of the instrumental positions, arcsec; default 0.1. */
  astrometricNoiseArcsec?: number;
  outlierFraction?: number; // default 0
  outlierKind?: "variable" | "blend" | "mixed"; // default "mixed"
  /** Extra intrinsic scatter s added to every star (mag), default 0. */
  scatterMag?: number;
  /** Colour term c in m_inst = m_band + ZP + c·(colour), colour = B−V unless colourIndex says; default 0. */
  colourTerm?: number;
  /** The colour the colour term multiplies (true magnitudes of the field); default "B-V". */
  colourIndex?: ColourIndex;
  /**
   * Target not in the reference; appended last. `forced` → NUMBER 999999. `colour` (in colourIndex, default
   * 0) enters through the colour term as for the stars.
   */
  target?: { raDeg: number; decDeg: number; mag: number; forced?: boolean; colour?: number };
}

export interface SynthFrame {
  catalogue: InstrumentalCatalogue;
  /** Row of the target, −1 if none. */
  targetIndex: number;
  /** Row → field star index (−1 for the target). */
  truthIndex: Int32Array;
  /** True band magnitude of each row. */
  trueMag: Float64Array;
  isOutlier: Uint8Array;
  zp: number;
  band: Band;
}

/** Derives a seeded instrumental catalogue (one frame) from a field. */
export function makeFrame(field: SynthField, options: FrameOptions): SynthFrame {
  const rng = createRng(options.seed);
  const band = options.band ?? "V";
  const zp = options.zp ?? 0;
  const floor = options.instErrFloor ?? 0.003;
  const m5 = options.mag5Sigma ?? 20;
  const limit = options.limitMag ?? m5 - 0.75;
  const sigPos = options.astrometricNoiseArcsec ?? 0.1;
  const fOut = options.outlierFraction ?? 0;
  const kind = options.outlierKind ?? "mixed";
  const s = options.scatterMag ?? 0;
  const ct = options.colourTerm ?? 0;
  const ci = COLOUR_INDICES[options.colourIndex ?? "B-V"];
  const colourOf = (i: number): number =>
    options.colourIndex === undefined ? field.bv[i] : field.mags[ci.blue][i] - field.mags[ci.red][i];
  const errAt = (m: number): number => Math.sqrt(floor ** 2 + (0.2 * 10 ** (0.4 * (m - m5))) ** 2);

  const rows: {
    ra: number;
    dec: number;
    mag: number;
    err: number;
    truth: number;
    trueMag: number;
    out: number;
  }[] = [];
  const trueBand = field.mags[band];
  for (let i = 0; i < trueBand.length; i++) {
    const m = trueBand[i];
    if (!(m <= limit)) continue;
    const err = errAt(m);
    let inst = m + zp + ct * colourOf(i) + rng.gaussian(0, err) + (s > 0 ? rng.gaussian(0, s) : 0);
    let out = 0;
    if (fOut > 0 && rng.next() < fOut) {
      out = 1;
      const blend = kind === "blend" || (kind === "mixed" && rng.next() < 0.5);
      inst += blend ? -rng.uniform(0.2, 1.2) : (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.3, 1.5);
    }
    const dec = field.decDeg[i] + rng.gaussian(0, sigPos) / 3600;
    const ra = field.raDeg[i] + rng.gaussian(0, sigPos) / 3600 / Math.cos(field.decDeg[i] * DEG);
    rows.push({ ra, dec, mag: inst, err, truth: i, trueMag: m, out });
  }
  let targetIndex = -1;
  const t = options.target;
  if (t) {
    const err = errAt(t.mag);
    targetIndex = rows.length;
    rows.push({
      ra: t.raDeg + rng.gaussian(0, sigPos) / 3600 / Math.cos(t.decDeg * DEG),
      dec: t.decDeg + rng.gaussian(0, sigPos) / 3600,
      mag: t.mag + zp + ct * (t.colour ?? 0) + rng.gaussian(0, err),
      err,
      truth: -1,
      trueMag: t.mag,
      out: 0,
    });
  }
  const catalogue: InstrumentalCatalogue = {
    number: Int32Array.from(rows, (_, j) => (j === targetIndex && t?.forced ? TARGET_NUMBER : j + 1)),
    raDeg: Float64Array.from(rows, (r) => r.ra),
    decDeg: Float64Array.from(rows, (r) => r.dec),
    mag: Float64Array.from(rows, (r) => r.mag),
    magErr: Float64Array.from(rows, (r) => r.err),
  };
  return {
    catalogue,
    targetIndex,
    truthIndex: Int32Array.from(rows, (r) => r.truth),
    trueMag: Float64Array.from(rows, (r) => r.trueMag),
    isOutlier: Uint8Array.from(rows, (r) => r.out),
    zp,
    band,
  };
}
