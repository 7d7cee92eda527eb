/**
 * The calibration plot drawn on first view (src/domain/calibration/plotfile.ts): what the job stores
 * (gzip'd JSON beside the PNG's path) draws byte for byte the PNG the job drew before, with and without a
 * colour-term panel and with non-finite numbers; the first view writes the PNG whole, concurrent first
 * views included.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { calibrateCatalogue } from "../../src/astro/calibrate/index.ts";
import { makeField, makeFrame } from "../../src/astro/synth/catalog.ts";
import { calibrationPlot } from "../../src/domain/calibration/pipeline.ts";
import {
  decodePlotData,
  encodePlotData,
  ensureCalibrationPlot,
  plotDataPath,
  storePlotData,
} from "../../src/domain/calibration/plotfile.ts";
import { renderCalibrationPlot } from "../../src/plots/calibration.ts";

const field = makeField({ seed: 77, nStars: 400, magRange: [11, 19.5] });
const frame = makeFrame(field, { seed: 78, zp: 24, colourTerm: 0.15, outlierFraction: 0.05 });
const input = { catalogue: frame.catalogue, reference: field.reference, target: { raDeg: 151, decDeg: 3 } };
const TITLE = "T1 — data product 12, run 34, MJD 60600.25000";

/** Plot's clip-path ids numbered in order of appearance. */
function sameIds(svg: string): string {
  const ids = new Map<string, number>();
  return svg.replace(/plot-clip-\d+/g, (id) => `clip-${ids.get(id) ?? ids.set(id, ids.size).size - 1}`);
}

const dir = mkdtempSync(join(tmpdir(), "skytom-plotfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("plot data → PNG, the same bytes as drawing the calibration directly", () => {
  it.each([
    ["every GaiaSP band", { request: "GaiaSP/any" }],
    ["a colour term (residual-vs-colour panel)", { request: "GaiaSP/V", colour: {} }],
  ])("%s", async (_name, opts) => {
    const result = calibrateCatalogue({ ...input, ...opts });
    expect(result.plot.length).toBeGreaterThan(0);
    const before = calibrationPlot(result, "png", TITLE)!;
    const { input: stored, title } = await decodePlotData(await encodePlotData(result, TITLE));
    expect(title).toBe(TITLE);
    expect(Buffer.from(renderCalibrationPlot(stored, { format: "png", title }))).toEqual(Buffer.from(before));
    // The SVG too, but for Plot's clip-path ids (a counter over every figure the process drew).
    expect(sameIds(renderCalibrationPlot(stored, { format: "svg", title }))).toBe(
      sameIds(calibrationPlot(result, "svg", TITLE)!),
    );
  });

  it("non-finite numbers (NaN scatter, infinite k error) come back as they were", async () => {
    const result = calibrateCatalogue({ ...input, request: "GaiaSP/V", colour: {} });
    const panel = result.plot.find((p) => p.colourTerm)!;
    panel.colourTerm = { ...panel.colourTerm!, kErr: Infinity };
    panel.catMag[3] = NaN;
    const { input: stored } = await decodePlotData(await encodePlotData(result, TITLE));
    const back = stored.plot.find((p) => p.colourTerm)!;
    expect(back.colourTerm!.kErr).toBe(Infinity);
    expect(back.catMag[3]).toBeNaN();
    expect(back.colourTerm).toEqual(panel.colourTerm);
    expect(back.inlier).toEqual(panel.inlier);
  });

  it("the stored data is small: a fraction of the PNG", async () => {
    const result = calibrateCatalogue({ ...input, request: "GaiaSP/any" });
    const data = await encodePlotData(result, TITLE);
    const png = calibrationPlot(result, "png", TITLE)!;
    expect(data.length).toBeLessThan(png.length);
  });
});

describe("ensureCalibrationPlot — drawn on first view, then served as stored", () => {
  it("draws the PNG once from its data; concurrent first views get one whole file and leave no temporary file", async () => {
    const result = calibrateCatalogue({ ...input, request: "GaiaSP/any" });
    const png = "plots/calibration/12-run34.png";
    await storePlotData(dir, png, result, TITLE);
    expect(readdirSync(join(dir, "plots/calibration"))).toEqual(["12-run34.plot.json.gz"]);
    const answers = await Promise.all(Array.from({ length: 5 }, () => ensureCalibrationPlot(dir, png)));
    expect(answers).toEqual([true, true, true, true, true]);
    expect(readFileSync(join(dir, png))).toEqual(Buffer.from(calibrationPlot(result, "png", TITLE)!));
    expect(readdirSync(join(dir, "plots/calibration")).sort()).toEqual([
      "12-run34.plot.json.gz",
      "12-run34.png",
    ]);
    // A stored PNG is served as it is (not drawn again).
    const mtime = statSync(join(dir, png)).mtimeMs;
    expect(await ensureCalibrationPlot(dir, png)).toBe(true);
    expect(statSync(join(dir, png)).mtimeMs).toBe(mtime);
  });

  it("a calibration from before (PNG only) is served as it is; neither file → false", async () => {
    writeFileSync(join(dir, "plots/calibration/7.png"), "old png");
    expect(await ensureCalibrationPlot(dir, "plots/calibration/7.png")).toBe(true);
    expect(readFileSync(join(dir, "plots/calibration/7.png"), "utf8")).toBe("old png");
    expect(await ensureCalibrationPlot(dir, "plots/calibration/8-run1.png")).toBe(false);
    expect(plotDataPath("plots/calibration/8-run1.png")).toBe("plots/calibration/8-run1.plot.json.gz");
  });
});
