import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { calibrateCatalogue } from "../../src/astro/calibrate/index.ts";
import { makeField, makeFrame } from "../../src/astro/synth/catalog.ts";
import { calibrationPlotPng, calibrationPlotSvg } from "../../src/plots/calibration.ts";

describe("calibration plot — residuals against colour", () => {
  const field = makeField({ seed: 77, nStars: 200, magRange: [12, 18.5] });
  const frame = makeFrame(field, { seed: 78, zp: 24, colourTerm: 0.15 });
  const input = { catalogue: frame.catalogue, reference: field.reference, target: { raDeg: 151, decDeg: 3 } };

  it("adds one residual-vs-colour panel after the chosen band when it has a colour term", () => {
    const r = calibrateCatalogue({ ...input, request: "GaiaSP/V", colour: {} });
    const chosen = r.plot.find((p) => p.chosen)!;
    const svg = calibrationPlotSvg(r);
    const title = new RegExp(
      `${chosen.band} residual vs B-V: k=0\\.1\\d\\d ± 0\\.00\\d \\(fit\\) c₀=0\\.\\d\\d`,
    );
    expect(svg).toMatch(title);
    expect(svg).toContain("m_inst − m_cat − ZP [mag]");
    expect(svg.match(/residual vs/g)).toHaveLength(1);
    expect(calibrationPlotPng(r).length).toBeGreaterThan(1000);
  });

  it("no colour panel without colour terms", () => {
    const r = calibrateCatalogue({ ...input, request: "GaiaSP/V" });
    expect(calibrationPlotSvg(r)).not.toContain("residual vs");
  });

  it("an outlier far outside the panel is left out, so the PNG renders (resvg 2.6 aborted the process on it)", () => {
    const r = calibrateCatalogue({ ...input, request: "GaiaSP/V", colour: {} });
    const chosen = r.plot.find((p) => p.chosen)!;
    expect(chosen.colourTerm).toBeTruthy();
    // The one outlier 5 mag off (the demo's R channel had one at ~4 mag): alone in its clipped group.
    const k = chosen.inlier.findIndex((v) => !v);
    chosen.inlier.fill(1);
    chosen.inlier[k === -1 ? 0 : k] = 0;
    chosen.instMag[k === -1 ? 0 : k] += 5;
    expect(calibrationPlotSvg(r)).not.toMatch(/cy="(1\d{3}|-\d+)/);
    // Rendered in a child process: before the fix resvg's panic aborted whatever process drew it.
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import { svgToPng } from "./src/plots/png.ts";
         const svg = await new Promise((r) => { let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => r(s)); });
         process.stdout.write(String(svgToPng(svg).length));`,
      ],
      { input: calibrationPlotSvg(r), encoding: "utf8" },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(Number(child.stdout)).toBeGreaterThan(1000);
  });
});
