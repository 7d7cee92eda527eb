/**
 * A full disk (issue #22): the data directory on a small tmpfs, filled up. An upload gets a clear 507
 * JSON answer instead of a generic 500, leaves no row and no file, and once space is freed the same
 * upload succeeds without a restart. Mounting needs root (CI runs as root); elsewhere it is skipped.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, runMigrations, type Database } from "../src/db/connection.ts";
import * as users from "../src/domain/users/service.ts";
import { buildApp } from "../src/app.ts";
import { SYSTEM } from "../src/domain/permissions.ts";
import { multipart } from "./helpers/multipart.ts";
import { copyTemplate } from "./helpers/template.ts";

/** Can this process mount a tmpfs (root on Linux)? */
function canMount(): boolean {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), "skytom-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const rel = join(prefix, name);
    return statSync(join(dir, rel)).isDirectory() ? filesUnder(dir, rel) : [rel];
  });
}

const lightCurve = (rows: number, mjd0: number) =>
  "time,filter,magnitude,error\n" +
  Array.from({ length: rows }, (_, i) => `${(mjd0 + i * 1e-3).toFixed(5)},V,15.1,0.02`).join("\n") +
  "\n";

describe.skipIf(!canMount())("a full disk (tmpfs data directory)", () => {
  let dataDir: string;
  let database: Database;
  let app: FastifyInstance;
  let token = "";
  const filler = () => join(dataDir, "filler.bin");

  const upload = async (content: string, name: string) => {
    const { payload, contentType } = multipart(
      { target: "DiskT", data_product_type: "photometry_csv", observatory: "Here" },
      [{ name, content }],
    );
    return app.inject({
      method: "POST",
      url: "/upload/",
      headers: { "content-type": contentType, authorization: `Token ${token}` },
      payload,
    });
  };
  const rows = async () =>
    (await database.pool.query<{ n: number }>("select count(*)::int as n from data_products")).rows[0].n;
  const storedFiles = () =>
    filesUnder(dataDir).filter((f) => f.startsWith("targets/") || f.startsWith("tmp/"));

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "skytom-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=128m", "tmpfs", dataDir]);
    copyTemplate(dataDir);
    database = await openDatabase({ dataDir, databaseUrl: undefined }, { forceHost: true });
    await runMigrations(database);
    app = await buildApp({ database, dataDir, logger: false });
    await users.createUser(database.db, SYSTEM, { username: "alice", password: "alice-password" });
    token = await users.tokenForUser(database.db, "alice");
    const created = await app.inject({
      method: "POST",
      url: "/targets/createTarget/",
      headers: { authorization: `Token ${token}` },
      payload: { name: "DiskT", ra: 10, dec: 10 },
    });
    expect(created.statusCode).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await database?.close();
    try {
      execFileSync("umount", [dataDir]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("an upload that does not fit → 507 JSON naming the cause; no row, no file; after freeing space it succeeds", async () => {
    const spaceLeft = 256 * 1024;
    const csv = lightCurve(20_000, 60000); // 480 kB
    expect(Buffer.byteLength(csv)).toBeGreaterThan(spaceLeft);
    const { bavail, bsize } = statfsSync(dataDir);
    writeFileSync(filler(), Buffer.alloc(Math.max(0, bavail * bsize - spaceLeft)));
    const before = { rows: await rows(), files: storedFiles() };

    const full = await upload(csv, "big.csv");
    expect(full.statusCode, full.body).toBe(507);
    expect(full.headers["content-type"]).toMatch(/^application\/json/);
    expect(full.json()).toMatchObject({
      detail: expect.stringMatching(/^No space left in the data directory/),
    });
    expect(await rows()).toBe(before.rows);
    expect(storedFiles()).toEqual(before.files);

    rmSync(filler());
    const again = await upload(csv, "big.csv");
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json().data[0]).toMatchObject({ status: "S", points: 20_000 });
    expect(await rows()).toBe(before.rows + 1);
  }, 120_000);
});
