import { describe, expect, it } from "vitest";
import {
  FILTER_REQUESTS,
  FilterRequestError,
  lightCurveFilterName,
  parseFilterRequest,
  parseLightCurveFilterName,
  SURVEY_BANDS,
  surveysOfRequest,
} from "../../src/astro/calibrate/bands.ts";
import { selectBand } from "../../src/astro/calibrate/select.ts";
import {
  fitZeroPoint,
  inlierProbabilities,
  mixtureLogLikelihood,
} from "../../src/astro/calibrate/zeropoint.ts";
import { createRng } from "../../src/astro/synth/random.ts";

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const rms = (a: number[]) => Math.sqrt(mean(a.map((x) => x * x)));
const std = (a: number[]) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));

/** n stars, m_cat uniform 12–18, m_inst = m_cat + ZP + N(0, noise); a fraction shifted by ±U(0.3, 1.5). */
function sample(seed: number, n: number, zp: number, noise: number, outlierFraction = 0) {
  const rng = createRng(seed);
  const cat = new Float64Array(n);
  const inst = new Float64Array(n);
  const isOut = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    cat[i] = rng.uniform(12, 18);
    inst[i] = cat[i] + zp + rng.gaussian(0, noise);
    if (rng.next() < outlierFraction) {
      isOut[i] = 1;
      inst[i] += (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.3, 1.5);
    }
  }
  return { cat, inst, instErr: new Float64Array(n).fill(noise), catErr: new Float64Array(n), isOut };
}

describe("fitZeroPoint — CPCS mixture likelihood", () => {
  it("log-likelihood equals the legacy formula evaluated by hand", () => {
    // δ = (0.1, 1.0), A = 0.05, σ = 0.02, errors² = (0.0009, 0.0016), f = 0.2
    const s1 = Math.sqrt(0.02 ** 2 + 0.0009);
    const s2 = Math.sqrt(0.02 ** 2 + 0.0016);
    const term = (d: number, s: number) =>
      Math.log(
        (0.2 * Math.exp(-Math.abs(d))) / 6 +
          (0.8 * Math.exp(-0.5 * (d / s) ** 2)) / (s * Math.sqrt(2 * Math.PI)) +
          1e-30,
      );
    const want = term(0.05, s1) + term(0.95, s2);
    expect(mixtureLogLikelihood([0.1, 1.0], [0.0009, 0.0016], 0.05, 0.02, 0.2)).toBeCloseTo(want, 12);
    expect(mixtureLogLikelihood([NaN], [0], 0, 0.1, 0.1)).toBe(-1e100); // legacy: non-finite → −1e100
  });

  it("sign convention: m_inst = m_cat + 25 gives ZP = +25, so m_cal = m_inst − ZP (calibration.md §5.1)", () => {
    const s = sample(1, 50, 25, 0.01);
    const fit = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
    expect(fit.zp).toBeCloseTo(25, 2);
    expect(s.inst[0] - fit.zp).toBeCloseTo(s.cat[0], 1);
  });

  it("acceptance: 100 stars at 0.02 mag — ZP within 0.003 (RMS over 50 seeded fields), honest zpErr", () => {
    const errs: number[] = [];
    const pulls: number[] = [];
    const zpErrs: number[] = [];
    let converged = 0;
    for (let t = 0; t < 50; t++) {
      const s = sample(100 + t, 100, 25, 0.02);
      const fit = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
      errs.push(fit.zp - 25);
      pulls.push((fit.zp - 25) / fit.zpErr);
      zpErrs.push(fit.zpErr);
      if (fit.converged) converged++;
    }
    console.log(
      `ZP, 100 stars @ 0.02: rms error ${rms(errs).toFixed(5)}, mean ${mean(errs).toFixed(5)}, max |err| ${Math.max(...errs.map(Math.abs)).toFixed(5)}, ` +
        `mean zpErr ${mean(zpErrs).toFixed(5)} (0.02/√100 = 0.002), pull std ${std(pulls).toFixed(3)}`,
    );
    expect(rms(errs)).toBeLessThan(0.003);
    expect(Math.abs(mean(errs))).toBeLessThan(0.001);
    expect(Math.abs(errs[0])).toBeLessThan(0.003); // the first field on its own
    expect(mean(zpErrs)).toBeGreaterThan(0.0018);
    expect(mean(zpErrs)).toBeLessThan(0.0023);
    expect(std(pulls)).toBeGreaterThan(0.75);
    expect(std(pulls)).toBeLessThan(1.25);
    expect(converged).toBe(50);
  });

  it("acceptance: 30 % outliers — ZP still within 0.01 in every one of 50 fields; f ≈ 0.3", () => {
    const errs: number[] = [];
    const fs: number[] = [];
    for (let t = 0; t < 50; t++) {
      const s = sample(300 + t, 100, 25, 0.02, 0.3);
      const fit = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
      errs.push(fit.zp - 25);
      fs.push(fit.outlierFraction);
    }
    console.log(
      `ZP, 30 % outliers: max |err| ${Math.max(...errs.map(Math.abs)).toFixed(5)}, rms ${rms(errs).toFixed(5)}, mean f ${mean(fs).toFixed(3)}`,
    );
    expect(Math.max(...errs.map(Math.abs))).toBeLessThan(0.01);
    expect(mean(fs)).toBeGreaterThan(0.22);
    expect(mean(fs)).toBeLessThan(0.38);
  });

  it("recovers an intrinsic scatter and flags the injected outliers as such", () => {
    const rng = createRng(5);
    const n = 400;
    const s = sample(6, n, -0.861, 0.01, 0.1);
    for (let i = 0; i < n; i++) s.inst[i] += rng.gaussian(0, 0.05); // σ_true = 0.05 on top of 0.01 errors
    const fit = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
    expect(fit.scatter).toBeGreaterThan(0.045);
    expect(fit.scatter).toBeLessThan(0.056);
    expect(fit.zp).toBeCloseTo(-0.861, 2);
    const delta = Array.from(s.inst, (m, i) => m - s.cat[i]);
    const w = inlierProbabilities(fit, delta, s.instErr, s.catErr);
    let agree = 0;
    for (let i = 0; i < n; i++) if ((w[i] < 0.5 ? 1 : 0) === s.isOut[i]) agree++;
    expect(agree / n).toBeGreaterThan(0.95);
  });

  it("clean data: f stays pinned near 0 as in production (calibration.md example 2e-12)", () => {
    const s = sample(7, 110, 0, 0.02);
    const fit = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
    expect(fit.outlierFraction).toBeLessThan(1e-6);
    expect(fit.converged).toBe(true);
  });

  it("legacy quirk kept: with > 50 % outliers the MAD start gives f₀ = 0, f stays 0 and σ absorbs them", () => {
    const s = sample(8, 100, 0, 0.01);
    for (let i = 0; i < 60; i++) s.inst[i] += (i % 2 ? 1 : -1) * (1 + i / 60);
    const fit = fitZeroPoint(s.inst, s.instErr, s.cat, s.catErr);
    expect(fit.outlierFraction).toBeLessThan(1e-6);
    expect(fit.scatter).toBeGreaterThan(0.5);
  });

  it("empty sample → NaNs and converged = false; one star → a value, no crash", () => {
    const e = fitZeroPoint([], [], [], []);
    expect([e.n, e.converged, Number.isNaN(e.zp)]).toEqual([0, false, true]);
    const one = fitZeroPoint([15.2], [0.01], [15], [0.01]);
    expect(one.zp).toBeCloseTo(0.2, 3);
  });
});

describe("bands — survey/band vocabulary and force-filter requests", () => {
  it("every request string of BHTOM's list parses", () => {
    for (const r of FILTER_REQUESTS) expect(() => parseFilterRequest(r)).not.toThrow();
  });

  it.each([
    ["no", 16, false],
    ["GaiaSP/any", 10, false],
    ["GaiaSP/ugriz", 5, false],
    ["GaiaSP/UBVRI", 5, false],
    ["GaiaSP/V", 1, true],
    ["GaiaDR3/any", 3, false],
    ["2MASS/any", 3, false],
    ["any/R", 1, true],
    ["any/any", 16, false],
  ] as const)("%s → %i candidate(s)", (text, count, forced) => {
    const r = parseFilterRequest(text);
    expect(r.candidates.length).toBe(count);
    expect(r.forced).toBe(forced);
  });

  it("case: families and surveys fold; GaiaSP r/R, u/U stay distinct; unique folds resolve", () => {
    expect(parseFilterRequest("GaiaSP/ugriz").candidates.map((c) => c.band)).toEqual([
      "u",
      "g",
      "r",
      "i",
      "z",
    ]);
    expect(parseFilterRequest("gaiasp/ubvri").candidates.map((c) => c.band)).toEqual([
      "U",
      "B",
      "V",
      "R",
      "I",
    ]);
    expect(parseFilterRequest("GaiaSP/r").candidates).toEqual([{ survey: "GaiaSP", band: "r" }]);
    expect(parseFilterRequest("GaiaSP/R").candidates).toEqual([{ survey: "GaiaSP", band: "R" }]);
    expect(parseFilterRequest(" GAIASP/v ").candidates).toEqual([{ survey: "GaiaSP", band: "V" }]);
    expect(parseFilterRequest("2mass/k").candidates).toEqual([{ survey: "2MASS", band: "K" }]);
    expect(parseFilterRequest("GaiaDR3/gbp").candidates).toEqual([{ survey: "GaiaDR3", band: "GBP" }]);
    expect(parseFilterRequest("any/G").candidates).toEqual([{ survey: "GaiaDR3", band: "G" }]);
    expect(parseFilterRequest("NO").candidates.length).toBe(16);
  });

  it.each([
    ["", 'expected "SURVEY/FILTER"'],
    ["GaiaSP", 'expected "SURVEY/FILTER"'],
    ["GaiaSP/", 'expected "SURVEY/FILTER"'],
    ["GaiaSP/V/x", 'expected "SURVEY/FILTER"'],
    ["SDSS/r", 'unknown survey "SDSS"'],
    ["GaiaSP/Q", 'unknown band "Q" for GaiaSP'],
    ["2MASS/ugriz", 'unknown band "ugriz" for 2MASS'],
    ["any/Q", 'no survey has band "Q"'],
  ])("bad request %j → FilterRequestError (%s)", (text, message) => {
    try {
      parseFilterRequest(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FilterRequestError);
      expect((e as FilterRequestError).message).toContain(message);
      expect((e as FilterRequestError).input).toBe(text);
    }
  });

  it("light-curve names BAND(SURVEY) round-trip for every band", () => {
    for (const survey of ["GaiaSP", "GaiaDR3", "2MASS"] as const) {
      for (const band of SURVEY_BANDS[survey]) {
        const name = lightCurveFilterName(survey, band);
        expect(parseLightCurveFilterName(name)).toEqual({ survey, band });
      }
    }
    expect(lightCurveFilterName("GaiaSP", "V")).toBe("V(GaiaSP)");
    expect(parseLightCurveFilterName("G(Gaia)")).toBeUndefined();
    expect(parseLightCurveFilterName("GaiaSP/V")).toBeUndefined();
  });

  it("the surveys a request needs stars from (what the archives are asked for)", () => {
    expect(surveysOfRequest("GaiaSP/any")).toEqual(["GaiaSP"]);
    expect(surveysOfRequest("GaiaSP/V")).toEqual(["GaiaSP"]);
    expect(surveysOfRequest("2MASS/J")).toEqual(["2MASS"]);
    expect(surveysOfRequest("GaiaDR3/G")).toEqual(["GaiaDR3"]);
    expect(surveysOfRequest("no")).toEqual(["GaiaSP", "GaiaDR3", "2MASS"]);
    expect(surveysOfRequest("any/G")).toEqual(["GaiaDR3"]);
    expect(surveysOfRequest("any/R")).toEqual(["GaiaSP"]);
    expect(surveysOfRequest("SDSS/r")).toEqual(["GaiaSP", "GaiaDR3", "2MASS"]); // bad: the calibration says so
  });
});

describe("selectBand — quality cuts and σ/√N ranking on one star sample", () => {
  const rng = createRng(42);
  const n = 100;
  const instMag = new Float64Array(n);
  const instErr = new Float64Array(n).fill(0.01);
  const catV = new Float64Array(n);
  const colour = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    catV[i] = rng.uniform(12, 17);
    colour[i] = rng.uniform(0, 1.5);
    instMag[i] = catV[i] + 0.3 + rng.gaussian(0, 0.01);
  }
  const err = (e: number) => new Float64Array(n).fill(e);
  const band = (
    survey: "GaiaSP",
    b: "V" | "B" | "R" | "I" | "U" | "g",
    mag: Float64Array,
    e = err(0.01),
  ) => ({ survey, band: b, mag, err: e });
  const withColour = (k: number) => catV.map((v, i) => v + k * colour[i]);

  it("chooses the band without a colour term; the table has every band with its reason", () => {
    const sel = selectBand(instMag, instErr, [
      band("GaiaSP", "B", withColour(1)),
      band("GaiaSP", "V", catV),
      band("GaiaSP", "R", withColour(-0.5)),
    ]);
    expect(sel.rows.map((r) => r.band)).toEqual(["B", "V", "R"]);
    expect(sel.rows[sel.best].band).toBe("V");
    expect(sel.rows[1].zp).toBeCloseTo(0.3, 2);
    expect(sel.rows.every((r) => r.passed)).toBe(true);
    expect(sel.panels[1].inlier.reduce((a, b) => a + b, 0)).toBeGreaterThan(95);
  });

  it("ranks by σ/√N, not σ: a slightly noisier band with 5× the stars wins", () => {
    const few = catV.map((v, i) => (i < 20 ? v + rng.gaussian(0, 0.01) : NaN)); // N = 20, σ ≈ 0.01
    const many = catV.map((v) => v + rng.gaussian(0, 0.015)); // N = 100, σ ≈ 0.015
    const sel = selectBand(instMag, instErr, [
      band("GaiaSP", "V", few, err(0)),
      band("GaiaSP", "R", many, err(0)),
    ]);
    expect(sel.rows[0].n).toBe(20);
    expect(sel.rows[0].scatter).toBeLessThan(sel.rows[1].scatter);
    expect(sel.rows[sel.best].band).toBe("R");
  });

  it("quality cuts: N < 5, σ ≥ 1.5, f ≥ 0.5, catalogue error ≥ 0.3 (defaults), and options override", () => {
    const four = catV.map((v, i) => (i < 4 ? v : NaN));
    const wild = catV.map((v) => v + rng.gaussian(0, 3));
    const badErr = err(0.35);
    const someOut = catV.map((v, i) => (i % 10 < 3 ? v + (i % 2 ? 1 : -1) * rng.uniform(0.5, 1.5) : v));
    const sel = selectBand(instMag, instErr, [
      band("GaiaSP", "U", four),
      band("GaiaSP", "B", wild),
      band("GaiaSP", "R", catV, badErr),
      band("GaiaSP", "V", catV),
    ]);
    expect(sel.rows[0].reason).toBe("N = 4 < 5");
    expect(sel.rows[1].reason).toMatch(/sigma .* ≥ 1.5/);
    expect(sel.rows[2].n).toBe(0);
    expect(sel.rows[2].reason).toBe("N = 0 < 5");
    expect(sel.rows[sel.best].band).toBe("V");
    const outl = selectBand(instMag, instErr, [band("GaiaSP", "I", someOut)], { maxOutlierFraction: 0.2 });
    expect(outl.rows[0].outlierFraction).toBeGreaterThan(0.2);
    expect(outl.rows[0].reason).toMatch(/^outlier fraction 0\.\d{3} ≥ 0.2$/);
    const strict = selectBand(instMag, instErr, [band("GaiaSP", "V", catV)], { minPoints: 200 });
    expect(strict.best).toBe(-1);
    expect(strict.rows[0].reason).toBe("N = 100 < 200");
  });
});
