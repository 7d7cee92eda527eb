/**
 * Sustained upload + calibration throughput (issue #10 target: ≥ 60 calibrated uploads per minute with 2
 * workers on 2 cores). `skytom serve` (no in-process workers) and two `skytom worker` processes as child
 * processes on one PostgreSQL database and one data directory; this process uploads instrumental
 * catalogues (2,000 sources each, the CCDPhot layout, a different night each) through HTTP for
 * SKYTOM_BENCH_UPLOAD_SECONDS (default 60) with up to 4 uploads in flight and at most 20 waiting for a
 * worker, then counts the data products that
 * reached status S (calibrated, a light-curve point written) within that window and how long the rest
 * took to drain. Needs PostgreSQL (SKYTOM_BENCH_DATABASE_URL); database `skytom_bench_uploads`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchDatabaseUrl, openBenchDatabase } from "./pg.ts";
import { startChildServer } from "./server.ts";
import { createRng } from "../src/astro/synth/random.ts";
import { importCatalogue } from "../src/catalog/import.ts";
import { syntheticCatalogueLines } from "../src/catalog/synth.ts";
import { createUser, tokenForUser } from "../src/domain/users/service.ts";
import { SYSTEM } from "../src/domain/permissions.ts";

const DB = "skytom_bench_uploads";
const SECONDS = Number(process.env.SKYTOM_BENCH_UPLOAD_SECONDS ?? 60);
const IN_FLIGHT = 4;
const BACKLOG = 20;
const WORKERS = 2;
const ZP = 24.3;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const database = await openBenchDatabase(DB, "uploads");
if (!database) process.exit(0);

// Reference field (GaiaSP, 3,000 stars in 0.3°) and the stars the telescope sees in it.
const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-up-"));
const lines = syntheticCatalogueLines({ raDeg: 150, decDeg: 2, radiusDeg: 0.3, stars: 3000, seed: 3 });
const refPath = join(dataDir, "bench-field.csv");
writeFileSync(refPath, `${lines.join("\n")}\n`);
await importCatalogue(database, refPath, { survey: "GaiaSP", name: "bench-field", replace: true });
const header = lines[0].split(",");
const [iRa, iDec, iV] = ["ra", "dec", "V"].map((c) => header.indexOf(c));
const stars = lines
  .slice(1)
  .map((l) => l.split(",").map(Number))
  .map((c) => ({ ra: c[iRa], dec: c[iDec], v: c[iV] }))
  .filter((s) => Number.isFinite(s.v))
  .slice(0, 2000);
const target = stars.find((s) => s.v > 14 && s.v < 16) ?? stars[0];

await database.pool.query("truncate data_products, calibrations restart identity cascade");
if (!(await database.pool.query("select 1 from users where username = 'bench'")).rowCount) {
  await createUser(database.db, SYSTEM, { username: "bench", password: "bench-password" });
}
const token = await tokenForUser(database.db, "bench");
await database.pool.query(
  `insert into targets (name, ra, dec, cx, cy, cz) values ('BenchUp', $1::float8, $2::float8,
     cos(radians($2::float8)) * cos(radians($1::float8)), cos(radians($2::float8)) * sin(radians($1::float8)), sin(radians($2::float8)))
   on conflict (name) do nothing`,
  [target.ra, target.dec],
);
const obs = await database.pool.query(
  `insert into observatories (name, lon, lat) values ('BenchObs', 20, 50)
   on conflict (name) do update set lon = excluded.lon returning id`,
);
await database.pool.query(
  `insert into cameras (observatory_id, camera_name, prefix, active_flg) values ($1, 'Cam', 'BenchObs_Cam', true)
   on conflict (prefix) do update set active_flg = true`,
  [obs.rows[0].id],
);

const rng = createRng(9);
/** One night's instrumental catalogue: the field's stars at ZP with photon-ish noise. */
function catalogue(): string {
  const head = ["NUMBER", "ALPHA_J2000", "DELTA_J2000", "XWIN_IMAGE", "YWIN_IMAGE", "MAG_AUTO", "MAGERR_AUTO"]
    .map((n, i) => `#   ${i + 1} ${n}`)
    .join("\n");
  const rows = stars.map((s, i) => {
    const err = 0.003 + 0.02 * 10 ** (0.4 * (s.v - 19));
    return [
      i + 1,
      (s.ra + rng.gaussian() * 2e-5).toFixed(7),
      (s.dec + rng.gaussian() * 2e-5).toFixed(7),
      "0.0",
      "0.0",
      (s.v - ZP + rng.gaussian() * err).toFixed(4),
      err.toFixed(4),
    ].join(" ");
  });
  return `${head}\n${rows.join("\n")}\n`;
}

const url = benchDatabaseUrl(DB);
const server = await startChildServer(url, { SKYTOM_DATA: dataDir });
const workers: ChildProcess[] = [];
for (let i = 0; i < WORKERS; i++) {
  workers.push(
    spawn(process.execPath, [join(ROOT, "bin/skytom.js"), "worker", "--concurrency", "1"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url, SKYTOM_DATA: dataDir, LOG_LEVEL: "warn" },
      stdio: ["ignore", "inherit", "inherit"],
    }),
  );
}
const count = async (status: string) =>
  (await database.pool.query("select count(*)::int n from data_products where status = $1", [status])).rows[0]
    .n as number;

try {
  let night = 0;
  let uploaded = 0;
  let failed = 0;
  const upload = async () => {
    const form = new FormData();
    form.set("target", "BenchUp");
    form.set("data_product_type", "photometry");
    form.set("observatory", "BenchObs_Cam");
    form.set("mjd", String(60000 + night++ * 0.01));
    form.set("filter", "GaiaSP/V");
    form.set("files", new Blob([catalogue()]), `night${night}.cat`);
    const res = await fetch(`${server.url}/upload/`, {
      method: "POST",
      headers: { authorization: `Token ${token}` },
      body: form,
    });
    await res.arrayBuffer();
    if (res.status === 201) uploaded++;
    else failed++;
  };
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  // Uploads keep at most BACKLOG products waiting, so the window measures the steady state and the
  // drain afterwards is short.
  let done = 0;
  const poll = setInterval(() => {
    void database.pool.query("select count(*)::int n from data_products where status in ('S', 'E')").then(
      (r) => (done = r.rows[0].n as number),
      () => undefined,
    );
  }, 250);
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        if (uploaded - done >= BACKLOG) await new Promise((r) => setTimeout(r, 50));
        else await upload();
      }
    }),
  );
  clearInterval(poll);
  const windowSeconds = (performance.now() - t0) / 1000;
  const calibratedInWindow = await count("S");
  // Drain: wait for every upload to end (S or E), at most 5 minutes.
  for (let i = 0; i < 300 && (await count("S")) + (await count("E")) < uploaded; i++) {
    await new Promise((r) => setTimeout(r, 1000));
  }
  const drainSeconds = (performance.now() - t0) / 1000;
  const calibrated = await count("S");
  const errors = await count("E");
  console.log(
    JSON.stringify({
      bench: `uploads: photometry catalogues (2000 sources) → calibrated points, ${WORKERS} worker processes`,
      upload_seconds: +windowSeconds.toFixed(1),
      uploaded,
      upload_failures: failed,
      calibrated_in_window: calibratedInWindow,
      calibrated_per_minute_in_window: Math.round((60 * calibratedInWindow) / windowSeconds),
      calibrated_total: calibrated,
      status_e: errors,
      all_done_after_s: +drainSeconds.toFixed(1),
      calibrated_per_minute_overall: Math.round((60 * calibrated) / drainSeconds),
    }),
  );
} finally {
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once("exit", r)) : null)));
  await server.stop();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
}
