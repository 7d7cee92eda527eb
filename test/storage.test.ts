/** Storage: the embedded database's ownership and socket, restarts, and the job queue on both engines. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/connection.ts";
import { currentOwner, DataDirInUseError, lockDataDir } from "../src/db/embedded.ts";
import { HARVEST_JOB, queueHarvest } from "../src/domain/harvests/service.ts";
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

  describe("pid files naming a live process that is not the owner (Linux /proc)", () => {
    const children: ChildProcess[] = [];
    /** A live process: `sleep 60`. */
    const sleeper = async () => {
      const child = spawn("sleep", ["60"], { stdio: "ignore" });
      children.push(child);
      await new Promise((r) => child.once("spawn", r));
      return child.pid!;
    };
    /** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat). */
    const startTicks = (pid: number) => {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    };
    const lockWith = (content: string) => {
      writeFileSync(join(dir, "skytom.pid"), content);
      return () => lockDataDir(dir)();
    };
    afterAll(() => {
      for (const c of children) c.kill("SIGKILL");
    });

    it.skipIf(process.platform !== "linux")("the recorded process, still running → refused", async () => {
      const pid = await sleeper();
      const me = currentOwner();
      const owner = { pid, bootId: me.bootId, startTicks: startTicks(pid) };
      expect(lockWith(JSON.stringify(owner))).toThrow(DataDirInUseError);
      expect(lockWith(JSON.stringify(owner))).toThrow(`(pid ${pid})`);
    });

    it.skipIf(process.platform !== "linux")(
      "its pid reused by an unrelated process (another start time, another boot, or a bare pid) → taken",
      async () => {
        const pid = await sleeper();
        const me = currentOwner();
        lockWith(JSON.stringify({ pid, bootId: me.bootId, startTicks: startTicks(pid) - 1 }))();
        lockWith(JSON.stringify({ pid, bootId: "another-boot", startTicks: startTicks(pid) }))();
        // A bare pid (an earlier version's pid file): alive, but not a skytom process.
        lockWith(String(pid))();
        // The lock is ours now, with this process's identity.
        const release = lockDataDir(dir);
        expect(JSON.parse(readFileSync(join(dir, "skytom.pid"), "utf8"))).toEqual(me);
        release();
      },
    );

    it.skipIf(process.platform !== "linux")("a zombie (killed, not yet reaped) → taken", async () => {
      // `sh` starts `sleep 0` in the background and becomes `sleep 60`, which never reaps it.
      const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 60"], {
        stdio: ["ignore", "pipe", "ignore"],
      });
      children.push(parent);
      const pid = Number(
        (await new Promise<Buffer>((r) => parent.stdout!.once("data", r))).toString().trim(),
      );
      const deadline = Date.now() + 10_000;
      const state = () => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1][0];
      while (state() !== "Z" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(state()).toBe("Z");
      const me = currentOwner();
      lockWith(JSON.stringify({ pid, bootId: me.bootId, startTicks: startTicks(pid) }))();
    });
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

  it("a queue declared one-per-key keeps one waiting job per singleton key; others keep all", async () => {
    const queue = createQueue(tdb.database.pool);
    await queue.start();
    const waiting = async (name: string) =>
      (
        await tdb.database.pool.query<{ key: string }>(
          "select singleton_key as key from pgboss.job where name = $1 and state = 'created' order by key",
          [name],
        )
      ).rows.map((r) => r.key);
    try {
      // An ordinary queue: the key keeps nothing out (pg-boss's standard policy).
      expect(await queue.send("plain", { n: 1 }, { singletonKey: "a" })).not.toBeNull();
      expect(await queue.send("plain", { n: 2 }, { singletonKey: "a" })).not.toBeNull();
      expect(await waiting("plain")).toEqual(["a", "a"]);
      // Declared one-per-key (an existing queue is changed): a second send of a waiting key does nothing.
      await queue.declare("keyed");
      await queue.declareOnePerKey("keyed");
      expect(await queue.send("keyed", { n: 1 }, { singletonKey: "a" })).not.toBeNull();
      expect(await queue.send("keyed", { n: 2 }, { singletonKey: "a" })).toBeNull();
      expect(await queue.send("keyed", { n: 3 }, { singletonKey: "b" })).not.toBeNull();
      expect(await waiting("keyed")).toEqual(["a", "b"]);
      // The daily harvest twice while the first is still waiting: one job per target.
      await queueHarvest(queue, 7);
      await queueHarvest(queue, 7);
      await queueHarvest(queue, 8);
      expect(await waiting(HARVEST_JOB)).toEqual(["harvest-7", "harvest-8"]);
    } finally {
      await queue.stop();
    }
  });

  describe("leases: renewed while a job runs, taken back when its worker is gone", () => {
    /** Until `check` holds, polling every 50 ms; throws after `ms`. */
    const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
      const deadline = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const jobRow = async (id: string) =>
      (
        await tdb.database.pool.query<{ state: string; retry_count: number; started_on: Date | null }>(
          "select state, retry_count, started_on from pgboss.job where id = $1",
          [id],
        )
      ).rows[0];
    /** Two queue instances on one database: two worker processes, as far as the queue can tell. */
    const twoQueues = async (leaseSeconds: number) => {
      const a = createQueue(tdb.database.pool, { leaseSeconds, retryDelaySeconds: 0 });
      const b = createQueue(tdb.database.pool, { leaseSeconds, retryDelaySeconds: 0 });
      await a.start();
      await b.start();
      return [a, b];
    };

    it("a job running three leases long keeps its lease: it runs once, never retried", async () => {
      const [a, b] = await twoQueues(1);
      const runs: string[] = [];
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const slow = (who: string) => async () => {
        runs.push(who);
        await released;
      };
      try {
        await a.work("lease-long", slow("a"));
        const id = (await a.send("lease-long", {}))!;
        await until(() => runs.length === 1, 10_000, "the job starts on a");
        await b.work("lease-long", slow("b")); // b sweeps expired leases of this queue from now on
        await new Promise((r) => setTimeout(r, 3500));
        expect(await jobRow(id)).toMatchObject({ state: "active", retry_count: 0 });
        release();
        await until(async () => (await jobRow(id)).state === "completed", 10_000, "completed");
        expect(runs).toEqual(["a"]);
        expect((await jobRow(id)).retry_count).toBe(0);
      } finally {
        release();
        await a.stop();
        await b.stop();
      }
    });

    it("a job whose worker died (its lease not renewed) is retried by another worker after the lease", async () => {
      const [a, b] = await twoQueues(1);
      const runs: string[] = [];
      try {
        await a.declare("lease-dead");
        const id = (await a.send("lease-dead", {}))!;
        // What a worker killed in the middle of the job leaves: the job active, started, never renewed.
        await tdb.database.pool.query(
          "update pgboss.job set state = 'active', started_on = now() where id = $1",
          [id],
        );
        await b.work("lease-dead", async () => {
          runs.push("b");
        });
        await until(async () => (await jobRow(id)).state === "completed", 15_000, "retried and completed");
        expect(runs).toEqual(["b"]);
        expect((await jobRow(id)).retry_count).toBe(1);
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    it("the owner at start takes back every active job (counted as a retry); a stop hands running ones back (not counted)", async () => {
      const [a, b] = await twoQueues(30);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const runs: string[] = [];
      try {
        await a.declare("lease-owner");
        const crashed = (await a.send("lease-owner", {}))!;
        await tdb.database.pool.query(
          "update pgboss.job set state = 'active', started_on = now() where id = $1",
          [crashed],
        );
        expect(await a.requeueAbandoned()).toBe(1);
        expect(await jobRow(crashed)).toMatchObject({ state: "retry" });

        // a takes both jobs in turn and is stopped while running the second: it goes back unfinished.
        const stopped = (await a.send("lease-owner", {}))!;
        const workers = await a.work("lease-owner", async (job) => {
          runs.push(`a:${job.id === crashed ? "crashed" : "stopped"}`);
          if (job.id === stopped) await released;
        });
        await until(() => runs.length === 2, 10_000, "a runs both");
        await workers.stop(200);
        expect(await jobRow(stopped)).toMatchObject({ state: "retry", retry_count: 0, started_on: null });
        await b.work("lease-owner", async () => {
          runs.push("b:stopped");
        });
        await until(async () => (await jobRow(stopped)).state === "completed", 10_000, "b completes it");
        expect(runs).toEqual(["a:crashed", "a:stopped", "b:stopped"]);
        expect((await jobRow(crashed)).retry_count).toBe(1);
        expect((await jobRow(stopped)).retry_count).toBe(0);
      } finally {
        release();
        await a.stop();
        await b.stop();
      }
    });
  });
});
