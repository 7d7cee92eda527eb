/**
 * Header standardisation (calibration.md §2.2, §3): the observation time, exposure, filter and detector
 * values of a FITS image, read through the camera's keyword names with the camera's values as fallback.
 * Time: DATE-OBS with a date-time, or DATE-OBS (date) + TIME-OBS, else MJD-OBS, else JD; the result is
 * the MJD of mid-exposure (start + EXPTIME / 2), assuming UTC as FITS does for DATE-OBS.
 */
import { mjdFromIso, mjdFromJd } from "../time.ts";
import type { FitsHeader } from "./header.ts";

export interface CameraKeywords {
  dateTimeKeyword: string;
  timeKeyword: string;
  exposureTimeKeyword: string;
  /** Camera values used when the header lacks them. */
  gainEPerAdu: number;
  readNoiseE: number;
  saturationAdu: number;
}

export interface StandardHeader {
  /** MJD of mid-exposure (UTC). */
  mjdMid: number;
  /** Seconds. */
  exposureS: number;
  dateObs: string;
  /** FILTER, trimmed: "" when the keyword is present but empty, null when missing. */
  filter: string | null;
  object: string | null;
  gainEPerAdu: number;
  readNoiseE: number;
  saturationAdu: number;
  binning: number | null;
  /** Where the time came from, for messages. */
  timeSource: string;
}

export type StandardiseResult = { ok: true; header: StandardHeader } | { ok: false; error: string };

function positive(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : undefined;
}

export function standardiseHeader(h: FitsHeader, cam: CameraKeywords): StandardiseResult {
  const exposure =
    positive(h.getNumber(cam.exposureTimeKeyword)) ??
    positive(h.getNumber("EXPTIME")) ??
    positive(h.getNumber("EXPOSURE"));
  if (exposure === undefined)
    return { ok: false, error: `no exposure time (${cam.exposureTimeKeyword}) in the header` };
  let start: number | undefined;
  let source = "";
  const date = h.getString(cam.dateTimeKeyword) ?? h.getString("DATE-OBS");
  if (date) {
    const text = /T|\s\d/.test(date.trim())
      ? date.trim()
      : `${date.trim()}T${(h.getString(cam.timeKeyword) ?? h.getString("TIME-OBS") ?? "").trim()}`;
    const t = mjdFromIso(text.endsWith("T") ? text.slice(0, -1) : text);
    if (t.ok) {
      start = t.mjd;
      source = text.includes("T") ? `${cam.dateTimeKeyword}` : `${cam.dateTimeKeyword}+${cam.timeKeyword}`;
    }
  }
  if (start === undefined && positive(h.getNumber("MJD-OBS")) !== undefined) {
    start = h.getNumber("MJD-OBS") as number;
    source = "MJD-OBS";
  }
  if (start === undefined && positive(h.getNumber("JD")) !== undefined) {
    start = mjdFromJd(h.getNumber("JD") as number);
    source = "JD";
  }
  if (start === undefined || !(start > 15_000 && start < 100_000)) {
    return {
      ok: false,
      error: `no usable observation time (${cam.dateTimeKeyword}/${cam.timeKeyword}, MJD-OBS or JD) in the header`,
    };
  }
  const mjdMid = start + exposure / 2 / 86_400;
  return {
    ok: true,
    header: {
      mjdMid,
      exposureS: exposure,
      dateObs: date ?? "",
      // "" (a FILTER keyword present but empty) means unfiltered (calibrate/unfiltered.ts); null: no keyword.
      filter: h.getString("FILTER")?.trim() ?? null,
      object: h.getString("OBJECT")?.trim() || null,
      gainEPerAdu: positive(h.getNumber("GAIN")) ?? cam.gainEPerAdu,
      readNoiseE: positive(h.getNumber("RDNOISE")) ?? positive(h.getNumber("READNOIS")) ?? cam.readNoiseE,
      saturationAdu: positive(h.getNumber("SATURATE")) ?? cam.saturationAdu,
      binning: positive(h.getNumber("XBINNING")) ?? null,
      timeSource: source,
    },
  };
}
