/**
 * A bulk load of points is settled right after its commit (src/domain/datums/settle.ts): the upload of a
 * big light curve vacuums reduced_datums, so that the first download of those points reads the covering
 * index alone (no heap fetches, no hint bits to write); a small upload leaves the table to autovacuum.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SETTLE_AFTER_POINTS } from "../src/domain/datums/settle.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { uploadProduct } from "./helpers/multipart.ts";

/** A light-curve CSV of `n` points from MJD `from`. */
const lightCurve = (n: number, from: number) =>
  "time,filter,magnitude,error\n" +
  Array.from(
    { length: n },
    (_, i) => `${60000 + from + i * 0.001},V,${(15 + (i % 997) / 1000).toFixed(3)},0.01`,
  )
    .join("\n")
    .concat("\n");

describe.each(ENGINES)("settling a bulk load on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let targetId = 0;
  const db = () => t.tdb.database.db;

  /** Times reduced_datums was vacuumed by hand (not by autovacuum). */
  const vacuums = async () => {
    const rows = await db().execute(
      sql`select vacuum_count from pg_stat_user_tables where relname = 'reduced_datums'`,
    );
    return Number((rows.rows[0] as { vacuum_count: string | number }).vacuum_count);
  };
  /** Heap fetches of the download's index-only scan of the target's points (EXPLAIN ANALYZE). */
  const heapFetches = async () => {
    const plan = await db().execute(
      sql`explain (analyze, format json) select r.download_line from reduced_datums r
          where r.target_id = ${targetId} and r.value_unit = 'MAG' and r.active_flg
            and r.data_type = 'photometry' order by r.mjd, r.id`,
    );
    const walk = (node: Record<string, unknown>): number =>
      Number(node["Heap Fetches"] ?? 0) +
      ((node.Plans as Record<string, unknown>[] | undefined) ?? []).reduce((a, c) => a + walk(c), 0);
    const row = plan.rows[0] as { "QUERY PLAN": { Plan: Record<string, unknown> }[] };
    return { fetches: walk(row["QUERY PLAN"][0].Plan), plan: JSON.stringify(row["QUERY PLAN"][0].Plan) };
  };
  const upload = (n: number, from: number) =>
    uploadProduct(
      t.app,
      alice.token,
      { target: "Bulk", data_product_type: "photometry_csv", observatory: "GOTO" },
      [{ name: `lc-${from}.csv`, content: lightCurve(n, from) }],
    );

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    const res = await t.call("POST", "/targets/createTarget/", { name: "Bulk", ra: 10, dec: 0 }, alice.token);
    expect(res.statusCode).toBe(201);
    targetId = Number(
      (await db().execute(sql`select id from targets where name = 'Bulk'`)).rows[0]?.id as number,
    );
    // The plan of a download on a table of this size: the covering index, as on a big one.
    await db().execute(sql`analyze reduced_datums`);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("vacuums after a big upload, so its first download does not visit the heap", async () => {
    const before = await vacuums();
    await upload(SETTLE_AFTER_POINTS, 0);
    expect(await vacuums()).toBe(before + 1);
    const { fetches, plan } = await heapFetches();
    expect(plan).toContain("Index Only Scan");
    expect(fetches).toBe(0);
  }, 120_000);

  it("leaves a small upload to autovacuum", async () => {
    const before = await vacuums();
    await upload(500, 100);
    expect(await vacuums()).toBe(before);
    const { fetches, plan } = await heapFetches();
    expect(plan).toContain("Index Only Scan");
    expect(fetches).toBeGreaterThanOrEqual(500);
  }, 60_000);
});
