/**
 * Issue targets: cross-match of 1e5 × 1e5 sources < 50 ms; a full calibration of a 2,000-source
 * catalogue against the 10 GaiaSP bands < 20 ms (medians); its 10-panel plot well under a second.
 */
import { calibrateCatalogue } from "../src/astro/calibrate/index.ts";
import { crossMatch } from "../src/astro/crossmatch.ts";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { renderCalibrationPlot } from "../src/plots/calibration.ts";
import { measure } from "./stats.ts";

const rng = createRng(1);
const n = 100_000;
const aRa = new Float64Array(n);
const aDec = new Float64Array(n);
const bRa = new Float64Array(n);
const bDec = new Float64Array(n);
for (let i = 0; i < n; i++) {
  // a 1-degree field: 1e5 sources each, B = A shifted by ~0.3″ plus unrelated sources
  aRa[i] = 150 + rng.uniform(-0.5, 0.5);
  aDec[i] = 2 + rng.uniform(-0.5, 0.5);
  const same = rng.uniform(0, 1) < 0.7;
  bRa[i] = same ? aRa[i] + rng.gaussian() * 1e-4 : 150 + rng.uniform(-0.5, 0.5);
  bDec[i] = same ? aDec[i] + rng.gaussian() * 1e-4 : 2 + rng.uniform(-0.5, 0.5);
}
await measure("crossmatch 1e5 x 1e5 r=2arcsec", () => crossMatch(aRa, aDec, bRa, bDec, 2), { runs: 15 });

const field = makeField({ seed: 7, nStars: 2600, magRange: [11, 20.5], halfWidthDeg: 0.25 });
const frame = makeFrame(field, { seed: 8, zp: 24.2, mag5Sigma: 20.5 });
await measure(
  "calibrate 2000-source catalogue, GaiaSP/any (10 bands)",
  () =>
    calibrateCatalogue({
      catalogue: frame.catalogue,
      reference: field.reference,
      target: { raDeg: 150.01, decDeg: 2.01 },
      request: "GaiaSP/any",
    }),
  { runs: 30, extra: { sources: frame.catalogue.raDeg.length } },
);

const calibrated = calibrateCatalogue({
  catalogue: frame.catalogue,
  reference: field.reference,
  target: { raDeg: 150.01, decDeg: 2.01 },
  request: "GaiaSP/any",
});
await measure(
  "calibration plot, 10 panels, SVG",
  () => renderCalibrationPlot(calibrated, { format: "svg" }),
  {
    runs: 10,
    extra: { stars: calibrated.counts.kept },
  },
);
await measure(
  "calibration plot, 10 panels, PNG",
  () => renderCalibrationPlot(calibrated, { format: "png" }),
  {
    runs: 10,
    extra: { stars: calibrated.counts.kept },
  },
);
