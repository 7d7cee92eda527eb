/**
 * Every output of a calibration, pinned bit for bit (issue 21: the calibration is made faster without
 * changing a number). A seeded field imported as a GaiaSP catalogue plus an archive cache holding
 * duplicates of imported stars and stars with proper motions; a seeded frame with outliers, a colour term
 * and a forced target; runCalibration through the stored-catalogue provider (the cone query, the canonical
 * order, the reference hash, the CPCS fits with and without colour terms). What is hashed: the cone radius,
 * the surveys, every reference star's every value, the reference SHA-256 and the whole CalibrationResult —
 * numbers by their IEEE-754 bits. The pins were written before the speed work (main df80923).
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFrame } from "../src/astro/synth/catalog.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { archiveCatalogueId, storeAnswer } from "../src/catalog/cache.ts";
import { importCatalogue } from "../src/catalog/import.ts";
import { StoredCatalogueProvider } from "../src/catalog/provider.ts";
import { demoField, referenceCsv } from "../src/demo/night.ts";
import { runCalibration, type CalibrationRun } from "../src/domain/calibration/pipeline.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";
import { ENGINES, createTestDatabase, type TestDatabase } from "./helpers/db.ts";

const TARGET = { raDeg: 150.003, decDeg: 1.998 };

/** The run as text: numbers by their bits (so −0, NaN and the last ulp count), typed arrays as lists. */
function fingerprint(value: unknown): string {
  const bits = new DataView(new ArrayBuffer(8));
  const hex = (x: number) => {
    bits.setFloat64(0, x);
    return `f${bits.getBigUint64(0).toString(16)}`;
  };
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "number") return hex(v);
    if (ArrayBuffer.isView(v) && !(v instanceof DataView))
      return Array.from(v as unknown as ArrayLike<number>, (x) => hex(x));
    return v;
  });
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** The parts of a successful run, each hashed (a failing pin then says which part changed). */
function pins(run: CalibrationRun) {
  if (!run.ok) throw new Error(run.error);
  const { result } = run;
  return {
    cone: sha(fingerprint({ radiusDeg: run.radiusDeg, surveys: run.surveys, reference: run.reference })),
    referenceSha256: run.referenceSha256,
    result: sha(fingerprint(result)),
    bands: sha(fingerprint(result.bands)),
    plot: sha(fingerprint(result.plot)),
    calibrationData: sha(fingerprint(result.ok ? result.calibrationData : null)),
  };
}

describe.each(ENGINES)("a full calibration, pinned bit for bit, on %s", (engine) => {
  let t: TestDatabase;
  let catalogueText: string;
  let provider: StoredCatalogueProvider;

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    const field = demoField({ raDeg: 150, decDeg: 2, seed: 41, halfWidthDeg: 0.1, stars: 1800 });
    // Some stars without a u magnitude (empty cells → NULL → NaN).
    const csv = referenceCsv(field)
      .split("\n")
      .map((line, i) => (i > 0 && i % 17 === 0 ? line.replace(/^([^,]*,[^,]*),[^,]*,[^,]*/, "$1,,") : line))
      .join("\n");
    const csvPath = join(t.dataDir, "pin-field.csv");
    writeFileSync(csvPath, csv);
    await importCatalogue(t.database, csvPath, { survey: "GaiaSP", name: "pin-field" });
    // The archive cache of GaiaSP: every 5th imported star again (dropped as a duplicate), and new stars
    // with proper motions and an epoch (moved to the observation's epoch).
    const rng = createRng(42);
    const ref = field.reference;
    const dup = Array.from({ length: Math.floor(ref.raDeg.length / 5) }, (_, k) => 5 * k);
    const extra = 150;
    const n = dup.length + extra;
    const stars = {
      sourceId: Array.from({ length: n }, (_, i) => `pin-${i}`),
      raDeg: new Float64Array(n),
      decDeg: new Float64Array(n),
      pmraMasYr: new Float64Array(n).fill(NaN),
      pmdecMasYr: new Float64Array(n).fill(NaN),
      epochYear: new Float64Array(n).fill(NaN),
      bands: { V: { mag: new Float64Array(n), err: new Float64Array(n) } },
    };
    dup.forEach((j, i) => {
      stars.raDeg[i] = ref.raDeg[j];
      stars.decDeg[i] = ref.decDeg[j];
      stars.bands.V.mag[i] = ref.bands.V!.mag[j] + 0.01;
      stars.bands.V.err[i] = 0.02;
    });
    for (let i = dup.length; i < n; i++) {
      stars.raDeg[i] = 150 + rng.uniform(-0.09, 0.09);
      stars.decDeg[i] = 2 + rng.uniform(-0.09, 0.09);
      stars.pmraMasYr[i] = rng.gaussian() * 20;
      stars.pmdecMasYr[i] = rng.gaussian() * 20;
      stars.epochYear[i] = 2016;
      stars.bands.V.mag[i] = rng.uniform(13, 19);
      stars.bands.V.err[i] = 0.01;
    }
    const catalogueId = await archiveCatalogueId(t.database.db, "GaiaSP", "https://archive.invalid/tap");
    await storeAnswer(t.database, {
      survey: "GaiaSP",
      catalogueId,
      cone: { raDeg: 150, decDeg: 2, radiusDeg: 0.1 },
      stars,
      service: "https://archive.invalid/tap",
    });
    const frame = makeFrame(field, {
      seed: 43,
      zp: 24.1,
      mag5Sigma: 19.5,
      outlierFraction: 0.15,
      colourTerm: 0.08,
      target: { ...TARGET, mag: 16.4, forced: true, colour: 0.9 },
    });
    catalogueText = ccdphotCatalogue(frame.catalogue);
    provider = new StoredCatalogueProvider(t.database.db);
  }, 120_000);
  afterAll(async () => {
    await t?.destroy();
  });

  it("GaiaSP/V with colour terms, at an epoch: cone, reference hash and every result field", async () => {
    const run = await runCalibration(
      {
        catalogueText,
        target: TARGET,
        filterRequest: "GaiaSP/V",
        epochMjd: 61_000.25,
        colour: { priorK: { V: { k: 0.05, kErr: 0.02 } }, pointColours: [] },
      },
      { provider },
    );
    if (!run.ok || !run.result.ok) throw new Error("the calibration failed");
    expect(run.reference.raDeg.length).toBe(1948);
    expect(run.result.colourTerm?.kSource).toBe("fit");
    expect(run.result.calibrationData.best_filter).toBe("V");
    expect(pins(run)).toEqual({
      cone: "70c43fd806c063778878ad242322e0b4ed68aa1c84877e3125f344a7ae710f7f",
      referenceSha256: "c496b68e701022cec210e2fe383f7b2f3711aced00fc8bb4d17fb5411f2f9b5a",
      result: "7d2a71e5f50e4f69479af39ede570f13850252bd56e1d0e4c397ad97ac686f06",
      bands: "f14170c3b68c1ef673b2f4265ab962483f31751b367739aa29be8afd0aa54356",
      plot: "2df81017699969c9a4a8300c71098bf6049c9f7cce08176c4760561cd238db0a",
      calibrationData: "a83fa8444b9a588bf31f81f19c8766a4bf4ff9a6076badaa69e2805cbed469c4",
    });
  });

  it("GaiaSP/any without colour terms, a given matching radius: every result field", async () => {
    const run = await runCalibration(
      { catalogueText, target: TARGET, filterRequest: "GaiaSP/any", matchDistArcsec: 1.5 },
      { provider },
    );
    expect(pins(run)).toEqual({
      cone: "f1186c86c54ead85fd0853ba084997f2763fb537f949a88b56d5074e24265a8a",
      referenceSha256: "ed4112d356ba582eaf23110938d0e1724b4cb203f0dc7f769a98c8d4fca5f6f8",
      result: "c47f5dfe33bcea4bf02b3f9a6db7a45948ac8e8971201d046a4aa316c139ef23",
      bands: "f4653e2fa2fa237a96be05614851cc7bb7bd2194479780b4442d2e0dfdc57df0",
      plot: "6ceeb689a11c43a5063b61b79b67ea643aa8f3706a5d2d340360d5f719e67d87",
      calibrationData: "1d4cab0df1b25ae97da0e2c8cba93af43a56fbe091c6b8a3557d83ccdca5d935",
    });
  });
});
