/**
 * `skytom demo`, the orchestration: seed the database (seed.ts), simulate a night (night.ts), upload every
 * exposure through the upload service exactly as `POST /upload/` does (planUpload → storeUpload: the same
 * checks, files moved under the data directory, jobs queued in the same transaction), get them processed,
 * and compare the calibrated light curve with the injected one.
 *
 * Processing: when this process hosts the embedded database (no server runs on the data directory) or
 * the database is PostgreSQL (where any number of workers share the queue), the job workers are started
 * here (src/jobs startWorkers). When a server holds the data directory, its workers do the work and the
 * demo waits; if none of the demo's jobs has started after `stallSeconds` (a server with SKYTOM_WORKERS=0),
 * the demo starts its own workers through the server's socket, as `skytom worker` would.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { and, eq, inArray } from "drizzle-orm";
import pino from "pino";
import { dateFromMjd, mjdFromDate } from "../astro/time.ts";
import type { Database } from "../db/connection.ts";
import { createQueue, type JobQueue } from "../db/queue.ts";
import {
  calibrations,
  dataProducts,
  PRIMARY_CHANNELS,
  primaryCalibrationOf,
  reducedDatums,
} from "../db/schema/index.ts";
import { planUpload, storeUpload, type ReceivedUpload } from "../domain/dataproducts/upload.ts";
import { findByName } from "../domain/targets/repo.ts";
import { startWorkers } from "../jobs/index.ts";
import { sanitizeFileName, storedPath } from "../storage.ts";
import {
  demoField,
  planNight,
  renderBayerFrame,
  renderCatalogue,
  renderFrame,
  type Exposure,
} from "./night.ts";
import {
  DEMO_OBSERVATORY,
  DEMO_OSC_ONAME,
  ensureDemoCatalogue,
  ensureDemoObservatory,
  ensureDemoTarget,
  ensureDemoUser,
  seedOf,
} from "./seed.ts";
import { summarise, type DemoProduct, type DemoSummary } from "./summary.ts";

export type { DemoProduct, DemoSummary } from "./summary.ts";

/** Half the length of the simulated night, days (exposures span 0.32 d around local midnight). */
const HALF_NIGHT_DAYS = 0.16;

export interface DemoOptions {
  /** FITS frames to simulate; default 20. */
  frames?: number;
  /** SExtractor catalogues to simulate; default 4 (2 when frames < 10). */
  catalogues?: number;
  /** One-shot-colour (Bayer RGGB, 768²) frames from the OSC camera, each giving R, V, B; default 3 (1 when frames < 10). */
  oscFrames?: number;
  /** Target name; default "DemoVar-1". */
  targetName?: string;
  /** The clock: the night simulated is the latest one over before it. */
  now?: Date;
  /** Where the web UI is served, for the target URL. */
  host?: string;
  port?: number;
  /** Progress of each step, for the command's output. */
  onEvent?: (event: DemoEvent) => void;
  /** Give up waiting after this many seconds; default 600. */
  timeoutSeconds?: number;
  /** With a server on the data directory: start our own workers if none of our jobs starts within this; default 20. */
  stallSeconds?: number;
}

export type DemoEvent =
  | { kind: "seeded"; what: string }
  | { kind: "uploaded"; index: number; total: number; exposure: Exposure; dataProductId: number }
  | { kind: "processing"; by: "demo" | "server" }
  | { kind: "done"; index: number; total: number; product: DemoProduct };

export interface DemoResult {
  user: { username: string; password: string; created: boolean };
  observatory: { name: string; oname: string; created: boolean };
  target: { name: string; raDeg: number; decDeg: number; created: boolean; url: string };
  catalogue: { name: string; stars: number; created: boolean };
  variable: { meanMag: number; amplitudeMag: number; periodDays: number; epochMjd: number };
  night: { startMjd: number; endMjd: number; date: string };
  /** Who processed the uploads: workers started by the demo, or the running server's. */
  processedBy: "demo" | "server";
  products: DemoProduct[];
  summary: DemoSummary;
}

/** The hostname to put in a URL for a listening address (0.0.0.0/:: → 127.0.0.1). */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** Local-midnight MJDs at the demo site: UT midnight − lon/360 (lon east-positive). */
const nightKey = (mjd: number) => Math.round(mjd + DEMO_OBSERVATORY.lonDeg / 360);
const midnightOf = (key: number) => key - DEMO_OBSERVATORY.lonDeg / 360;

/** Local midnight of the latest night over before `nowMjd` that the target has no data products in. */
async function chooseNight(database: Database, targetId: number | null, nowMjd: number): Promise<number> {
  let key = nightKey(nowMjd);
  while (midnightOf(key) + HALF_NIGHT_DAYS + 0.02 > nowMjd) key--;
  if (targetId === null) return midnightOf(key);
  const rows = await database.db
    .select({ mjd: dataProducts.mjd })
    .from(dataProducts)
    .where(eq(dataProducts.targetId, targetId));
  const used = new Set(rows.filter((r) => r.mjd !== null).map((r) => nightKey(r.mjd as number)));
  while (used.has(key)) key--;
  return midnightOf(key);
}

/** Write a file under the data directory's tmp/ as the upload route does, with its size and SHA-256. */
async function stage(
  dataDir: string,
  folder: string,
  name: string,
  bytes: Uint8Array | string,
): Promise<ReceivedUpload> {
  const tempPath = `${folder}/${sanitizeFileName(name)}`;
  await writeFile(storedPath(dataDir, tempPath), bytes);
  const buf = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  return {
    field: "files",
    originalName: name,
    tempPath,
    sizeBytes: buf.length,
    sha256: createHash("sha256").update(buf).digest("hex"),
  };
}

/** Calibrated magnitudes of the demo's data products, from the calibration rows. */
async function collect(
  database: Database,
  uploads: { id: number; exposure: Exposure }[],
): Promise<DemoProduct[]> {
  const ids = uploads.map((u) => u.id);
  const rows = await database.db
    .select({
      id: dataProducts.id,
      status: dataProducts.status,
      message: dataProducts.statusMessage,
      mjd: dataProducts.mjd,
      mag: calibrations.mag,
      magErr: calibrations.magError,
      zeropoint: calibrations.zeropoint,
      filter: reducedDatums.filter,
    })
    .from(dataProducts)
    .leftJoin(calibrations, primaryCalibrationOf(dataProducts.id))
    // One-shot-colour frames: their G channel (V) stands for them here, as in lists.
    .leftJoin(
      reducedDatums,
      and(eq(reducedDatums.dataProductId, dataProducts.id), inArray(reducedDatums.channel, PRIMARY_CHANNELS)),
    )
    .where(inArray(dataProducts.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return uploads.map(({ id, exposure }) => {
    const r = byId.get(id);
    const done = r?.status === "S" || r?.status === "E";
    const point =
      r?.status === "S" && r.filter !== null && r.mag !== null && r.magErr !== null && r.magErr > 0;
    return {
      id,
      fileName: exposure.fileName,
      kind: exposure.kind,
      mjd: r?.mjd ?? exposure.midMjd,
      status: r?.status ?? "?",
      message: done ? (r?.message ?? "") : "",
      injectedMag: exposure.injectedMag,
      mag: point ? (r?.mag ?? null) : null,
      magErr: point ? (r?.magErr ?? null) : null,
      filter: point ? (r?.filter ?? null) : null,
    };
  });
}

/** Runs the whole demo on an open database; see the file comment. */
export async function runDemo(
  database: Database,
  dataDir: string,
  opts: DemoOptions = {},
): Promise<DemoResult> {
  const frames = opts.frames ?? 20;
  const catalogues = opts.catalogues ?? (frames < 10 ? 2 : 4);
  const oscFrames = opts.oscFrames ?? (frames < 10 ? 1 : 3);
  const targetName = opts.targetName ?? "DemoVar-1";
  const nowMjd = mjdFromDate(opts.now ?? new Date());
  const emit = opts.onEvent ?? (() => undefined);
  const { db } = database;

  const user = await ensureDemoUser(db);
  emit({ kind: "seeded", what: `observer ${user.username} (${user.created ? "created" : "reused"})` });
  const observatory = await ensureDemoObservatory(db, user, dataDir);
  emit({
    kind: "seeded",
    what: `camera ${observatory.oname} (${observatory.created ? "created" : "reused"}), active`,
  });
  const existingTarget = await findByName(db, targetName);
  const midnight = await chooseNight(database, existingTarget?.id ?? null, nowMjd);
  const target = await ensureDemoTarget(db, user, targetName, midnight);
  emit({ kind: "seeded", what: `target ${target.name} (${target.created ? "created" : "reused"})` });
  const catalogue = await ensureDemoCatalogue(database, dataDir, target);
  emit({
    kind: "seeded",
    what: `GaiaSP reference catalogue ${catalogue.name}: ${catalogue.stars} stars (${catalogue.created ? "imported" : "reused"})`,
  });

  const star = target.star;
  const field = demoField({ raDeg: star.raDeg, decDeg: star.decDeg, seed: seedOf(target.name) });
  const exposures = planNight({
    star,
    targetName: target.name,
    startMjd: midnight - HALF_NIGHT_DAYS,
    durationDays: 2 * HALF_NIGHT_DAYS,
    frames,
    catalogues,
    seed: (seedOf(target.name) ^ nightKey(midnight)) >>> 0,
  });
  // The one-shot-colour camera's frames, spread over the same night (their own file names and noise).
  const oscExposures = planNight({
    star,
    targetName: `${target.name}_osc`,
    startMjd: midnight - HALF_NIGHT_DAYS + 0.01,
    durationDays: 2 * HALF_NIGHT_DAYS - 0.02,
    frames: oscFrames,
    catalogues: 0,
    seed: (seedOf(`${target.name}/osc`) ^ nightKey(midnight)) >>> 0,
  });
  const osc = new Set(oscExposures);
  const allExposures = [...exposures, ...oscExposures];

  // Workers: ours unless a server holds the embedded data directory (see the file comment).
  const serverRuns = database.engine === "pglite" && !database.hostsEmbedded;
  const queue: JobQueue = createQueue(database.pool);
  await queue.start();
  let ownWorkers = false;
  const startOwnWorkers = async () => {
    if (ownWorkers) return;
    ownWorkers = true;
    await startWorkers(queue, database, { concurrency: 1, logger: pino({ level: "silent" }), dataDir });
    emit({ kind: "processing", by: "demo" });
  };
  const folder = `tmp/demo-${randomBytes(8).toString("hex")}`;
  const uploads: { id: number; exposure: Exposure }[] = [];
  try {
    if (!serverRuns) await startOwnWorkers();
    else emit({ kind: "processing", by: "server" });
    await mkdir(storedPath(dataDir, folder), { recursive: true });
    for (const e of allExposures) {
      const bytes = osc.has(e)
        ? renderBayerFrame(field, star, e, target.name)
        : e.kind === "fits"
          ? renderFrame(field, star, e, target.name)
          : renderCatalogue(field, star, e);
      const file = await stage(dataDir, folder, `${e.index}_${e.fileName}`, bytes);
      file.originalName = e.fileName;
      const plan = await planUpload(db, user.actor, {
        target: target.name,
        data_product_type: e.kind === "fits" ? "fits_file" : "photometry",
        observatory: osc.has(e) ? DEMO_OSC_ONAME : observatory.oname,
        filter: "GaiaSP/V",
        mjd: e.midMjd.toFixed(8),
        comment: "skytom demo",
      });
      const [item] = await storeUpload(database, queue, dataDir, user.actor, plan, [file]);
      uploads.push({ id: item.id, exposure: e });
      emit({
        kind: "uploaded",
        index: uploads.length,
        total: allExposures.length,
        exposure: e,
        dataProductId: item.id,
      });
    }

    // Wait until every product is S or E, reporting each as it finishes.
    const reported = new Set<number>();
    const t0 = performance.now();
    const timeout = (opts.timeoutSeconds ?? 600) * 1000;
    const stall = (opts.stallSeconds ?? 20) * 1000;
    for (;;) {
      const products = await collect(database, uploads);
      for (const p of products) {
        if ((p.status === "S" || p.status === "E") && !reported.has(p.id)) {
          reported.add(p.id);
          emit({ kind: "done", index: reported.size, total: products.length, product: p });
        }
      }
      if (reported.size === products.length) break;
      const elapsed = performance.now() - t0;
      if (serverRuns && !ownWorkers && elapsed > stall && products.every((p) => p.status === "C")) {
        await startOwnWorkers(); // the server runs no workers (SKYTOM_WORKERS=0)
      }
      if (elapsed > timeout) {
        const left = products.filter((p) => !reported.has(p.id)).map((p) => p.id);
        throw new Error(
          `gave up after ${Math.round(elapsed / 1000)} s: data products ${left.join(", ")} are still being processed`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await rm(storedPath(dataDir, folder), { recursive: true, force: true });
    await queue.stop();
  }

  const products = await collect(database, uploads);
  const lightCurve = await db
    .select({ value: reducedDatums.value })
    .from(reducedDatums)
    .where(eq(reducedDatums.targetId, target.id));
  const base = `http://${urlHost(opts.host ?? "127.0.0.1")}:${opts.port ?? 8000}`;
  const startMjd = exposures[0]?.startMjd ?? midnight;
  return {
    user: { username: user.username, password: user.password, created: user.created },
    observatory: { name: observatory.name, oname: observatory.oname, created: observatory.created },
    target: {
      name: target.name,
      raDeg: star.raDeg,
      decDeg: star.decDeg,
      created: target.created,
      url: `${base}/targets/${encodeURIComponent(target.name)}/`,
    },
    catalogue,
    variable: {
      meanMag: star.meanMag,
      amplitudeMag: star.amplitudeMag,
      periodDays: star.periodDays,
      epochMjd: star.epochMjd,
    },
    night: {
      startMjd,
      endMjd: exposures.at(-1)?.midMjd ?? midnight,
      date: dateFromMjd(startMjd).toISOString().slice(0, 10),
    },
    processedBy: ownWorkers ? "demo" : "server",
    products,
    summary: summarise(
      products,
      lightCurve.map((r) => r.value),
    ),
  };
}
