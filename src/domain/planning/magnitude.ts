/**
 * A target's predicted magnitude for a night, per light-curve filter, from its calibrated points:
 *  - the latest point (magnitude, error, MJD) and its age at the prediction time;
 *  - the points of the TREND_WINDOW_DAYS before the latest one (limits and inactive points left out);
 *  - `trend`: with ≥ 3 such points spanning ≥ 1 day, a weighted straight line (src/astro/trend.ts), read
 *    at the prediction time — but only when that is no further beyond the last point than the points
 *    span (a line is not extrapolated past the data it was fitted to);
 *  - otherwise `mean`: the weighted mean of those points (≥ 2 of them), with its error — for a periodic
 *    variable observed over one night this is the level it varies about;
 *  - `latest`: a single point.
 * A target without points falls back to its `mag_last` (method `mag_last`, no error).
 */
import { fitLine, lineAt } from "../../astro/trend.ts";
import { bandOf } from "./camera-model.ts";
import type { MagnitudeView } from "./schemas.ts";
import type { CurvePoint } from "./repo.ts";
import { groupBy } from "./group.ts";

export const TREND_WINDOW_DAYS = 30;
const MIN_TREND_POINTS = 3;
const MIN_TREND_SPAN_DAYS = 1;
/** targets.mag_last when the target has none. */
export const NO_MAG_LAST = 100;

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** The prediction for one filter's points (sorted by MJD, at least one) at `atMjd`. */
export function predictFilter(filter: string, points: CurvePoint[], atMjd: number): MagnitudeView {
  const last = points[points.length - 1];
  const recent = points.filter((p) => p.mjd >= last.mjd - TREND_WINDOW_DAYS);
  const base = {
    filter,
    last_mjd: last.mjd,
    last_mag: last.mag,
    last_mag_error: last.err,
    age_days: round(atMjd - last.mjd, 4),
  };
  const fit =
    recent.length >= 2
      ? fitLine(
          recent.map((p) => p.mjd),
          recent.map((p) => p.mag),
          recent.map((p) => p.err),
        )
      : null;
  const span = recent.length ? recent[recent.length - 1].mjd - recent[0].mjd : 0;
  if (fit && recent.length >= MIN_TREND_POINTS && span >= MIN_TREND_SPAN_DAYS && atMjd - last.mjd <= span) {
    const at = lineAt(fit, atMjd);
    return {
      ...base,
      predicted_mag: round(at.value, 4),
      predicted_mag_error: round(at.err, 4),
      method: "trend",
      points: recent.length,
      trend_mag_per_day: round(fit.slope, 5),
      trend_error_mag_per_day: round(fit.slopeErr, 5),
    };
  }
  if (recent.length >= 2) {
    // Weighted mean (the fit's intercept at the weighted mean time is exactly that; computed directly so
    // that points at one time work too).
    const w = recent.map((p) => 1 / Math.max(p.err, 0.005) ** 2);
    const sw = w.reduce((s, v) => s + v, 0);
    const mean = recent.reduce((s, p, i) => s + w[i] * p.mag, 0) / sw;
    const chi2 = recent.reduce((s, p, i) => s + w[i] * (p.mag - mean) ** 2, 0) / (recent.length - 1);
    return {
      ...base,
      predicted_mag: round(mean, 4),
      predicted_mag_error: round(Math.sqrt(Math.max(1, chi2) / sw), 4),
      method: "mean",
      points: recent.length,
      trend_mag_per_day: fit ? round(fit.slope, 5) : null,
      trend_error_mag_per_day: fit ? round(fit.slopeErr, 5) : null,
    };
  }
  return {
    ...base,
    predicted_mag: last.mag,
    predicted_mag_error: last.err,
    method: "latest",
    points: 1,
    trend_mag_per_day: null,
    trend_error_mag_per_day: null,
  };
}

/** Predictions for every filter of one target's points (any order), newest filter first. */
export function predictMagnitudes(
  points: CurvePoint[],
  atMjd: number,
  fallback?: { magLast: number; filterLast: string; mjdLast: number },
): MagnitudeView[] {
  const byFilter = groupBy(points, (p) => p.filter);
  const out = [...byFilter.entries()].map(([filter, list]) =>
    predictFilter(
      filter,
      [...list].sort((a, b) => a.mjd - b.mjd),
      atMjd,
    ),
  );
  out.sort((a, b) => (b.last_mjd ?? 0) - (a.last_mjd ?? 0));
  if (!out.length && fallback && fallback.magLast < NO_MAG_LAST) {
    out.push({
      filter: fallback.filterLast || "unknown",
      predicted_mag: fallback.magLast,
      predicted_mag_error: null,
      method: "mag_last",
      last_mjd: fallback.mjdLast > 0 ? fallback.mjdLast : null,
      last_mag: fallback.magLast,
      last_mag_error: null,
      age_days: fallback.mjdLast > 0 ? round(atMjd - fallback.mjdLast, 4) : null,
      points: 0,
      trend_mag_per_day: null,
      trend_error_mag_per_day: null,
    });
  }
  return out;
}

/**
 * The prediction to use with a camera's filter: the same filter, else the same band from another survey
 * (e.g. `V(GaiaSP)` for `V`), else the newest of any filter (flagged by the caller: colours are unknown).
 */
export function magnitudeFor(magnitudes: MagnitudeView[], filter: string | null): MagnitudeView | null {
  if (!magnitudes.length) return null;
  if (filter) {
    const exact = magnitudes.find((m) => m.filter === filter);
    if (exact) return exact;
    const band = bandOf(filter);
    const sameBand = magnitudes.find((m) => bandOf(m.filter) === band);
    if (sameBand) return sameBand;
  }
  return magnitudes[0];
}
