/**
 * A night of FITS uploads through the API (issue 21): `skytom serve` and two `skytom worker` processes
 * (one job each) on PostgreSQL; this process uploads N frames of S × S pixels as an observer would
 * (POST /upload/, data_product_type fits_file, 2 uploads in flight) and waits for the last one to end
 * (status S: calibrated point written, or E). Reports frames per minute from the first upload to the
 * last calibrated point, the per-frame breakdown of the FITS job (read, solve, extract, catalogue,
 * preview, thread round trip, store, calibrate — medians and means of the workers' "data product
 * processed" log lines), the workers' peak RSS (VmHWM) and the projected time for BHTOM's day of
 * 1,200 frames (target < 20 min on 2 cores).
 *
 * Frames: a synthetic field (demo night: GaiaSP reference stars, imported as the calibration catalogue),
 * K distinct images (seeded, pointing and seeing vary) rendered once, each upload one of them with its own
 * DATE-OBS, in turn float32, uint16 + BZERO 32768, gzip (of the uint16), and fz (`fpack`, RICE with
 * float quantisation; gzip when fpack is not installed, said in the output); every 10th frame without
 * WCS keywords (solved blind against the catalogue, camera pixel scale as prior). Making the frames is
 * not timed.
 *
 * Size: SKYTOM_BENCH_NIGHT_FRAMES (120) or `--frames N`, SKYTOM_BENCH_NIGHT_SIZE (4096) or `--size S`,
 * SKYTOM_BENCH_NIGHT_DISTINCT (6). Needs PostgreSQL (SKYTOM_BENCH_DATABASE_URL); database
 * `skytom_bench_night`. Disk: about N × S² × 2.5 bytes in the temporary directory, twice (files + stored).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { writeFits } from "../src/astro/fits/write.ts";
import type { FitsValue } from "../src/astro/fits/header.ts";
import { makeSyntheticImage } from "../src/astro/synth/image.ts";
import { dateFromMjd } from "../src/astro/time.ts";
import { importCatalogue } from "../src/catalog/import.ts";
import { demoField, referenceCsv } from "../src/demo/night.ts";
import { SYSTEM } from "../src/domain/permissions.ts";
import { createUser, tokenForUser } from "../src/domain/users/service.ts";
import { benchDatabaseUrl, openBenchDatabase } from "./pg.ts";
import { procMb, startChildServer } from "./server.ts";

function flag(name: string, env: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = Number(i >= 0 ? process.argv[i + 1] : (process.env[env] ?? fallback));
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`--${name} / ${env}: ${String(v)} is not a positive integer`);
  return v;
}

const DB = "skytom_bench_night";
const FRAMES = flag("frames", "SKYTOM_BENCH_NIGHT_FRAMES", 120);
const SIZE = flag("size", "SKYTOM_BENCH_NIGHT_SIZE", 4096);
const DISTINCT = Math.min(FRAMES, flag("distinct", "SKYTOM_BENCH_NIGHT_DISTINCT", 6));
const WORKERS = 2;
const IN_FLIGHT = 2;
const SCALE = 0.8; // arcsec/px
const RA = 150;
const DEC = 2;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CAMERA = { gain: 1.5, readNoise: 8, saturation: 60000 };

function line(record: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: "night", ...record }));
}

const database = await openBenchDatabase(DB, "night");
if (!database) process.exit(0);
const work = mkdtempSync(join(tmpdir(), "skytom-bench-night-"));
const dataDir = join(work, "data");
const workers: ChildProcess[] = [];
let server: Awaited<ReturnType<typeof startChildServer>> | null = null;

try {
  // The field: stars over the frame plus a margin for the pointing offsets, ≈ 18,500 per deg² (the demo's).
  const tPrep = performance.now();
  const halfWidthDeg = (SIZE * SCALE) / 3600 / 2 + 0.02;
  const field = demoField({
    raDeg: RA,
    decDeg: DEC,
    seed: 21,
    halfWidthDeg,
    stars: Math.round(18500 * (2 * halfWidthDeg) ** 2),
  });
  const refPath = join(work, "night-field.csv");
  writeFileSync(refPath, referenceCsv(field));
  await importCatalogue(database, refPath, { survey: "GaiaSP", name: "bench-night", replace: true });

  await database.pool.query("truncate data_products, calibrations restart identity cascade");
  if (!(await database.pool.query("select 1 from users where username = 'bench'")).rowCount) {
    await createUser(database.db, SYSTEM, { username: "bench", password: "bench-password" });
  }
  const token = await tokenForUser(database.db, "bench");
  await database.pool.query(
    `insert into targets (name, ra, dec, cx, cy, cz) values ('BenchNight', $1::float8, $2::float8,
       cos(radians($2::float8)) * cos(radians($1::float8)), cos(radians($2::float8)) * sin(radians($1::float8)), sin(radians($2::float8)))
     on conflict (name) do update set ra = excluded.ra, dec = excluded.dec`,
    [RA, DEC],
  );
  const obs = await database.pool.query(
    `insert into observatories (name, lon, lat) values ('BenchNightObs', 20, 50)
     on conflict (name) do update set lon = excluded.lon returning id`,
  );
  await database.pool.query(
    `insert into cameras (observatory_id, camera_name, prefix, active_flg, gain, readout_noise, saturation_level, pixel_scale)
     values ($1, 'Cam', 'BenchNightObs_Cam', true, $2, $3, $4, $5)
     on conflict (prefix) do update set active_flg = true, gain = excluded.gain, readout_noise = excluded.readout_noise,
       saturation_level = excluded.saturation_level, pixel_scale = excluded.pixel_scale`,
    [obs.rows[0].id, CAMERA.gain, CAMERA.readNoise, CAMERA.saturation, SCALE],
  );

  // K distinct images, then N files in four layouts, 10 % without WCS.
  const images = Array.from({ length: DISTINCT }, (_, k) =>
    makeSyntheticImage({
      seed: 100 + k,
      width: SIZE,
      height: SIZE,
      field,
      band: "V",
      centerRaDeg: RA + ((k % 3) - 1) * 0.002,
      centerDecDeg: DEC + ((k % 2) - 0.5) * 0.003,
      pixelScaleArcsec: SCALE,
      zeroPointMag: 25.8 - 0.05 * k,
      fwhmPx: 2.6 + 0.1 * k,
      skyAdu: 300 + 20 * k,
      gainEPerAdu: CAMERA.gain,
      readNoiseE: CAMERA.readNoise,
      saturationAdu: CAMERA.saturation,
      cosmicRays: 40,
      hotPixels: 20,
      target: { raDeg: RA, decDeg: DEC, mag: 15.5 },
      exptimeS: 60,
      filter: "V",
      object: "BenchNight",
    }),
  );
  const haveFpack = spawnSync("fpack", ["-V"], { encoding: "utf8" }).error === undefined;
  const layouts = [
    "float32",
    "uint16+BZERO",
    "uint16+BZERO gzip",
    haveFpack ? "float32 fz (RICE)" : "gzip (no fpack)",
  ];
  const files: { path: string; layout: string; wcs: boolean; bytes: number }[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const im = images[i % DISTINCT];
    const wcs = i % 10 !== 9;
    const header: Record<string, FitsValue> = {
      ...im.header,
      "DATE-OBS": dateFromMjd(60300.8 + i * (0.3 / FRAMES))
        .toISOString()
        .slice(0, 23),
    };
    delete header.MAGZP;
    if (!wcs)
      for (const k of Object.keys(header))
        if (/^(CTYPE|CRVAL|CRPIX|CD\d|PC\d|CDELT|CUNIT|[AB]P?_)/.test(k)) delete header[k];
    const layout = layouts[i % 4];
    const base = { data: im.data, width: SIZE, height: SIZE, header };
    const path = join(work, `frame-${String(i).padStart(4, "0")}.fits`);
    if (layout === "float32") writeFileSync(path, writeFits({ ...base, bitpix: -32 }));
    else if (layout === "uint16+BZERO")
      writeFileSync(path, writeFits({ ...base, bitpix: 16, bzero: 32768, bscale: 1 }));
    else if (layout === "float32 fz (RICE)") {
      writeFileSync(path, writeFits({ ...base, bitpix: -32 }));
      const r = spawnSync("fpack", ["-D", "-Y", path], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`fpack failed: ${r.stderr}`);
      files.push({ path: `${path}.fz`, layout, wcs, bytes: statSync(`${path}.fz`).size });
      continue;
    } else
      writeFileSync(
        `${path}.gz`,
        gzipSync(writeFits({ ...base, bitpix: 16, bzero: 32768, bscale: 1 }), { level: 6 }),
      );
    const p = layout === "float32" || layout === "uint16+BZERO" ? path : `${path}.gz`;
    files.push({ path: p, layout, wcs, bytes: statSync(p).size });
  }
  line({
    step: "prepared",
    frames: FRAMES,
    size: SIZE,
    distinct_images: DISTINCT,
    layouts,
    without_wcs: files.filter((f) => !f.wcs).length,
    total_mb: Math.round(files.reduce((a, f) => a + f.bytes, 0) / 2 ** 20),
    reference_stars: field.reference.raDeg.length,
    prepare_s: +((performance.now() - tPrep) / 1000).toFixed(1),
  });

  // The service: API without workers, two worker processes (one job each) whose log lines we read.
  const url = benchDatabaseUrl(DB);
  server = await startChildServer(url, { SKYTOM_DATA: dataDir });
  const steps: Record<string, number>[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const w = spawn(process.execPath, [join(ROOT, "bin/skytom.js"), "worker", "--concurrency", "1"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url, SKYTOM_DATA: dataDir, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    createInterface({ input: w.stdout! }).on("line", (l) => {
      try {
        const rec = JSON.parse(l) as { msg?: string; steps?: Record<string, number>; ms?: number };
        if (rec.msg === "data product processed" && rec.steps)
          steps.push({ ...rec.steps, total: rec.ms ?? 0 });
      } catch {
        /* not a log line */
      }
    });
    workers.push(w);
  }
  await new Promise((r) => setTimeout(r, 3000)); // workers connected and idle

  const ended = async () =>
    (await database.pool.query("select status, count(*)::int n from data_products group by status")).rows as {
      status: string;
      n: number;
    }[];
  let failedUploads = 0;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < files.length) {
        const f = files[next++];
        const form = new FormData();
        form.set("target", "BenchNight");
        form.set("data_product_type", "fits_file");
        form.set("observatory", "BenchNightObs_Cam");
        form.set("filter", "GaiaSP/V");
        form.set("files", new Blob([readFileSync(f.path)]), f.path.split("/").pop()!);
        const res = await fetch(`${server!.url}/upload/`, {
          method: "POST",
          headers: { authorization: `Token ${token}` },
          body: form,
        });
        const body = await res.text();
        if (res.status !== 201) {
          failedUploads++;
          line({ step: "upload refused", file: f.path, status: res.status, body: body.slice(0, 300) });
        }
      }
    }),
  );
  const uploadS = (performance.now() - t0) / 1000;
  const expected = files.length - failedUploads;
  let counts = await ended();
  const done = () => counts.filter((c) => c.status === "S" || c.status === "E").reduce((a, c) => a + c.n, 0);
  for (let i = 0; i < 7200 && done() < expected; i++) {
    await new Promise((r) => setTimeout(r, 500));
    counts = await ended();
  }
  const totalS = (performance.now() - t0) / 1000;
  const calibrated = counts.find((c) => c.status === "S")?.n ?? 0;
  const errors = await database.pool.query(
    "select status_message, count(*)::int n from data_products where status = 'E' group by status_message",
  );
  const peakMb = workers.map((w) => (w.pid ? +procMb(w.pid, "VmHWM").toFixed(0) : null));
  const keys = ["read", "solve", "extract", "catalogue", "preview", "thread", "store", "calibrate"];
  keys.push("calibrateCone", "calibrateFit", "calibratePlot", "total");
  const stat = (k: string, f: (v: number[]) => number) =>
    +f(steps.map((s) => s[k] ?? 0).sort((a, b) => a - b)).toFixed(0);
  const median = (v: number[]) => v[v.length >> 1] ?? NaN;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const perMinute = (60 * calibrated) / totalS;
  line({
    step: `${FRAMES} frames ${SIZE}x${SIZE} through the API, ${WORKERS} worker processes`,
    uploaded: expected,
    upload_failures: failedUploads,
    upload_s: +uploadS.toFixed(1),
    calibrated,
    status_e: Object.fromEntries(errors.rows.map((r) => [r.status_message, r.n])),
    last_done_after_s: +totalS.toFixed(1),
    frames_per_minute: +perMinute.toFixed(1),
    projected_1200_frames_min: +(1200 / perMinute).toFixed(1),
    target_1200_frames_min: 20,
    worker_peak_rss_mb: peakMb,
    loadavg: loadavg().map((v) => +v.toFixed(2)),
  });
  line({
    step: "per-frame breakdown of the FITS job, ms (workers' log lines)",
    jobs: steps.length,
    median: Object.fromEntries(keys.map((k) => [k, stat(k, median)])),
    mean: Object.fromEntries(keys.map((k) => [k, stat(k, mean)])),
    median_blind_solved: Object.fromEntries(
      ["solve", "total"].map((k) => [
        k,
        +median(
          steps
            .filter((s) => (s.solve ?? 0) > 100) // blind solves (a header WCS takes ~1 ms)
            .map((s) => s[k])
            .sort((a, b) => a - b),
        ).toFixed(0),
      ]),
    ),
  });
} finally {
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once("exit", r)) : null)));
  await server?.stop();
  await database.close();
  rmSync(work, { recursive: true, force: true });
}
