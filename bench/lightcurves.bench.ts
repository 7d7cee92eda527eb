/**
 * 10,000,000 light-curve points (issue #10): 1,000 points for each of the 10,000 targets with optical
 * data among the 1,000,000 of the targets bench (run `npm run bench -- targets` first; this bench makes
 * them if needed). Generation time; then, with the table at 10M rows: getTargetList with the has-data
 * filter, the light-curve plot of a target (`/targets/get-plots/`, each target once: no cache hits) and
 * its CSV download, one request at a time in-process.
 * Needs PostgreSQL (SKYTOM_BENCH_DATABASE_URL); database `skytom_bench_targets`, kept between runs.
 */
import { datasetCurrent, markDataset, openBenchDatabase } from "./pg.ts";
import { buildApp } from "../src/app.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { tokenForUser } from "../src/domain/users/service.ts";
import { measure } from "./stats.ts";

const DB = "skytom_bench_targets";
const PER_TARGET = 1000;
const GENERATOR = `lightcurves-1:${PER_TARGET}`;

const database = await openBenchDatabase(DB, "lightcurves");
if (!database) process.exit(0);
if (!(await datasetCurrent(database, "targets", "targets-2:1000000"))) {
  console.log(JSON.stringify({ bench: "lightcurves", skipped: "run `npm run bench -- targets` first" }));
  await database.close();
  process.exit(0);
}

const withData = (
  await database.pool.query<{ id: number; name: string }>(
    "select id, name from targets where has_optical order by id",
  )
).rows;

if (!(await datasetCurrent(database, "lightcurves", GENERATOR))) {
  const t0 = performance.now();
  const client = await database.pool.connect();
  try {
    await client.query("set synchronous_commit = off");
    await client.query("set maintenance_work_mem = '512MB'");
    await client.query("truncate reduced_datums");
    // Load without the secondary indexes, then build them again from their own definitions.
    const defs = (
      await client.query<{ name: string; def: string }>(
        `select indexname as name, indexdef as def from pg_indexes
         where tablename = 'reduced_datums' and indexname <> 'reduced_datums_pkey'`,
      )
    ).rows;
    for (const d of defs) {
      const isConstraint = (await client.query("select 1 from pg_constraint where conname = $1", [d.name]))
        .rowCount;
      await client.query(
        isConstraint ? `alter table reduced_datums drop constraint "${d.name}"` : `drop index "${d.name}"`,
      );
    }
    const step = 1000;
    for (let i = 0; i < withData.length; i += step) {
      const ids = withData.slice(i, i + step).map((t) => t.id);
      await client.query(
        `insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
         select t, 58000 + g * 1.37 + (t % 97) * 0.001, 14 + sin(g / 30.0 + t) + (g % 13) / 100.0,
           0.005 + (g % 50) / 1000.0, (array['V(GaiaSP)', 'g(ZTF)', 'r(ZTF)', 'G(Gaia)'])[1 + g % 4],
           'Cam' || (t % 50), 'observer' || (g % 17)
         from unnest($1::int[]) t, generate_series(1, ${PER_TARGET}) g`,
        [ids],
      );
    }
    for (const d of defs) await client.query(d.def);
    await client.query("vacuum analyze reduced_datums");
  } finally {
    client.release();
  }
  await markDataset(database, "lightcurves", GENERATOR);
  console.log(
    JSON.stringify({
      bench: "lightcurves: generate",
      rows: withData.length * PER_TARGET,
      targets: withData.length,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
}
const rows = (await database.pool.query("select count(*)::int n from reduced_datums")).rows[0].n as number;

const token = await tokenForUser(database.db, "bench");
const app = await buildApp({ database, dataDir: "/tmp/skytom-bench", logger: false });
const rng = createRng(21);
const post = async (url: string, body: unknown) => {
  const res = await app.inject({
    method: "POST",
    url,
    headers: { authorization: `Token ${token}` },
    payload: body as Record<string, unknown>,
  });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return res;
};
const pick = () => withData[Math.floor(rng.uniform(0, withData.length))].name;
const extra = { points: rows, targets_with_points: withData.length };

await measure(
  "getTargetList hasOptical=true, random page (uncached), 10M points in the database",
  // A random lastMagMax above every magnitude: the same answer, but no two requests share a cache entry.
  () =>
    post("/targets/getTargetList/", {
      hasOptical: "true",
      lastMagMax: 50 + rng.uniform(0, 1),
      page: 1 + Math.floor(rng.uniform(0, 50)),
    }),
  { runs: 100, warmup: 10, extra },
);
await measure(
  `get-plots: light curve of a target with ${PER_TARGET} points (uncached), 10M points in the database`,
  () => post("/targets/get-plots/", { targetNames: [pick()] }),
  { runs: 100, warmup: 10, extra },
);
await measure(
  `download-photometry of a target with ${PER_TARGET} points, 10M points in the database`,
  () => post("/targets/download-photometry/", { name: pick() }),
  { runs: 100, warmup: 10, extra },
);
await app.close();
await database.close();
