/**
 * download-photometry of a 1,000,000-point light curve through a real socket: wall time, bytes, lines,
 * and the process's resident memory before and at its peak during the download (sampled every 10 ms;
 * the server streams in keyset batches, so the peak should not grow with the light curve).
 * Needs PostgreSQL: SKYTOM_BENCH_DATABASE_URL (a server URL; default postgres://postgres@127.0.0.1:5432/postgres).
 * The generated database `skytom_bench_downloads` (`…_<N>` for SKYTOM_BENCH_POINTS=N) is kept between runs.
 * SKYTOM_BENCH_DOWNLOADS_PGLITE=1 also measures the embedded database (generated afresh each run).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, runMigrations, type Database } from "../src/db/connection.ts";
import { openBenchDatabase } from "./pg.ts";
import { createUser, tokenForUser } from "../src/domain/users/service.ts";
import { buildApp } from "../src/http/app.ts";

const N = Number(process.env.SKYTOM_BENCH_POINTS ?? 1_000_000);
const DB = N === 1_000_000 ? "skytom_bench_downloads" : `skytom_bench_downloads_${N}`;
const MB = 1024 * 1024;

/** Fill target "BenchLC" with N points (mjd increasing with ties, realistic float text). */
async function prepare(database: Database): Promise<void> {
  await runMigrations(database);
  if (!(await database.pool.query("select 1 from users where username = 'bench'")).rowCount) {
    await createUser(database.db, null, { username: "bench", password: "bench-password" });
  }
  await database.pool.query(
    `insert into targets (name, ra, dec) values ('BenchLC', 10, 20) on conflict (name) do nothing`,
  );
  const { id } = (await database.pool.query("select id from targets where name = 'BenchLC'")).rows[0];
  const have = (
    await database.pool.query("select count(*)::int n from reduced_datums where target_id = $1", [id])
  ).rows[0].n as number;
  if (have >= N) return;
  const t0 = performance.now();
  const step = 200_000;
  for (let from = have + 1; from <= N; from += step) {
    const to = Math.min(N, from + step - 1);
    await database.pool.query(
      `insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
       select $1, 55000 + floor(g / 2) * 0.00123456789, 12 + (g % 9973) / 1234.5, 0.001 + (g % 97) / 1000.0,
         (array['V(GaiaSP)', 'g(ZTF)', 'r(ZTF)'])[1 + g % 3], 'ROAD_Cam', 'observer' || (g % 17)
       from generate_series($2::int, $3::int) g`,
      [id, from, to],
    );
  }
  await database.pool.query("analyze reduced_datums");
  console.log(
    JSON.stringify({
      bench: "downloads: generate",
      rows: N - have,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
}

async function measureDownload(database: Database, engine: string, dataDir: string): Promise<void> {
  const token = await tokenForUser(database.db, "bench");
  const app = await buildApp({ database, dataDir, logger: false });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 10);
  const t0 = performance.now();
  let firstByteMs = 0;
  const { bytes, lines, status } = await new Promise<{ bytes: number; lines: number; status: number }>(
    (resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/targets/download-photometry/",
          headers: { authorization: `Token ${token}`, "content-type": "application/json" },
        },
        (res) => {
          let bytes = 0;
          let lines = 0;
          res.on("data", (chunk: Buffer) => {
            if (!firstByteMs) firstByteMs = performance.now() - t0;
            bytes += chunk.length;
            for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
          });
          res.on("end", () => resolve({ bytes, lines, status: res.statusCode ?? 0 }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ name: "BenchLC" }));
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await app.close();
  if (status !== 200 || lines !== N + 1) throw new Error(`download: status ${status}, ${lines} lines`);
  console.log(
    JSON.stringify({
      bench: `download-photometry ${N} points (${engine}, real socket)`,
      seconds: +seconds.toFixed(2),
      first_byte_ms: +firstByteMs.toFixed(1),
      mb: +(bytes / MB).toFixed(1),
      lines,
      points_per_s: Math.round(N / seconds),
      rss_before_mb: +(baseline.rss / MB).toFixed(0),
      rss_peak_mb: +(peakRss / MB).toFixed(0),
      heap_before_mb: +(baseline.heapUsed / MB).toFixed(0),
      heap_peak_mb: +(peakHeap / MB).toFixed(0),
    }),
  );
}

const database = await openBenchDatabase(DB, "downloads");
if (database) {
  await prepare(database);
  const plan = await database.pool.query(
    `explain (format json) select id, mjd from reduced_datums
     where target_id = (select id from targets where name = 'BenchLC') and active_flg and data_type = 'photometry'
       and value_unit = 'MAG' and (mjd, id) > (55100::float8, 1::int4) order by mjd, id limit 10000`,
  );
  console.log(
    JSON.stringify({
      bench: "download batch plan",
      node: JSON.stringify(plan.rows[0]["QUERY PLAN"][0].Plan).match(
        /"(Index[^"]*|Bitmap[^"]*|Seq Scan)"/,
      )?.[1],
    }),
  );
  await measureDownload(database, "postgresql", "/tmp/skytom-bench");
  await database.close();
}

if (process.env.SKYTOM_BENCH_DOWNLOADS_PGLITE === "1") {
  const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-dl-"));
  const database = await openDatabase({ dataDir, databaseUrl: undefined }, { forceHost: true });
  try {
    await prepare(database);
    await measureDownload(database, "pglite", dataDir);
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
