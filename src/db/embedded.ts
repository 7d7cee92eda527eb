/**
 * The embedded database: PGlite persisted in the data directory, hosted in a worker thread and served on
 * a unix socket, so the server and the CLI reach it with the same `pg` driver as PostgreSQL.
 *
 * One process owns a data directory at a time (`skytom.pid`, created exclusively); a second server on the
 * same directory refuses to start instead of corrupting it. The CLI first looks for a running owner's
 * socket and uses it; only when nobody owns the directory does it host the database itself.
 */
import { createHash } from "node:crypto";
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync, existsSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** Port number in the socket file name, so `pg` finds it as `host=<dir>`: `<dir>/.s.PGSQL.<port>`. */
export const SOCKET_PORT = 5432;
const MAX_UNIX_PATH = 100;

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data directory ${dataDir} is in use by another skytom process (pid ${pid}); ` +
        `stop it first, or set SKYTOM_DATA to another directory`,
    );
  }
}

/** Directory holding the socket: the data directory itself when its path is short enough for a unix socket. */
export function socketDir(dataDir: string): string {
  const abs = resolve(dataDir);
  if (join(abs, `.s.PGSQL.${SOCKET_PORT}`).length <= MAX_UNIX_PATH) return abs;
  const hash = createHash("sha256").update(abs).digest("hex").slice(0, 16);
  return join(tmpdir(), `skytom-${hash}`);
}

export function socketPath(dataDir: string): string {
  return join(socketDir(dataDir), `.s.PGSQL.${SOCKET_PORT}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Directories this process holds (a pid file with our own pid is not proof enough: pids are reused). */
const held = new Set<string>();

/** Take the data directory for this process, or throw DataDirInUseError. Returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const abs = resolve(dataDir);
  if (held.has(abs)) throw new DataDirInUseError(abs, process.pid);
  mkdirSync(abs, { recursive: true });
  const pidFile = join(abs, "skytom.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(abs);
      return () => {
        held.delete(abs);
        rmSync(pidFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new DataDirInUseError(abs, pid);
      }
      rmSync(pidFile, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

/** True when a skytom process is serving the embedded database of this directory on its socket. */
export function embeddedServerRunning(dataDir: string): Promise<boolean> {
  const path = socketPath(dataDir);
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((done) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      done(true);
    });
    s.once("error", () => done(false));
  });
}

export interface EmbeddedHost {
  /** `host` for `pg`: the directory holding the socket. */
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Lock the directory, start PGlite in a worker and wait until its socket accepts connections. */
export async function startEmbedded(dataDir: string): Promise<EmbeddedHost> {
  const release = lockDataDir(dataDir);
  try {
    const pgDir = join(resolve(dataDir), "pg");
    mkdirSync(pgDir, { recursive: true });
    const dir = socketDir(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = socketPath(dataDir);
    rmSync(path, { force: true });
    const worker = startWorker(new URL("./pglite-worker.ts", import.meta.url), {
      dataDir: pgDir,
      socketPath: path,
    });
    await new Promise<void>((ready, fail) => {
      const onMessage = (msg: { type: string; message?: string }) => {
        if (msg.type === "ready") {
          worker.off("message", onMessage);
          ready();
        } else if (msg.type === "error") fail(new Error(`embedded database failed to start: ${msg.message}`));
      };
      worker.on("message", onMessage);
      worker.once("error", fail);
      worker.once("exit", (code) => fail(new Error(`embedded database worker exited with code ${code}`)));
    });
    let stopped = false;
    return {
      host: dir,
      port: SOCKET_PORT,
      async stop() {
        if (stopped) return;
        stopped = true;
        await new Promise<void>((done) => {
          const timer = setTimeout(() => void worker.terminate().then(() => done()), 15_000);
          worker.on("message", (msg: { type: string }) => {
            if (msg.type === "stopped") {
              clearTimeout(timer);
              void worker.terminate().then(() => done());
            }
          });
          worker.postMessage({ type: "stop" });
        });
        rmSync(path, { force: true });
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** URL of tsx's ESM register API (its CommonJS twin cannot register hooks from a worker). */
function tsxEsmApi(): string {
  const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
  return pathToFileURL(join(pkg, "..", "dist", "esm", "api", "index.mjs")).href;
}

/**
 * Start a worker from a module next to this one. When we run from TypeScript source (tsx, vitest), the
 * worker registers the tsx loader first: loader flags in execArgv do not reach a worker's entry module.
 */
function startWorker(entry: URL, data: unknown): Worker {
  const url = import.meta.url.endsWith(".ts") ? entry.href : entry.href.replace(/\.ts$/, ".js");
  const loader = url.endsWith(".ts") ? `(await import(${JSON.stringify(tsxEsmApi())})).register();` : "";
  return new Worker(`${loader} await import(${JSON.stringify(url)});`, { eval: true, workerData: data });
}
