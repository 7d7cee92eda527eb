/**
 * Cost of colour terms (docs/colour.md, Cost): one frame (≈ 1,500 matched stars, k = 0.15 in B−V)
 * calibrated with and without colour terms, against the 10 GaiaSP bands (`GaiaSP/any`) and one band.
 * Runs are interleaved (A, B, A, B, …) so that a loaded machine inflates both alike; medians in ms.
 *   node --import tsx bench/colour-cost.bench.ts
 */
import { calibrateCatalogue, type CalibrationInput } from "../src/astro/calibrate/index.ts";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";

const field = makeField({ seed: 7, nStars: 2600, magRange: [11, 20.5], halfWidthDeg: 0.25 });
const frame = makeFrame(field, { seed: 8, zp: 24.2, mag5Sigma: 20.5, colourTerm: 0.15 });
const base = {
  catalogue: frame.catalogue,
  reference: field.reference,
  target: { raDeg: 150.01, decDeg: 2.01 },
};

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

const runs = Number(process.env.RUNS ?? 21);
for (const request of ["GaiaSP/any", "GaiaSP/V"]) {
  const plain: CalibrationInput = { ...base, request };
  const colour: CalibrationInput = { ...base, request, colour: {} };
  for (let i = 0; i < 3; i++) {
    calibrateCatalogue(plain);
    calibrateCatalogue(colour);
  }
  const tPlain: number[] = [];
  const tColour: number[] = [];
  let last = calibrateCatalogue(colour);
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    calibrateCatalogue(plain);
    tPlain.push(performance.now() - t0);
    t0 = performance.now();
    last = calibrateCatalogue(colour);
    tColour.push(performance.now() - t0);
  }
  const ct = last.colourTerm;
  console.log(
    `${request}: ZP only ${median(tPlain).toFixed(1)} ms, with colour term ${median(tColour).toFixed(1)} ms ` +
      `(×${(median(tColour) / median(tPlain)).toFixed(2)}; ${last.counts.kept} stars, chosen ` +
      `${last.calibrationData.survey}/${last.calibrationData.best_filter}, k = ${ct?.k.toFixed(3)} ${ct?.kSource})`,
  );
}
