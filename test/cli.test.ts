/**
 * The `skytom` command as a user runs it: subprocesses on a temporary data directory, with and without
 * a running server, including bad arguments.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyTemplate } from "./helpers/template.ts";

const BIN = new URL("../bin/skytom.js", import.meta.url).pathname;

describe("skytom CLI", () => {
  let dataDir: string;
  const env = () => ({ ...process.env, SKYTOM_DATA: dataDir, DATABASE_URL: "", LOG_LEVEL: "warn" });
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: env(), encoding: "utf8", timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "skytom-cli-"));
    copyTemplate(dataDir);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("user add / list / token with the server stopped", () => {
    const add = run("user", "add", "alice", "--password", "alice-secret-1", "--email", "alice@example.org");
    expect(add.err).toBe("");
    expect(add.code).toBe(0);
    expect(add.out).toMatch(/created user alice \(id \d+\)/);
    const list = run("user", "list", "--json");
    expect(list.code).toBe(0);
    const users = JSON.parse(list.out) as Array<Record<string, unknown>>;
    expect(users.map((u) => u.username)).toEqual(["alice"]);
    expect(list.out).not.toMatch(/scrypt|password/);
    const token = run("user", "token", "alice");
    expect(token.code).toBe(0);
    expect(token.out.trim()).toMatch(/^[0-9a-f]{40}$/);
    const table = run("user", "list");
    expect(table.out).toMatch(/^id\s+username\s+email/m);
    expect(table.out).toMatch(/alice@example\.org/);
  });

  it("bad arguments: clear message on stderr, non-zero exit", () => {
    const dup = run("user", "add", "alice", "--password", "another-pass");
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/username: A user with that username already exists\./);
    const missing = run("user", "add", "bob");
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/--password/);
    const short = run("user", "add", "bob", "--password", "short");
    expect(short.code).not.toBe(0);
    expect(short.err).toMatch(/at least 8 characters/);
    const nobody = run("user", "token", "nobody");
    expect(nobody.code).toBe(1);
    expect(nobody.err).toMatch(/User nobody does not exist/);
    const unknown = run("frobnicate");
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toMatch(/unknown command/);
  });

  describe("with `skytom serve` running on the same data directory", () => {
    let server: ChildProcess;
    let base = "";
    let log = "";

    beforeAll(async () => {
      server = spawn(process.execPath, [BIN, "serve"], {
        env: {
          ...env(),
          PORT: "0",
          LOG_LEVEL: "info",
          SKYTOM_ADMIN_USER: "root",
          SKYTOM_ADMIN_PASSWORD: "root-pass-1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      server.stdout?.on("data", (d: Buffer) => (log += d.toString()));
      server.stderr?.on("data", (d: Buffer) => (log += d.toString()));
      const deadline = Date.now() + 60_000;
      while (!/serving on (http:\/\/[\d.:]+)/.test(log)) {
        if (Date.now() > deadline || server.exitCode !== null)
          throw new Error(`server did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      base = /serving on (http:\/\/[\d.:]+)/.exec(log)![1];
    });
    afterAll(() => {
      if (server.exitCode === null) server.kill("SIGKILL");
    });

    it("the CLI works through the server's socket, and the server sees its changes at once", async () => {
      const add = run("user", "add", "carol", "--password", "carol-secret-1");
      expect(add.code).toBe(0);
      const res = await fetch(`${base}/api/token-auth/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "carol", password: "carol-secret-1" }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { token: string }).token).toMatch(/^[0-9a-f]{40}$/);
      const root = await fetch(`${base}/api/token-auth/`, {
        method: "POST",
        body: new URLSearchParams({ username: "root", password: "root-pass-1" }),
      });
      expect(root.status).toBe(200);
    });

    it("a second server on the same data directory refuses to start", () => {
      const second = spawnSync(process.execPath, [BIN, "serve"], {
        env: { ...env(), PORT: "0" },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(/in use by another skytom process/);
    });

    it("SIGTERM stops it cleanly, and the data is still there after", async () => {
      server.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => server.once("exit", (c) => resolve(c)));
      expect(code).toBe(0);
      expect(log).toMatch(/SIGTERM received/);
      expect(log).toMatch(/"msg":"stopped"/);
      const list = run("user", "list", "--json");
      expect(JSON.parse(list.out).map((u: { username: string }) => u.username)).toEqual([
        "alice",
        "root",
        "carol",
      ]);
    });
  });
});
