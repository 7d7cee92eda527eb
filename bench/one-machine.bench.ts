/**
 * The one-machine default under heavy work (issue #22 item 5): `skytom serve` on an embedded data
 * directory (one background worker), probed with GET /api/health/ back to back and with small
 * light-curve uploads one after another, while
 * - idle (baseline),
 * - `skytom catalog import` of a 100,000-star CSV runs in another process (through the server's socket),
 * - the worker measures a 6144 × 6144 FITS frame.
 * Per phase: health latency p50/p99/max and non-200 answers, uploads completed and their latency.
 * Target: health p99 < 100 ms and 200 throughout, uploads completing. No PostgreSQL needed.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { syntheticCatalogueLines } from "../src/catalog/synth.ts";
import { fieldFrame, seedDataDir, serve, statusOf, uploadFile } from "../test/helpers/one-machine.ts";
import { stopSkytom } from "../test/helpers/processes.ts";
import { percentile } from "./stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const IMPORT_STARS = Number(process.env.SKYTOM_BENCH_IMPORT_STARS ?? 100_000);
const FRAME_PX = Number(process.env.SKYTOM_BENCH_FRAME_PX ?? 6144);

const seeded = await seedDataDir();
const server = await serve("bench-serve", seeded.dataDir, { SKYTOM_WORKERS: "1" });

let uploadSeq = 0;
/** Probe health and upload small light curves until `done` resolves; report one line. */
async function phase(name: string, done: Promise<unknown>, extra: Record<string, unknown> = {}) {
  let running = true;
  void done.finally(() => (running = false));
  const health: number[] = [];
  let notOk = 0;
  const uploads: number[] = [];
  let uploadFailures = 0;
  const t0 = performance.now();
  const prober = (async () => {
    while (running) {
      const t = performance.now();
      const res = await fetch(`${server.url}/api/health/`).catch(() => null);
      health.push(performance.now() - t);
      if (res?.status !== 200) notOk++;
      await res?.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const uploader = (async () => {
    while (running) {
      const n = uploadSeq++;
      const rows = Array.from({ length: 100 }, (_, i) => `${(61000 + n + i * 1e-3).toFixed(5)},V,15.1,0.02`);
      const t = performance.now();
      const res = await uploadFile(
        server.url,
        seeded.token,
        { target: "CrashT", data_product_type: "photometry_csv", observatory: "Here" },
        { name: `lc-${n}.csv`, content: Buffer.from(`time,filter,magnitude,error\n${rows.join("\n")}\n`) },
      ).catch(() => ({ status: 0 }));
      uploads.push(performance.now() - t);
      if (res.status !== 201) uploadFailures++;
    }
  })();
  await done;
  await Promise.all([prober, uploader]);
  const h = [...health].sort((a, b) => a - b);
  const u = [...uploads].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: `one-machine.${name}`,
      seconds: +((performance.now() - t0) / 1000).toFixed(1),
      health_probes: h.length,
      health_p50_ms: +percentile(h, 50).toFixed(1),
      health_p99_ms: +percentile(h, 99).toFixed(1),
      health_max_ms: +h[h.length - 1].toFixed(1),
      health_not_200: notOk,
      uploads: u.length,
      upload_failures: uploadFailures,
      upload_p50_ms: +percentile(u, 50).toFixed(1),
      upload_max_ms: +u[u.length - 1].toFixed(1),
      ...extra,
    }),
  );
}

try {
  await phase("idle", new Promise((r) => setTimeout(r, 5000)));

  const csv = join(seeded.dataDir, "big-catalogue.csv");
  const lines = syntheticCatalogueLines({
    raDeg: 200,
    decDeg: -30,
    radiusDeg: 1,
    stars: IMPORT_STARS,
    seed: 9,
  });
  writeFileSync(csv, `${lines.join("\n")}\n`);
  const importStart = performance.now();
  const imported = new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin/skytom.js"), "catalog", "import", csv, "--survey", "GaiaSP", "--name", "big"],
      { env: { ...process.env, SKYTOM_DATA: seeded.dataDir }, stdio: "ignore" },
    );
    child.once("exit", (code) => resolve(code));
  });
  await phase("catalog-import", imported, { stars: IMPORT_STARS });
  console.log(
    JSON.stringify({
      bench: "one-machine.catalog-import-time",
      stars: IMPORT_STARS,
      exit_code: await imported,
      seconds: +((performance.now() - importStart) / 1000).toFixed(1),
    }),
  );

  const frame = fieldFrame(FRAME_PX, 31);
  const up = await uploadFile(
    server.url,
    seeded.token,
    { target: "CrashT", data_product_type: "fits_file", observatory: "Synth_Cam", filter: "GaiaSP/V" },
    { name: "big.fits", content: frame },
  );
  if (up.status !== 201) throw new Error(`FITS upload: ${up.status} ${JSON.stringify(up.body)}`);
  const id = up.body.data![0].id;
  const measured = (async () => {
    for (;;) {
      const s = await statusOf(server.url, seeded.token, id);
      if (s === "S" || s === "E") return s;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await phase("fits-measurement", measured, { frame_px: FRAME_PX });
  console.log(
    JSON.stringify({ bench: "one-machine.fits-status", frame_px: FRAME_PX, status: await measured }),
  );
} finally {
  await stopSkytom(server.p, 10_000);
  seeded.remove();
}
