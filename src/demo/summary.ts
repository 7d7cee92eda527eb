/**
 * The demo's verdict: how many exposures were calibrated, why the others failed, and how well the
 * calibrated light curve follows the injected one — residuals Δᵢ = m_cal,ᵢ − V_inj(tᵢ) (mag), their rms,
 * mean (a zero-point bias) and χ²/N = mean((Δᵢ/σᵢ)²) with σᵢ the pipeline's reported error (≈ 1 when the
 * errors are honest).
 */

/** One uploaded exposure and what became of it. */
export interface DemoProduct {
  id: number;
  fileName: string;
  kind: "fits" | "catalogue";
  /** Mid-exposure, MJD. */
  mjd: number;
  /** C queued, P processing, S done, E error. */
  status: string;
  message: string;
  /** Injected V at mid-exposure, mag. */
  injectedMag: number;
  /** Calibrated magnitude and 1σ error of the light-curve point, mag (null when there is none). */
  mag: number | null;
  magErr: number | null;
  /** Light-curve filter, e.g. `V(GaiaSP)`. */
  filter: string | null;
}

export interface DemoSummary {
  total: number;
  /** Exposures that ended as a light-curve point. */
  calibrated: number;
  failed: { id: number; fileName: string; reason: string }[];
  /** calibrated / total. */
  calibratedFraction: number;
  /** Range of this night's calibrated magnitudes [brightest, faintest], mag. */
  nightMagRange: [number, number] | null;
  /** Points on the target's whole light curve (all demo nights) and their range, mag. */
  lightCurvePoints: number;
  lightCurveMagRange: [number, number] | null;
  /** Calibrated − injected, mag. */
  residualRmsMag: number | null;
  residualMeanMag: number | null;
  maxAbsResidualSigma: number | null;
  chi2PerPoint: number | null;
  /** True when ≥ 90 % of the exposures were calibrated. */
  ok: boolean;
}

/** Fraction of exposures that must be calibrated for the demo to succeed. */
export const SUCCESS_FRACTION = 0.9;

const range = (v: number[]): [number, number] | null => (v.length ? [Math.min(...v), Math.max(...v)] : null);

export function summarise(products: DemoProduct[], lightCurveMags: number[]): DemoSummary {
  const points = products.filter((p) => p.mag !== null && p.magErr !== null);
  const failed = products
    .filter((p) => p.mag === null)
    .map((p) => ({
      id: p.id,
      fileName: p.fileName,
      reason: `${p.status}: ${p.message || "no light-curve point"}`,
    }));
  const d = points.map((p) => (p.mag as number) - p.injectedMag);
  const z = points.map((p, i) => d[i] / (p.magErr as number));
  const n = points.length;
  const fraction = products.length ? n / products.length : 0;
  return {
    total: products.length,
    calibrated: n,
    failed,
    calibratedFraction: fraction,
    nightMagRange: range(points.map((p) => p.mag as number)),
    lightCurvePoints: lightCurveMags.length,
    lightCurveMagRange: range(lightCurveMags),
    residualRmsMag: n ? Math.sqrt(d.reduce((s, x) => s + x * x, 0) / n) : null,
    residualMeanMag: n ? d.reduce((s, x) => s + x, 0) / n : null,
    maxAbsResidualSigma: n ? Math.max(...z.map(Math.abs)) : null,
    chi2PerPoint: n ? z.reduce((s, x) => s + x * x, 0) / n : null,
    ok: products.length > 0 && fraction >= SUCCESS_FRACTION,
  };
}
