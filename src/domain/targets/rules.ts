/**
 * Target validation rules that need more than a type check: BHTOM's name rules (with dotted
 * astronomical names allowed), coordinates in degrees or sexagesimal, Julian epochs, classifications.
 */
import { parseDec, parseRa } from "../../astro/coords.ts";
import { CLASSIFICATION_ALIASES, CLASSIFICATIONS, type Classification } from "../../vocabulary.ts";
import type { FieldErrors } from "../errors.ts";

const FORBIDDEN = /[()/\\:]/;
/**
 * What BHTOM refuses as "web addresses or query strings" — except that a dotted token alone (V404.Cyg,
 * SN2023.1) is a legitimate astronomical name. Differs from BHTOM2, which refused every dotted name.
 */
const URL_LIKE = [
  /\b(?:https?|ftp):\/\//i,
  /\bwww\./i,
  /\b(?:javascript|data|file|vbscript):/i,
  /[?&][^=\s]*=/,
  /%(?:2f|5c|3a|3f|26|3d|28|29)/i,
  /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|info|io|html?|php|aspx?)$/i,
];
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Name rules; returns messages (empty when the name is acceptable). Expects a trimmed name. */
export function nameProblems(name: string): string[] {
  if (name.length === 0) return ["This field may not be blank."];
  if (CONTROL.test(name)) return ["Target name cannot contain control characters."];
  if (FORBIDDEN.test(name)) return ["Target name cannot contain any of: ( ) / \\ :"];
  if (URL_LIKE.some((re) => re.test(name)))
    return ["Target name cannot contain web addresses or query strings."];
  return [];
}

/** RA and Dec from degrees or sexagesimal strings; RA 360 is taken as 0. */
export function parseCoordinates(
  ra: number | string | undefined,
  dec: number | string | undefined,
  errors: FieldErrors,
): { raDeg?: number; decDeg?: number } {
  const out: { raDeg?: number; decDeg?: number } = {};
  if (ra !== undefined) {
    if (typeof ra === "number" && ra === 360) out.raDeg = 0;
    else {
      const r = parseRa(ra);
      if (r.ok) out.raDeg = r.deg;
      else errors.ra = [r.error];
    }
  }
  if (dec !== undefined) {
    const d = parseDec(dec);
    if (d.ok) out.decDeg = d.deg;
    else errors.dec = [d.error];
  }
  return out;
}

/** A Julian epoch in years: a number, "2000", "2000.0" or "J2000". */
export function parseEpoch(value: number | string, errors: FieldErrors): number | undefined {
  const n = typeof value === "number" ? value : Number(value.trim().replace(/^J/i, ""));
  if (typeof value === "string" && value.trim() === "") {
    errors.epoch = ["A valid number is required."];
    return undefined;
  }
  if (!Number.isFinite(n) || n < 1000 || n > 3000) {
    errors.epoch = ["A valid Julian epoch in years (e.g. 2000.0 or J2000) is required."];
    return undefined;
  }
  return n;
}

export function normaliseClassification(value: string | null): Classification | null {
  if (value === null) return null;
  if ((CLASSIFICATIONS as readonly string[]).includes(value)) return value as Classification;
  return CLASSIFICATION_ALIASES[value] ?? null;
}
