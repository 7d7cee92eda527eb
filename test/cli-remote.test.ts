/**
 * The observer commands as a user runs them: `node bin/skytom.js …` subprocesses against a real server
 * listening on a socket in this process (a test database with a job queue and a calibration worker), with a
 * temporary XDG_CONFIG_HOME. Includes bad arguments: one clear line on stderr and the documented exit code.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeField, makeFrame } from "../src/astro/synth/catalog.ts";
import { eq } from "drizzle-orm";
import { cameras, dataProducts, observatories } from "../src/db/schema/index.ts";
import { startWorkers } from "../src/jobs/index.ts";
import type { ReferenceProvider } from "../src/domain/calibration/pipeline.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";
import { ccdphotCatalogue } from "./helpers/catalogue.ts";
import { multipart } from "./helpers/multipart.ts";

const BIN = new URL("../bin/skytom.js", import.meta.url).pathname;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** The synthetic field and frame of test/calibrate-job.test.ts: the target is 16.2 mag in V. */
const TARGET = { raDeg: 150.02, decDeg: 2.01, mag: 16.2 };
const field = makeField({ seed: 5, nStars: 400, centerRaDeg: 150, centerDecDeg: 2, halfWidthDeg: 0.1 });
const provider: ReferenceProvider = { cone: async () => field.reference };

function catalogueText(seed: number): string {
  const c = makeFrame(field, { seed, zp: 24.3, target: { ...TARGET, forced: false } }).catalogue;
  return ccdphotCatalogue(c);
}

describe("observer CLI against a running server", () => {
  let t: TestApp;
  let alice: TestUser;
  let server = "";
  let work: string;
  let config: string;

  /** Run the CLI; `env` overrides (undefined removes a variable). */
  const run = (args: string[], opts: { env?: Record<string, string | undefined>; input?: string } = {}) =>
    new Promise<Run>((resolve, reject) => {
      const env: Record<string, string | undefined> = {
        ...process.env,
        SKYTOM_SERVER: server,
        SKYTOM_TOKEN: alice.token,
        XDG_CONFIG_HOME: config,
        SKYTOM_RETRIES: "0",
        ...opts.env,
      };
      for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
      const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, cwd: work });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out, err }));
      child.stdin.end(opts.input ?? "");
    });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "skytom-cli-remote-"));
    config = join(work, "config");
    t = await createTestApp("pglite", { queue: true });
    alice = await t.user("alice");
    await startWorkers(t.queue!, t.tdb.database, {
      concurrency: 1,
      logger: pino({ level: "silent" }),
      dataDir: t.tdb.dataDir,
      provider,
    });
    const [obs] = await t.tdb.database.db
      .insert(observatories)
      .values({ name: "Synth", lon: 20, lat: 50 })
      .returning();
    await t.tdb.database.db
      .insert(cameras)
      .values({ observatoryId: obs.id, cameraName: "Cam", prefix: "Synth_Cam", activeFlg: true });
    server = await t.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("login reads the password from stdin and saves the token in a 0600 file; logout revokes it", async () => {
    const login = await run(["login", "--username", "alice", "--password-stdin"], {
      input: "alice-password\n",
      env: { SKYTOM_TOKEN: undefined },
    });
    expect(login.err).toBe("");
    expect(login.code).toBe(0);
    const path = join(config, "skytom", "config.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(config, "skytom")).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(path, "utf8"));
    expect(saved.server).toBe(server);
    const token = saved.tokens[server].token as string;
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    expect(saved.tokens[server].username).toBe("alice");

    // The saved token is used when neither --token nor SKYTOM_TOKEN is given, and works.
    const list = await run(["targets", "--json"], {
      env: { SKYTOM_TOKEN: undefined, SKYTOM_SERVER: undefined },
    });
    expect(list.err).toBe("");
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([]);

    const wrong = await run(["login", "--username", "alice", "--password-stdin"], { input: "nope" });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^error: .*Unable to log in with provided credentials/);
    expect(wrong.err.trim().split("\n")).toHaveLength(1);

    const logout = await run(["logout"], { env: { SKYTOM_TOKEN: undefined } });
    expect(logout.code).toBe(0);
    expect(logout.out).toMatch(/token revoked; removed from/);
    expect(JSON.parse(readFileSync(path, "utf8")).tokens).toEqual({});
    expect((await t.call("POST", "/targets/getTargetList/", {}, token)).statusCode).toBe(401);
  });

  it("targets: create, update, list with filters, download, delete — --json parsed", async () => {
    const create = await run([
      "target",
      "create",
      "SynthT",
      "--ra",
      String(TARGET.raDeg),
      "--dec",
      String(TARGET.decDeg),
      "--classification",
      "Microlensing Event",
      "--json",
    ]);
    expect(create.err).toBe("");
    expect(create.code).toBe(0);
    const created = JSON.parse(create.out);
    expect(created).toMatchObject({
      name: "SynthT",
      ra: 150.02,
      dec: 2.01,
      classification: "Microlensing Event",
    });
    expect(created.id).toBeGreaterThan(0);
    // Sexagesimal input: RA in hours.
    const other = await run(["target", "create", "Other", "--ra", "10:00:00", "--dec", "-30:00:00"]);
    expect(other.code).toBe(0);
    expect(other.out).toMatch(/created target Other \(id \d+\) at ra 150\.00000 deg, dec -30\.00000 deg/);

    const update = await run(["target", "update", "Other", "--importance", "4.5", "--description", "faint"]);
    expect(update.code).toBe(0);
    expect(update.out).toMatch(/updated Other: importance, description/);

    const cone = await run(["targets", "--cone", "150,2,0.5", "--json"]);
    expect(cone.code).toBe(0);
    expect((JSON.parse(cone.out) as { name: string }[]).map((x) => x.name)).toEqual(["SynthT"]);
    const byName = await run(["targets", "--name", "Other", "--json"]);
    const [o] = JSON.parse(byName.out);
    expect(o).toMatchObject({ name: "Other", importance: 4.5, description: "faint", dec: -30 });
    const table = await run(["targets"]);
    expect(table.out).toMatch(/^name\s+ra_deg\s+dec_deg\s+classification\s+mag_last\s+importance/m);
    expect(table.out).toMatch(/^SynthT\s+150\.02000\s+2\.01000\s+Microlensing Event/m);
    expect(table.out).toMatch(/2 target\(s\); page 1 of 1/);

    // The delete refuses without --yes when not on a terminal, then deletes.
    const noYes = await run(["target", "delete", "Other"]);
    expect(noYes.code).toBe(2);
    expect(noYes.err).toMatch(/needs --yes/);
    const del = await run(["target", "delete", "Other", "--yes", "--json"]);
    expect(del.code).toBe(0);
    expect(JSON.parse(del.out)).toEqual({ status: "deleted" });
    const gone = await run(["target", "update", "Other", "--importance", "1"]);
    expect(gone.code).toBe(1);
    expect(gone.err.trim().split("\n")).toHaveLength(1);
    expect(gone.err).toMatch(
      /^error: .*Other.*\(HTTP 404, PATCH http:\/\/127\.0\.0\.1:\d+\/targets\/updateTarget\/Other\/\)/,
    );

    const obs = await run(["observatories", "--json"]);
    expect(obs.code).toBe(0);
    const list = JSON.parse(obs.out) as {
      name: string;
      cameras: { prefix: string; active_flg: boolean }[];
    }[];
    expect(list.map((x) => [x.name, x.cameras.map((c) => [c.prefix, c.active_flg])])).toEqual([
      ["Synth", [["Synth_Cam", true]]],
    ]);
  });

  it("upload a directory of 20 light-curve CSVs: 20 ids in the summary, 20 data products on the server", async () => {
    const dir = join(work, "night");
    mkdirSync(dir);
    for (let i = 0; i < 20; i++) {
      const mjd = 60500 + i / 10;
      writeFileSync(
        join(dir, `lc_${String(i).padStart(2, "0")}.csv`),
        `time,filter,magnitude,error\n${mjd},V,${(15 + i / 100).toFixed(2)},0.02\n`,
      );
    }
    writeFileSync(join(dir, "notes.md"), "not uploaded: unknown extension");
    const r = await run(["upload", dir, "--target", "SynthT", "--observatory", "Backyard scope", "--wait"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/uploading 20 file\(s\), .*photometry_csv × 20 \(type guessed from the extension/);
    const rows = r.out.split("\n").filter((l) => /lc_\d\d\.csv/.test(l));
    expect(rows).toHaveLength(20);
    const ids = rows.map((l) => Number(/│\s*photometry_csv\s*│\s*(\d+)\s*│\s*S\s*│\s*1\s*│/.exec(l)?.[1]));
    expect(ids.every((id) => id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(20);
    // Sorted by name in the summary.
    expect(rows[0]).toMatch(/lc_00\.csv/);
    expect(rows[19]).toMatch(/lc_19\.csv/);
    const listed = (await t.call("POST", "/common/api/data/", { target_name: "SynthT" }, alice.token)).json();
    expect(listed.count).toBe(20);
    expect((listed.data as { id: number }[]).map((d) => d.id).sort((a, b) => a - b)).toEqual(
      [...ids].sort((a, b) => a - b),
    );

    // The same files again: every one is a 409 duplicate; the others still run; exit code 4.
    const again = await run([
      "upload",
      join(dir, "lc_00.csv"),
      join(dir, "lc_01.csv"),
      "--target",
      "SynthT",
      "--observatory",
      "Backyard scope",
      "--json",
    ]);
    expect(again.code).toBe(4);
    const outcomes = JSON.parse(again.out) as { status: string; failure: string; message: string }[];
    expect(outcomes.map((x) => [x.status, x.failure])).toEqual([
      ["failed", "refused"],
      ["failed", "refused"],
    ]);
    expect(outcomes[0].message).toMatch(/HTTP 409/);
    expect(again.err).toMatch(/error: 2 of 2 upload\(s\) failed/);

    const csv = await run(["download", "SynthT", "-o", "SynthT.csv"]);
    expect(csv.code).toBe(0);
    const lines = readFileSync(join(work, "SynthT.csv"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(21);
    expect(lines[1]).toMatch(/^60500(\.0)?;/);
    const stdout = await run(["download", "SynthT"]);
    expect(stdout.out.trim().split("\n")).toEqual(lines);
  });

  it("harvest prints each source's outcome (the test server is offline); an unknown source is an error", async () => {
    await t.call("POST", "/targets/createTarget/", { name: "HarvestMe", ra: 10, dec: 20 }, alice.token);
    const r = await run(["harvest", "HarvestMe"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "GaiaAlerts: skipped: does not apply to HarvestMe\nZTF: skipped: offline (SKYTOM_OFFLINE=1): not asked\n" +
        "GaiaDR3: skipped: offline (SKYTOM_OFFLINE=1): not asked\n",
    );
    const bad = await run(["harvest", "HarvestMe", "--source", "Nope"]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/unknown source\(s\) Nope/);
  });

  it("upload --wait follows a catalogue to its calibrated magnitude; calib shows it and saves the plot", async () => {
    const cat = join(work, "frame.cat");
    writeFileSync(cat, catalogueText(6));
    const r = await run([
      "upload",
      cat,
      "--target",
      "SynthT",
      "--observatory",
      "Synth_Cam",
      "--mjd",
      "60500.25",
      "--filter",
      "GaiaSP/V",
      "--wait",
      "--json",
    ]);
    expect(r.code, r.err).toBe(0);
    const [o] = JSON.parse(r.out);
    expect(o).toMatchObject({ type: "photometry", status: "S", failure: null });
    expect(o.calibration.band).toBe("GaiaSP/V");
    expect(Math.abs(o.calibration.mag - TARGET.mag)).toBeLessThan(3 * o.calibration.magErr + 0.01);

    const calib = await run(["calib", String(o.id), "--plot", "plot.png", "--json"]);
    expect(calib.code).toBe(0);
    const [res] = JSON.parse(calib.out);
    expect(res).toMatchObject({ dataproduct: o.id, status: "S", survey: "GaiaSP", best_filter: "V" });
    expect(res.mag).toBeCloseTo(o.calibration.mag, 6);
    expect(readFileSync(join(work, "plot.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it(
    "calib recalibrate (staff) follows the new runs to the end; calib runs lists both, the new one current",
    { timeout: 120_000 },
    async () => {
      // Its own calibrated upload (through the API; the worker calibrates it).
      await t.call(
        "POST",
        "/targets/createTarget/",
        { name: "SynthT", ra: TARGET.raDeg, dec: TARGET.decDeg },
        alice.token,
      );
      const { payload, contentType } = multipart(
        {
          target: "SynthT",
          data_product_type: "photometry",
          observatory: "Synth_Cam",
          mjd: "60520.5",
          filter: "GaiaSP/V",
        },
        [{ name: "runs.cat", content: catalogueText(77) }],
      );
      const up = await t.app.inject({
        method: "POST",
        url: "/upload/",
        headers: { "content-type": contentType, authorization: `Token ${alice.token}` },
        payload,
      });
      expect(up.statusCode, up.body).toBe(201);
      const dp = { id: up.json().data[0].id as number };
      const status = async () =>
        (await t.tdb.database.db.select().from(dataProducts).where(eq(dataProducts.id, dp.id)))[0].status;
      while (!["S", "E"].includes(await status())) await new Promise((r) => setTimeout(r, 250));
      expect(await status()).toBe("S");
      const staff = await t.user("cli-staff", { staff: true });
      const denied = await run(["calib", "recalibrate", "--ids", String(dp.id), "--filter", "GaiaSP/B"]);
      expect(denied.code).toBe(1);
      const r = await run(
        ["calib", "recalibrate", "--ids", String(dp.id), "--filter", "GaiaSP/B", "--json"],
        {
          env: { SKYTOM_TOKEN: staff.token },
        },
      );
      expect(r.code, r.err).toBe(0);
      const [done] = JSON.parse(r.out);
      expect(done).toMatchObject({
        dataproduct: dp.id,
        status: "S",
        current: true,
        light_curve_filter: "B(GaiaSP)",
      });
      const list = await run(["calib", "runs", String(dp.id), "--json"]);
      expect(list.code, list.err).toBe(0);
      const runs = JSON.parse(list.out);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.filter((x: { current: boolean }) => x.current).map((x: { id: number }) => x.id)).toEqual([
        done.id,
      ]);
      const text = await run(["calib", "runs", String(dp.id)]);
      expect(text.out).toMatch(/ΔZP/);
    },
  );

  it("bad arguments and failures: one clear line on stderr and the documented exit code", async () => {
    const [noTarget, badType, noMjd, badCone, badToken, noToken] = await Promise.all([
      run(["upload", work, "--observatory", "X"]),
      run(["upload", work, "--target", "SynthT", "--observatory", "X", "--type", "movie"]),
      run(["upload", join(work, "frame.cat"), "--target", "SynthT", "--observatory", "Synth_Cam"]),
      run(["targets", "--cone", "150,2"]),
      run(["targets"], { env: { SKYTOM_TOKEN: "0".repeat(40) } }),
      run(["targets"], { env: { SKYTOM_TOKEN: undefined } }),
    ]);
    expect([noTarget.code, noTarget.err]).toEqual([
      2,
      expect.stringMatching(/required option '--target <name>' not specified/),
    ]);
    expect(badType.code).toBe(2);
    expect(badType.err).toMatch(
      /argument 'movie' is invalid\. Allowed choices are fits_file, photometry, photometry_csv, spectroscopy/,
    );
    expect(noMjd.code).toBe(2);
    expect(noMjd.err).toMatch(/^error: --mjd is required for photometry catalogues \(frame\.cat\)$/m);
    expect(badCone.code).toBe(2);
    expect(badCone.err).toMatch(/--cone: expected RA,DEC,RADIUS/);
    expect(badToken.code).toBe(1);
    expect(badToken.err.trim()).toMatch(
      /^error: Invalid token\. \(HTTP 401, POST http:.*\/targets\/getTargetList\/\)$/,
    );
    expect(noToken.code).toBe(2);
    expect(noToken.err).toMatch(/no API token for http:\/\/127\.0\.0\.1:\d+: run `skytom login/);

    // A port nobody listens on.
    const one = join(work, "one.csv");
    writeFileSync(one, "time,filter,magnitude,error\n60000,V,15,0.1\n");
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = await run(["upload", one, "--target", "SynthT", "--observatory", "X"], {
      env: { SKYTOM_SERVER: `http://127.0.0.1:${port}` },
    });
    expect(down.code).toBe(3);
    expect(down.err.trim()).toMatch(
      /^error: cannot reach http:\/\/127\.0\.0\.1:\d+\/targets\/getTargetList\/ \(POST\): ECONNREFUSED/m,
    );
    expect(down.err).not.toMatch(/\n\s+at /); // no stack trace
  });
});
