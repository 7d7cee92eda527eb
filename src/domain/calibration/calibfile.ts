/**
 * `POST /calibFile/` (the upload service's synchronous calibration, guide "calibFile"): one instrumental
 * catalogue calibrated now through the pipeline, nothing stored; the answer carries the calibration
 * fields, the per-band table and the plot as a data URL.
 */
import { BadRequestError } from "../errors.ts";
import { storedColourTerm } from "./colour.ts";
import { calibrationPlot, runCalibration, type CalibrationDeps } from "./pipeline.ts";

export interface CalibFileRequest {
  catalogueText: string;
  /** The uploaded file's name (the plot's title). */
  fileName: string;
  /** The target's position, deg. */
  raDeg: number;
  decDeg: number;
  /** Matching radius, arcsec; undefined or ≤ 0 = automatic. */
  matchDistArcsec?: number;
  /** The form's `survey` and `filter` (see filterRequestFrom). */
  survey: string;
  filter: string;
  /** The plot's image format, or null for no plot. */
  plot: "png" | "svg" | null;
}

/**
 * The filter request of a calibFile form: `filter` alone when it is already a request (`GaiaSP/V`, `no`),
 * else `survey/filter`, `survey/any`, or the default `GaiaSP/any`.
 */
export function filterRequestFrom(survey: string, filter: string): string {
  const s = survey.trim();
  const f = filter.trim();
  if (f.includes("/") || f.toLowerCase() === "no") return f;
  if (s && f) return `${s}/${f}`;
  if (s) return `${s}/any`;
  return "GaiaSP/any";
}

/** Calibrate an uploaded catalogue now; a catalogue that cannot be read is a BadRequestError. */
export async function calibrateCatalogueFile(req: CalibFileRequest, deps: CalibrationDeps) {
  const run = await runCalibration(
    {
      catalogueText: req.catalogueText,
      target: { raDeg: req.raDeg, decDeg: req.decDeg },
      filterRequest: filterRequestFrom(req.survey, req.filter),
      matchDistArcsec: req.matchDistArcsec,
      // Colour terms without a camera: the frame's own k (≥ 30 stars with colours), else none (k = 0).
      colour: {},
    },
    deps,
  );
  if (!run.ok) throw new BadRequestError(`photometry_file: ${run.error}`);
  const { result } = run;
  let plot: string | null = null;
  if (req.plot === "svg") {
    const svg = calibrationPlot(result, "svg", req.fileName);
    if (svg !== null) plot = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
  } else if (req.plot === "png") {
    const png = calibrationPlot(result, "png", req.fileName);
    if (png !== null) plot = `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
  }
  return {
    ...result.calibrationData,
    zeropoint_err: result.zeropointErr,
    standardised_to: result.standardisedTo,
    light_curve_filter: result.lightCurveFilter,
    processing_time: +run.seconds.toFixed(4),
    reference_stars: run.reference.raDeg.length,
    bands: result.bands.map(({ colour, ...b }) => ({
      ...b,
      colour_k: colour ? finiteOrNull(colour.k) : null,
      colour_k_err: colour ? finiteOrNull(colour.kErr) : null,
      colour_k_source: colour?.kSource ?? null,
      colour_c0: colour ? finiteOrNull(colour.c0) : null,
    })),
    colour_term: storedColourTerm(result.colourTerm),
    plot,
  };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
