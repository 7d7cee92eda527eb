/**
 * Colour-term vs ZP-only calibration of one target's light curve on the same synthetic nights
 * (docs/colour.md). A camera whose passband differs from Johnson V by k = 0.15 per mag of B−V observes a
 * constant target (V = 15.5) in one field for 60 nights; each night has its own noise, zero point
 * (24.0–24.6, clouds), depth (5σ limit 16.5–20: from ~15 to ~250 stars with colours) and 5 % outliers.
 * Each night is calibrated three ways: ZP only (CPCS), colour terms with the target's colour known, and
 * colour terms with the colour unknown (the systematic term). The camera's learnt k carries from night to
 * night (sparse nights use it). Printed per target colour: bias (mean of calibrated − true) and scatter
 * (standard deviation) of the light curve, and the mean reported error, in mag.
 */
import { calibrateCatalogue, type ColourRequest } from "../src/astro/calibrate/index.ts";
import { updateLearntK, type LearntK } from "../src/astro/calibrate/colour.ts";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";
import { createRng } from "../src/astro/synth/random.ts";

const K = 0.15;
const NIGHTS = Number(process.env.COLOUR_BENCH_NIGHTS ?? 60);
const TARGET_V = 15.5;
const field = makeField({ seed: 2026, nStars: 300, magRange: [11.5, 19.5] });
const sorted = Array.from(field.bv).sort((a, b) => a - b);
const medianBv = sorted[Math.floor(sorted.length / 2)];

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const sd = (a: number[]) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));

for (const dc of [-0.5, 0, 0.5, 1.0]) {
  const colour = medianBv + dc;
  const target = { raDeg: 150.01, decDeg: 2.01, mag: TARGET_V, forced: true, colour };
  const rng = createRng(99);
  const err = { plain: [] as number[], colour: [] as number[], unknown: [] as number[] };
  const reported = { plain: [] as number[], colour: [] as number[], unknown: [] as number[] };
  let learnt: LearntK | null = null;
  let sparse = 0;
  for (let night = 0; night < NIGHTS; night++) {
    const frame = makeFrame(field, {
      seed: 5000 + night, // the same nights for every target colour
      zp: rng.uniform(24, 24.6),
      mag5Sigma: rng.uniform(16.5, 20),
      outlierFraction: 0.05,
      colourTerm: K,
      target,
    });
    const base = { catalogue: frame.catalogue, reference: field.reference, target, request: "GaiaSP/V" };
    const prior: ColourRequest["priorK"] = learnt ? { V: { k: learnt.k, kErr: learnt.kErr } } : {};
    const plain = calibrateCatalogue(base);
    const withColour = calibrateCatalogue({
      ...base,
      colour: { priorK: prior, targetColour: { index: "B-V", value: colour, err: 0.01 } },
    });
    const unknown = calibrateCatalogue({ ...base, colour: { priorK: prior } });
    if (!plain.ok || !withColour.ok || !unknown.ok || plain.isLimit) continue;
    const ct = withColour.colourTerm!;
    if (ct.kSource === "fit") learnt = updateLearntK(learnt, ct.k, ct.kErr);
    else sparse++;
    for (const [name, r] of [
      ["plain", plain],
      ["colour", withColour],
      ["unknown", unknown],
    ] as const) {
      err[name].push(r.calibrationData.mag! - TARGET_V);
      reported[name].push(r.calibrationData.mag_error!);
    }
  }
  const row = (name: keyof typeof err) => ({
    bias: +mean(err[name]).toFixed(4),
    scatter: +sd(err[name]).toFixed(4),
    meanReportedErr: +mean(reported[name]).toFixed(4),
  });
  console.log(
    JSON.stringify({
      bench: "colour-nights",
      targetColourMinusMedian: dc,
      nights: err.plain.length,
      sparseNights: sparse,
      zpOnly: row("plain"),
      colourTerm: row("colour"),
      colourTermColourUnknown: row("unknown"),
      learntK: learnt ? +learnt.k.toFixed(4) : null,
    }),
  );
}
