/**
 * The fuzz budget, split across every property of test/fuzz/*.test.ts.
 *
 * `FUZZ_RUNS` (total cases over all fuzz files) defaults to {@link DEFAULT_TOTAL}, a CI-size run;
 * `npm run fuzz` sets 200,000. Each property owns a fixed share of the total (the shares sum to 1), so
 * the total is what was asked for whatever subset of files runs. Replaying a failure: fast-check prints
 * `seed` and `path`; run again with `FUZZ_SEED=<seed> FUZZ_PATH=<path>` (and the same FUZZ_RUNS).
 *
 * Seeds: `npm test` (no FUZZ_RUNS) uses the fixed {@link TEST_SEED}, so a test run is repeatable and CI
 * does not turn red on a case nobody changed code for; `npm run fuzz` (or any FUZZ_RUNS) draws new seeds
 * to find new cases — keep each one found as a named regression test.
 */
import type { Parameters } from "fast-check";

export const DEFAULT_TOTAL = 12_000;
/** The seed of `npm test`'s fuzz run (see above). */
export const TEST_SEED = 20261125;

/** Relative shares: cheap pure parsers get many cases, HTTP and file-based readers fewer. */
const SHARES = {
  // fits.test.ts (0.30)
  fitsRandom: 0.02,
  fitsMutatedSmall: 0.08,
  fitsMutatedCards: 0.06,
  fitsMutatedTiled: 0.04,
  fitsMutatedGzip: 0.015,
  fitsMutatedFixture: 0.005,
  fitsRoundTrip: 0.03,
  fitsJobPath: 0.01,
  wcsHeader: 0.04,
  // catalogues.test.ts (0.24)
  sextractorRandom: 0.03,
  sextractorMutated: 0.04,
  sextractorRoundTrip: 0.02,
  catalogCsvMutated: 0.02,
  fitsTableMutated: 0.02,
  lightCurveRandom: 0.02,
  lightCurveMutated: 0.03,
  lightCurveRoundTrip: 0.02,
  spectrumMutated: 0.03,
  spectrumRoundTrip: 0.01,
  // text.test.ts (0.26)
  raDecRandom: 0.05,
  raDecRoundTrip: 0.04,
  epoch: 0.02,
  filterRequest: 0.03,
  lightCurveFilterName: 0.02,
  pythonFloat: 0.03,
  toFloat: 0.03,
  dateTimes: 0.04,
  // http.test.ts (0.20)
  httpJson: 0.08,
  httpMutated: 0.06,
  httpBytes: 0.04,
  httpMultipart: 0.02,
} as const;

export type FuzzProperty = keyof typeof SHARES;

export function totalRuns(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_TOTAL;
}

/** Cases for one property: its share of the total (at least 1). */
export function runsFor(name: FuzzProperty): number {
  return Math.max(1, Math.round(totalRuns() * SHARES[name]));
}

/** fast-check parameters for one property (runs, and a replay seed/path when given). */
export function fuzzParams<T>(name: FuzzProperty): Parameters<T> {
  const given = process.env.FUZZ_SEED;
  const seed =
    given !== undefined && given !== "" ? given : process.env.FUZZ_RUNS ? undefined : String(TEST_SEED);
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: runsFor(name),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
    endOnFailure: true,
  };
}

/** Vitest timeout for a property: 20 s plus 2 ms a case (more with FUZZ_RUNS), scaled by cost. */
export function fuzzTimeout(name: FuzzProperty, msPerCase = 2): number {
  return 20_000 + runsFor(name) * msPerCase;
}

export function sharesSum(): number {
  return Object.values(SHARES).reduce((a, b) => a + b, 0);
}
