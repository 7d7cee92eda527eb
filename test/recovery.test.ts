/**
 * Recovery at start (src/domain/recovery.ts, storage.ts placement journals): what a crash leaves — files
 * moved into place by an upload whose transaction never committed, partial uploads in tmp/, plots of
 * data products that are gone, jobs left active — is cleaned by the embedded owner at once, and on a
 * shared data directory only once it is old enough to be nobody's work in progress.
 */
import { mkdirSync, utimesSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueue, type JobQueue } from "../src/db/queue.ts";
import { recoverAtStart } from "../src/domain/recovery.ts";
import { beginPlacement } from "../src/storage.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ENGINES } from "./helpers/db.ts";
import { multipart } from "./helpers/multipart.ts";

const CSV = "time,filter,magnitude,error\n60000.1,V,15.1,0.02\n";

describe.each(ENGINES)("recovery at start on %s", (engine) => {
  let t: TestApp;
  let alice: TestUser;
  let queue: JobQueue;
  const file = (relative: string, content = "x") => {
    const path = join(t.tdb.dataDir, relative);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, content);
    return relative;
  };
  const exists = (relative: string) => existsSync(join(t.tdb.dataDir, relative));
  const tmpEntries = () => readdirSync(join(t.tdb.dataDir, "tmp"));
  /** A data product uploaded for real; returns its id and stored path. */
  const uploaded = async (mjd: number) => {
    const { payload, contentType } = multipart({ target: "RecT", data_product_type: "photometry_csv" }, [
      { name: "lc.csv", content: CSV.replace("60000.1", String(mjd)) },
    ]);
    const res = await t.app.inject({
      method: "POST",
      url: "/upload/",
      headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
      payload,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().data[0] as { id: number; file: string };
  };

  beforeAll(async () => {
    t = await createTestApp(engine);
    alice = await t.user("alice");
    await t.call("POST", "/targets/createTarget/", { name: "RecT", ra: 10, dec: 10 }, alice.token);
    queue = createQueue(t.tdb.database.pool);
    await queue.start();
  });
  afterAll(async () => {
    await queue.stop();
    await t.close();
  });

  it("a placement journal: the file a committed row names stays, the one of the transaction that never committed goes", async () => {
    const committed = await uploaded(60100.5);
    // A crash between moving a file into place and the commit: the journal names it, no row does.
    const orphan = "targets/RecT/photometry_csv/deadbeef_lost.csv";
    file("tmp/upload-1/0_lost.csv", "lost");
    const placement = await beginPlacement(t.tdb.dataDir, [{ from: "tmp/upload-1/0_lost.csv", to: orphan }]);
    await placement.move(0);
    // …and a journal naming the committed upload's file (a crash after its commit, before the journal went).
    writeFileSync(
      join(t.tdb.dataDir, "tmp", "placing-0000000000000000.json"),
      JSON.stringify({ destinations: [committed.file] }),
    );
    file("tmp/upload-2/0_partial.fits", "half a frame");
    file(`plots/calibration/${committed.id}.png`);
    file("plots/calibration/987654.png");
    file("plots/fits/987654.png");
    // A plot's data (drawn on first view: calibration/plotfile.ts) and a first view's temporary PNG.
    file(`plots/calibration/${committed.id}-run9.plot.json.gz`);
    file("plots/calibration/987654-run3.plot.json.gz");
    file("plots/calibration/987654-run3.png.4242-0a1b2c3d.tmp");

    // A process sharing the directory (PostgreSQL): all of it is recent, somebody may be working on it.
    const shared = await recoverAtStart(t.tdb.database, queue, t.tdb.dataDir, { owner: false });
    expect(shared).toEqual({ jobsRequeued: 0, tmpRemoved: 0, orphanFilesRemoved: 0, importsRemoved: 0 });
    expect(exists(orphan)).toBe(true);
    expect(tmpEntries().sort()).toHaveLength(4); // two journals, two upload folders

    // …unless it is old: entries untouched for a day are leftovers.
    for (const e of tmpEntries()) utimesSync(join(t.tdb.dataDir, "tmp", e), new Date(0), new Date(0));
    const old = await recoverAtStart(t.tdb.database, queue, t.tdb.dataDir, { owner: false });
    expect(old).toMatchObject({ tmpRemoved: 2, orphanFilesRemoved: 1 });
    expect(exists(orphan)).toBe(false);
    expect(exists(committed.file)).toBe(true);
    expect(tmpEntries()).toEqual([]);

    // The embedded owner: everything at once, plots of vanished data products too.
    file("tmp/upload-3/0_partial.fits", "half a frame");
    const owner = await recoverAtStart(t.tdb.database, queue, t.tdb.dataDir, { owner: true });
    expect(owner).toEqual({ jobsRequeued: 0, tmpRemoved: 1, orphanFilesRemoved: 4, importsRemoved: 0 });
    expect(exists(`plots/calibration/${committed.id}.png`)).toBe(true);
    expect(exists(`plots/calibration/${committed.id}-run9.plot.json.gz`)).toBe(true);
    expect(exists("plots/calibration/987654-run3.plot.json.gz")).toBe(false);
    expect(exists("plots/calibration/987654-run3.png.4242-0a1b2c3d.tmp")).toBe(false);
    expect(exists("plots/calibration/987654.png")).toBe(false);
    expect(exists("plots/fits/987654.png")).toBe(false);
    expect(exists(committed.file)).toBe(true);
  });

  it("a failed upload transaction leaves neither its files nor its journal", async () => {
    const first = await uploaded(60200.5);
    const { payload, contentType } = multipart({ target: "RecT", data_product_type: "photometry_csv" }, [
      { name: "again.csv", content: CSV.replace("60000.1", "60200.5") }, // the same bytes: 409
    ]);
    const res = await t.app.inject({
      method: "POST",
      url: "/upload/",
      headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
      payload,
    });
    expect(res.statusCode).toBe(409);
    expect(tmpEntries().filter((e) => e.startsWith("placing-"))).toEqual([]);
    expect(
      readdirSync(join(t.tdb.dataDir, "targets/RecT/photometry_csv")).filter((n) => n.endsWith("again.csv")),
    ).toEqual([]);
    expect(exists(first.file)).toBe(true);
  });

  it("jobs left active are taken back by the owner only", async () => {
    await queue.declare("recovery-probe");
    const id = (await queue.send("recovery-probe", {}))!;
    await t.tdb.database.pool.query(
      "update pgboss.job set state = 'active', started_on = now() where id = $1",
      [id],
    );
    expect((await recoverAtStart(t.tdb.database, queue, t.tdb.dataDir, { owner: false })).jobsRequeued).toBe(
      0,
    );
    expect((await recoverAtStart(t.tdb.database, queue, t.tdb.dataDir, { owner: true })).jobsRequeued).toBe(
      1,
    );
    const { rows } = await t.tdb.database.pool.query("select state from pgboss.job where id = $1", [id]);
    expect(rows).toEqual([{ state: "retry" }]);
  });
});
