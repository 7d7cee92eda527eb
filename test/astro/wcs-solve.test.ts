import { describe, expect, it } from "vitest";
import { extractSources } from "../../src/astro/image/extract.ts";
import { makeField } from "../../src/astro/synth/catalog.ts";
import { makeSyntheticImage } from "../../src/astro/synth/image.ts";
import { createRng } from "../../src/astro/synth/random.ts";
import { pixelToSky } from "../../src/astro/wcs/index.ts";
import type { SipDistortion, TanWcs } from "../../src/astro/wcs/index.ts";
import { solveWcs } from "../../src/astro/wcs/solve.ts";
import type { SolveReference, SolveSources } from "../../src/astro/wcs/solve.ts";

const DEG = Math.PI / 180;

function sepArcsec(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const x = Math.sin(((dec2 - dec1) * DEG) / 2) ** 2;
  const y = Math.cos(dec1 * DEG) * Math.cos(dec2 * DEG) * Math.sin(((ra2 - ra1) * DEG) / 2) ** 2;
  return ((2 * Math.asin(Math.sqrt(x + y))) / DEG) * 3600;
}

/** RMS (″) of the sky-position difference of two WCSs over an 11 × 11 grid of the frame. */
function gridRmsArcsec(a: TanWcs, b: TanWcs, width: number, height: number): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i <= 10; i++) {
    for (let j = 0; j <= 10; j++) {
      const x = 1 + ((width - 1) * i) / 10;
      const y = 1 + ((height - 1) * j) / 10;
      const p = pixelToSky(a, x, y);
      const q = pixelToSky(b, x, y);
      s += sepArcsec(p.raDeg, p.decDeg, q.raDeg, q.decDeg) ** 2;
      n++;
    }
  }
  return Math.sqrt(s / n);
}

interface Frame {
  sources: SolveSources;
  reference: SolveReference;
  truth: TanWcs;
  width: number;
  height: number;
  priorRa: number;
  priorDec: number;
  scale: number;
}

/** A rendered frame (random rotation, optional mirror), its extracted sources and a wide reference field. */
function makeFrame(
  seed: number,
  opts: {
    size: number;
    scale: number;
    ra: number;
    dec: number;
    flip: boolean;
    nOnFrame: number;
    sip?: SipDistortion;
  },
): Frame {
  const rng = createRng(seed);
  const { size, scale } = opts;
  const rotation = rng.uniform(0, 360);
  const scaleDeg = scale / 3600;
  // Reference field covering the search region around the prior (≈ 1.4 frame sides from the centre).
  const hw = 1.45 * size * scaleDeg;
  const nField = Math.round((opts.nOnFrame * (2 * hw) ** 2) / (size * size * scaleDeg * scaleDeg));
  const field = makeField({
    seed: seed + 1,
    nStars: nField,
    centerRaDeg: opts.ra,
    centerDecDeg: opts.dec,
    halfWidthDeg: hw,
    magRange: [11, 20],
  });
  const im = makeSyntheticImage({
    seed,
    width: size,
    height: size,
    field,
    centerRaDeg: opts.ra,
    centerDecDeg: opts.dec,
    pixelScaleArcsec: scale,
    rotationDeg: rotation,
    fwhmPx: 3,
    sip: opts.sip,
  });
  let data = im.data;
  const truth: TanWcs = { ...im.wcs };
  if (opts.flip) {
    if (opts.sip) throw new Error("flip with SIP not supported by this helper");
    // Mirror in x: x' = width + 1 − x, so CD's first column changes sign and CRPIX1 → width + 1 − CRPIX1.
    data = new Float32Array(data.length);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) data[r * size + c] = im.data[r * size + (size - 1 - c)];
    }
    truth.crpix = [size + 1 - im.wcs.crpix[0], im.wcs.crpix[1]];
    truth.cd = [
      [-im.wcs.cd[0][0], im.wcs.cd[0][1]],
      [-im.wcs.cd[1][0], im.wcs.cd[1][1]],
    ];
  }
  const ex = extractSources({ data, width: size, height: size }, { gainEPerAdu: 1.5, saturationAdu: 60000 });
  const rows = ex.rows;
  const sources: SolveSources = {
    x: Float64Array.from(rows, (r) => r.x),
    y: Float64Array.from(rows, (r) => r.y),
    flux: Float64Array.from(rows, (r) => r.flux),
  };
  // Prior centre off by a quarter of the field in a random direction.
  const phi = rng.uniform(0, 2 * Math.PI);
  const off = 0.25 * size * scaleDeg;
  const priorDec = opts.dec + off * Math.sin(phi);
  const priorRa = opts.ra + (off * Math.cos(phi)) / Math.cos(opts.dec * DEG);
  return {
    sources,
    reference: { raDeg: field.reference.raDeg, decDeg: field.reference.decDeg, mag: field.mags.V },
    truth,
    width: size,
    height: size,
    priorRa,
    priorDec,
    scale,
  };
}

function solveFrame(f: Frame, refOverride?: SolveReference) {
  const t0 = performance.now();
  const res = solveWcs({
    sources: f.sources,
    reference: refOverride ?? f.reference,
    centreRaDeg: f.priorRa,
    centreDecDeg: f.priorDec,
    pixelScaleArcsec: f.scale * 1.03, // prior scale 3 % off
    width: f.width,
    height: f.height,
  });
  return { res, ms: performance.now() - t0 };
}

const cases = [
  {
    name: "1024², 0.6″/px, dec +2°",
    seed: 11,
    size: 1024,
    scale: 0.6,
    ra: 150,
    dec: 2,
    flip: false,
    nOnFrame: 600,
  },
  {
    name: "1024², 1.5″/px, dec −35°, mirrored",
    seed: 22,
    size: 1024,
    scale: 1.5,
    ra: 20,
    dec: -35,
    flip: true,
    nOnFrame: 600,
  },
  {
    name: "2048², 1.0″/px, dec +60°",
    seed: 33,
    size: 2048,
    scale: 1.0,
    ra: 300,
    dec: 60,
    flip: false,
    nOnFrame: 1500,
  },
  {
    name: "2048², 0.7″/px, SIP distortion ≈ 4 px at the corners",
    seed: 77,
    size: 2048,
    scale: 0.7,
    ra: 45,
    dec: -60,
    flip: false,
    nOnFrame: 1500,
    sip: {
      order: 2,
      a: [
        [0, 0, 1e-6],
        [0, 1.5e-6, 0],
        [2e-6, 0, 0],
      ],
      b: [
        [0, 0, -1.5e-6],
        [0, 2e-6, 0],
        [1e-6, 0, 0],
      ],
    },
  },
  {
    name: "1024², 0.9″/px, RA 0.05° (wrap)",
    seed: 44,
    size: 1024,
    scale: 0.9,
    ra: 0.05,
    dec: 30,
    flip: false,
    nOnFrame: 500,
  },
];

describe("solveWcs: blind solve of synthetic frames", () => {
  for (const c of cases) {
    it(`solves ${c.name} to ≤ 0.2″ RMS`, () => {
      const f = makeFrame(c.seed, c);
      const { res, ms } = solveFrame(f);
      if (!res.ok) throw new Error(res.reason);
      const rms = gridRmsArcsec(res.wcs, f.truth, f.width, f.height);
      console.log(
        `[wcs-solve] ${c.name}: ${f.sources.x.length} sources, matched ${res.matched}, fraction ${res.matchFraction.toFixed(2)}, fit rms ${res.rmsArcsec.toFixed(3)}″, grid rms vs truth ${rms.toFixed(3)}″, solve ${ms.toFixed(0)} ms`,
      );
      expect(rms).toBeLessThan(0.2);
      if (c.sip) expect(res.wcs.sip?.order).toBe(2);
      expect(res.matched).toBeGreaterThanOrEqual(8);
      expect(res.matchFraction).toBeGreaterThanOrEqual(0.3);
    });
  }

  it("fails clearly when the reference catalogue is of another sky position", () => {
    const f = makeFrame(55, { size: 1024, scale: 0.8, ra: 100, dec: 10, flip: false, nOnFrame: 600 });
    // A catalogue of another patch of sky (different stars) around the prior: nothing verifies.
    const other = makeField({
      seed: 99,
      nStars: 4000,
      centerRaDeg: 100,
      centerDecDeg: 10,
      halfWidthDeg: 0.3,
    });
    const { res, ms } = solveFrame(f, {
      raDeg: other.reference.raDeg,
      decDeg: other.reference.decDeg,
      mag: other.mags.V,
    });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      console.log(`[wcs-solve] wrong-field reason (${ms.toFixed(0)} ms): ${res.reason}`);
      expect(res.reason).toMatch(/not verified|no pattern match/);
    }
    // The right catalogue but an impossible acceptance threshold: the match is found, then rejected.
    const strict = solveWcs({
      sources: f.sources,
      reference: f.reference,
      centreRaDeg: f.priorRa,
      centreDecDeg: f.priorDec,
      pixelScaleArcsec: f.scale,
      width: f.width,
      height: f.height,
      minMatchFraction: 1.01,
    });
    expect(strict.ok).toBe(false);
    if (!strict.ok) expect(strict.reason).toMatch(/solution not verified/);
    const far = solveWcs({
      sources: f.sources,
      reference: f.reference,
      centreRaDeg: f.priorRa + 5,
      centreDecDeg: f.priorDec,
      pixelScaleArcsec: f.scale,
      width: f.width,
      height: f.height,
    });
    expect(far.ok).toBe(false);
    if (!far.ok) expect(far.reason).toMatch(/too few reference stars/);
  });

  it("fails with too few sources", () => {
    const f = makeFrame(66, { size: 1024, scale: 0.8, ra: 200, dec: -10, flip: false, nOnFrame: 600 });
    const take = (a: Float64Array) => a.slice(0, 5);
    const res = solveWcs({
      sources: { x: take(f.sources.x), y: take(f.sources.y), flux: take(f.sources.flux) },
      reference: f.reference,
      centreRaDeg: f.priorRa,
      centreDecDeg: f.priorDec,
      pixelScaleArcsec: f.scale,
      width: f.width,
      height: f.height,
    });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.reason).toMatch(/too few usable sources/);
  });
});
