/**
 * A skytom deployment for tests on PostgreSQL (test/multiprocess.test.ts): its own database, seeded with
 * a user, an observatory with an active camera and the GaiaSP reference catalogue of a synthetic field;
 * `skytom serve` and `skytom worker` processes on a shared data directory, reaching the database through
 * a TCP proxy the test controls; helpers to upload catalogues of the field and to wait for calibrations.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { SURVEY_BANDS } from "../../src/astro/calibrate/bands.ts";
import { makeField, makeFrame } from "../../src/astro/synth/catalog.ts";
import { importCatalogue } from "../../src/catalog/import.ts";
import { openDatabase, runMigrations, type Database } from "../../src/db/connection.ts";
import { testDatabaseName } from "./db.ts";
import { createPgDatabase } from "./template.ts";
import { cameras, observatories } from "../../src/db/schema/index.ts";
import { PROCESS_JOB } from "../../src/domain/dataproducts/upload.ts";
import * as users from "../../src/domain/users/service.ts";
import { startNode, startSkytom, stopSkytom, type SkytomProcess } from "./processes.ts";
import { TcpProxy } from "./proxy.ts";
import { ccdphotCatalogue } from "./catalogue.ts";
import { SYSTEM } from "../../src/domain/permissions.ts";

const SLOW_WORKER = fileURLToPath(new URL("./slow-worker.mjs", import.meta.url));

export const TARGET = { name: "MultiT", raDeg: 150.02, decDeg: 2.01, mag: 16.2 };
const field = makeField({ seed: 5, nStars: 400, centerRaDeg: 150, centerDecDeg: 2, halfWidthDeg: 0.1 });

/** The reference catalogue of the field as a GaiaSP CSV for `importCatalogue`. */
function referenceCsv(): string {
  const bands = SURVEY_BANDS.GaiaSP;
  const ref = field.reference;
  const lines = [["ra", "dec", ...bands.flatMap((b) => [b, `${b}_err`])].join(",")];
  for (let i = 0; i < ref.raDeg.length; i++) {
    const cells = [ref.raDeg[i].toFixed(7), ref.decDeg[i].toFixed(7)];
    for (const b of bands) cells.push(ref.bands[b]!.mag[i].toFixed(4), ref.bands[b]!.err[i].toFixed(4));
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** An instrumental catalogue (CCDPhot layout) of one simulated frame of the field (zero point 24.3 mag). */
function catalogueText(seed: number): string {
  const c = makeFrame(field, { seed, zp: 24.3, target: { ...TARGET, forced: false } }).catalogue;
  return ccdphotCatalogue(c);
}

export interface UploadAnswer {
  status: number;
  body: { data?: { id: number }[]; detail?: string };
}

export class Cluster {
  readonly dataDir = mkdtempSync(join(tmpdir(), "skytom-multi-"));
  readonly dbName: string;
  readonly proxy: TcpProxy;
  readonly apis: SkytomProcess[] = [];
  readonly workers: SkytomProcess[] = [];
  /** Base URLs of the API processes, in `apis` order. */
  readonly urls: string[] = [];
  /** Environment of every process (DATABASE_URL through the proxy). */
  env: Record<string, string> = {};
  database!: Database;
  token = "";
  private uploadSeed = 1000;

  constructor(
    private readonly adminUrl: string,
    private readonly settings: Record<string, string>,
  ) {
    // Made (not started) also where PostgreSQL tests are skipped: describe.skipIf still collects the file.
    const u = new URL(adminUrl || "postgres://127.0.0.1:5432/postgres");
    this.dbName = testDatabaseName(u.toString());
    this.proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
  }

  all(): SkytomProcess[] {
    return [...this.apis, ...this.workers];
  }

  /** Names of the processes still running, sorted. */
  alive(): string[] {
    return this.all()
      .filter((p) => p.alive())
      .map((p) => p.name)
      .sort();
  }

  /** Create and seed the database, start `apis` API processes and `workers` worker processes. */
  async start(apis: number, workers: number): Promise<void> {
    const admin = new pg.Client({ connectionString: this.adminUrl });
    await admin.connect();
    await createPgDatabase(admin, this.adminUrl, this.dbName);
    await admin.end();
    const direct = new URL(this.adminUrl);
    direct.pathname = `/${this.dbName}`;
    this.database = await openDatabase({ dataDir: this.dataDir, databaseUrl: direct.toString() });
    await runMigrations(this.database);

    const db = this.database.db;
    await users.createUser(db, SYSTEM, { username: "alice", password: "alice-password", is_active: true });
    this.token = await users.tokenForUser(db, "alice");
    const [obs] = await db.insert(observatories).values({ name: "Synth", lon: 20, lat: 50 }).returning();
    await db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: "Synth_Cam", activeFlg: true });
    const refPath = join(this.dataDir, "reference.csv");
    writeFileSync(refPath, referenceCsv());
    await importCatalogue(this.database, refPath, { survey: "GaiaSP", name: "field" });

    const viaProxy = new URL(direct);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(await this.proxy.start());
    this.env = {
      DATABASE_URL: viaProxy.toString(),
      SKYTOM_DATA: this.dataDir,
      HOST: "127.0.0.1",
      PORT: "0",
      SKYTOM_WORKERS: "0",
      LOG_LEVEL: "info",
      ...this.settings,
    };
    for (let i = 1; i <= apis; i++) this.apis.push(startSkytom(`api${i}`, ["serve"], this.env));
    await Promise.all([
      ...this.apis.map((a) => a.waitFor(/serving on http/, 90_000)),
      ...Array.from({ length: workers }, (_, i) => this.startWorker(`worker${i + 1}`)),
    ]);
    for (const a of this.apis)
      this.urls.push(/serving on (http:\/\/[^ ]+)/.exec(await a.waitFor(/serving on/))![1]);

    const created = await fetch(`${this.urls[0]}/targets/createTarget/`, {
      method: "POST",
      headers: { authorization: `Token ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: TARGET.name, ra: TARGET.raDeg, dec: TARGET.decDeg }),
    });
    if (created.status !== 201) throw new Error(`createTarget: ${created.status} ${await created.text()}`);
  }

  /** `skytom worker --concurrency 2` (with `extraEnv` over the deployment's), resolved once it polls the queue. */
  async startWorker(name: string, extraEnv: Record<string, string> = {}): Promise<SkytomProcess> {
    return this.addWorker(startSkytom(name, ["worker", "--concurrency", "2"], { ...this.env, ...extraEnv }));
  }

  /**
   * A worker of this deployment whose every calibration waits `delayMs` once marked running (status P):
   * test/helpers/slow-worker.mjs, which injects a slow reference catalogue.
   */
  async startSlowWorker(
    name: string,
    delayMs: number,
    extraEnv: Record<string, string> = {},
  ): Promise<SkytomProcess> {
    return this.addWorker(
      startNode(name, [SLOW_WORKER], {
        ...this.env,
        ...extraEnv,
        SLOW_WORKER_DELAY_MS: String(delayMs),
      }),
    );
  }

  private async addWorker(w: SkytomProcess): Promise<SkytomProcess> {
    this.workers.push(w);
    await w.waitFor(/skytom worker running/, 90_000);
    return w;
  }

  async sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.database.pool.query<R>(text, values)).rows;
  }

  /** POST /upload/ of a fresh catalogue of the field to API process `api` (index into `urls`). */
  async upload(api: number, mjd: number): Promise<UploadAnswer> {
    const form = new FormData();
    form.set("target", TARGET.name);
    form.set("data_product_type", "photometry");
    form.set("observatory", "Synth_Cam");
    form.set("mjd", String(mjd));
    form.set("filter", "GaiaSP/V");
    form.set("files", new Blob([catalogueText(this.uploadSeed++)]), `frame-${mjd}.cat`);
    const res = await fetch(`${this.urls[api]}/upload/`, {
      method: "POST",
      headers: { authorization: `Token ${this.token}` },
      body: form,
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, body: (await res.json()) as UploadAnswer["body"] };
  }

  /** Waits until every given data product has left status C/P and its job is done; returns the ms it took. */
  async waitCalibrated(ids: number[], timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      // The job is marked completed just after the data product's status: wait for both.
      const [{ pending }] = await this.sql<{ pending: number }>(
        `SELECT (SELECT count(*)::int FROM data_products WHERE id = ANY($1) AND status NOT IN ('S', 'E'))
              + (SELECT count(*)::int FROM pgboss.job WHERE name = $2
                   AND (data->>'dataProductId')::int = ANY($1) AND state < 'completed') AS pending`,
        [ids, PROCESS_JOB],
      );
      if (pending === 0) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`${pending} of ${ids.length} data products not calibrated after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The processes' last log lines, for a failed test's report. */
  tails(lines = 25): string {
    return this.all()
      .map((p) => `--- ${p.name} (last lines)\n${p.lines.slice(-lines).join("\n")}`)
      .join("\n");
  }

  /** Stop every process, the proxy; drop the database and the data directory. `logDir`: keep the logs. */
  async stop(logDir?: string): Promise<void> {
    if (logDir) for (const p of this.all()) writeFileSync(join(logDir, `${p.name}.log`), p.lines.join("\n"));
    await Promise.all(this.all().map((p) => stopSkytom(p, 3000)));
    await this.proxy.close();
    await this.database?.close();
    const admin = new pg.Client({ connectionString: this.adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
