/**
 * Start time and memory of `skytom serve` (what `npm start` runs) from the TypeScript sources through tsx
 * (SKYTOM_RUN_SOURCES=1) against the compiled JavaScript in dist/ (`npm run build` first; skipped when
 * dist/ is missing), both through bin/skytom.js, on
 * an embedded data directory that already exists (the first start's initdb is not measured). Runs
 * alternate between the two. Per run: ms from spawn until GET /api/health/ answers 200, the CPU time the
 * process used until then (the steadier figure on a busy machine), and its resident memory then, with
 * that of any child process.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, runMigrations } from "../src/db/connection.ts";
import { procMb } from "./server.ts";
import { percentile } from "./stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNS = Number(process.env.SKYTOM_BENCH_START_RUNS ?? 5);
const BIN = join(ROOT, "bin/skytom.js");
const STAMP = join(ROOT, "dist/.built");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Pids of every descendant of `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry), ...descendants(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU time (user + system) a process used so far, ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function startOnce(args: string[], dataDir: string, extraEnv: Record<string, string>) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      SKYTOM_DATA: dataDir,
      PORT: String(port),
      LOG_LEVEL: "warn",
      SKYTOM_WORKERS: "1",
      ...extraEnv,
    },
    stdio: "ignore",
  });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/api/health/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (performance.now() - t0 > 120_000) throw new Error("no start within 120 s");
    await new Promise((r) => setTimeout(r, 25));
  }
  const ms = performance.now() - t0;
  const cpu = cpuMs(child.pid!);
  const rssMb = procMb(child.pid!, "VmRSS");
  const childrenMb = descendants(child.pid!).reduce((sum, pid) => sum + (procMb(pid, "VmRSS") || 0), 0);
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  return { ms, cpu, rssMb, childrenMb };
}

const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-start-"));
try {
  // A migrated data directory, as after the first start.
  const database = await openDatabase({ dataDir, databaseUrl: undefined }, { forceHost: true });
  await runMigrations(database);
  await database.close();

  const modes: [string, string[], Record<string, string>][] = [
    ["tsx", [BIN, "serve"], { SKYTOM_RUN_SOURCES: "1" }],
  ];
  // bin/skytom.js as `npm start` runs it: compiled when dist/ is current (checked by the bin itself).
  if (existsSync(STAMP)) modes.push(["compiled", [BIN, "serve"], {}]);
  else console.log(JSON.stringify({ bench: "start", skipped: "compiled: no dist/ (npm run build)" }));
  const results = new Map<string, { ms: number; cpu: number; rssMb: number; childrenMb: number }[]>();
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args, env] of modes) {
      const r = await startOnce(args, dataDir, env);
      results.set(name, [...(results.get(name) ?? []), r]);
    }
  }
  for (const [name, runs] of results) {
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    const rss = runs.map((r) => r.rssMb).sort((a, b) => a - b);
    const cpu = runs.map((r) => r.cpu).sort((a, b) => a - b);
    const children = runs.map((r) => r.childrenMb).sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: `start.${name}`,
        runs: runs.length,
        start_p50_ms: Math.round(percentile(ms, 50)),
        start_min_ms: Math.round(ms[0]),
        start_max_ms: Math.round(ms[ms.length - 1]),
        cpu_p50_ms: Math.round(percentile(cpu, 50)),
        rss_p50_mb: Math.round(percentile(rss, 50)),
        children_rss_p50_mb: Math.round(percentile(children, 50)),
      }),
    );
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
