/**
 * The calibration pipeline's steps (src/domain/calibration/pipeline.ts) on a synthetic field with known
 * truth: the cone radius, the injected provider's query, the parse failure, and the calibrated magnitude.
 */
import { describe, expect, it } from "vitest";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";
import { filterRequestFrom } from "../src/domain/calibration/calibfile.ts";
import {
  referenceRadiusDeg,
  runCalibration,
  type ReferenceProvider,
} from "../src/domain/calibration/pipeline.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";

const TARGET = { raDeg: 150.02, decDeg: 2.01, mag: 16.2 };
const ZP = 24.3;

describe("calibration pipeline", () => {
  const field = makeField({ seed: 5, nStars: 400, centerRaDeg: 150, centerDecDeg: 2, halfWidthDeg: 0.1 });

  it("referenceRadiusDeg: the catalogue's extent around the target + 10 %, clamped to 0.05–2°", () => {
    // Stars 0.1° north and 0.2° south of (10°, 0°): extent 0.2° → 0.22°.
    expect(referenceRadiusDeg(10, 0, [10, 10], [0.1, -0.2])).toBeCloseTo(0.22, 12);
    expect(referenceRadiusDeg(10, 0, [10], [0.001])).toBe(0.05);
    expect(referenceRadiusDeg(10, 0, [14], [0])).toBe(2);
    // Across RA 0/360: 359.9° and 0.1° are 0.2° apart at the equator.
    expect(referenceRadiusDeg(359.9, 0, [0.1], [0])).toBeCloseTo(0.22, 9);
  });

  it("filterRequestFrom: a full request passes; survey and band combine; GaiaSP/any by default", () => {
    expect(filterRequestFrom("", "GaiaSP/V")).toBe("GaiaSP/V");
    expect(filterRequestFrom("GaiaSP", "no")).toBe("no");
    expect(filterRequestFrom(" GaiaSP ", " V ")).toBe("GaiaSP/V");
    expect(filterRequestFrom("GaiaSP", "")).toBe("GaiaSP/any");
    expect(filterRequestFrom("", "")).toBe("GaiaSP/any");
  });

  it("runCalibration asks the injected provider for the sized cone and recovers the injected magnitude", async () => {
    const frame = makeFrame(field, { seed: 6, zp: ZP, target: { ...TARGET, forced: false } });
    const calls: number[][] = [];
    const provider: ReferenceProvider = {
      cone: async (raDeg, decDeg, radiusDeg) => {
        calls.push([raDeg, decDeg, radiusDeg]);
        return field.reference;
      },
    };
    const run = await runCalibration(
      { catalogueText: ccdphotCatalogue(frame.catalogue), target: TARGET, filterRequest: "GaiaSP/V" },
      { provider },
    );
    if (!run.ok) throw new Error(run.error);
    const c = frame.catalogue;
    expect(calls).toEqual([[TARGET.raDeg, TARGET.decDeg, run.radiusDeg]]);
    // The catalogue text rounds positions to 1e-7°.
    expect(run.radiusDeg).toBeCloseTo(referenceRadiusDeg(TARGET.raDeg, TARGET.decDeg, c.raDeg, c.decDeg), 6);
    expect(run.radiusDeg).toBeGreaterThan(0.1);
    expect(run.radiusDeg).toBeLessThan(0.2);
    const cal = run.result.calibrationData;
    expect(cal).toMatchObject({ status: "S", survey: "GaiaSP", best_filter: "V" });
    expect(Math.abs((cal.zeropoint as number) - ZP)).toBeLessThan(0.01);
    expect(Math.abs((cal.mag as number) - TARGET.mag)).toBeLessThan(3 * (cal.mag_error as number));
  });

  it("a catalogue that cannot be parsed stops at the parse step, before any reference query", async () => {
    let queried = false;
    const provider: ReferenceProvider = {
      cone: async () => {
        queried = true;
        return field.reference;
      },
    };
    const run = await runCalibration(
      { catalogueText: "not a catalogue\n1 2 3\n", target: TARGET, filterRequest: "GaiaSP/any" },
      { provider },
    );
    expect(run).toMatchObject({ ok: false, step: "parse" });
    expect(queried).toBe(false);
  });
});
