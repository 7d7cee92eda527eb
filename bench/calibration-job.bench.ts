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
 *
 * Before/after: SKYTOM_BENCH_CALIBJOB_BEFORE=<another checkout> (e.g. `git worktree add --detach
 * ../before main`, with node_modules linked) loads that checkout's pipeline and provider as well, runs the
 * two versions in turn within each run (interleaved, one process, same database), prints a line for each
 * and says whether their results (reference SHA-256 and calibration row) are the same.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { resolve } from "node:path";
import * as canonicalNow from "../src/astro/calibrate/canonical.ts";
import { importCatalogue } from "../src/catalog/import.ts";
import * as providerNow from "../src/catalog/provider.ts";
import { openDatabase, runMigrations, type Database } from "../src/db/connection.ts";
import * as pipelineNow from "../src/domain/calibration/pipeline.ts";
import type { CalibrationRequest } from "../src/domain/calibration/pipeline.ts";
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

/** One version of the steps: this checkout's, or another's (SKYTOM_BENCH_CALIBJOB_BEFORE). */
interface Version {
  name: string;
  pipeline: typeof pipelineNow;
  canonical: typeof canonicalNow;
  provider: typeof providerNow;
}

const versions: Version[] = [];
const before = process.env.SKYTOM_BENCH_CALIBJOB_BEFORE;
if (before) {
  const from = (path: string) => import(resolve(before, path));
  versions.push({
    name: `before (${before})`,
    pipeline: (await from("src/domain/calibration/pipeline.ts")) as typeof pipelineNow,
    canonical: (await from("src/astro/calibrate/canonical.ts")) as typeof canonicalNow,
    provider: (await from("src/catalog/provider.ts")) as typeof providerNow,
  });
}
versions.push({
  name: "this checkout",
  pipeline: pipelineNow,
  canonical: canonicalNow,
  provider: providerNow,
});

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
  const perVersion = versions.map(() => ({
    steps: {} as Record<string, { cpu: number[]; wall: number[] }>,
    check: "",
  }));
  for (let run = 0; run < RUNS + 2; run++) {
    for (let v = 0; v < versions.length; v++) {
      const { pipeline, canonical, provider: providers } = versions[v];
      const { steps } = perVersion[v];
      const provider = new providers.StoredCatalogueProvider(database.db);
      const parse = await timed(() => pipeline.parseCatalogue(fixture.catalogueText));
      if (!parse.value.ok) throw new Error(parse.value.error);
      const parsed = parse.value;
      const radius = await timed(() =>
        pipeline.referenceRadiusDeg(
          NIGHT_TARGET.raDeg,
          NIGHT_TARGET.decDeg,
          parsed.catalogue.raDeg,
          parsed.catalogue.decDeg,
        ),
      );
      const surveys = pipeline.coneSurveys(request.filterRequest, request.colour);
      const cone = await timed(() =>
        provider.cone(NIGHT_TARGET.raDeg, NIGHT_TARGET.decDeg, radius.value, surveys, {
          epochMjd: request.epochMjd,
        }),
      );
      const ordered = await timed(() => canonical.canonicalReference(cone.value));
      const sha = await timed(() => pipeline.referenceSha256(ordered.value));
      const fit = await timed(() => pipeline.calibrate(parsed, ordered.value, request));
      const total = [parse, radius, cone, ordered, sha, fit].reduce(
        (a, t) => ({ cpu: a.cpu + t.cpu, wall: a.wall + t.wall }),
        { cpu: 0, wall: 0 },
      );
      if (run < 2) continue; // warm-up
      const add = (name: string, t: { cpu: number; wall: number }) => {
        steps[name] ??= { cpu: [], wall: [] };
        steps[name].cpu.push(t.cpu);
        steps[name].wall.push(t.wall);
      };
      add("parse", parse);
      add("radius", radius);
      add("cone", cone);
      add("canonical", ordered);
      add("sha256", sha);
      add("fit", fit);
      add("total", total);
      perVersion[v].check = createHash("sha256")
        .update(sha.value)
        .update(JSON.stringify(fit.value))
        .digest("hex")
        .slice(0, 16);
    }
  }
  const median = (a: number[]) =>
    +percentile(
      [...a].sort((x, y) => x - y),
      50,
    ).toFixed(2);
  versions.forEach((version, v) => {
    const figures = Object.fromEntries(
      Object.entries(perVersion[v].steps).map(([k, s]) => [
        k,
        { cpu_ms: median(s.cpu), wall_ms: median(s.wall) },
      ]),
    );
    console.log(
      JSON.stringify({
        bench: "calibration job (night frame)",
        version: version.name,
        engine,
        runs: RUNS,
        sources: fixture.catalogueText.split("\n").filter((l) => l && !l.startsWith("#")).length,
        load1: +loadavg()[0].toFixed(2),
        result: perVersion[v].check,
        ...(versions.length > 1 ? { same_result: perVersion[v].check === perVersion[0].check } : {}),
        ...figures,
      }),
    );
  });
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
