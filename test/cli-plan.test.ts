/**
 * `skytom plan ONAME` as an observer runs it (a subprocess against a listening server with a short demo
 * night): the table, --json, --csv, --txt, and bad arguments with their exit codes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../src/demo/run.ts";
import type { PlanView } from "../src/domain/planning/schemas.ts";
import { createTestApp, type TestApp, type TestUser } from "./helpers/app.ts";

const BIN = new URL("../bin/skytom.js", import.meta.url).pathname;
const NOW = new Date("2025-03-20T12:00:00Z");
const ONAME = "skytom-demo_CCD1";

describe("skytom plan", () => {
  let t: TestApp;
  let alice: TestUser;
  let server = "";
  let work = "";

  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const env = {
        ...process.env,
        SKYTOM_SERVER: server,
        SKYTOM_TOKEN: alice.token,
        XDG_CONFIG_HOME: join(work, "config"),
        SKYTOM_RETRIES: "0",
      };
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: work });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out, err }));
    });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "skytom-cli-plan-"));
    t = await createTestApp("pglite");
    await runDemo(t.tdb.database, t.tdb.dataDir, { frames: 3, catalogues: 0, now: NOW });
    alice = await t.user("alice");
    server = await t.app.listen({ port: 0, host: "127.0.0.1" });
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("prints the plan as a table", async () => {
    const r = await run(["plan", ONAME, "--date", "2025-03-20"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe(
      `${ONAME} (skytom-demo), night of 2025-03-20: astronomical darkness 20:41–05:55 UTC (9.2 h)`,
    );
    const header = lines.findIndex((l) => l.startsWith("start_utc"));
    expect(lines[header]).toMatch(
      /^start_utc\s+end_utc\s+target\s+mag\s+exposure_s\s+snr\s+airmass\s+priority$/,
    );
    expect(lines[header + 2]).toMatch(
      /^\d\d:\d\d\s+\d\d:\d\d\s+DemoVar-1\s+15\.\d\d V\(GaiaSP\)\s+\d+\s+\d+\s+1\.\d\d/,
    );
    expect(r.out).toMatch(/1 scheduled of 1 observable \(1 considered\)/);
  });

  it("--json, --csv and --txt", async () => {
    const json = await run(["plan", ONAME, "--date", "2025-03-20", "--json", "--snr", "100"]);
    const plan = JSON.parse(json.out) as PlanView;
    expect(plan.settings.snr).toBe(100);
    expect(plan.scheduled[0]).toMatchObject({ name: "DemoVar-1", filter: "V(GaiaSP)" });
    const csv = await run(["plan", ONAME, "--date", "2025-03-20", "--csv"]);
    expect(csv.out.split("\r\n")[0]).toBe(
      "name,ra,dec,start,end,exposure_s,n_exposures,filter,mag,snr,airmass,priority",
    );
    expect(csv.out).toContain("DemoVar-1,176.");
    const txt = await run(["plan", ONAME, "--date", "2025-03-20", "--txt", "--exposures", "3"]);
    expect(txt.out).toMatch(/^DemoVar-1 11:47:\d\d\.\d\d \+13:33:\d\d\.\d \d+\n$/);
  });

  it("bad arguments: exit 2 with one line; an unknown camera: exit 1 with the server's message", async () => {
    let r = await run(["plan", ONAME, "--date", "20.03.2025"]);
    expect([r.code, r.err.trim()]).toEqual([2, "error: --date: expected YYYY-MM-DD, got 20.03.2025"]);
    r = await run(["plan", ONAME, "--csv", "--json"]);
    expect([r.code, r.err.trim()]).toEqual([2, "error: choose one of --json, --csv, --txt"]);
    r = await run(["plan", ONAME, "--snr", "lots"]);
    expect(r.code).toBe(2);
    r = await run(["plan", "No_Such"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: .*\(HTTP 404, POST .*\/observatory\/plan\/\)\n$/);
  });
});
