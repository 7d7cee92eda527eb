/** Instrumental catalogues as observers upload them, written from a synthetic frame's truth. */
import type { SynthFrame } from "../../src/astro/synth/catalog.ts";

/** The CCDPhot 7-column layout with an ASCII_HEAD header (what `data_product_type=photometry` reads). */
export function ccdphotCatalogue(c: SynthFrame["catalogue"]): string {
  const head = ["NUMBER", "ALPHA_J2000", "DELTA_J2000", "XWIN_IMAGE", "YWIN_IMAGE", "MAG_AUTO", "MAGERR_AUTO"]
    .map((n, i) => `#   ${i + 1} ${n}`)
    .join("\n");
  const rows = Array.from(c.raDeg, (_, i) =>
    [
      c.number[i],
      c.raDeg[i].toFixed(7),
      c.decDeg[i].toFixed(7),
      "0.0",
      "0.0",
      c.mag[i].toFixed(4),
      c.magErr[i].toFixed(4),
    ].join(" "),
  );
  return `${head}\n${rows.join("\n")}\n`;
}
