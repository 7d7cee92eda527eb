/**
 * SVG → PNG for the server-drawn figures, with resvg and the DejaVu Sans fonts shipped in
 * `dejavu-fonts-ttf` (system fonts are not loaded, so an image is the same on every machine).
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";

export const FONT_FAMILY = "DejaVu Sans";

let fontFiles: string[] | null = null;

/** DejaVu Sans (regular and bold) resolved through the package, so any working directory works. */
export function fonts(): string[] {
  if (!fontFiles) {
    const require = createRequire(import.meta.url);
    fontFiles = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) =>
      require.resolve(`dejavu-fonts-ttf/ttf/${f}`),
    );
    const missing = fontFiles.filter((f) => !existsSync(f));
    if (missing.length > 0) throw new Error(`plots: font file(s) missing: ${missing.join(", ")}`);
  }
  return fontFiles;
}

/** PNG bytes of an SVG document, 1 px per SVG unit, on white. */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    font: {
      fontFiles: fonts(),
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
    fitTo: { mode: "original" },
    background: "white",
  });
  return new Uint8Array(resvg.render().asPng());
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}
