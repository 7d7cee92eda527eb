/**
 * Multi-process deployment on PostgreSQL (issue #10): two `skytom serve` processes (no in-process
 * workers) and two `skytom worker --concurrency 2`, sharing one database and one data directory, as
 * real processes. Their database connections go through a TCP proxy the test controls, to cut the
 * database away without restarting the shared PostgreSQL server.
 *
 * Runs only when SKYTOM_TEST_DATABASE_URL is set; creates and drops its own database. A failing test
 * prints the processes' last log lines; SKYTOM_TEST_LOG_DIR=<dir> keeps every process's whole log there.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { StoredCatalogueProvider } from "../src/catalog/provider.ts";
import { PROCESS_JOB } from "../src/domain/dataproducts/upload.ts";
import { calibrateDataProduct } from "../src/domain/calibration/dataproduct.ts";
import { Cluster, TARGET } from "./helpers/cluster.ts";
import { stopSkytom } from "./helpers/processes.ts";

const ADMIN_URL = process.env.SKYTOM_TEST_DATABASE_URL;
const UPLOADS = 200;
/** Job lease in these tests, s: a killed worker's job is retried after this (plus maintenance ≤ 2 s). */
const LEASE_S = 5;

describe.skipIf(!ADMIN_URL)("multi-process deployment on PostgreSQL", () => {
  const cluster = new Cluster(ADMIN_URL ?? "", {
    SKYTOM_JOB_LEASE_SECONDS: String(LEASE_S),
    SKYTOM_JOB_RETRY_DELAY_SECONDS: "1",
    SKYTOM_DB_CONNECT_TIMEOUT_MS: "2000",
  });
  const { apis, workers, urls } = cluster;
  const sql = cluster.sql.bind(cluster);
  const upload = cluster.upload.bind(cluster);
  const waitCalibrated = cluster.waitCalibrated.bind(cluster);

  beforeAll(() => cluster.start(2, 2), 180_000);

  // On a failure, the processes' last log lines (CI has nothing else to go on).
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") console.error(cluster.tails());
  });

  afterAll(() => cluster.stop(process.env.SKYTOM_TEST_LOG_DIR), 60_000);

  it(`${UPLOADS} concurrent uploads over two API processes → ${UPLOADS} data products, results and points, none lost or duplicated`, async () => {
    const t0 = Date.now();
    const answers = await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) => upload(i % 2, 60500 + i / 1000)),
    );
    const uploadedMs = Date.now() - t0;
    expect(answers.filter((a) => a.status !== 201).slice(0, 3)).toEqual([]);
    const ids = answers.map((a) => a.body.data![0].id);
    expect(new Set(ids).size).toBe(UPLOADS);
    // Each API process served its half (counted in its own request log).
    const served = apis.map(
      (a) => a.lines.filter((l) => l.includes('"url":"/upload/"') && l.includes("incoming request")).length,
    );
    expect(served).toEqual([UPLOADS / 2, UPLOADS / 2]);
    await waitCalibrated(ids, 150_000);
    const totalMs = Date.now() - t0;

    const [counts] = await sql<{
      dps: number;
      ok: number;
      cals: number;
      points: number;
      dps_with_point: number;
    }>(
      `SELECT (SELECT count(*)::int FROM data_products WHERE data_product_type = 'photometry') AS dps,
              (SELECT count(*)::int FROM data_products WHERE id = ANY($1) AND status = 'S') AS ok,
              (SELECT count(*)::int FROM calibrations WHERE data_product_id = ANY($1) AND status = 'S') AS cals,
              (SELECT count(*)::int FROM reduced_datums WHERE data_product_id = ANY($1)) AS points,
              (SELECT count(DISTINCT data_product_id)::int FROM reduced_datums WHERE data_product_id = ANY($1)) AS dps_with_point`,
      [ids],
    );
    expect(counts).toEqual({
      dps: UPLOADS,
      ok: UPLOADS,
      cals: UPLOADS,
      points: UPLOADS,
      dps_with_point: UPLOADS,
    });
    const [jobs] = await sql<{ completed: number; other: number }>(
      `SELECT count(*) FILTER (WHERE state = 'completed')::int AS completed,
              count(*) FILTER (WHERE state <> 'completed')::int AS other
         FROM pgboss.job WHERE name = $1`,
      [PROCESS_JOB],
    );
    expect(jobs).toEqual({ completed: UPLOADS, other: 0 });
    // Both workers took jobs from the shared queue.
    const processed = workers.map((w) => w.lines.filter((l) => l.includes("data product processed")).length);
    expect(
      processed.every((n) => n > 0),
      `per worker: ${processed.join(", ")}`,
    ).toBe(true);
    console.log(
      JSON.stringify({
        measure: "multiprocess.upload+calibrate",
        uploads: UPLOADS,
        workers: "2 × concurrency 2",
        upload_ms: uploadedMs,
        total_ms: totalMs,
        per_minute: +((UPLOADS / totalMs) * 60_000).toFixed(1),
        per_worker: processed,
      }),
    );
  }, 240_000);

  it("kill -9 of a worker in the middle of a calibration → retried by the other worker after the lease; one point", async () => {
    // worker2 stops cleanly; a slow worker (its reference catalogue answers after 60 s, so each calibration
    // waits 60 s once marked running) takes its place and,
    // with worker1 frozen, is the only one to fetch the next job.
    await waitCalibrated(
      (await sql<{ id: number }>("SELECT id FROM data_products")).map((r) => r.id),
      60_000,
    );
    const stopped = await stopSkytom(workers[1]);
    expect(stopped).toEqual({ code: 0, signal: null });
    const slow = await cluster.startSlowWorker("slow", 60_000);
    const other = workers[0];
    other.child.kill("SIGSTOP");
    let id = 0;
    try {
      const res = await upload(0, 60600.5);
      expect(res.status).toBe(201);
      id = res.body.data![0].id;
      // The slow worker marked it running (status P) and now sleeps inside the calibration.
      const t0 = Date.now();
      for (;;) {
        const [dp] = await sql<{ status: string }>("SELECT status FROM data_products WHERE id = $1", [id]);
        if (dp.status === "P") break;
        if (Date.now() - t0 > 30_000)
          throw new Error(`data product ${id} never started (status ${dp.status})`);
        await new Promise((r) => setTimeout(r, 100));
      }
      slow.child.kill("SIGKILL");
      expect(await slow.exited).toEqual({ code: null, signal: "SIGKILL" });
    } finally {
      other.child.kill("SIGCONT");
    }
    const killedAt = Date.now();
    await waitCalibrated([id], 60_000);
    const retriedAfterMs = Date.now() - killedAt;

    const [dp] = await sql<{ status: string }>("SELECT status FROM data_products WHERE id = $1", [id]);
    expect(dp.status).toBe("S");
    const [cal] = await sql<{ status: string; number_tries: number }>(
      "SELECT status, number_tries FROM calibrations WHERE data_product_id = $1",
      [id],
    );
    expect(cal).toEqual({ status: "S", number_tries: 2 });
    const points = await sql("SELECT id FROM reduced_datums WHERE data_product_id = $1", [id]);
    expect(points).toHaveLength(1);
    const [job] = await sql<{ state: string; retry_count: number }>(
      "SELECT state, retry_count FROM pgboss.job WHERE name = $1 AND data->>'dataProductId' = $2",
      [PROCESS_JOB, String(id)],
    );
    expect(job).toEqual({ state: "completed", retry_count: 1 });
    expect(
      other.lines.some((l) => l.includes(`"dataProduct":${id},`) && l.includes("data product processed")),
    ).toBe(true);
    expect(slow.lines.some((l) => l.includes(`"dataProduct":${id},`))).toBe(false);
    // Two runs of the same job at once (a lease that expired on a live worker) still leave one point.
    const provider = new StoredCatalogueProvider(cluster.database.db);
    await Promise.all(
      [1, 2].map(() => calibrateDataProduct(cluster.database, id, { dataDir: cluster.dataDir, provider })),
    );
    expect(await sql("SELECT id FROM reduced_datums WHERE data_product_id = $1", [id])).toHaveLength(1);
    const [again] = await sql<{ number_tries: number }>(
      "SELECT number_tries FROM calibrations WHERE data_product_id = $1",
      [id],
    );
    expect(again.number_tries).toBe(4);
    console.log(
      JSON.stringify({
        measure: "multiprocess.kill9-retry",
        lease_s: LEASE_S,
        retried_after_ms: retriedAfterMs,
      }),
    );
  }, 120_000);

  it("database outage under load → 503 JSON with Retry-After, no hang; health 503; all back without restarts", async () => {
    await cluster.startWorker("worker3");
    expect(cluster.alive()).toEqual(["api1", "api2", "worker1", "worker3"]);

    /** Database up; cut; back but not yet seen healthy by both API processes; both healthy again. */
    type Phase = "before" | "down" | "restoring" | "recovered";
    interface Answer {
      /** Phase when the request was sent, and when its answer came. */
      phase: Phase;
      endPhase: Phase;
      kind: "list" | "upload";
      status: number;
      ms: number;
      body: unknown;
      retryAfter: string | null;
    }
    const answers: Answer[] = [];
    let phase: Answer["phase"] = "before";
    let running = true;
    let n = 0;
    const call = async (api: number, kind: Answer["kind"]) => {
      const t0 = Date.now();
      const at = phase;
      if (kind === "upload") {
        const { status, body } = await upload(api, 60700 + n++ / 1000);
        answers.push({
          phase: at,
          endPhase: phase,
          kind,
          status,
          ms: Date.now() - t0,
          body,
          retryAfter: null,
        });
        return;
      }
      const res = await fetch(`${urls[api]}/targets/getTargetList/`, {
        method: "POST",
        headers: { authorization: `Token ${cluster.token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: TARGET.name }),
        signal: AbortSignal.timeout(30_000),
      });
      const body: unknown = await res.json();
      answers.push({
        phase: at,
        endPhase: phase,
        kind,
        status: res.status,
        ms: Date.now() - t0,
        body,
        retryAfter: res.headers.get("retry-after"),
      });
    };
    // Six clients, alternating between the two API processes, one in three requests an upload.
    const clients = Array.from({ length: 6 }, async (_, c) => {
      for (let i = 0; running; i++) {
        await call((c + i) % 2, c % 3 === 0 ? "upload" : "list");
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    const health = async (api: number) => {
      const res = await fetch(`${urls[api]}/api/health/`, { signal: AbortSignal.timeout(10_000) });
      return {
        status: res.status,
        body: (await res.json()) as { status: string; database: string },
        retryAfter: res.headers.get("retry-after"),
      };
    };

    await new Promise((r) => setTimeout(r, 2000));
    phase = "down";
    await cluster.proxy.cut();
    await new Promise((r) => setTimeout(r, 4000));
    const downHealth = await Promise.all([health(0), health(1)]);
    await cluster.proxy.restore();
    phase = "restoring";
    const t0 = Date.now();
    for (;;) {
      const h = await Promise.all([health(0), health(1)]);
      if (h.every((x) => x.status === 200)) break;
      if (Date.now() - t0 > 20_000)
        throw new Error(`health still ${JSON.stringify(h)} 20 s after the database came back`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const recoveredMs = Date.now() - t0;
    phase = "recovered";
    await new Promise((r) => setTimeout(r, 2000));
    running = false;
    await Promise.all(clients);

    for (const h of downHealth) {
      expect(h.status).toBe(503);
      expect(h.body).toMatchObject({ status: "unavailable", database: "postgresql" });
      expect(h.retryAfter).toBe("5");
    }
    // Nothing but success or a clean 503; no request hung.
    expect(answers.filter((a) => ![200, 201, 503].includes(a.status))).toEqual([]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(8000);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(10);
    for (const a of unavailable) {
      expect(a.body).toMatchObject({ detail: expect.stringMatching(/database is unavailable/) });
      if (a.kind === "list") expect(a.retryAfter).toBe("5");
    }
    expect(answers.filter((a) => a.endPhase === "before").every((a) => a.status < 300)).toBe(true);
    // Requests sent once both health checks pass again all succeed, uploads and lists alike.
    const recovered = answers.filter((a) => a.phase === "recovered");
    expect(new Set(recovered.map((a) => a.kind))).toEqual(new Set(["list", "upload"]));
    expect(recovered.filter((a) => a.status >= 300)).toEqual([]);
    const fresh = await Promise.all([upload(0, 60800.1), upload(1, 60800.2)]);
    expect(fresh.map((f) => f.status)).toEqual([201, 201]);

    // No process died, and every upload that was committed — before, during or after — gets exactly
    // one calibration and one point (no job lost with the connections, none run twice into the curve).
    expect(cluster.alive()).toEqual(["api1", "api2", "worker1", "worker3"]);
    const ids = (await sql<{ id: number }>("SELECT id FROM data_products WHERE mjd >= 60700")).map(
      (r) => r.id,
    );
    const accepted = answers.filter((a) => a.kind === "upload" && a.status === 201).length + 2;
    expect(ids.length).toBeGreaterThanOrEqual(accepted);
    await waitCalibrated(ids, 90_000);
    const [check] = await sql<{ ok: number; points: number; dps_with_point: number }>(
      `SELECT (SELECT count(*)::int FROM data_products WHERE id = ANY($1) AND status = 'S') AS ok,
              (SELECT count(*)::int FROM reduced_datums WHERE data_product_id = ANY($1)) AS points,
              (SELECT count(DISTINCT data_product_id)::int FROM reduced_datums WHERE data_product_id = ANY($1)) AS dps_with_point`,
      [ids],
    );
    const failed = await sql(
      "SELECT id, status, status_message FROM data_products WHERE id = ANY($1) AND status <> 'S'",
      [ids],
    );
    expect(check, JSON.stringify(failed)).toEqual({
      ok: ids.length,
      points: ids.length,
      dps_with_point: ids.length,
    });
    console.log(
      JSON.stringify({
        measure: "multiprocess.db-outage",
        requests: answers.length,
        unavailable_503: unavailable.length,
        max_ms: Math.max(...answers.map((a) => a.ms)),
        health_recovered_ms: recoveredMs,
        uploads_committed: ids.length,
      }),
    );
  }, 180_000);
});
