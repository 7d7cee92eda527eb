/** Storage: the embedded database's ownership and socket, restarts, and the job queue on both engines. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/connection.ts";
import { DataDirInUseError, lockDataDir } from "../src/db/embedded.ts";
import { createQueue } from "../src/db/queue.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./helpers/db.ts";
import { copyTemplate } from "./helpers/template.ts";

describe("embedded database ownership", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "skytom-own-"));
    copyTemplate(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a second owner of the same data directory is refused with a clear message", async () => {
    const first = await openDatabase({ dataDir: dir, databaseUrl: undefined }, { forceHost: true });
    try {
      const second = openDatabase({ dataDir: dir, databaseUrl: undefined }, { forceHost: true });
      await expect(second).rejects.toThrow(DataDirInUseError);
      await expect(second).rejects.toThrow(/in use by another skytom process \(pid \d+\)/);
    } finally {
      await first.close();
    }
  });

  it("a client finds the running owner's socket and uses the same data", async () => {
    const owner = await openDatabase({ dataDir: dir, databaseUrl: undefined }, { forceHost: true });
    try {
      await owner.pool.query("create table if not exists shared_probe (v text)");
      await owner.pool.query("insert into shared_probe values ('from owner')");
      const client = await openDatabase({ dataDir: dir, databaseUrl: undefined });
      expect(client.hostsEmbedded).toBe(false);
      const { rows } = await client.pool.query("select v from shared_probe");
      expect(rows).toEqual([{ v: "from owner" }]);
      await client.close();
      // the owner is unaffected by the client closing
      expect((await owner.pool.query("select count(*)::int as n from shared_probe")).rows[0].n).toBe(1);
    } finally {
      await owner.close();
    }
  });

  it("a stale pid file (its process is gone) does not block", () => {
    writeFileSync(join(dir, "skytom.pid"), "999999999");
    const release = lockDataDir(dir);
    release();
  });

  it("concurrent transactions from several connections never mix (one PGlite session behind the socket)", async () => {
    const d = await openDatabase({ dataDir: dir, databaseUrl: undefined }, { forceHost: true, max: 6 });
    try {
      await d.pool.query("create table if not exists tx_probe (v int)");
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const c = await d.pool.connect();
          try {
            await c.query("begin");
            await c.query("insert into tx_probe values ($1)", [i]);
            const r = await c.query("select $1::int + 1 as x", [i]);
            expect(r.rows[0].x).toBe(i + 1);
            await c.query(i % 3 === 0 ? "rollback" : "commit");
          } finally {
            c.release();
          }
        }),
      );
      const { rows } = await d.pool.query("select count(*)::int as n from tx_probe");
      expect(rows[0].n).toBe(40);
    } finally {
      await d.close();
    }
  });
});

describe.each(ENGINES)("job queue on %s", (engine) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(engine);
  });
  afterAll(async () => tdb.destroy());

  it("a job sent inside a rolled-back transaction never runs; a committed one runs once", async () => {
    const queue = createQueue(tdb.database.pool);
    await queue.start();
    const seen: number[] = [];
    await queue.work<{ n: number }>("probe", async (job) => {
      seen.push(job.data.n);
    });
    const c = await tdb.database.pool.connect();
    try {
      await c.query("begin");
      await queue.send("probe", { n: 1 }, { client: c });
      await c.query("rollback");
      await c.query("begin");
      await queue.send("probe", { n: 2 }, { client: c });
      await c.query("commit");
    } finally {
      c.release();
    }
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    await queue.stop();
    expect(seen).toEqual([2]);
  });
});
