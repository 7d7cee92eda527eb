import { describe, expect, it } from "vitest";
import {
  checkColourIndex,
  COLOUR_FIT_MIN_STARS,
  colourCorrection,
  updateLearntK,
  fitColourTerm,
  referenceColours,
} from "../../src/astro/calibrate/colour.ts";
import { fitZeroPoint } from "../../src/astro/calibrate/zeropoint.ts";
import { calibrateCatalogue } from "../../src/astro/calibrate/index.ts";
import { checkUnfilteredBand, isUnfiltered, requestForFrame } from "../../src/astro/calibrate/unfiltered.ts";
import { makeField, makeFrame } from "../../src/astro/synth/catalog.ts";
import { createRng } from "../../src/astro/synth/random.ts";

/** Matched stars of a synthetic frame: instrumental vs reference V and the reference B−V. */
function sample(seed: number, nStars: number, k: number, outlierFraction = 0) {
  const field = makeField({ seed, nStars, magRange: [12, 18.5] });
  const frame = makeFrame(field, { seed: seed + 1, zp: 24, colourTerm: k, outlierFraction });
  const ref = field.reference;
  const colours = referenceColours(ref, "B-V")!;
  const idx = Array.from(frame.truthIndex).filter((i) => i >= 0);
  const rows = Array.from(frame.truthIndex.keys()).filter((r) => frame.truthIndex[r] >= 0);
  return {
    field,
    frame,
    instMag: rows.map((r) => frame.catalogue.mag[r]),
    instErr: rows.map((r) => frame.catalogue.magErr[r]),
    catMag: idx.map((i) => ref.bands.V!.mag[i]),
    catErr: idx.map((i) => ref.bands.V!.err[i]),
    colour: idx.map((i) => colours.colour[i]),
  };
}

describe("fitColourTerm — m_inst − m_cat = ZP + k·(c − c₀) with the outlier mixture", () => {
  it("recovers k within 0.01 at 200 stars (seeded truth, 10 fields, with 5 % outliers)", () => {
    const errors: number[] = [];
    for (let t = 0; t < 10; t++) {
      for (const k of [-0.1, 0.15]) {
        const s = sample(700 + t, 200, k, 0.05);
        const fit = fitColourTerm(s.instMag, s.instErr, s.catMag, s.catErr, s.colour);
        expect(fit.kSource).toBe("fit");
        expect(fit.nColour).toBeGreaterThanOrEqual(180);
        errors.push(fit.k - k);
        // ZP refers to c₀: the truth is ZP = 24 + k·c₀
        expect(Math.abs(fit.zp - (24 + k * fit.c0))).toBeLessThan(0.01);
      }
    }
    const worst = Math.max(...errors.map(Math.abs));
    console.log(`k − k_true at 200 stars over 20 frames: worst ${worst.toFixed(4)}`);
    expect(worst).toBeLessThan(0.01);
  });

  it("keeps the mixture: 20 % blends and variables do not bias k", () => {
    const s = sample(811, 300, 0.15, 0.2);
    const fit = fitColourTerm(s.instMag, s.instErr, s.catMag, s.catErr, s.colour);
    expect(Math.abs(fit.k - 0.15)).toBeLessThan(0.02);
    expect(fit.outlierFraction).toBeGreaterThan(0.05);
  });

  it("below the star threshold uses the prior k (a camera's learnt k) and fits ZP only", () => {
    const s = sample(900, 20, 0.15);
    expect(s.instMag.length).toBeLessThan(COLOUR_FIT_MIN_STARS);
    const withPrior = fitColourTerm(s.instMag, s.instErr, s.catMag, s.catErr, s.colour, {
      priorK: 0.148,
      priorKErr: 0.01,
      priorSource: "camera",
    });
    expect(withPrior.kSource).toBe("camera");
    expect(withPrior.k).toBe(0.148);
    expect(withPrior.kErr).toBe(0.01);
    const noPrior = fitColourTerm(s.instMag, s.instErr, s.catMag, s.catErr, s.colour);
    expect(noPrior.kSource).toBe("default");
    expect(noPrior.k).toBe(0);
  });

  it("with k = 0 in the data the fit finds k ≈ 0 and the ZP of the plain CPCS fit", () => {
    const s = sample(950, 200, 0);
    const fit = fitColourTerm(s.instMag, s.instErr, s.catMag, s.catErr, s.colour);
    const plain = fitZeroPoint(s.instMag, s.instErr, s.catMag, s.catErr);
    expect(Math.abs(fit.k)).toBeLessThan(0.01);
    expect(Math.abs(fit.zp - plain.zp)).toBeLessThan(0.003);
  });
});

describe("checkColourIndex — a camera's colour_index", () => {
  it("accepts the four indices (case, spaces, Unicode minus forgiven), empty = none, refuses others", () => {
    expect(["B-V", "g-r", "bp−rp", " J - K "].map(checkColourIndex)).toEqual(["B-V", "g-r", "BP-RP", "J-K"]);
    expect(checkColourIndex("")).toBeNull();
    expect(() => checkColourIndex("U-B")).toThrow(/B-V, g-r, BP-RP, J-K/);
  });
});

describe("colourCorrection — the target's shift and error", () => {
  const fit = { k: 0.15, kErr: 0.01, c0: 0.7, colourSpread: 0.3 };
  it("shifts by k·(c_t − c₀) and propagates kErr and the colour's error", () => {
    const c = colourCorrection(fit, { value: 1.7, err: 0.02, source: "given" });
    expect(c.shift).toBeCloseTo(0.15, 12);
    expect(c.variance).toBeCloseTo(0.01 ** 2 + (0.15 * 0.02) ** 2, 12);
    expect(c.systematic).toBe(0);
  });
  it("without a colour: no shift, systematic term |k|·s_c", () => {
    const c = colourCorrection(fit, null);
    expect(c.shift).toBe(0);
    expect(c.systematic).toBeCloseTo(0.045, 12);
  });
});

describe("calibrateCatalogue with colour terms", () => {
  const median = (a: ArrayLike<number>) => {
    const s = Array.from(a).sort((x, y) => x - y);
    return s[Math.floor(s.length / 2)];
  };

  it("a target 1 mag redder than the field median through k = 0.15: within 0.02 mag (ZP-only off by ≈ 0.15)", () => {
    const errs: { colour: number; plain: number }[] = [];
    for (let t = 0; t < 5; t++) {
      const field = makeField({ seed: 1200 + t, nStars: 250, magRange: [12, 18.5] });
      const cT = median(field.bv) + 1;
      const target = { raDeg: 150.02, decDeg: 2.03, mag: 15.5, forced: true, colour: cT };
      const frame = makeFrame(field, { seed: 1300 + t, zp: 24, colourTerm: 0.15, target });
      const input = { catalogue: frame.catalogue, reference: field.reference, target, request: "GaiaSP/V" };
      const withColour = calibrateCatalogue({
        ...input,
        colour: { targetColour: { index: "B-V", value: cT, err: 0.01 } },
      });
      const plain = calibrateCatalogue(input);
      expect(withColour.ok).toBe(true);
      expect(withColour.colourTerm).toMatchObject({
        index: "B-V",
        kSource: "fit",
        targetColourSource: "given",
      });
      expect(withColour.colourTerm!.k).toBeCloseTo(0.15, 1);
      expect(plain.colourTerm).toBeNull();
      errs.push({
        colour: withColour.calibrationData.mag! - target.mag,
        plain: plain.calibrationData.mag! - target.mag,
      });
    }
    const msg = errs
      .map((e) => `colour-term ${e.colour.toFixed(4)}, ZP-only ${e.plain.toFixed(4)}`)
      .join("; ");
    console.log(`target error (mag), 5 frames: ${msg}`);
    for (const e of errs) {
      expect(Math.abs(e.colour), msg).toBeLessThan(0.02);
      expect(Math.abs(e.plain - 0.15), msg).toBeLessThan(0.03);
    }
  });

  it("takes the target colour from its reference counterpart; without one adds |k|·s_c to the error", () => {
    const field = makeField({ seed: 1400, nStars: 250, magRange: [12, 18.5] });
    const frame = makeFrame(field, { seed: 1401, zp: 24, colourTerm: 0.15 });
    // the reddest detected field star plays the target (it leaves the star sample as the target row)
    let row = 0;
    for (let r = 0; r < frame.truthIndex.length; r++)
      if (field.bv[frame.truthIndex[r]] > field.bv[frame.truthIndex[row]]) row = r;
    const i = frame.truthIndex[row];
    const target = { raDeg: frame.catalogue.raDeg[row], decDeg: frame.catalogue.decDeg[row] };
    const r = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target,
      request: "GaiaSP/V",
      colour: {},
    });
    expect(r.colourTerm?.targetColourSource).toBe("reference");
    expect(r.colourTerm!.targetColour).toBeCloseTo(field.bv[i], 1);
    expect(Math.abs(r.calibrationData.mag! - field.mags.V[i])).toBeLessThan(3 * r.calibrationData.mag_error!);
    const far = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target: { raDeg: 151, decDeg: 3 },
      request: "GaiaSP/V",
      colour: {},
    });
    expect(far.isLimit).toBe(true);
    expect(far.colourTerm?.targetColourSource).toBe("none");
    expect(far.colourTerm!.systematicErr).toBeCloseTo(0.15 * far.colourTerm!.colourSpread, 2);
  });

  it("a sparse frame (< 30 stars with colours) uses the camera's learnt k", () => {
    const field = makeField({ seed: 1500, nStars: 18, magRange: [12, 17] });
    const cT = median(field.bv) + 1;
    const target = { raDeg: 150.01, decDeg: 2.01, mag: 15, forced: true, colour: cT };
    const frame = makeFrame(field, { seed: 1501, zp: 24, colourTerm: 0.15, target });
    const r = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target,
      request: "GaiaSP/V",
      colour: { priorK: { V: { k: 0.148, kErr: 0.005 } }, targetColour: { index: "B-V", value: cT } },
    });
    expect(r.colourTerm).toMatchObject({ kSource: "camera", k: 0.148 });
    expect(Math.abs(r.calibrationData.mag! - 15)).toBeLessThan(0.03);
  });
});

describe("unfiltered frames (unfiltered.ts)", () => {
  it("Clear, C, CV, L, None and an empty FILTER are unfiltered; a missing keyword or V is not", () => {
    for (const f of ["Clear", "clear", " C ", "CV", "L", "None", ""]) expect(isUnfiltered(f), f).toBe(true);
    for (const f of [null, undefined, "V", "R", "Lum", "g'"]) expect(isUnfiltered(f), String(f)).toBe(false);
    expect(requestForFrame("GaiaSP/any", "Clear")).toBe("GaiaDR3/G");
    expect(requestForFrame("GaiaSP/any", "CV", "GaiaSP/R")).toBe("GaiaSP/R");
    expect(requestForFrame("GaiaSP/V", "Clear")).toBe("GaiaSP/V"); // a forced band stays
    expect(requestForFrame("GaiaSP/any", null)).toBe("GaiaSP/any");
    expect(checkUnfilteredBand("gaiasp/v")).toBe("GaiaSP/V");
    expect(() => checkUnfilteredBand("GaiaDR3/GBP")).toThrow(/expected GaiaDR3\/G/);
    expect(() => checkUnfilteredBand("GaiaSP/any")).toThrow(/expected/);
  });

  it("a Clear frame is calibrated to Gaia G within 0.03 with the BP−RP colour term", () => {
    const errs: number[] = [];
    for (let t = 0; t < 5; t++) {
      const field = makeField({
        seed: 1600 + t,
        nStars: 250,
        magRange: [12, 18.5],
        surveys: ["GaiaSP", "GaiaDR3"],
      });
      // an unfiltered CCD: G-like but redder, k = 0.12 in BP−RP; the target is a red field star (reference colour)
      const frame = makeFrame(field, {
        seed: 1700 + t,
        band: "G",
        zp: 23.5,
        colourTerm: 0.12,
        colourIndex: "BP-RP",
      });
      let row = 0;
      const bprp = (i: number) => field.mags.GBP[i] - field.mags.GRP[i];
      for (let r = 0; r < frame.truthIndex.length; r++)
        if (bprp(frame.truthIndex[r]) > bprp(frame.truthIndex[row]) && field.mags.G[frame.truthIndex[r]] < 17)
          row = r;
      const i = frame.truthIndex[row];
      const r = calibrateCatalogue({
        catalogue: frame.catalogue,
        reference: field.reference,
        target: { raDeg: frame.catalogue.raDeg[row], decDeg: frame.catalogue.decDeg[row] },
        request: requestForFrame("GaiaSP/any", "Clear"),
        colour: {},
      });
      expect(r.standardisedTo).toBe("GaiaDR3/G");
      expect(r.colourTerm).toMatchObject({ index: "BP-RP", kSource: "fit", targetColourSource: "reference" });
      errs.push(r.calibrationData.mag! - field.mags.G[i]);
    }
    console.log(`Clear → G, red targets: errors ${errs.map((e) => e.toFixed(4)).join(", ")}`);
    for (const e of errs) expect(Math.abs(e)).toBeLessThan(0.03);
  });
});

describe("updateLearntK — a camera's robust running k", () => {
  it("converges on the frames' k and shrugs off wild frames", () => {
    const rng = createRng(5);
    let est = null as ReturnType<typeof updateLearntK> | null;
    for (let t = 0; t < 200; t++) {
      const wild = t % 10 === 3; // 10 % of frames with a wrong k (crowding, clouds)
      const k = wild ? 0.15 + rng.uniform(0.2, 0.8) : 0.15 + rng.gaussian(0, 0.02);
      est = updateLearntK(est, k, 0.02);
    }
    expect(est!.nFrames).toBe(200);
    expect(Math.abs(est!.k - 0.15)).toBeLessThan(0.02);
    expect(est!.kErr).toBeLessThan(0.01);
    const first = updateLearntK(null, 0.1, 0.03);
    expect(first).toEqual({ k: 0.1, kErr: 0.03, kScatter: 0.03, nFrames: 1 });
  });
});
