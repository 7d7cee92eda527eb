/**
 * The download file cache (src/domain/downloads/file-cache.ts): big light curves are served from a file
 * keyed by the target's datums_version, and every change to the points makes the next download fresh.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dataProducts, reducedDatums, targets } from "../src/db/schema/index.ts";
import {
  cacheDir,
  downloadCacheIdle,
  setDownloadCacheMinPoints,
} from "../src/domain/downloads/file-cache.ts";
import { openDatabase, type Database } from "../src/db/connection.ts";
import { buildApp } from "../src/app.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";

const MIN_POINTS = 5;

describe.each(ENGINES)("download file cache on %s", (engine) => {
  let t: TestApp;
  let other: FastifyInstance;
  let otherDb: Database;
  let alice: TestUser;
  let staff: TestUser;
  let id = 0;
  const db = () => t.tdb.database.db;
  const dir = () => cacheDir(t.tdb.dataDir);
  const files = (prefix = "") =>
    existsSync(dir())
      ? readdirSync(dir())
          .filter((f) => f.startsWith(prefix))
          .sort()
      : [];
  const version = async (targetId = id) =>
    Number(
      (await db().select({ v: targets.datumsVersion }).from(targets).where(eq(targets.id, targetId)))[0]?.v,
    );

  const download = async (name: string, kind = "photometry", app: FastifyInstance = t.app) => {
    const res = await app.inject({
      method: "POST",
      url: `/targets/download-${kind}/`,
      headers: { authorization: `Token ${alice.token}` },
      payload: { name },
    });
    expect(res.statusCode).toBe(200);
    await downloadCacheIdle();
    return res.body;
  };
  const points = (n: number, from: number, extra: Partial<typeof reducedDatums.$inferInsert> = {}) =>
    Array.from({ length: n }, (_, i) => ({
      targetId: id,
      mjd: 60000 + from + i,
      value: 15 + (from + i) / 100,
      error: 0.01,
      filter: "V",
      facility: "F",
      observer: "o",
      ...extra,
    }));
  const lines = (csv: string) => csv.split("\n").length - 2;

  beforeAll(async () => {
    setDownloadCacheMinPoints(MIN_POINTS);
    t = await createTestApp(engine);
    alice = await t.user("alice");
    staff = await t.user("staffer", { staff: true });
    // A second app instance with its own connection pool on the same database and data directory
    // (another `skytom serve`; on PGlite it connects to the embedded server this process hosts).
    const url = (t.tdb.database.pool.options as { connectionString?: string }).connectionString;
    otherDb = await openDatabase({ dataDir: t.tdb.dataDir, databaseUrl: url });
    expect(otherDb.hostsEmbedded).toBe(false);
    other = await buildApp({ database: otherDb, dataDir: t.tdb.dataDir, logger: false });
    const res = await t.call("POST", "/targets/createTarget/", { name: "Big", ra: 10, dec: 0 }, alice.token);
    id = res.json().id;
    await db().insert(reducedDatums).values(points(10, 0));
  });
  afterAll(async () => {
    setDownloadCacheMinPoints();
    await other?.close();
    await otherDb?.close();
    await t?.close();
  });
  afterEach(() => downloadCacheIdle());

  it("first download writes the file of the current version; the second is served from it, byte for byte", async () => {
    const v = await version();
    const first = await download("Big");
    expect(lines(first)).toBe(10);
    expect(first.startsWith("MJD;Magnitude;Error;Facility;Filter;Observer\n60000.0;15.0;0.01;F;V;o\n")).toBe(
      true,
    );
    expect(files(`${id}-`)).toEqual([`${id}-photometry-${v}.csv`]);
    expect(files(".")).toEqual([]); // no temp file left
    const path = join(dir(), `${id}-photometry-${v}.csv`);
    expect(readFileSync(path, "utf8")).toBe(first);
    const second = await download("Big");
    expect(second).toBe(first);
    // Served from the file: a marker written into it comes back (then the file is put back).
    writeFileSync(path, `${first}MARKER\n`);
    expect(await download("Big")).toBe(`${first}MARKER\n`);
    expect(await download("Big", "photometry", other)).toBe(`${first}MARKER\n`);
    writeFileSync(path, first);
    // Cached or not, every download is recorded.
    const n = await db().execute(
      sql`select count(*)::int as n from downloaded_targets where target_id = ${id}`,
    );
    expect((n as unknown as { rows: Array<{ n: number }> }).rows[0].n).toBe(4);
  });

  it("a light curve below the threshold is not cached; other kinds get their own file", async () => {
    await t.call("POST", "/targets/createTarget/", { name: "Small", ra: 20, dec: 0 }, alice.token);
    const small = (await db().select().from(targets).where(eq(targets.name, "Small")))[0];
    await db()
      .insert(reducedDatums)
      .values(points(MIN_POINTS - 1, 0).map((p) => ({ ...p, targetId: small.id })));
    expect(lines(await download("Small"))).toBe(MIN_POINTS - 1);
    expect(files(`${small.id}-`)).toEqual([]);
    // Radio of Big: no MILLIJANSKY points → header only, not cached.
    expect(lines(await download("Big", "radio"))).toBe(0);
    expect(files(`${id}-radio-`)).toEqual([]);
  });

  it("every kind of change to the points gives a new version and a fresh file, in both instances", async () => {
    const before = await download("Big");
    const check = async (what: string, expectLines: number, via: FastifyInstance) => {
      const v = await version();
      const csv = await download("Big", "photometry", via);
      expect(lines(csv), what).toBe(expectLines);
      expect(files(`${id}-photometry-`), what).toEqual([`${id}-photometry-${v}.csv`]);
      expect(readFileSync(join(dir(), `${id}-photometry-${v}.csv`), "utf8"), what).toBe(csv);
      // The other instance sees the same version (and serves the same bytes).
      expect(await download("Big", "photometry", via === t.app ? other : t.app), what).toBe(csv);
      return csv;
    };
    let v = await version();
    // A temp file left by a process that stopped while writing this version (removed with the version).
    const leftover = `.${id}-photometry-${v}.csv.0123456789ab.tmp`;
    writeFileSync(join(dir(), leftover), "partial");
    // More points.
    await db().insert(reducedDatums).values(points(3, 100));
    expect(await version()).toBe(v + 1);
    let csv = await check("insert", 13, other);
    expect(files(".")).toEqual([]);
    expect(csv).not.toBe(before);
    expect(csv).toContain("60102.0;16.02;0.01;F;V;o\n");
    // Deactivate one point (API, staff), then activate it again.
    const [pt] = await db().select().from(reducedDatums).where(eq(reducedDatums.mjd, 60102));
    v = await version();
    expect((await t.call("POST", `/api/datums/${pt.id}/deactivate/`, {}, staff.token)).statusCode).toBe(200);
    expect(await version()).toBeGreaterThan(v);
    csv = await check("deactivate", 12, t.app);
    expect(csv).not.toContain("60102.0");
    expect((await t.call("POST", `/api/datums/${pt.id}/activate/`, {}, staff.token)).statusCode).toBe(200);
    csv = await check("activate", 13, other);
    expect(csv).toContain("60102.0;16.02;0.01;F;V;o\n");
    // The observer column (and any other column) changed directly in the database.
    await db().execute(sql`update reduced_datums set observer = 'Someone Else' where id = ${pt.id}`);
    csv = await check("observer", 13, t.app);
    expect(csv).toContain("60102.0;16.02;0.01;F;V;Someone Else\n");
    // A point moved to another target changes both targets' versions.
    const small = (await db().select().from(targets).where(eq(targets.name, "Small")))[0];
    const vSmall = await version(small.id);
    await db().update(reducedDatums).set({ targetId: small.id }).where(eq(reducedDatums.id, pt.id));
    expect(await version(small.id)).toBe(vSmall + 1);
    csv = await check("moved away", 12, other);
    // A data product deleted with its points (API).
    const [product] = await db()
      .insert(dataProducts)
      .values({
        targetId: id,
        data: "targets/Big/photometry/x.csv",
        sha256: "b".repeat(64),
        dataProductType: "photometry_csv",
      })
      .returning();
    await db()
      .insert(reducedDatums)
      .values(points(4, 200, { dataProductId: product.id }));
    csv = await check("data product points", 16, t.app);
    const del = await t.call("DELETE", "/common/api/deleteDataProduct/", { id: product.id }, staff.token);
    expect(del.statusCode).toBe(200);
    csv = await check("data product deleted", 12, other);
    expect(csv).not.toContain("60200.0");
    // One point deleted directly.
    await db().delete(reducedDatums).where(eq(reducedDatums.mjd, 60000));
    csv = await check("delete", 11, t.app);
    expect(csv).not.toContain("60000.0;");
  });

  it("a deleted target (cascade) and a new one of that name: the new light curve, never the old file", async () => {
    await download("Big");
    expect(files(`${id}-photometry-`).length).toBe(1);
    const res = await t.call("DELETE", "/targets/deleteTarget/", { name: "Big" }, alice.token);
    expect(res.statusCode).toBe(200);
    const gone = await t.app.inject({
      method: "POST",
      url: "/targets/download-photometry/",
      headers: { authorization: `Token ${alice.token}` },
      payload: { name: "Big" },
    });
    expect(gone.statusCode).toBe(404);
    const again = await t.call(
      "POST",
      "/targets/createTarget/",
      { name: "Big", ra: 10, dec: 0 },
      alice.token,
    );
    const oldId = id;
    id = again.json().id;
    expect(id).not.toBe(oldId);
    await db().insert(reducedDatums).values(points(6, 500));
    const csv = await download("Big");
    expect(lines(csv)).toBe(6);
    expect(csv).toContain("60500.0;20.0;0.01;F;V;o\n");
    expect(await download("Big", "photometry", other)).toBe(csv);
  });

  it("a download aborted midway leaves no cache file; the next complete one writes it", async () => {
    await t.call("POST", "/targets/createTarget/", { name: "Huge", ra: 30, dec: 0 }, alice.token);
    const huge = (await db().select().from(targets).where(eq(targets.name, "Huge")))[0];
    // 200,000 points (≈ 7 MB, 10 batches): far more than the socket buffers hold.
    await db()
      .execute(sql`insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
      select ${huge.id}, 50000 + g * 0.001, 15 + (g % 1000) * 0.001, 0.01, 'V', 'F', 'o'
      from generate_series(1, 200000) g`);
    const address = await t.app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = t.app.server.address() as AddressInfo;
    expect(address).toContain(String(port));
    let sawTemp = false;
    const got = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/targets/download-photometry/",
          headers: { authorization: `Token ${alice.token}`, "content-type": "application/json" },
        },
        (res) => {
          let bytes = 0;
          res.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
            // Past the header: the first batch is sent, and the copy has begun with it.
            if (bytes > 1000) {
              sawTemp = files(`.${huge.id}-photometry-`).length === 1;
              res.destroy();
              req.destroy();
              resolve(bytes);
            }
          });
          res.on("error", () => undefined);
        },
      );
      req.on("error", (err) => (err.message.includes("socket hang up") ? undefined : reject(err)));
      req.end(JSON.stringify({ name: "Huge" }));
    });
    expect(got).toBeGreaterThan(0);
    expect(sawTemp).toBe(true); // the copy had started
    // The server notices the closed socket, stops the stream and drops the temp file.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && files(`.${huge.id}-`).length > 0) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await downloadCacheIdle();
    expect(files(`.${huge.id}-`)).toEqual([]);
    expect(files(`${huge.id}-`)).toEqual([]);
    const csv = await download("Huge");
    expect(lines(csv)).toBe(200_000);
    expect(files(`${huge.id}-`)).toEqual([`${huge.id}-photometry-${await version(huge.id)}.csv`]);
    expect(await download("Huge", "photometry", other)).toBe(csv);
  });

  it("points changed while a first download is written: the file is not kept (its version is gone)", async () => {
    const huge = (await db().select().from(targets).where(eq(targets.name, "Huge")))[0];
    await downloadCacheIdle();
    const v = await version(huge.id);
    expect(files(`${huge.id}-`)).toEqual([`${huge.id}-photometry-${v}.csv`]);
    await db().execute(
      sql`update reduced_datums set error = 0.02 where target_id = ${huge.id} and mjd = 50000.001`,
    );
    const { port } = t.app.server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/targets/download-photometry/",
          headers: { authorization: `Token ${alice.token}`, "content-type": "application/json" },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let changed = false;
          res.on("data", (chunk: Buffer) => {
            chunks.push(chunk);
            if (!changed) {
              changed = true;
              res.pause();
              // A point added after the first batch was sent (it sorts last: it is in this download).
              void db()
                .execute(
                  sql`insert into reduced_datums (target_id, mjd, value, error, filter, facility, observer)
                  values (${huge.id}, 99999, 1, 0.1, 'V', 'F', 'late')`,
                )
                .then(() => res.resume(), reject);
            }
          });
          res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ name: "Huge" }));
    });
    await downloadCacheIdle();
    expect(lines(body)).toBe(200_001);
    expect(body).toContain("50000.001;15.001;0.02;F;V;o\n");
    expect(body.endsWith("99999.0;1.0;0.1;F;V;late\n")).toBe(true);
    // Version v + 1 was current when the download started, v + 2 when it ended: nothing kept, the
    // old file removed by nobody yet but never served (its version is not current).
    expect(await version(huge.id)).toBe(v + 2);
    expect(files(`.${huge.id}-`)).toEqual([]);
    expect(files(`${huge.id}-`)).toEqual([`${huge.id}-photometry-${v}.csv`]);
    const fresh = await download("Huge");
    expect(fresh).toBe(body);
    expect(files(`${huge.id}-`)).toEqual([`${huge.id}-photometry-${v + 2}.csv`]);
  });

  it("a cache directory that cannot be written: logged, the download is the normal one", async () => {
    const v = await version();
    // A file where the cache directory should be: mkdir and open fail.
    const { rmSync } = await import("node:fs");
    rmSync(dir(), { recursive: true, force: true });
    writeFileSync(dir(), "not a directory");
    try {
      const csv = await download("Big");
      expect(lines(csv)).toBe(6);
      expect(await download("Big")).toBe(csv);
    } finally {
      rmSync(dir(), { force: true });
    }
    expect(await version()).toBe(v);
  });
  it("deleting a target removes its cached downloads, stale versions and temp files too; others stay", async () => {
    await t.call("POST", "/targets/createTarget/", { name: "Doomed", ra: 40, dec: 0 }, alice.token);
    const doomed = (await db().select().from(targets).where(eq(targets.name, "Doomed")))[0];
    await db()
      .insert(reducedDatums)
      .values(points(8, 0).map((p) => ({ ...p, targetId: doomed.id })));
    await download("Doomed");
    await download("Big");
    const v = await version(doomed.id);
    expect(files(`${doomed.id}-`)).toEqual([`${doomed.id}-photometry-${v}.csv`]);
    // A stale version and a temp file left by a stopped process.
    writeFileSync(join(dir(), `${doomed.id}-photometry-${v - 1}.csv`), "old");
    writeFileSync(join(dir(), `.${doomed.id}-radio-${v}.csv.0a1b2c3d4e5f.tmp`), "partial");
    const kept = files(`${id}-`);
    expect(kept.length).toBe(1);
    const res = await t.call("DELETE", "/targets/deleteTarget/", { name: "Doomed" }, alice.token);
    expect(res.statusCode).toBe(200);
    expect(files(`${doomed.id}-`)).toEqual([]);
    expect(files(`.${doomed.id}-`)).toEqual([]);
    expect(files(`${id}-`)).toEqual(kept);
  });
});
