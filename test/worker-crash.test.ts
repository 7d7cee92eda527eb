/**
 * Dead workers on PostgreSQL with the default settings (issue #15): `kill -9` of the worker process in
 * the middle of a FITS job → another worker runs the job again within 60 s (the lease the dead worker no
 * longer renews runs out), and the data product gets exactly one light-curve point. A job longer than
 * its lease keeps it while its worker renews it. Real processes; runs only with SKYTOM_TEST_DATABASE_URL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PROCESS_JOB } from "../src/domain/dataproducts/upload.ts";
import { Cluster, TARGET } from "./helpers/cluster.ts";
import { fieldFrame, until } from "./helpers/one-machine.ts";
import { stopSkytom } from "./helpers/processes.ts";

const ADMIN_URL = process.env.SKYTOM_TEST_DATABASE_URL;

describe.skipIf(!ADMIN_URL)("dead workers on PostgreSQL, default settings", () => {
  // No job settings: the defaults (SKYTOM_JOB_LEASE_SECONDS 20, retry delay 10 s) are what is tested.
  const cluster = new Cluster(ADMIN_URL ?? "", {});
  const sql = cluster.sql.bind(cluster);

  beforeAll(() => cluster.start(1, 0), 180_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") console.error(cluster.tails());
  });
  afterAll(() => cluster.stop(process.env.SKYTOM_TEST_LOG_DIR), 60_000);

  /** A FITS frame of the field (4096² px: measured slowly enough to be caught in the middle). */
  const uploadFrame = async (seed: number, sizePx = 4096) => {
    const form = new FormData();
    form.set("target", TARGET.name);
    form.set("data_product_type", "fits_file");
    form.set("observatory", "Synth_Cam");
    form.set("filter", "GaiaSP/V");
    form.set("files", new Blob([fieldFrame(sizePx, seed)]), `frame-${seed}.fits`);
    const res = await fetch(`${cluster.urls[0]}/upload/`, {
      method: "POST",
      headers: { authorization: `Token ${cluster.token}` },
      body: form,
      signal: AbortSignal.timeout(120_000),
    });
    const body = (await res.json()) as { data: { id: number }[] };
    expect(res.status, JSON.stringify(body)).toBe(201);
    return body.data[0].id;
  };
  const status = async (id: number) =>
    (await sql<{ status: string }>("select status from data_products where id = $1", [id]))[0].status;
  const job = async (id: number) =>
    (
      await sql<{ state: string; retry_count: number }>(
        "select state, retry_count from pgboss.job where name = $1 and data->>'dataProductId' = $2",
        [PROCESS_JOB, String(id)],
      )
    )[0];

  it("kill -9 of the worker in the middle of a FITS job → the other worker runs it within 60 s; one point", async () => {
    const first = await cluster.startWorker("worker1");
    const second = await cluster.startWorker("worker2");
    second.child.kill("SIGSTOP"); // frozen: only worker1 takes the job
    let id = 0;
    try {
      id = await uploadFrame(21);
      await until(async () => (await status(id)) === "P", 60_000, "worker1 measures the frame");
      first.child.kill("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    } finally {
      second.child.kill("SIGCONT");
    }
    const killedAt = Date.now();
    await cluster.waitCalibrated([id], 60_000);
    const recoveredMs = Date.now() - killedAt;
    expect(await status(id)).toBe("S");
    expect(await job(id)).toEqual({ state: "completed", retry_count: 1 });
    expect(await sql("select id from reduced_datums where data_product_id = $1", [id])).toHaveLength(1);
    expect(
      second.lines.some((l) => l.includes(`"dataProduct":${id},`) && l.includes("data product processed")),
    ).toBe(true);
    console.log(
      JSON.stringify({ measure: "worker-crash.kill9-default-settings", recovered_ms: recoveredMs }),
    );
  }, 240_000);

  it("a FITS job several times longer than its lease (1 s) keeps it while its worker renews it: one run, no retry", async () => {
    // The other worker (20 s lease) sweeps expired leases too: it would take the job the moment the
    // short lease ran out unrenewed.
    // Its calibration waits 4 s for the reference stars (a slow archive): the job lasts at least four
    // leases, whatever the machine's speed.
    const shortLease = await cluster.startSlowWorker("worker3", 4_000, { SKYTOM_JOB_LEASE_SECONDS: "1" });
    const others = cluster.workers.filter((w) => w !== shortLease && w.alive());
    for (const w of others) w.child.kill("SIGSTOP");
    let id = 0;
    try {
      // Its length comes from the slow reference stars, not the image: a 2048² frame (¼ the pixels) will do.
      id = await uploadFrame(22, 2048);
      await until(async () => (await status(id)) === "P", 60_000, "worker3 measures the frame");
    } finally {
      for (const w of others) w.child.kill("SIGCONT");
    }
    await cluster.waitCalibrated([id], 90_000);
    expect(await status(id)).toBe("S");
    expect(await job(id)).toEqual({ state: "completed", retry_count: 0 });
    const [run] = await sql<{ seconds: number }>(
      `select extract(epoch from completed_on - started_on)::float8 as seconds from pgboss.job
        where name = $1 and data->>'dataProductId' = $2`,
      [PROCESS_JOB, String(id)],
    );
    // It really outlived the lease (unrenewed, the other worker takes a job back ~1.3 s after it started).
    expect(run.seconds).toBeGreaterThan(4);
    expect(await sql("select id from reduced_datums where data_product_id = $1", [id])).toHaveLength(1);
    const ran = cluster.workers.filter((w) =>
      w.lines.some((l) => l.includes(`"dataProduct":${id},`) && l.includes("data product processed")),
    );
    expect(ran.map((w) => w.name)).toEqual(["worker3"]);
    console.log(JSON.stringify({ measure: "worker-crash.long-job-short-lease", job_seconds: run.seconds }));
  }, 240_000);

  it("SIGTERM of a worker in the middle of a FITS job → it finishes the job, then exits cleanly; nothing stranded", async () => {
    const stopping = await cluster.startWorker("worker4");
    const others = cluster.workers.filter((w) => w !== stopping && w.alive());
    for (const w of others) w.child.kill("SIGSTOP");
    let id = 0;
    try {
      id = await uploadFrame(23);
      await until(async () => (await status(id)) === "P", 60_000, "worker4 measures the frame");
      const exited = await stopSkytom(stopping, 30_000);
      expect(exited).toEqual({ code: 0, signal: null });
    } finally {
      for (const w of others) w.child.kill("SIGCONT");
    }
    await cluster.waitCalibrated([id], 60_000);
    expect(await status(id)).toBe("S");
    expect(await job(id)).toEqual({ state: "completed", retry_count: 0 });
    expect(await sql("select id from reduced_datums where data_product_id = $1", [id])).toHaveLength(1);
    expect(stopping.lines.some((l) => /Cannot use a pool after calling end/.test(l))).toBe(false);
    expect(
      stopping.lines.some((l) => l.includes(`"dataProduct":${id},`) && l.includes("data product processed")),
    ).toBe(true);
  }, 240_000);
});
