/**
 * Benchmarks against a real server: `skytom serve` started as a child process on a bench database
 * (its own CPU, as in production; autocannon or the client stay in the bench process), and the
 * machine description every bench run prints first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MB = 1024 * 1024;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A field of /proc/<pid>/status in MiB (VmRSS, VmHWM = peak RSS), NaN where /proc is missing. */
export function procMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Reset the peak-RSS mark of a process (Linux: `echo 5 > /proc/<pid>/clear_refs`); false if not possible. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

export interface ChildServer {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `node bin/skytom.js serve` on `databaseUrl` (a free port, no background workers unless asked,
 * LOG_LEVEL warn: per-request logging is not what is measured), resolved once /api/health/ answers 200.
 */
export async function startChildServer(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ChildServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "skytom-bench-serve-"));
  const child = spawn(process.execPath, [join(ROOT, "bin/skytom.js"), "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      SKYTOM_DATA: dataDir,
      SKYTOM_WORKERS: "0",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`skytom serve exited with ${code}`))),
  );
  exited.catch(() => undefined);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await Promise.race([
      fetch(`${url}/api/health/`).then(
        (r) => r.status === 200,
        () => false,
      ),
      exited,
    ]);
    if (ok) break;
    if (Date.now() > deadline) throw new Error("skytom serve did not start within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid!,
    child,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One JSON line describing the machine and how busy it is (figures from a busy machine are not final). */
export async function describeMachine(serverUrl: string): Promise<void> {
  let postgres = "not reachable";
  const client = new pg.Client({ connectionString: serverUrl });
  try {
    await client.connect();
    postgres = (await client.query("show server_version")).rows[0].server_version;
    const sb = (await client.query("show shared_buffers")).rows[0].shared_buffers;
    postgres += ` (shared_buffers ${sb})`;
  } catch {
    /* reported as not reachable */
  } finally {
    await client.end().catch(() => undefined);
  }
  const [l1, l5] = loadavg();
  console.log(
    JSON.stringify({
      bench: "machine",
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model,
      ram_gb: +(totalmem() / 1024 ** 3).toFixed(1),
      node: process.version,
      postgres,
      load_1m: +l1.toFixed(2),
      load_5m: +l5.toFixed(2),
      busy: l1 > cpus().length * 0.5,
    }),
  );
}

export { MB };
