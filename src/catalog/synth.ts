/**
 * A synthetic GaiaSP reference catalogue as CSV, in the layout of a GaiaSP cone download (and of the
 * fixture field-150p02/gaiasp-reference.csv): `ra,dec,u,u_err,g,g_err,…,I,I_err`, positions in deg to
 * 1e−7, magnitudes and 1σ errors in mag to 1e−4. Stars, colours and catalogue errors come from
 * src/astro/synth/catalog.ts `makeField` (number counts 0.3 dex/mag, main-sequence colour relations,
 * errors growing towards faint magnitudes) — realistic in distribution, not real stars.
 *
 * Geometry: the field is drawn around (0°, 0°), where RA and Dec are flat, cut to the cap of the radius,
 * then rotated rigidly to the requested centre (north kept up), so caps at the poles or across RA 0/360
 * are as uniform as any other.
 */
import { SURVEY_BANDS } from "../astro/calibrate/bands.ts";
import type { Vec3 } from "../astro/coords.ts";
import { raDecFromUnitVector, unitVector } from "../astro/coords.ts";
import { makeField } from "../astro/synth/catalog.ts";

export interface SyntheticCatalogueOptions {
  /** Centre, deg. */
  raDeg: number;
  decDeg: number;
  /** Cap radius, deg, in (0, 10]. */
  radiusDeg: number;
  /** Number of stars; default 2000. */
  stars?: number;
  /** Seed of the random draws; default 1. */
  seed?: number;
  /** True V range [bright, faint], mag; default [11, 19]. */
  magRange?: readonly [number, number];
}

const DEG = Math.PI / 180;

/** The CSV lines (header first, no line ends) of a synthetic GaiaSP catalogue; see the file comment. */
export function syntheticCatalogueLines(o: SyntheticCatalogueOptions): string[] {
  const stars = Math.round(o.stars ?? 2000);
  if (!(o.radiusDeg > 0 && o.radiusDeg <= 10)) throw new RangeError("radius must be in (0, 10] deg");
  if (!(o.decDeg >= -90 && o.decDeg <= 90)) throw new RangeError("Dec must be in [-90, 90] deg");
  if (!Number.isFinite(o.raDeg)) throw new RangeError("RA must be a finite number of deg");
  if (!(stars >= 1 && stars <= 10_000_000)) throw new RangeError("stars must be in 1 … 10,000,000");
  const r2 = (2 * Math.sin((o.radiusDeg * DEG) / 2)) ** 2; // squared chord of the radius

  // Draw in the square around (0, 0) until the cap holds `stars` (it covers π/4 of the square).
  let drawn = Math.ceil((stars * 4) / Math.PI) + 32;
  for (;;) {
    const field = makeField({
      seed: o.seed ?? 1,
      nStars: drawn,
      centerRaDeg: 0,
      centerDecDeg: 0,
      halfWidthDeg: o.radiusDeg,
      magRange: o.magRange ?? [11, 19],
      surveys: ["GaiaSP"],
    });
    const ref = field.reference;
    const inside: number[] = [];
    for (let i = 0; i < ref.raDeg.length && inside.length < stars; i++) {
      const [x, y, z] = unitVector(ref.raDeg[i], ref.decDeg[i]);
      if ((x - 1) ** 2 + y * y + z * z <= r2) inside.push(i);
    }
    if (inside.length < stars) {
      drawn = Math.ceil(drawn * 1.3);
      continue;
    }
    const [ca, sa] = [Math.cos(o.raDeg * DEG), Math.sin(o.raDeg * DEG)];
    const [cd, sd] = [Math.cos(o.decDeg * DEG), Math.sin(o.decDeg * DEG)];
    const bands = SURVEY_BANDS.GaiaSP;
    const lines = [["ra", "dec", ...bands.flatMap((b) => [b, `${b}_err`])].join(",")];
    for (const i of inside) {
      const [x, y, z] = unitVector(ref.raDeg[i], ref.decDeg[i]);
      // (1, 0, 0) → centre: tilt by Dec about y, then turn by RA about z.
      const x1 = cd * x - sd * z;
      const z1 = sd * x + cd * z;
      const v: Vec3 = [ca * x1 - sa * y, sa * x1 + ca * y, z1];
      const { raDeg, decDeg } = raDecFromUnitVector(v);
      const cells = [raDeg >= 359.99999995 ? 0 : raDeg, decDeg].map((d) => d.toFixed(7));
      for (const b of bands) {
        const band = ref.bands[b]!;
        cells.push(band.mag[i].toFixed(4), band.err[i].toFixed(4));
      }
      lines.push(cells.join(","));
    }
    return lines;
  }
}
