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
});
