/**
 * How many stars with colours a frame needs before its colour term k is fitted rather than taken from the
 * camera's learnt k (src/astro/calibrate/colour.ts COLOUR_FIT_MIN_STARS; docs/colour.md).
 *
 * Seeded simulation: fields of n stars (V 12–18.5, B−V ~ N(0.75, 0.3)), a camera with k = 0.15 in B−V,
 * 5 % outliers and 0.02 mag extra scatter; 300 frames per n. Printed per n: the RMS and 90th percentile of
 * the fitted k's error, and the RMS error of a target 1 mag redder than c₀ calibrated with the fitted k
 * versus with a learnt k that is 0.02 off (the accuracy a running estimate over many frames reaches).
 * The threshold is the smallest n where the fitted k does at least as well as that learnt k.
 */
import { fitColourTerm, referenceColours } from "../src/astro/calibrate/colour.ts";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";

const K = 0.15;
const PRIOR_OFF = 0.02;
const TRIALS = Number(process.env.COLOUR_BENCH_TRIALS ?? 300);
const rms = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
const pct = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))];

for (const n of [5, 8, 10, 15, 20, 25, 30, 40, 50, 100, 200]) {
  const kErr: number[] = [];
  const tFit: number[] = [];
  const tPrior: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const seed = 10_000 * n + 2 * t;
    const field = makeField({ seed, nStars: n, magRange: [12, 18.5] });
    const frame = makeFrame(field, {
      seed: seed + 1,
      zp: 24,
      colourTerm: K,
      outlierFraction: 0.05,
      scatterMag: 0.02,
    });
    const colours = referenceColours(field.reference, "B-V")!;
    const rows = Array.from(frame.truthIndex.keys()).filter((r) => frame.truthIndex[r] >= 0);
    const idx = rows.map((r) => frame.truthIndex[r]);
    const args = [
      rows.map((r) => frame.catalogue.mag[r]),
      rows.map((r) => frame.catalogue.magErr[r]),
      idx.map((i) => field.reference.bands.V!.mag[i]),
      idx.map((i) => field.reference.bands.V!.err[i]),
      idx.map((i) => colours.colour[i]),
    ] as const;
    const fit = fitColourTerm(...args, { minStars: 3 });
    const prior = fitColourTerm(...args, { fixedK: K + (t % 2 ? PRIOR_OFF : -PRIOR_OFF) });
    // A target at c₀ + 1 with true magnitude m: m_inst = m + 24 + K·(c₀ + 1); calibrated error:
    const targetError = (f: typeof fit) => 24 + K * (f.c0 + 1) - f.zp - f.k * 1;
    kErr.push(fit.k - K);
    tFit.push(targetError(fit));
    tPrior.push(targetError(prior));
  }
  console.log(
    JSON.stringify({
      bench: "colour-threshold",
      nStars: n,
      trials: TRIALS,
      kRms: +rms(kErr).toFixed(4),
      kAbsP90: +pct(kErr.map(Math.abs), 0.9).toFixed(4),
      targetRmsFittedK: +rms(tFit).toFixed(4),
      targetRmsLearntK: +rms(tPrior).toFixed(4),
    }),
  );
}
