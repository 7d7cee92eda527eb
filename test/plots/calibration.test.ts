import { mkdirSync, writeFileSync } from "node:fs";
import { DOMParser } from "linkedom";
import { describe, expect, it } from "vitest";
import { calibrateCatalogue } from "../../src/astro/calibrate/index.ts";
import type { CalibrationResult } from "../../src/astro/calibrate/index.ts";
import { makeField, makeFrame } from "../../src/astro/synth/catalog.ts";
import { panelTitle, renderCalibrationPlot } from "../../src/plots/calibration.ts";

const RED = "#D00000";

/** A real calibration of a seeded synthetic field: 10 GaiaSP bands, 5 % outliers, target in the field. */
function calibrated(request = "GaiaSP/any"): CalibrationResult {
  const field = makeField({ seed: 7, nStars: 1200, magRange: [11, 20.5], halfWidthDeg: 0.2 });
  const frame = makeFrame(field, { seed: 8, zp: -2.35, mag5Sigma: 20.5, outlierFraction: 0.05 });
  return calibrateCatalogue({
    catalogue: frame.catalogue,
    reference: field.reference,
    target: { raDeg: 150.01, decDeg: 2.01 },
    request,
  });
}

/** Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian). */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe("renderCalibrationPlot — calibration.md §4.4", () => {
  const result = calibrated();

  it("SVG: well-formed, one titled panel per passing band, the chosen band's title in red", () => {
    expect(result.ok).toBe(true);
    expect(result.plot.length).toBe(10);
    const svg = renderCalibrationPlot(result, { format: "svg", title: "synthetic field — GaiaSP/any" });
    const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    const root = doc.documentElement;
    expect(root.tagName.toLowerCase()).toBe("svg");
    expect(root.getAttribute("xmlns")).toBe("http://www.w3.org/2000/svg");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);

    const texts = [...doc.querySelectorAll("text")];
    for (const panel of result.plot) {
      const title = panelTitle(panel);
      expect(title).toMatch(/^[a-zA-Z]+ \(GaiaSP\): ZP=-?\d+\.\d{3} σ=\d\.\d+ N=\d+$/);
      const el = texts.find((t) => t.textContent === title);
      expect(el, title).toBeDefined();
      expect(el!.getAttribute("fill") === RED).toBe(panel.chosen);
    }
    const chosen = result.plot.filter((p) => p.chosen);
    expect(chosen.map((p) => p.band)).toEqual([result.calibrationData.best_filter]);
    // Axis labels carry units; one pair per panel.
    expect(texts.filter((t) => t.textContent === "instrumental [mag]").length).toBe(10);
    expect(texts.some((t) => t.textContent === `catalogue ${chosen[0].band} [mag]`)).toBe(true);
    // Every star of every panel is drawn: inliers and outliers.
    const dots = doc.querySelectorAll("circle").length;
    const stars = result.plot.reduce((s, p) => s + p.catMag.length, 0);
    expect(dots).toBe(stars + 2); // + the two legend swatches
  });

  it("PNG: signature, the requested width, a sane height; written to test-artifacts for a look", () => {
    const t0 = performance.now();
    const png = renderCalibrationPlot(result, {
      format: "png",
      title: "synthetic field 150.0 +2.0 — GaiaSP/any",
    });
    const ms = performance.now() - t0;
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const { width, height } = pngSize(png);
    expect(width).toBe(1500);
    expect(height).toBeGreaterThan(500);
    expect(height).toBeLessThan(900); // two rows of five panels
    expect(png.length).toBeGreaterThan(50_000); // dots, lines and text, not an empty canvas
    mkdirSync("test-artifacts", { recursive: true });
    writeFileSync("test-artifacts/calibration-plot.png", png);
    console.log(
      `calibration plot, 10 panels, ${result.counts.kept} stars: ${ms.toFixed(0)} ms → ${png.length} bytes`,
    );
  });

  it("a forced single band: one narrow panel, its title red", () => {
    const one = calibrated("GaiaSP/V");
    const svg = renderCalibrationPlot(one, { format: "svg" });
    const png = renderCalibrationPlot(one, { format: "png", width: 1200 });
    expect(one.plot.length).toBe(1);
    expect(svg).toContain(`fill="${RED}" font-weight="bold">${panelTitle(one.plot[0])}</text>`);
    const { width, height } = pngSize(png);
    expect(width).toBeLessThan(600); // a panel stops at 420 px; the figure does not stretch to 1200
    expect(height).toBeGreaterThan(width * 0.9);
  });

  it("a failed calibration still renders: the reasons instead of panels", () => {
    const field = makeField({ seed: 3, nStars: 40, halfWidthDeg: 0.05 });
    const frame = makeFrame(field, { seed: 4, zp: 1 });
    const failed = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target: { raDeg: 150, decDeg: 2 },
      request: "GaiaSP/V",
      options: { minPoints: 500 },
    });
    expect(failed.ok).toBe(false);
    const svg = renderCalibrationPlot(failed, { format: "svg" });
    expect(svg).toContain("No band passed the quality check");
    expect(svg).toMatch(/GaiaSP\/V: N = \d+ &lt; 500/);
    const png = renderCalibrationPlot(failed, { format: "png" });
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });

  it("escapes text for XML (titles are user-supplied file names)", () => {
    const svg = renderCalibrationPlot(result, { format: "svg", title: `a<b & "c"` });
    expect(svg).toContain("a&lt;b &amp; &quot;c&quot;");
    expect(new DOMParser().parseFromString(svg, "image/svg+xml").documentElement.tagName.toLowerCase()).toBe(
      "svg",
    );
  });
});
