/**
 * The one-machine default (`npm start`, embedded database) tried as an operator would (issue #22), on a
 * real `skytom serve` process:
 * - an upload rejected in the middle of its body answers every client at once: Python `requests`
 *   (BHTOM's clients, which send the whole body before reading) gets the 413, and a client that stalls
 *   mid-body does not hold up a SIGTERM;
 * - kill -9 in the middle of a FITS measurement, with a partial upload in flight, then an immediate
 *   restart: the lock of the dead process does not refuse it, the in-flight data product is calibrated
 *   within 60 s of the restart with one point, and no temporary or orphan file is left.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { socketDir, SOCKET_PORT } from "../src/db/embedded.ts";
import {
  FIELD_TARGET,
  fieldFrame,
  partialUpload,
  seedDataDir,
  serve,
  statusOf,
  until,
  uploadFile,
  type SeededDir,
} from "./helpers/one-machine.ts";
import { stopSkytom, type SkytomProcess } from "./helpers/processes.ts";

const hasRequests = (() => {
  try {
    execFileSync("python3", ["-c", "import requests"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Every file under `dir`, relative to it. */
function filesUnder(root: string, dir = root): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(root, path) : [relative(root, path)];
  });
}

const FITS_FIELDS = {
  target: FIELD_TARGET.name,
  data_product_type: "fits_file",
  observatory: "Synth_Cam",
  filter: "GaiaSP/V",
};

describe("one machine, embedded database: early answers, kill -9 and restart", () => {
  let seeded: SeededDir;
  let server: { p: SkytomProcess; url: string };
  const tooLong = "x".repeat(1024 * 1024 + 10); // over the 1 MiB allowed for a form field

  beforeAll(async () => {
    seeded = await seedDataDir();
    server = await serve("serve1", seeded.dataDir);
  }, 180_000);
  afterAll(async () => {
    if (server) await stopSkytom(server.p, 3000);
    seeded?.remove();
  }, 60_000);

  it.skipIf(!hasRequests)(
    "Python requests: a form field over the limit, then an 8 MB file → the 413, within its 2 s socket timeout",
    () => {
      // requests' timeout bounds every socket operation: a server that stops reading the body makes its
      // send block, and the call fails with a timeout instead of returning the answer.
      const script = `
import requests, sys
r = requests.post(sys.argv[1] + "/upload/", headers={"Authorization": "Token " + sys.argv[2]},
    data={"target": "x" * (1024 * 1024 + 10), "data_product_type": "fits_file"},
    files={"files": ("frame.fits", b"\\0" * (8 * 1024 * 1024))}, timeout=2)
print(r.status_code, r.headers.get("Connection"), r.json()["detail"])`;
      const out = execFileSync("python3", ["-c", script, server.url, seeded.token], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(out.trim()).toBe("413 close target: longer than the 1048576 bytes allowed for a form field");
    },
  );

  it("a client that sends the whole body before reading (as requests does) gets the 413; the server is fine after", async () => {
    const { socket, received, closed } = await partialUpload(
      server.url,
      seeded.token,
      { target: tooLong, data_product_type: "fits_file" },
      8 * 1024 * 1024,
      Number.MAX_SAFE_INTEGER, // all of it
    );
    // The whole 9 MB was accepted by the server (else the write above would not have finished), and the
    // connection closes once it is read.
    await closed;
    socket.destroy();
    expect(received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(received()).toMatch(/\r\nconnection: close\r\n/i);
    expect(received()).toContain('"detail":"target: longer than the 1048576 bytes allowed for a form field"');
    const health = await fetch(`${server.url}/api/health/`);
    expect(health.status).toBe(200);
  });

  it("kill -9 while a frame is measured and an upload is half sent → restart at once; calibrated within 60 s of it, one point, no leftovers", async () => {
    const frame = fieldFrame(4096, 11);
    const up = await uploadFile(server.url, seeded.token, FITS_FIELDS, { name: "big.fits", content: frame });
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    const id = up.body.data![0].id;
    // A second upload, 40 MB announced, 12 MB sent: its temporary file is in tmp/ when the server dies.
    const half = await partialUpload(
      server.url,
      seeded.token,
      FITS_FIELDS,
      40 * 1024 * 1024,
      12 * 1024 * 1024,
    );
    const tmp = join(seeded.dataDir, "tmp");
    await until(
      async () => filesUnder(tmp).some((f) => f.startsWith("upload-")),
      30_000,
      "a partial upload in tmp/",
    );
    await until(async () => (await statusOf(server.url, seeded.token, id)) === "P", 60_000, "measuring");

    server.p.child.kill("SIGKILL");
    expect(await server.p.exited).toEqual({ code: null, signal: "SIGKILL" });
    half.socket.destroy();
    expect(filesUnder(tmp).length).toBeGreaterThan(0);

    const restartedAt = Date.now();
    server = await serve("serve2", seeded.dataDir);
    const startMs = Date.now() - restartedAt;
    expect(server.p.lines.some((l) => l.includes("in use by another skytom process"))).toBe(false);
    const calibratedMs = await until(
      async () => ["S", "E"].includes(await statusOf(server.url, seeded.token, id)),
      60_000,
      "the in-flight product calibrated after the restart",
    );
    expect(await statusOf(server.url, seeded.token, id)).toBe("S");

    // Through the running server's socket: one point, one calibration, the job completed after a retry.
    const client = new pg.Client({ host: socketDir(seeded.dataDir), port: SOCKET_PORT, user: "postgres" });
    await client.connect();
    try {
      const points = await client.query("select id from reduced_datums where data_product_id = $1", [id]);
      expect(points.rows).toHaveLength(1);
      // The job is marked completed just after the data product's status.
      const job = () =>
        client.query<{ state: string; retry_count: number }>(
          "select state, retry_count from pgboss.job where data->>'dataProductId' = $1",
          [String(id)],
        );
      await until(async () => (await job()).rows[0]?.state === "completed", 10_000, "the job completed");
      expect((await job()).rows).toEqual([{ state: "completed", retry_count: 1 }]);
      // Every stored file belongs to a data product; tmp/ is empty.
      const rows = await client.query<{ data: string; photometry_data: string | null }>(
        "select data, photometry_data from data_products",
      );
      const referenced = new Set(rows.rows.flatMap((r) => [r.data, r.photometry_data]));
      expect(
        filesUnder(join(seeded.dataDir, "targets"))
          .map((f) => `targets/${f}`)
          .filter((f) => !referenced.has(f)),
      ).toEqual([]);
      expect(filesUnder(tmp)).toEqual([]);
    } finally {
      await client.end();
    }
    expect(server.p.lines.some((l) => l.includes("recovered what a stopped process left"))).toBe(true);
    console.log(
      JSON.stringify({
        measure: "one-machine.kill9-restart",
        restart_ms: startMs,
        calibrated_ms: calibratedMs,
      }),
    );
  }, 240_000);

  it("SIGTERM with a client stalled in the middle of a rejected upload → the server exits within 5 s", async () => {
    // The form field is over the limit (answered at once), then the client stops sending and stays.
    const stalled = await partialUpload(
      server.url,
      seeded.token,
      { target: tooLong, data_product_type: "fits_file" },
      8 * 1024 * 1024,
      2 * 1024 * 1024,
    );
    await until(async () => stalled.received().startsWith("HTTP/1.1 413"), 10_000, "the 413");
    const t0 = Date.now();
    server.p.child.kill("SIGTERM");
    const exited = await Promise.race([
      server.p.exited,
      new Promise<"still running">((r) => setTimeout(() => r("still running"), 5000)),
    ]);
    stalled.socket.destroy();
    expect(exited).toEqual({ code: 0, signal: null });
    console.log(JSON.stringify({ measure: "one-machine.sigterm-stalled-client", exit_ms: Date.now() - t0 }));
    // A clean stop releases the directory: the next start takes it without a word about a stale lock.
    server = await serve("serve3", seeded.dataDir);
    expect((await fetch(`${server.url}/api/health/`)).status).toBe(200);
  }, 120_000);
});
