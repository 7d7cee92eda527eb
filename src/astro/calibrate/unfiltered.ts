/**
 * Unfiltered and luminance frames (issue 18; bhtom2#327: Clear-filter data failing): a FITS FILTER value
 * Clear, C, CV, L or None (any case), or a FILTER keyword present but empty, means the frame has no
 * standard band. When the upload did not force a band (the request is the default `GaiaSP/any`), such a
 * frame is calibrated to the camera's unfiltered band — Gaia G by default (`GaiaDR3/G`, the broad band
 * closest to an unfiltered silicon response), or a GaiaSP band the camera names — with the colour term
 * (BP − RP for G, the band family's colour otherwise; colour.ts) absorbing the passband mismatch.
 * A missing FILTER keyword is unknown, not unfiltered: the request is left alone.
 */
import { DEFAULT_FILTER_REQUEST, FilterRequestError, parseFilterRequest } from "./bands.ts";

/** FILTER values meaning "no filter" (compared case-insensitively, trimmed). */
export const UNFILTERED_NAMES = ["Clear", "C", "CV", "L", "None"] as const;

/** The band unfiltered frames are calibrated to unless the camera says otherwise. */
export const DEFAULT_UNFILTERED_BAND = "GaiaDR3/G";

/** True for an unfiltered or luminance FILTER value ("" included); false for null (keyword missing). */
export function isUnfiltered(fitsFilter: string | null | undefined): boolean {
  if (fitsFilter === null || fitsFilter === undefined) return false;
  const f = fitsFilter.trim().toLowerCase();
  return f === "" || UNFILTERED_NAMES.some((n) => n.toLowerCase() === f);
}

/**
 * A camera's unfiltered band setting, checked: `GaiaDR3/G` or one `GaiaSP/<band>`. Throws
 * FilterRequestError with the reason otherwise.
 */
export function checkUnfilteredBand(value: string): string {
  const r = parseFilterRequest(value);
  const c = r.candidates[0];
  if (!r.forced || !(c.survey === "GaiaSP" || (c.survey === "GaiaDR3" && c.band === "G"))) {
    throw new FilterRequestError(value, `unfiltered band "${value}": expected GaiaDR3/G or one GaiaSP band`);
  }
  return `${c.survey}/${c.band}`;
}

/** The filter request a frame is calibrated with: the camera's unfiltered band for an unfiltered frame. */
export function requestForFrame(
  request: string,
  fitsFilter: string | null | undefined,
  unfilteredBand: string = DEFAULT_UNFILTERED_BAND,
): string {
  return request.trim() === DEFAULT_FILTER_REQUEST && isUnfiltered(fitsFilter) ? unfilteredBand : request;
}
