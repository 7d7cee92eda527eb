/** The independently made test field (astropy, cfitsio, Source Extractor): see test/fixtures/README.md. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Band, ReferenceCatalogue } from "../../src/astro/calibrate/bands.ts";

export const FIELD_DIR = fileURLToPath(new URL("../fixtures/field-150p02", import.meta.url));

/** The fixture's reference catalogue (ra, dec, <band>, <band>_err columns). */
export function fixtureReference(): ReferenceCatalogue {
  const [head, ...lines] = readFileSync(`${FIELD_DIR}/gaiasp-reference.csv`, "utf8").trim().split("\n");
  const cols = head.split(",");
  const rows = lines.map((l) => l.split(",").map(Number));
  const col = (name: string) => Float64Array.from(rows, (r) => r[cols.indexOf(name)]);
  const bands: ReferenceCatalogue["bands"] = {};
  for (const b of ["u", "g", "r", "i", "z", "U", "B", "V", "R", "I"] as Band[]) {
    bands[b] = { mag: col(b), err: col(`${b}_err`), survey: "GaiaSP" } as never;
  }
  return { raDeg: col("ra"), decDeg: col("dec"), bands };
}

/** The header keywords of a frame's WCS (linear TAN: CD or CDELT + PC) — what a frame without WCS lacks. */
export const WCS_KEYWORDS = [
  ...["CTYPE1", "CTYPE2", "CRVAL1", "CRVAL2", "CRPIX1", "CRPIX2"],
  ...["CD1_1", "CD1_2", "CD2_1", "CD2_2", "CDELT1", "CDELT2", "PC1_1", "PC1_2", "PC2_1", "PC2_2"],
];
