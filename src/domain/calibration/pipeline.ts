/**
 * The calibration pipeline (CPCS, calibration.md §4.3), the one place it is written: an instrumental
 * catalogue is parsed, the reference cone around the target sized to the catalogue, the reference stars
 * fetched from the injected provider, the catalogue calibrated, and the plot drawn. `POST /calibFile/`
 * (calibrateCatalogueFile), the calibration of a stored data product (dataproduct.ts: the worker, the
 * FITS job and restarts) and anything later (versioned runs, colour terms) call these steps.
 *
 * Every step is a separate function with explicit inputs and outputs; `runCalibration` chains the ones
 * before storing. Nothing here touches the database or the data directory.
 */
import { createHash } from "node:crypto";
import {
  calibrateCatalogue,
  type CalibrationResult,
  type ColourRequest,
} from "../../astro/calibrate/index.ts";
import {
  SURVEYS,
  surveysOfRequest,
  type ReferenceCatalogue,
  type Survey,
} from "../../astro/calibrate/bands.ts";
import { COLOUR_INDICES } from "../../astro/calibrate/colour.ts";
import { canonicalReference, referenceRowsBytes } from "../../astro/calibrate/canonical.ts";
import { angularSeparationDeg } from "../../astro/coords.ts";
import { parseInstrumentalCatalogue, type ParseResult } from "../../astro/sextractor.ts";
import type { ReferenceProvider } from "../../catalog/provider.ts";
import { renderCalibrationPlot } from "../../plots/calibration.ts";

export type { ReferenceProvider };

/** A parsed instrumental catalogue (the parser's success). */
export type ParsedCatalogue = Extract<ParseResult, { ok: true }>;

/** What one calibration needs besides the reference stars. */
export interface CalibrationRequest {
  /** The instrumental catalogue: SExtractor ASCII_HEAD or the 7-column CCDPhot layout. */
  catalogueText: string;
  /** The target's position, deg. */
  target: { raDeg: number; decDeg: number };
  /** Filter request: `GaiaSP/any`, `GaiaSP/V`, `no`, … */
  filterRequest: string;
  /** Matching radius, arcsec; undefined (or ≤ 0) = automatic (2σ of the RA/Dec offsets). */
  matchDistArcsec?: number;
  /** Time of the observation, MJD: reference stars are moved to it by their proper motions. */
  epochMjd?: number;
  /** Colour terms (docs/colour.md): the camera's learnt k, the target's colour; absent = plain CPCS. */
  colour?: ColourRequest;
}

/** The services a calibration uses. */
export interface CalibrationDeps {
  /** Reference stars (the imported catalogues, an archive, a synthetic field in tests). */
  provider: ReferenceProvider;
}

/** A pipeline run before storing: the parse failure, or every intermediate product and the result. */
export type CalibrationRun =
  | { ok: false; step: "parse"; error: string }
  | {
      ok: true;
      parsed: ParsedCatalogue;
      /** Radius of the reference cone around the target, deg. */
      radiusDeg: number;
      /** The surveys asked for the reference cone. */
      surveys: Survey[];
      /** The reference stars in canonical order (canonical.ts): what was fitted. */
      reference: ReferenceCatalogue;
      /** SHA-256 (hex) of the reference stars' rows in canonical order. */
      referenceSha256: string;
      result: CalibrationResult;
      /** Time spent fetching the reference stars (the cone), s; the rest of `seconds` is parse + fit. */
      coneSeconds: number;
      /** Wall time of the run, s (parse to result). */
      seconds: number;
    };

/** Step 1: parse the instrumental catalogue. */
export function parseCatalogue(text: string): ParseResult {
  return parseInstrumentalCatalogue(text);
}

/**
 * Step 2: radius of the reference cone, deg — the catalogue's extent around the target plus 10 %,
 * clamped to 0.05–2°.
 */
export function referenceRadiusDeg(
  raDeg: number,
  decDeg: number,
  ras: ArrayLike<number>,
  decs: ArrayLike<number>,
): number {
  let max = 0;
  for (let i = 0; i < ras.length; i++)
    max = Math.max(max, angularSeparationDeg(raDeg, decDeg, ras[i], decs[i]));
  return Math.min(2, Math.max(0.05, max * 1.1));
}

/**
 * Step 3: the reference stars within `radiusDeg` of the target — of the surveys the filter request can use
 * (all of them when none is given), at the observation's epoch, in canonical order (whatever order the
 * provider's rows came in: canonical.ts). Provider failures propagate (an archive that cannot be reached
 * now: src/catalog/errors.ts).
 */
export async function referenceCone(
  deps: CalibrationDeps,
  target: CalibrationRequest["target"],
  radiusDeg: number,
  options: { filterRequest?: string; epochMjd?: number; colour?: CalibrationRequest["colour"] } = {},
): Promise<ReferenceCatalogue> {
  const surveys =
    options.filterRequest === undefined ? undefined : coneSurveys(options.filterRequest, options.colour);
  const stars = await deps.provider.cone(target.raDeg, target.decDeg, radiusDeg, surveys, {
    epochMjd: options.epochMjd,
  });
  return canonicalReference(stars);
}

/**
 * The surveys of a filter request, and those of the colour indices a camera's colour_index names for its
 * bands (a V frame fitted in BP−RP needs GaiaDR3 next to GaiaSP); the default indices use the band's own.
 */
export function coneSurveys(filterRequest: string, colour?: CalibrationRequest["colour"]): Survey[] {
  const surveys = new Set<Survey>(surveysOfRequest(filterRequest));
  for (const index of Object.values(colour?.indexOf ?? {})) surveys.add(COLOUR_INDICES[index].survey);
  return SURVEYS.filter((s) => surveys.has(s));
}

/** SHA-256 (hex) of a canonical reference catalogue's rows (referenceRowsText, as its ASCII bytes). */
export function referenceSha256(reference: ReferenceCatalogue): string {
  return createHash("sha256").update(referenceRowsBytes(reference)).digest("hex");
}

/** Step 4: CPCS calibration of the parsed catalogue against the reference stars (src/astro/calibrate). */
export function calibrate(
  parsed: ParsedCatalogue,
  reference: ReferenceCatalogue,
  request: Omit<CalibrationRequest, "catalogueText">,
): CalibrationResult {
  const matchDist = request.matchDistArcsec;
  return calibrateCatalogue({
    catalogue: parsed.catalogue,
    reference,
    target: request.target,
    request: request.filterRequest,
    matchDistArcsec: matchDist !== undefined && matchDist > 0 ? matchDist : undefined,
    targetIndex: parsed.targetIndex >= 0 ? parsed.targetIndex : undefined,
    forcedTargetDropped: parsed.targetDropped,
    colour: request.colour,
  });
}

/** Step 5: the calibration plot (one panel per passing band), or null when there is nothing to draw. */
export function calibrationPlot(result: CalibrationResult, format: "png", title: string): Uint8Array | null;
export function calibrationPlot(result: CalibrationResult, format: "svg", title: string): string | null;
export function calibrationPlot(
  result: CalibrationResult,
  format: "png" | "svg",
  title: string,
): Uint8Array | string | null;
export function calibrationPlot(
  result: CalibrationResult,
  format: "png" | "svg",
  title: string,
): Uint8Array | string | null {
  if (result.plot.length === 0) return null;
  return renderCalibrationPlot(result, { format, title });
}

/** Steps 1–4: parse, size the cone, fetch the reference stars, calibrate. */
export async function runCalibration(
  request: CalibrationRequest,
  deps: CalibrationDeps,
): Promise<CalibrationRun> {
  const t0 = performance.now();
  const parsed = parseCatalogue(request.catalogueText);
  if (!parsed.ok) return { ok: false, step: "parse", error: parsed.error };
  const { raDeg, decDeg } = request.target;
  const radiusDeg = referenceRadiusDeg(raDeg, decDeg, parsed.catalogue.raDeg, parsed.catalogue.decDeg);
  const tCone = performance.now();
  const reference = await referenceCone(deps, request.target, radiusDeg, {
    filterRequest: request.filterRequest,
    epochMjd: request.epochMjd,
    colour: request.colour,
  });
  const coneSeconds = (performance.now() - tCone) / 1000;
  const result = calibrate(parsed, reference, request);
  return {
    ok: true,
    parsed,
    radiusDeg,
    surveys: coneSurveys(request.filterRequest, request.colour),
    reference,
    referenceSha256: referenceSha256(reference),
    result,
    coneSeconds,
    seconds: (performance.now() - t0) / 1000,
  };
}
