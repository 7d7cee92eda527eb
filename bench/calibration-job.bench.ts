/**
 * One calibration of a night-bench frame, step by step (issue 21): the FITS job's catalogue of a 4096²
 * frame (≈ 3,000 sources) against its field's ≈ 17,000 GaiaSP reference stars imported as a catalogue,
 * filter request GaiaSP/V with colour terms on (the night bench's camera). Per step, the median CPU time
 * of this process (`process.cpuUsage()`, user + system) and wall time over RUNS runs: parse, cone radius,
 * cone query (the stored-catalogue provider: the database's answer and its decoding), canonical order,
 * reference SHA-256, CPCS fit (crossmatch, per-band likelihood, colour refit, target).
 *
 * Engines: PostgreSQL (SKYTOM_BENCH_DATABASE_URL, database SKYTOM_BENCH_CALIBJOB_DB or
 * `skytom_bench_calibjob`) and the embedded engine (PGlite, in a temporary directory); set
 * SKYTOM_BENCH_CALIBJOB_ENGINES=postgresql or pglite for one. RUNS: SKYTOM_BENCH_CALIBJOB_RUNS (15).
 * To compare two versions, run this file from both checkouts in turn (bench/interleave.mjs does).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalReference } from "../src/astro/calibrate/canonical.ts";
import { importCatalogue } from "../src/catalog/import.ts";
import { StoredCatalogueProvider } from "../src/catalog/provider.ts";
import { openDatabase, runMigrations, type Database } from "../src/db/connection.ts";
import {
  calibrate,
  coneSurveys,
  parseCatalogue,
  referenceRadiusDeg,
  referenceSha256,
  type CalibrationRequest,
} from "../src/domain/calibration/pipeline.ts";
import { NIGHT_TARGET, nightCalibrationFixture } from "./calibration-job.fixture.ts";
import { datasetCurrent, markDataset, openBenchDatabase } from "./pg.ts";
import { percentile } from "./stats.ts";

const RUNS = Number(process.env.SKYTOM_BENCH_CALIBJOB_RUNS ?? 15);
const ENGINES = (process.env.SKYTOM_BENCH_CALIBJOB_ENGINES ?? "postgresql,pglite").split(",");
const fixture = nightCalibrationFixture();

const request: Omit<CalibrationRequest, "catalogueText"> = {
  target: NIGHT_TARGET,
  filterRequest: "GaiaSP/V",
  epochMjd: 61_000.1,
  colour: { priorK: {}, pointColours: [] },
};

/** CPU (user + system) and wall time of fn, ms. */
async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, cpu: (c.user + c.system) / 1000, wall };
}

async function bench(engine: string, database: Database): Promise<void> {
  const csvVersion = createHash("sha256").update(fixture.referenceCsvPath).digest("hex").slice(0, 12);
  if (!(await datasetCurrent(database, "calibration-job-field", csvVersion))) {
    await importCatalogue(database, fixture.referenceCsvPath, {
      survey: "GaiaSP",
      name: "bench-calibration-job",
      replace: true,
    });
    await markDataset(database, "calibration-job-field", csvVersion);
  }
  const provider = new StoredCatalogueProvider(database.db);
  const steps: Record<string, { cpu: number[]; wall: number[] }> = {};
  const add = (name: string, t: { cpu: number; wall: number }) => {
    steps[name] ??= { cpu: [], wall: [] };
    steps[name].cpu.push(t.cpu);
    steps[name].wall.push(t.wall);
  };
  let check = "";
  for (let run = 0; run < RUNS + 2; run++) {
    const parse = await timed(() => parseCatalogue(fixture.catalogueText));
    if (!parse.value.ok) throw new Error(parse.value.error);
    const parsed = parse.value;
    const radius = await timed(() =>
      referenceRadiusDeg(
        NIGHT_TARGET.raDeg,
        NIGHT_TARGET.decDeg,
        parsed.catalogue.raDeg,
        parsed.catalogue.decDeg,
      ),
    );
    const surveys = coneSurveys(request.filterRequest, request.colour);
    const cone = await timed(() =>
      provider.cone(NIGHT_TARGET.raDeg, NIGHT_TARGET.decDeg, radius.value, surveys, {
        epochMjd: request.epochMjd,
      }),
    );
    const canonical = await timed(() => canonicalReference(cone.value));
    const sha = await timed(() => referenceSha256(canonical.value));
    const fit = await timed(() => calibrate(parsed, canonical.value, request));
    const total = [parse, radius, cone, canonical, sha, fit].reduce(
      (a, t) => ({ cpu: a.cpu + t.cpu, wall: a.wall + t.wall }),
      { cpu: 0, wall: 0 },
    );
    if (run < 2) continue; // warm-up
    add("parse", parse);
    add("radius", radius);
    add("cone", cone);
    add("canonical", canonical);
    add("sha256", sha);
    add("fit", fit);
    add("total", total);
    check = createHash("sha256")
      .update(sha.value)
      .update(JSON.stringify(fit.value.calibrationData))
      .digest("hex")
      .slice(0, 16);
  }
  const median = (a: number[]) =>
    +percentile(
      [...a].sort((x, y) => x - y),
      50,
    ).toFixed(2);
  const figures = Object.fromEntries(
    Object.entries(steps).map(([k, v]) => [k, { cpu_ms: median(v.cpu), wall_ms: median(v.wall) }]),
  );
  console.log(
    JSON.stringify({
      bench: "calibration job (night frame)",
      engine,
      runs: RUNS,
      sources: fixture.catalogueText.split("\n").filter((l) => l && !l.startsWith("#")).length,
      load1: +loadavg()[0].toFixed(2),
      result: check,
      ...figures,
    }),
  );
}

for (const engine of ENGINES) {
  if (engine === "postgresql") {
    const database = await openBenchDatabase(
      process.env.SKYTOM_BENCH_CALIBJOB_DB ?? "skytom_bench_calibjob",
      "calibration job",
    );
    if (!database) continue;
    try {
      await bench(engine, database);
    } finally {
      await database.close();
    }
  } else if (engine === "pglite") {
    const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-calibjob-"));
    const database = await openDatabase({ dataDir, databaseUrl: undefined }, { forceHost: true });
    try {
      await runMigrations(database);
      await database.pool.query(
        "create table if not exists bench_meta (dataset text primary key, version text not null, made timestamptz not null default now())",
      );
      await bench(engine, database);
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
