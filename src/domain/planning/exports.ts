/**
 * A plan's exports: CSV (one row per visit) and the plain `name ra dec exposure` list that telescope
 * control software imports.
 */
import { formatDecDms, formatRaHms } from "../../astro/coords.ts";
import type { PlanView } from "./schemas.ts";

/** A CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(v: unknown): string {
  const text = v === null || v === undefined ? "" : String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const PLAN_CSV_COLUMNS = [
  "name",
  "ra",
  "dec",
  "start",
  "end",
  "exposure_s",
  "n_exposures",
  "filter",
  "mag",
  "snr",
  "airmass",
  "priority",
] as const;

/** The scheduled visits as CSV (header row, RA/Dec in degrees, times ISO 8601 UTC), in time order. */
export function planCsv(plan: PlanView): string {
  const lines = [PLAN_CSV_COLUMNS.join(",")];
  for (const e of plan.scheduled) lines.push(PLAN_CSV_COLUMNS.map((c) => csvField(e[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * The scheduled visits as plain `name ra dec exposure` lines, in time order, for telescope control
 * software: RA hh:mm:ss.ss, Dec ±dd:mm:ss.s (J2000), exposure in seconds; spaces in names become `_`.
 */
export function planText(plan: PlanView): string {
  return plan.scheduled
    .map(
      (e) =>
        `${e.name.replace(/\s+/g, "_")} ${formatRaHms(e.ra, 2)} ${formatDecDms(e.dec, 1)} ${e.exposure_s}\n`,
    )
    .join("");
}
