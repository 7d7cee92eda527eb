/**
 * What makes a calibration repeatable (issue 17): the algorithm's version, the cuts it applies, and one
 * canonical order of the reference stars. Pure: no I/O.
 *
 * The reference stars come from a database (imported catalogues, archive caches) whose row order is not
 * defined; the cross-match keeps the first of two equally near stars, so the order could change a result.
 * `canonicalReference` sorts the stars by (RA, Dec, then every band's magnitude and error in band-name
 * order) before anything is fitted, and `referenceRowsText` writes the sorted rows as text for a content
 * hash (the caller hashes it: a calibration run records the SHA-256).
 */
import type { Band, ReferenceCatalogue } from "./bands.ts";
import { MATCH_RADIUS_DEFAULTS } from "./matchRadius.ts";
import { SELECTION_DEFAULTS } from "./select.ts";
import { TARGET_DEFAULTS } from "./target.ts";

/**
 * Version of the calibration's numbers: bump it in any change that could alter a calibration's output for
 * the same inputs (a fit, a cut, the match, the order of the stars). Every calibration run records it.
 */
export const CALIBRATION_ALGORITHM_VERSION = "2026.12.2";

/** The cuts every calibration applies (the defaults of the match, the selection and the target steps). */
export const CALIBRATION_CUTS = {
  ...MATCH_RADIUS_DEFAULTS,
  ...SELECTION_DEFAULTS,
  ...TARGET_DEFAULTS,
} as const;

/** The bands of a catalogue in name order (a code-unit sort: the same in every locale). */
function bandNames(c: ReferenceCatalogue): Band[] {
  return (Object.keys(c.bands) as Band[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** −0 and 0, NaN and NaN compare equal; NaN sorts last. */
function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The permutation that sorts the stars canonically. */
function canonicalOrder(c: ReferenceCatalogue): number[] {
  const bands = bandNames(c).map((b) => c.bands[b]!);
  const keys = [c.raDeg, c.decDeg, ...bands.flatMap((b) => [b.mag, b.err])];
  const order = Array.from(c.raDeg, (_, i) => i);
  return order.sort((i, j) => {
    for (const k of keys) {
      const d = compareNumbers(k[i], k[j]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** The same stars in canonical order (bands keyed in name order); the input is not changed. */
export function canonicalReference(c: ReferenceCatalogue): ReferenceCatalogue {
  const order = canonicalOrder(c);
  const pick = (a: Float64Array) => Float64Array.from(order, (i) => a[i]);
  const out: ReferenceCatalogue = { raDeg: pick(c.raDeg), decDeg: pick(c.decDeg), bands: {} };
  for (const band of bandNames(c)) {
    const b = c.bands[band]!;
    out.bands[band] = { survey: b.survey, mag: pick(b.mag), err: pick(b.err) };
  }
  return out;
}

/**
 * The stars as text, one line per star in the catalogue's order (give it a canonical catalogue): a header
 * `ra dec <survey>/<band> <survey>/<band>_err …`, then the numbers in JavaScript's shortest round-trip form.
 */
export function referenceRowsText(c: ReferenceCatalogue): string {
  const bands = bandNames(c);
  const lines = [
    [
      "ra",
      "dec",
      ...bands.flatMap((b) => [`${c.bands[b]!.survey}/${b}`, `${c.bands[b]!.survey}/${b}_err`]),
    ].join(" "),
  ];
  for (let i = 0; i < c.raDeg.length; i++) {
    const row = [c.raDeg[i], c.decDeg[i]];
    for (const b of bands) row.push(c.bands[b]!.mag[i], c.bands[b]!.err[i]);
    lines.push(row.map((x) => String(x)).join(" "));
  }
  return lines.join("\n") + "\n";
}
