/**
 * The embedded database: PGlite persisted in the data directory, hosted in a worker thread and served on
 * a unix socket, so the server and the CLI reach it with the same `pg` driver as PostgreSQL.
 *
 * One process owns a data directory at a time (`skytom.pid`, created exclusively, naming the process so
 * that a crashed or rebooted owner is recognised as gone); a second server on the same directory refuses
 * to start instead of corrupting it. The CLI first looks for a running owner's
 * socket and uses it; only when nobody owns the directory does it host the database itself.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startModuleWorker } from "../threads.ts";
import { SessionActivity } from "./pglite-server.ts";

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

/** What a pid file records: enough to tell the process that wrote it from a later one with its pid. */
export interface LockOwner {
  pid: number;
  /** Linux: the kernel's boot id, and the process's start time in clock ticks since boot (/proc). */
  bootId?: string;
  startTicks?: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Linux: state letter and start time of a process from /proc/<pid>/stat; undefined when it does not exist. */
function procStat(pid: number): { state: string; startTicks: number } | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], startTicks: Number(fields[19]) };
}

const hasProc = () => readText("/proc/self/stat") !== undefined;

/** This process, as recorded in its pid file. */
export function currentOwner(): LockOwner {
  const bootId = readText("/proc/sys/kernel/random/boot_id")?.trim();
  const stat = procStat(process.pid);
  return {
    pid: process.pid,
    ...(bootId ? { bootId } : {}),
    ...(stat && Number.isFinite(stat.startTicks) ? { startTicks: stat.startTicks } : {}),
  };
}

/** A pid file's owner: JSON (this version) or a bare pid (earlier versions); undefined when unreadable. */
export function parseOwner(text: string): LockOwner | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) };
  try {
    const o = JSON.parse(trimmed) as LockOwner;
    return Number.isInteger(o?.pid) && o.pid > 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Is the process that wrote this pid file still running? `kill(pid, 0)` alone is not enough: right after
 * a kill -9 the dead process stays a zombie for a while, and after a reboot (or a long time) the pid may
 * belong to an unrelated process. On Linux the file records the boot id and the process's start time,
 * both checked in /proc; a zombie counts as gone. A bare pid from an earlier version counts as alive only
 * when its process is a skytom one. Elsewhere (no /proc) `kill(pid, 0)` decides.
 */
export function ownerAlive(owner: LockOwner): boolean {
  if (!hasProc()) {
    try {
      process.kill(owner.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  const stat = procStat(owner.pid);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  const me = currentOwner();
  if (owner.bootId !== undefined || owner.startTicks !== undefined) {
    return owner.bootId === me.bootId && owner.startTicks === stat.startTicks;
  }
  return /skytom/.test(readText(`/proc/${owner.pid}/cmdline`) ?? "");
}

/** Directories this process holds (a pid file with our own pid is not proof enough: pids are reused). */
const held = new Set<string>();

/**
 * Take the data directory for this process, or throw DataDirInUseError. Returns the release function.
 * The pid file is created exclusively; a stale one (its process gone, see ownerAlive) is moved aside
 * first, and the new file is read back, so of two processes starting at once on a stale lock one wins.
 */
export function lockDataDir(dataDir: string): () => void {
  const abs = resolve(dataDir);
  if (held.has(abs)) throw new DataDirInUseError(abs, process.pid);
  mkdirSync(abs, { recursive: true });
  const pidFile = join(abs, "skytom.pid");
  const me = JSON.stringify(currentOwner());
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(pidFile, "wx");
      writeSync(fd, me);
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const text = readText(pidFile);
      if (text === undefined) continue; // removed meanwhile: try again
      const owner = parseOwner(text);
      if (owner && owner.pid !== process.pid && ownerAlive(owner))
        throw new DataDirInUseError(abs, owner.pid);
      // Stale (or unreadable, e.g. cut short by a crash while written): move it aside, then try again.
      const aside = `${pidFile}.stale-${process.pid}`;
      try {
        renameSync(pidFile, aside);
        rmSync(aside, { force: true });
      } catch {
        // Another process moved it first.
      }
      continue;
    }
    const written = readText(pidFile);
    if (written !== me) {
      const owner = parseOwner(written ?? "");
      throw new DataDirInUseError(abs, owner?.pid ?? 0);
    }
    held.add(abs);
    return () => {
      held.delete(abs);
      if (readText(pidFile) === me) rmSync(pidFile, { force: true });
    };
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
  /** The single session's activity (pglite-server.ts), read without queueing for the session. */
  readonly activity: SessionActivity;
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
    const activity = new SessionActivity();
    const worker = startModuleWorker(new URL("./pglite-worker.ts", import.meta.url), {
      dataDir: pgDir,
      socketPath: path,
      activity: activity.buffer,
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
      activity,
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
