import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Band, ReferenceCatalogue } from "../../src/astro/calibrate/bands.ts";
import { calibrateCatalogue } from "../../src/astro/calibrate/index.ts";
import { matchRadius, pairOffsetsArcsec } from "../../src/astro/calibrate/matchRadius.ts";
import { measureTarget } from "../../src/astro/calibrate/target.ts";
import { parseInstrumentalCatalogue } from "../../src/astro/sextractor.ts";
import { makeField, makeFrame } from "../../src/astro/synth/catalog.ts";
import { createRng } from "../../src/astro/synth/random.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const std = (a: number[]) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
const FAR = { raDeg: 151, decDeg: 3 }; // a target position with nothing near it

describe("synthetic fields (synth/catalog.ts)", () => {
  it("are reproducible from the seed and follow number counts of ~0.3 dex/mag", () => {
    const a = makeField({ seed: 3, nStars: 20000, magRange: [12, 20] });
    const b = makeField({ seed: 3, nStars: 20000, magRange: [12, 20] });
    expect(a.reference.bands.V?.mag).toEqual(b.reference.bands.V?.mag);
    const count = (lo: number) => a.mags.V.filter((m) => m >= lo && m < lo + 1).length;
    const slope = (Math.log10(count(18)) - Math.log10(count(13))) / 5;
    expect(slope).toBeGreaterThan(0.27);
    expect(slope).toBeLessThan(0.33);
    const i = 0; // colours: B − V is what was drawn, and catalogue errors grow with magnitude
    expect(a.mags.B[i] - a.mags.V[i]).toBeCloseTo(a.bv[i], 12);
    const e = a.reference.bands.V!.err;
    const bright = a.mags.V.findIndex((m) => m < 13);
    const faint = a.mags.V.findIndex((m) => m > 19.5);
    expect(e[faint]).toBeGreaterThan(5 * e[bright]);
  });
});

describe("matchRadius — automatic radius = 2·σ_radec of the pair offsets", () => {
  it("acceptance: tracks injected astrometric noise within 20 % (radius / (2·σ_comb,true) in 0.8–1.2)", () => {
    const ratios: number[] = [];
    for (const sigma of [0.05, 0.15, 0.4, 1.0]) {
      for (let t = 0; t < 5; t++) {
        const sigRef = 0.03;
        const field = makeField({ seed: 300 + t, nStars: 200, refAstrometricNoiseArcsec: sigRef });
        const frame = makeFrame(field, { seed: 400 + t, zp: 24.5, astrometricNoiseArcsec: sigma });
        const r = calibrateCatalogue({
          catalogue: frame.catalogue,
          reference: field.reference,
          target: FAR,
          request: "GaiaSP/V",
        });
        const sigmaCombTrue = Math.sqrt(2 * (sigma ** 2 + sigRef ** 2)); // quadrature of two axes
        ratios.push((r.calibrationData.match_distans as number) / (2 * sigmaCombTrue));
        expect(r.astrometry?.source).toBe("auto");
      }
    }
    console.log(
      `auto radius / (2 σ_comb,true): min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}, mean ${mean(ratios).toFixed(3)}`,
    );
    expect(Math.min(...ratios)).toBeGreaterThan(0.8);
    expect(Math.max(...ratios)).toBeLessThan(1.2);
  });

  it("filters chance neighbours: a 20 % population of 2–4″ mismatches is dropped, centre offset found", () => {
    const rng = createRng(9);
    const n = 200;
    const dRa = new Float64Array(n);
    const dDec = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const bad = i % 5 === 0;
      const rho = bad ? rng.uniform(2, 4) : 0;
      const phi = rng.uniform(0, 2 * Math.PI);
      dRa[i] = 0.3 + rng.gaussian(0, 0.2) + rho * Math.cos(phi);
      dDec[i] = -0.1 + rng.gaussian(0, 0.2) + rho * Math.sin(phi);
    }
    const r = matchRadius(dRa, dDec);
    expect(r.ra?.centreArcsec).toBeCloseTo(0.3, 1);
    expect(r.dec?.centreArcsec).toBeCloseTo(-0.1, 1);
    expect(r.autoRadiusArcsec / (2 * Math.SQRT2 * 0.2)).toBeGreaterThan(0.8);
    expect(r.autoRadiusArcsec / (2 * Math.SQRT2 * 0.2)).toBeLessThan(1.2);
    const keptBad = Array.from(r.keep).filter((k, i) => k && i % 5 === 0).length;
    expect(keptBad).toBe(0);
    expect(r.keep.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.75 * n);
  });

  it("positive match_dist is used as given; too few pairs → filter skipped, 2″ fallback", () => {
    const d = Float64Array.from({ length: 30 }, (_, i) => Math.sin(i) * 0.2);
    expect(
      matchRadius(
        d,
        d.map((x) => -x),
        3.5,
      ),
    ).toMatchObject({ radiusArcsec: 3.5, source: "user", filtered: true });
    expect(matchRadius(d, d, -2).source).toBe("auto"); // BHTOM UI sends −2 = auto
    const few = matchRadius(d.subarray(0, 10), d.subarray(0, 10));
    expect(few).toMatchObject({ radiusArcsec: 2, source: "fallback", filtered: false });
    expect(few.keep.every((k) => k === 1)).toBe(true);
  });

  it("offsets are wrapped across RA 0/360 and scaled by cos δ", () => {
    const o = pairOffsetsArcsec([0.0001], [60], [359.9999], [60]);
    expect(o.dRaArcsec[0]).toBeCloseTo(0.0002 * 3600 * 0.5, 9);
  });
});

describe("target measurement and limits", () => {
  it("acceptance: target pulls over 1,000 trials — |mean| < 0.1, std in 0.9–1.1", () => {
    const pulls: number[] = [];
    const zpShare: number[] = [];
    let limits = 0;
    for (let t = 0; t < 1000; t++) {
      const field = makeField({
        seed: 5000 + t,
        nStars: 40,
        halfWidthDeg: 0.05,
        magRange: [12, 18],
        refAstrometricNoiseArcsec: 0.05,
      });
      const trueMag = 13 + (t % 5) * 0.5;
      const target = { raDeg: 150.02, decDeg: 2.01 };
      const frame = makeFrame(field, {
        seed: 9000 + t,
        zp: 24.5,
        mag5Sigma: 19.5,
        astrometricNoiseArcsec: 0.15,
        target: { ...target, mag: trueMag, forced: t % 2 === 0 }, // half forced rows, half found by position
      });
      const r = calibrateCatalogue({
        catalogue: frame.catalogue,
        reference: field.reference,
        target,
        request: "GaiaSP/V",
      });
      if (r.target?.kind !== "detection") {
        limits++;
        continue;
      }
      pulls.push((r.target.mag - trueMag) / r.target.magErr);
      zpShare.push((r.zeropointErr as number) / r.target.instMagErr);
    }
    zpShare.sort((a, b) => a - b);
    console.log(
      `target pulls: n = ${pulls.length}, mean ${mean(pulls).toFixed(3)}, std ${std(pulls).toFixed(3)}; ` +
        `median zpErr/e_inst ${zpShare[zpShare.length >> 1].toFixed(2)}; ${limits} positional misses (→ limit)`,
    );
    expect(Math.abs(mean(pulls))).toBeLessThan(0.1);
    expect(std(pulls)).toBeGreaterThan(0.9);
    expect(std(pulls)).toBeLessThan(1.1);
    // Misses only among the 500 position-matched targets, at the Rayleigh tail beyond 2σ_radec: e^(−4) ≈ 1.8 %.
    expect(limits).toBeLessThan(25);
  });

  it("acceptance: a target absent from the frame gives a limit within 0.2 mag of the faintest injected star", () => {
    const offsets: number[] = [];
    for (let t = 0; t < 20; t++) {
      const field = makeField({ seed: 100 + t, nStars: 150 });
      const frame = makeFrame(field, { seed: 200 + t, zp: 24.5 });
      const r = calibrateCatalogue({
        catalogue: frame.catalogue,
        reference: field.reference,
        target: FAR,
        request: "GaiaSP/V",
      });
      expect(r.isLimit).toBe(true);
      expect(r.calibrationData.mag_error).toBe(-1);
      offsets.push((r.calibrationData.mag as number) - Math.max(...frame.trueMag));
    }
    console.log(
      `limit − faintest injected: mean ${mean(offsets).toFixed(3)}, max |.| ${Math.max(...offsets.map(Math.abs)).toFixed(3)}`,
    );
    expect(Math.max(...offsets.map(Math.abs))).toBeLessThan(0.2);
  });

  it("a forced row that is not usable (e ≥ GOOD_MAX_MAG_ERR) is a non-detection → limit, not a neighbour", () => {
    const field = makeField({ seed: 1, nStars: 100 });
    const frame = makeFrame(field, {
      seed: 2,
      zp: 24.5,
      target: { raDeg: 150, decDeg: 2, mag: 17, forced: true },
    });
    frame.catalogue.magErr[frame.targetIndex] = 1.5;
    const t = measureTarget(
      frame.catalogue,
      { raDeg: 150, decDeg: 2, radiusArcsec: 1000, targetIndex: frame.targetIndex },
      24.5,
      0.01,
    );
    expect(t.kind).toBe("limit");
    expect(t.kind === "limit" && t.reason).toContain("999999");
  });

  it("detection error is the quadrature sum √(e_inst² + σ_ZP²); nearest object used when no forced row", () => {
    const field = makeField({ seed: 4, nStars: 100 });
    const frame = makeFrame(field, {
      seed: 5,
      zp: 24.5,
      astrometricNoiseArcsec: 0,
      target: { raDeg: 150.01, decDeg: 2.01, mag: 16 },
    });
    const q = { raDeg: 150.01, decDeg: 2.01, radiusArcsec: 1, targetIndex: -1 };
    const t = measureTarget(frame.catalogue, q, 24.5, 0.004);
    expect(t.kind).toBe("detection");
    if (t.kind !== "detection") return;
    expect(t.source).toBe("nearest");
    expect(t.index).toBe(frame.targetIndex);
    expect(t.magErr).toBeCloseTo(Math.hypot(frame.catalogue.magErr[frame.targetIndex], 0.004), 12);
    expect(t.mag).toBeCloseTo(frame.catalogue.mag[frame.targetIndex] - 24.5, 12);
  });
});

describe("calibrateCatalogue — synthetic frames", () => {
  it("GaiaSP/any on a V frame with 30 % outliers: chooses V, ZP within 0.01, full BHTOM row and plot data", () => {
    const field = makeField({ seed: 21, nStars: 300 });
    const frame = makeFrame(field, {
      seed: 22,
      zp: 23.7,
      outlierFraction: 0.3,
      target: { raDeg: 150.03, decDeg: 1.98, mag: 15.5, forced: true },
    });
    const r = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target: { raDeg: 150.03, decDeg: 1.98 },
    });
    expect(r.ok).toBe(true);
    const row = r.calibrationData;
    expect(row).toMatchObject({ status: "S", best_filter: "V", survey: "GaiaSP", ra: 150.03, dec: 1.98 });
    expect(Math.abs((row.zeropoint as number) - 23.7)).toBeLessThan(0.01);
    expect(row.outlier_fraction).toBeGreaterThan(0.2);
    expect(r.lightCurveFilter).toBe("V(GaiaSP)");
    expect(r.standardisedTo).toBe("GaiaSP/V");
    expect(r.bands.map((b) => b.band)).toEqual(["u", "g", "r", "i", "z", "U", "B", "V", "R", "I"]);
    expect(r.plot.filter((p) => p.chosen).map((p) => p.band)).toEqual(["V"]);
    const v = r.plot.find((p) => p.chosen)!;
    expect(v.catMag.length).toBe(row.npoints);
    expect(v.inlier.reduce((a, b) => a + b, 0) / v.inlier.length).toBeGreaterThan(0.6);
    expect(Math.abs((row.mag as number) - 15.5)).toBeLessThan(3 * (row.mag_error as number));
  });

  it("an r-band frame calibrated with `no` chooses r among 16 candidates (6 absent from the reference)", () => {
    const field = makeField({ seed: 31, nStars: 300 });
    const frame = makeFrame(field, { seed: 32, band: "r", zp: -0.5 });
    const r = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target: FAR,
      request: "no",
    });
    expect(r.calibrationData.best_filter).toBe("r");
    expect(r.bands.length).toBe(16);
    expect(r.bands.filter((b) => b.reason === "band not in the reference catalogue").length).toBe(6);
  });

  it("works across RA 0/360 (field centred on RA 0)", () => {
    const field = makeField({ seed: 41, nStars: 200, centerRaDeg: 0, centerDecDeg: 0 });
    const frame = makeFrame(field, { seed: 42, zp: 1.2 });
    const r = calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target: FAR,
      request: "GaiaSP/V",
    });
    expect(r.counts.matched).toBe(frame.catalogue.mag.length);
    expect(r.calibrationData.zeropoint).toBeCloseTo(1.2, 2);
  });

  it("failures are results with status E and a message", () => {
    const field = makeField({ seed: 51, nStars: 100 });
    const frame = makeFrame(field, { seed: 52 });
    const base = { catalogue: frame.catalogue, reference: field.reference, target: FAR };
    expect(calibrateCatalogue({ ...base, request: "Foo/V" }).calibrationData).toMatchObject({
      status: "E",
      mag: null,
    });
    const strict = calibrateCatalogue({ ...base, request: "GaiaSP/V", options: { minPoints: 10_000 } });
    expect(strict.calibrationData.status_message).toMatch(
      /^Failed to match: no band passed .*GaiaSP\/V: N = \d+ < 10000/,
    );
    expect(strict.bands.length).toBe(1);
    const moved = { ...field.reference, raDeg: field.reference.raDeg.map((a) => a + 1) };
    expect(calibrateCatalogue({ ...base, reference: moved }).calibrationData.status_message).toMatch(
      /no star within 5 arcsec/,
    );
  });
});

describe("calibrateCatalogue — fixture field-150p02 (Source Extractor 2.25 + GaiaSP reference)", () => {
  const dir = `${FIELD_DIR}/`;
  const parsed = parseInstrumentalCatalogue(readFileSync(dir + "sextractor-reference.cat", "utf8"));
  if (!parsed.ok) throw new Error(parsed.error);
  const csv = (name: string) => {
    const [head, ...rows] = readFileSync(dir + name, "utf8")
      .trim()
      .split("\n");
    const cols = head.split(",");
    const values = rows.map((r) => r.split(",").map(Number));
    return (c: string) => Float64Array.from(values, (v) => v[cols.indexOf(c)]);
  };
  const ref = csv("gaiasp-reference.csv");
  const bands: ReferenceCatalogue["bands"] = {};
  for (const b of ["u", "g", "r", "i", "z", "U", "B", "V", "R", "I"] as Band[])
    bands[b] = { survey: "GaiaSP", mag: ref(b), err: ref(`${b}_err`) };
  const reference: ReferenceCatalogue = { raDeg: ref("ra"), decDeg: ref("dec"), bands };
  const target = { raDeg: 150.012, decDeg: 1.991 };

  it("GaiaSP/V: ZP = MAG_AUTO − V of the construction (Kron aperture loss, ~+0.04), target 15.80 within 3σ", () => {
    const r = calibrateCatalogue({ catalogue: parsed.catalogue, reference, target, request: "GaiaSP/V" });
    const row = r.calibrationData;
    // What the construction implies: flux = 10^(−0.4(V − 25)) and MAG_ZEROPOINT 25, so total-flux magnitudes
    // equal V (ZP = 0); MAG_AUTO's Kron aperture misses a few % of a Moffat β = 3 profile, so ZP is the
    // median of MAG_AUTO − V_true over the truth list, computed here independently of the fit.
    const truth = csv("truth.csv");
    const [tRa, tDec, tV] = [truth("ra_deg"), truth("dec_deg"), truth("V_mag")];
    const diffs: number[] = [];
    parsed.catalogue.mag.forEach((m, i) => {
      let best = -1;
      let bestD = Infinity;
      tRa.forEach((ra, j) => {
        const d = Math.hypot(
          (ra - parsed.catalogue.raDeg[i]) * Math.cos((tDec[j] * Math.PI) / 180),
          tDec[j] - parsed.catalogue.decDeg[i],
        );
        if (d < bestD) [best, bestD] = [j, d];
      });
      if (bestD * 3600 < 1) diffs.push(m - tV[best]);
    });
    diffs.sort((a, b) => a - b);
    const kronLoss = diffs[diffs.length >> 1];
    console.log(
      `fixture GaiaSP/V: ZP ${row.zeropoint?.toFixed(4)} ± ${r.zeropointErr?.toFixed(4)} (median MAG_AUTO − V_true ${kronLoss.toFixed(4)}), ` +
        `σ ${row.scatter?.toFixed(4)}, f ${row.outlier_fraction?.toExponential(1)}, N ${row.npoints}, radius ${row.match_distans?.toFixed(3)}″; ` +
        `target ${row.mag?.toFixed(4)} ± ${row.mag_error?.toFixed(4)} (truth 15.80), ${r.target?.kind} via ${r.target?.kind === "detection" ? r.target.source : "-"}`,
    );
    expect(row.status).toBe("S");
    expect(row.zeropoint as number).toBeGreaterThan(0);
    expect(row.zeropoint as number).toBeLessThan(0.06);
    expect(Math.abs((row.zeropoint as number) - kronLoss)).toBeLessThan(3 * (r.zeropointErr as number));
    expect(r.target?.kind).toBe("detection");
    expect(r.target?.kind === "detection" && parsed.catalogue.number[r.target.index]).toBe(35);
    expect(Math.abs((row.mag as number) - 15.8)).toBeLessThan(3 * (row.mag_error as number));
  });

  it("GaiaSP/any picks V for this V-band frame (σ ≈ 0.006 vs ≥ 0.12 in every other band)", () => {
    const r = calibrateCatalogue({ catalogue: parsed.catalogue, reference, target, request: "GaiaSP/any" });
    expect(r.calibrationData.best_filter).toBe("V");
    const others = r.bands.filter((b) => b.band !== "V");
    expect(Math.min(...others.map((b) => b.scatter))).toBeGreaterThan(0.1);
    console.log(
      `fixture GaiaSP/any: ${r.bands.map((b) => `${b.band} σ=${b.scatter.toFixed(3)}`).join(", ")} → ${r.standardisedTo}`,
    );
  });
});
