/**
 * download-photometry of 1,000,000- and 3,000,000-point light curves (issue #10 target: 1M points < 1 s
 * with flat memory) from `skytom serve` running as a child process, read through a real socket: time to
 * first and last byte, size, and the server's resident memory before and at its peak during the download
 * (the kernel's high-water mark VmHWM, reset before each download; sampled from /proc where that is not
 * possible). Memory is flat when the 3M peak is no higher than the 1M peak.
 * Needs PostgreSQL: SKYTOM_BENCH_DATABASE_URL (a server URL; default postgres://postgres@127.0.0.1:5432/postgres).
 * The generated database `skytom_bench_downloads` is kept between runs (made again when the generator changes).
 * SKYTOM_BENCH_DOWNLOAD_SIZES: comma-separated light-curve sizes (default 1000000,3000000).
 * SKYTOM_BENCH_DOWNLOADS_PGLITE=1 also measures the embedded database in-process (1M points, generated afresh).
 *
 * Each size is measured twice (file cache, src/domain/downloads/file-cache.ts): cold — the first
 * download after a change to the points (a no-op update of one point bumps the target's datums_version),
 * rendered by PostgreSQL and written to the cache file as it is sent — then warm, served from that file.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, runMigrations, type Database } from "../src/db/connection.ts";
import { benchDatabaseUrl, datasetCurrent, markDataset, openBenchDatabase } from "./pg.ts";
import { MB, procMb, resetPeakRss, startChildServer } from "./server.ts";
import { cacheDir } from "../src/domain/downloads/file-cache.ts";
import { createUser, tokenForUser } from "../src/domain/users/service.ts";
import { buildApp } from "../src/app.ts";
import { SYSTEM } from "../src/domain/permissions.ts";
import { settleBulkLoad } from "../src/domain/datums/settle.ts";

const SIZES = (process.env.SKYTOM_BENCH_DOWNLOAD_SIZES ?? "1000000,3000000").split(",").map(Number);
const DB = process.env.SKYTOM_BENCH_DOWNLOADS_DB ?? "skytom_bench_downloads";
/** Also measure a freshly bulk-loaded light curve (SKYTOM_BENCH_DOWNLOADS_FRESH=0 skips it). */
const FRESH = process.env.SKYTOM_BENCH_DOWNLOADS_FRESH !== "0";
const FRESH_POINTS = 1_000_000;
const GENERATOR = "downloads-2";
const targetName = (n: number) => `BenchLC${n}`;

/** Target `BenchLC<n>` with n points (mjd increasing with ties, realistic float text, 3 filters). */
async function prepareCurve(database: Database, n: number): Promise<void> {
  const name = targetName(n);
  await database.pool.query(
    `insert into targets (name, ra, dec) values ($1, 10, 20) on conflict (name) do nothing`,
    [name],
  );
  const { id } = (await database.pool.query("select id from targets where name = $1", [name])).rows[0];
  const have = (
    await database.pool.query("select count(*)::int n from reduced_datums where target_id = $1", [id])
  ).rows[0].n as number;
  if (have === n) return;
  const t0 = performance.now();
  await database.pool.query("delete from reduced_datums where target_id = $1", [id]);
  const step = 500_000;
  for (let from = 1; from <= n; from += step) {
    await database.pool.query(
      `insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
       select $1, 55000 + floor(g / 2) * 0.00123456789, 12 + (g % 9973) / 1234.5, 0.001 + (g % 97) / 1000.0,
         (array['V(GaiaSP)', 'g(ZTF)', 'r(ZTF)'])[1 + g % 3], 'ROAD_Cam', 'observer' || (g % 17)
       from generate_series($2::int, $3::int) g`,
      [id, from, Math.min(n, from + step - 1)],
    );
  }
  console.log(
    JSON.stringify({
      bench: "downloads: generate",
      rows: n,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
    }),
  );
}

async function prepare(database: Database, sizes: number[]): Promise<void> {
  await runMigrations(database);
  if (!(await database.pool.query("select 1 from users where username = 'bench'")).rowCount) {
    await createUser(database.db, SYSTEM, { username: "bench", password: "bench-password" });
  }
  for (const n of sizes) await prepareCurve(database, n);
  await database.pool.query("vacuum analyze reduced_datums");
}

/** POST the download; count bytes and lines as they arrive. */
function download(
  url: string,
  token: string,
  name: string,
): Promise<{ bytes: number; lines: number; status: number; firstByteMs: number; seconds: number }> {
  const t0 = performance.now();
  let firstByteMs = 0;
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request(
      {
        host: hostname,
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
        res.on("end", () =>
          resolve({
            bytes,
            lines,
            status: res.statusCode ?? 0,
            firstByteMs,
            seconds: (performance.now() - t0) / 1000,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ name }));
  });
}

/** Make the cached file of this light curve stale: a no-op update of one point bumps its datums_version. */
async function touchCurve(database: Database, n: number): Promise<void> {
  const res = await database.pool.query(
    `update reduced_datums set observer = observer
     where id = (select r.id from reduced_datums r join targets t on t.id = r.target_id where t.name = $1 limit 1)`,
    [targetName(n)],
  );
  if (res.rowCount !== 1) throw new Error(`no point of ${targetName(n)} to touch`);
}

/** The cache file of the version current now has been written (renamed into place) by the server. */
async function waitForCacheFile(database: Database, dataDir: string, n: number): Promise<void> {
  const { id, v } = (
    await database.pool.query("select id, datums_version::text as v from targets where name = $1", [
      targetName(n),
    ])
  ).rows[0];
  const file = join(cacheDir(dataDir), `${id}-photometry-${v}.csv`);
  const deadline = Date.now() + 30_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no cache file ${file} after 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Download `n` points from a process `pid` serving at `url` with data directory `dataDir`, cold (first
 * after a change) then warm (from the cache file): a JSON line each with time and the server's memory.
 */
async function measureColdWarm(
  database: Database,
  dataDir: string,
  url: string,
  pid: number,
  token: string,
  n: number,
  engine: string,
) {
  await download(url, token, targetName(n)); // warm process: modules, plans, caches
  await waitForCacheFile(database, dataDir, n); // its file is synced and renamed: not while measuring
  await touchCurve(database, n);
  await measureDownload(url, pid, token, n, `${engine}, cache cold`);
  await waitForCacheFile(database, dataDir, n);
  await measureDownload(url, pid, token, n, `${engine}, cache warm`);
}

/** One download from a process `pid` serving at `url`: a JSON line with time and the server's memory. */
async function measureDownload(url: string, pid: number, token: string, n: number, engine: string) {
  const rssBefore = procMb(pid, "VmRSS");
  const reset = resetPeakRss(pid);
  let sampledPeak = rssBefore;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, procMb(pid, "VmRSS"))), 10);
  const r = await download(url, token, targetName(n));
  clearInterval(sampler);
  const peak = reset ? procMb(pid, "VmHWM") : sampledPeak;
  if (r.status !== 200 || r.lines !== n + 1)
    throw new Error(`download: status ${r.status}, ${r.lines} lines`);
  console.log(
    JSON.stringify({
      bench: `download-photometry ${n} points (${engine}, real socket)`,
      seconds: +r.seconds.toFixed(3),
      first_byte_ms: +r.firstByteMs.toFixed(1),
      mb: +(r.bytes / MB).toFixed(1),
      lines: r.lines,
      points_per_s: Math.round(n / r.seconds),
      server_rss_before_mb: Math.round(rssBefore),
      server_rss_peak_mb: Math.round(peak),
      peak_from: reset ? "VmHWM" : "sampled VmRSS",
    }),
  );
}

/** The id of bench target `name` at (ra, dec), made when missing. */
async function benchTarget(database: Database, name: string, ra: number, dec: number): Promise<number> {
  await database.pool.query(
    `insert into targets (name, ra, dec) values ($1, $2, $3) on conflict (name) do nothing`,
    [name, ra, dec],
  );
  return (await database.pool.query("select id from targets where name = $1", [name])).rows[0].id;
}

/**
 * The first download of a light curve just uploaded through skytom: `POST /upload/` of a light-curve CSV
 * of FRESH_POINTS points, as an observer's script sends one — the path users take, which stores the points
 * and settles the load after its commit (src/domain/datums/settle.ts) before it answers.
 */
async function measureUploadedLoad(
  database: Database,
  url: string,
  pid: number,
  token: string,
): Promise<void> {
  const n = FRESH_POINTS;
  const name = `BenchLCupload${n}`;
  const id = await benchTarget(database, name, 12, 22);
  await database.pool.query("delete from data_products where target_id = $1", [id]);
  await database.pool.query("delete from reduced_datums where target_id = $1", [id]);
  await database.pool.query("vacuum reduced_datums");
  const lines = ["time,filter,magnitude,error,observer"];
  for (let g = 1; g <= n; g++) {
    const mjd = (56000 + g * 0.00123456789).toFixed(8);
    const mag = (12 + (g % 9973) / 1234.5).toFixed(4);
    lines.push(`${mjd},${["V", "g", "r"][g % 3]},${mag},${(0.001 + (g % 97) / 1000).toFixed(3)},bench`);
  }
  const csv = lines.join("\n") + "\n";
  const form = new FormData();
  form.append("target", name);
  form.append("data_product_type", "photometry_csv");
  form.append("observatory", "BenchUpload");
  form.append("files", new Blob([csv]), `bench-${Date.now()}.csv`);
  const t0 = performance.now();
  const res = await fetch(`${url}/upload/`, {
    method: "POST",
    headers: { authorization: `Token ${token}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${(await res.text()).slice(0, 300)}`);
  const uploadS = (performance.now() - t0) / 1000;
  const r = await download(url, token, name);
  if (r.status !== 200 || r.lines !== n + 1)
    throw new Error(`download: status ${r.status}, ${r.lines} lines`);
  console.log(
    JSON.stringify({
      bench: `download-photometry ${n} points (postgresql, freshly loaded table, cold)`,
      case: "0: first read after an upload of the points through POST /upload/ (a light-curve CSV)",
      seconds: +r.seconds.toFixed(3),
      first_byte_ms: +r.firstByteMs.toFixed(1),
      server_rss_mb: Math.round(procMb(pid, "VmRSS")),
      upload_s: +uploadS.toFixed(1),
      csv_mb: +(csv.length / 2 ** 20).toFixed(1),
    }),
  );
}

/**
 * The first downloads of a light curve just bulk-loaded (FRESH_POINTS points inserted now, in one
 * statement per 500,000, like the generator), each cold (a change before each). First as skytom's own
 * loads leave the table: (0) the load settled right after its commit by `settleBulkLoad` (what a
 * light-curve upload or a harvest of ≥ SETTLE_AFTER_POINTS points runs; src/domain/datums/settle.ts).
 * Then loaded again without it, in three states: (1) right after the load — no tuple has its hint bits,
 * no page is all-visible; (2) after that first read — hint bits set, the visibility map still empty, so
 * the index-only scans visit the heap; (3) after `VACUUM (ANALYZE) reduced_datums` — pages all-visible,
 * heap not visited. Each line gives the heap fetches of the index-only scan measured after it (EXPLAIN
 * ANALYZE) and the seconds the load (and the settling) took.
 */
async function measureFreshLoad(database: Database, url: string, pid: number, token: string): Promise<void> {
  const n = FRESH_POINTS;
  const name = `BenchLCfresh${n}`;
  const id = await benchTarget(database, name, 11, 21);
  const load = async () => {
    await database.pool.query("delete from reduced_datums where target_id = $1", [id]);
    await database.pool.query("vacuum reduced_datums"); // the delete's dead rows out of the way
    const t0 = performance.now();
    for (let from = 1; from <= n; from += 500_000) {
      await database.pool.query(
        `insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
         select $1, 56000 + floor(g / 2) * 0.00123456789, 12 + (g % 9973) / 1234.5, 0.001 + (g % 97) / 1000.0,
           (array['V(GaiaSP)', 'g(ZTF)', 'r(ZTF)'])[1 + g % 3], 'ROAD_Cam', 'observer' || (g % 17)
         from generate_series($2::int, $3::int) g`,
        [id, from, Math.min(n, from + 500_000 - 1)],
      );
    }
    return (performance.now() - t0) / 1000;
  };
  const heapFetches = async () => {
    const plan = await database.pool.query(
      `explain (analyze, buffers, format json) select r.download_line from reduced_datums r
       where r.target_id = $1 and r.value_unit = 'MAG' and r.active_flg and r.data_type = 'photometry'
       order by r.mjd, r.id`,
      [id],
    );
    const walk = (node: Record<string, unknown>): number =>
      Number(node["Heap Fetches"] ?? 0) +
      ((node.Plans as Record<string, unknown>[] | undefined) ?? []).reduce((a, c) => a + walk(c), 0);
    return walk((plan.rows[0]["QUERY PLAN"] as { Plan: Record<string, unknown> }[])[0].Plan);
  };
  const touch = () =>
    database.pool.query(
      "update reduced_datums set observer = observer where id = (select min(id) from reduced_datums where target_id = $1)",
      [id],
    );
  const one = async (state: string, extra: Record<string, number> = {}) => {
    const r = await download(url, token, name);
    if (r.status !== 200 || r.lines !== n + 1)
      throw new Error(`download: status ${r.status}, ${r.lines} lines`);
    console.log(
      JSON.stringify({
        bench: `download-photometry ${n} points (postgresql, freshly loaded table, cold)`,
        case: state,
        seconds: +r.seconds.toFixed(3),
        first_byte_ms: +r.firstByteMs.toFixed(1),
        server_rss_mb: Math.round(procMb(pid, "VmRSS")),
        heap_fetches_after: await heapFetches(),
        ...extra,
      }),
    );
  };
  const loadS = await load();
  const t0 = performance.now();
  if (!(await settleBulkLoad(database.db, n))) throw new Error("settleBulkLoad did not vacuum");
  const settleS = (performance.now() - t0) / 1000;
  await touch();
  await one("0b: first read after an SQL load settled as skytom settles its own (settleBulkLoad)", {
    load_s: +loadS.toFixed(1),
    settle_s: +settleS.toFixed(2),
  });
  const reloadS = await load();
  await touch();
  await one("1: first read after an unsettled bulk load (no hint bits, visibility map empty)", {
    load_s: +reloadS.toFixed(1),
  });
  await touch();
  await one("2: second read, unsettled (hint bits set, visibility map still empty)");
  await database.pool.query("vacuum (analyze) reduced_datums");
  await touch();
  await one("3: after VACUUM (ANALYZE) reduced_datums (pages all-visible)");
}

const database = await openBenchDatabase(DB, "downloads");
if (database) {
  if (!(await datasetCurrent(database, "downloads", `${GENERATOR}:${SIZES.join(",")}`))) {
    await prepare(database, SIZES);
    await markDataset(database, "downloads", `${GENERATOR}:${SIZES.join(",")}`);
  }
  const token = await tokenForUser(database.db, "bench");
  // The server's data directory (its download cache) is ours, to see when the cache file is in place.
  const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-dl-data-"));
  const server = await startChildServer(benchDatabaseUrl(DB), { SKYTOM_DATA: dataDir });
  try {
    for (const n of SIZES) {
      await measureColdWarm(database, dataDir, server.url, server.pid, token, n, "postgresql, kept table");
    }
    if (FRESH) {
      await measureUploadedLoad(database, server.url, server.pid, token);
      await measureFreshLoad(database, server.url, server.pid, token);
    }
  } finally {
    await server.stop();
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.env.SKYTOM_BENCH_DOWNLOADS_PGLITE === "1") {
  const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-dl-"));
  const embedded = await openDatabase({ dataDir, databaseUrl: undefined }, { forceHost: true });
  try {
    await prepare(embedded, [1_000_000]);
    const token = await tokenForUser(embedded.db, "bench");
    const app = await buildApp({ database: embedded, dataDir, logger: false });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    await measureColdWarm(embedded, dataDir, url, process.pid, token, 1_000_000, "pglite, in-process");
    await app.close();
  } finally {
    await embedded.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
