/**
 * Issue #16: time from upload to calibrated point for a field nobody imported (one archive round trip, to a
 * local stand-in of the Gaia archive: test/helpers/tap-server.ts) against a field already cached. Each
 * upload is a SExtractor catalogue (~350 stars) through POST /upload/, the queue and the worker, timed until
 * its data product reaches status S. New fields: a different region each time (every one uncached); cached:
 * the same region again. Embedded database (PGlite), one worker.
 */
import { eq } from "drizzle-orm";
import pino from "pino";
import { angularSeparationDeg } from "../src/astro/coords.ts";
import { makeField, type SynthField } from "../src/astro/synth/catalog.ts";
import { ArchiveProvider } from "../src/catalog/archive.ts";
import { cameras, dataProducts, observatories } from "../src/db/schema/index.ts";
import { DEMO_CAMERA, planNight, renderCatalogue, type VariableStar } from "../src/demo/night.ts";
import { startWorkers } from "../src/jobs/index.ts";
import { createTestApp } from "../test/helpers/app.ts";
import { multipart } from "../test/helpers/multipart.ts";
import { TapReplayServer } from "../test/helpers/tap-server.ts";
import { ensureTemplate } from "../test/helpers/template.ts";
import { percentile } from "./stats.ts";

const RUNS = 8;
const regions = Array.from({ length: RUNS + 1 }, (_, k) => [30 + 2 * k, 20] as const);
const fields: SynthField[] = regions.map(([ra, dec], k) =>
  makeField({
    seed: 50 + k,
    nStars: 2400,
    centerRaDeg: ra,
    centerDecDeg: dec,
    halfWidthDeg: 0.3,
    magRange: [11, 19.5],
  }),
);
/** Every region's stars, served by the archive stand-in. */
const served: SynthField = {
  ...fields[0],
  reference: {
    raDeg: Float64Array.from(fields.flatMap((f) => Array.from(f.reference.raDeg))),
    decDeg: Float64Array.from(fields.flatMap((f) => Array.from(f.reference.decDeg))),
    bands: Object.fromEntries(
      Object.keys(fields[0].reference.bands).map((b) => [
        b,
        {
          survey: "GaiaSP",
          mag: Float64Array.from(fields.flatMap((f) => Array.from(f.reference.bands[b as "V"]!.mag))),
          err: Float64Array.from(fields.flatMap((f) => Array.from(f.reference.bands[b as "V"]!.err))),
        },
      ]),
    ),
  },
};

function clearStar(field: SynthField, ra: number, dec: number): VariableStar {
  for (let k = 0; ; k++) {
    const [r, d] = [ra + 0.002 * (k % 10), dec + 0.002 * Math.floor(k / 10)];
    if (!Array.from(field.raDeg).some((x, i) => angularSeparationDeg(r, d, x, field.decDeg[i]) * 3600 < 15))
      return { raDeg: r, decDeg: d, meanMag: 15.5, amplitudeMag: 0.2, periodDays: 0.3, epochMjd: 61000 };
  }
}

await ensureTemplate();
const archive = await new TapReplayServer({ field: served }).start();
const t = await createTestApp("pglite", { queue: true });
const alice = await t.user("alice");
const [obs] = await t.tdb.database.db.insert(observatories).values({ name: "B", lon: 0, lat: 0 }).returning();
await t.tdb.database.db.insert(cameras).values({
  observatoryId: obs.id,
  cameraName: "C",
  prefix: "B_C",
  activeFlg: true,
  pixelScale: DEMO_CAMERA.pixelScaleArcsec,
});
const provider = new ArchiveProvider(t.tdb.database, {
  gaiaTapUrl: archive.gaiaUrl,
  vizierTapUrl: archive.vizierUrl,
  offline: false,
  connectTimeoutMs: 5000,
  queryTimeoutMs: 60_000,
  concurrency: 2,
  retries: 0,
  retryWaitSeconds: 60,
});
await startWorkers(t.queue!, t.tdb.database, {
  concurrency: 1,
  logger: pino({ level: "silent" }),
  dataDir: t.tdb.dataDir,
  provider,
});

const stars = regions.map(([ra, dec], k) => clearStar(fields[k], ra, dec));
for (const [k, s] of stars.entries()) {
  await t.call("POST", "/targets/createTarget/", { name: `B-${k}`, ra: s.raDeg, dec: s.decDeg }, alice.token);
}

/** Upload one catalogue of region k and wait for its point; ms. */
async function uploadAndWait(k: number, seed: number): Promise<number> {
  const [e] = planNight({
    star: stars[k],
    targetName: `B-${k}`,
    startMjd: 61200 + seed * 0.01,
    frames: 0,
    catalogues: 1,
    seed,
  });
  const { payload, contentType } = multipart(
    {
      target: `B-${k}`,
      data_product_type: "photometry",
      observatory: "B_C",
      filter: "GaiaSP/V",
      mjd: e.midMjd.toFixed(6),
    },
    [{ name: `${k}-${seed}.cat`, content: Buffer.from(renderCatalogue(fields[k], stars[k], e)) }],
  );
  const t0 = performance.now();
  const res = await t.app.inject({
    method: "POST",
    url: "/upload/",
    headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
    payload,
  });
  const id = res.json().data[0].id as number;
  for (;;) {
    const [dp] = await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, id));
    if (dp.status === "S") return performance.now() - t0;
    if (dp.status === "E") throw new Error(`upload ${id}: ${dp.statusMessage}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

await uploadAndWait(RUNS, 999); // warm-up (region RUNS, cached afterwards)
const report = (name: string, times: number[], extra: Record<string, unknown>) => {
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: name,
      runs: sorted.length,
      p50_ms: +percentile(sorted, 50).toFixed(1),
      max_ms: +sorted[sorted.length - 1].toFixed(1),
      min_ms: +sorted[0].toFixed(1),
      ...extra,
    }),
  );
};
const fresh: number[] = [];
const before = archive.requests.length;
for (let k = 0; k < RUNS; k++) fresh.push(await uploadAndWait(k, k));
const rows = archive.requests.slice(before).map((r) => r.rows);
report("upload → calibrated point, new field (one archive round trip)", fresh, {
  archive_requests: archive.requests.length - before,
  stars_per_answer: rows[0],
});
const cached: number[] = [];
const mid = archive.requests.length;
for (let k = 0; k < RUNS; k++) cached.push(await uploadAndWait(RUNS, 100 + k));
report("upload → calibrated point, cached field", cached, {
  archive_requests: archive.requests.length - mid,
});

// The reference-star step alone (provider.cone of a frame's cone, 0.2°): archive round trip + store + read
// back, against a read from the cache.
const { sql } = await import("drizzle-orm");
const coneFresh: number[] = [];
const coneCached: number[] = [];
for (let k = 0; k < RUNS; k++) {
  await t.tdb.database.db.execute(sql`delete from reference_catalogues where origin = 'archive'`);
  const p = new ArchiveProvider(t.tdb.database, provider.settings); // a fresh process's view
  let t0 = performance.now();
  const cat = await p.cone(stars[k].raDeg, stars[k].decDeg, 0.2, "GaiaSP");
  coneFresh.push(performance.now() - t0);
  t0 = performance.now();
  await p.cone(stars[k].raDeg, stars[k].decDeg, 0.2, "GaiaSP");
  coneCached.push(performance.now() - t0);
  if (k === 0) console.error(`cone: ${cat.raDeg.length} stars`);
}
report("reference stars for a 0.2° cone, new field (archive stand-in, store, read back)", coneFresh, {});
report("reference stars for a 0.2° cone, cached field", coneCached, {});

await t.close();
await archive.close();
