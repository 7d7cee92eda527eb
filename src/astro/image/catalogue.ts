/**
 * Catalogue rows of the extraction step and their Source Extractor `ASCII_HEAD` rendering in CCDPhot's
 * 7-column layout (calibration.md §2.3; header layout of Source Extractor 2.25, astro-notes §4(e)).
 */

/** One extracted (or forced) source. Pixel coordinates are FITS 1-based (pixel centres at integers). */
export interface CatalogueRow {
  /** Running number from 1; 999999 for a forced measurement of the target (CCDPhot convention). */
  number: number;
  /** Windowed centroid, px (XWIN_IMAGE, YWIN_IMAGE). */
  x: number;
  y: number;
  /** Sky position (deg) through the WCS; NaN without one. */
  raDeg: number;
  decDeg: number;
  /** Instrumental magnitude ZP − 2.5 log₁₀ flux (aperture-corrected), mag; 99 when flux ≤ 0. */
  mag: number;
  magErr: number;
  /** Aperture-corrected flux and its error, ADU. */
  flux: number;
  fluxErr: number;
  /** Gaussian-equivalent FWHM from windowed moments, px (NaN when not measurable). */
  fwhm: number;
  /** Bit set of SOURCE_FLAGS. */
  flags: number;
}

const COLUMNS: readonly (readonly [string, string, string])[] = [
  ["NUMBER", "Running object number", ""],
  ["ALPHA_J2000", "Right ascension of barycenter (J2000)", "deg"],
  ["DELTA_J2000", "Declination of barycenter (J2000)", "deg"],
  ["XWIN_IMAGE", "Windowed position estimate along x", "pixel"],
  ["YWIN_IMAGE", "Windowed position estimate along y", "pixel"],
  ["MAG_AUTO", "Kron-like elliptical aperture magnitude", "mag"],
  ["MAGERR_AUTO", "RMS error for AUTO magnitude", "mag"],
];

function fixed(v: number, width: number, decimals: number, plus = false): string {
  if (!Number.isFinite(v)) return "nan".padStart(width);
  const s = v.toFixed(decimals);
  return (plus && v >= 0 ? `+${s}` : s).padStart(width);
}

/**
 * The 7-column SExtractor catalogue (NUMBER, ALPHA_J2000, DELTA_J2000, XWIN_IMAGE, YWIN_IMAGE, MAG_AUTO,
 * MAGERR_AUTO) with an ASCII_HEAD header, formatted as Source Extractor prints these columns
 * (`%10d %11.7f %+11.7f %10.4f %10.4f %8.4f %8.4f`). MAG_AUTO here is skytom's aperture-corrected aperture
 * magnitude. Rows without WCS get `nan` positions (the reader drops them with a reason).
 */
export function formatSextractorCatalogue(rows: readonly CatalogueRow[]): string {
  const head = COLUMNS.map(([name, desc, unit], i) => {
    const base = `#${String(i + 1).padStart(4)} ${name.padEnd(22)} ${desc.padEnd(58)}`;
    return unit ? `${base} [${unit}]` : base;
  });
  const body = rows.map((r) =>
    [
      String(r.number).padStart(10),
      fixed(r.raDeg, 11, 7),
      fixed(r.decDeg, 11, 7, true),
      fixed(r.x, 10, 4),
      fixed(r.y, 10, 4),
      fixed(r.mag, 8, 4),
      fixed(r.magErr, 8, 4),
    ].join(" "),
  );
  return [...head, ...body].join("\n") + "\n";
}
