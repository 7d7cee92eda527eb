/**
 * Files under the data directory. Every stored path is relative to it; these functions refuse any path
 * that would leave it, and make file names safe to store.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from "node:path";

/** Absolute path of a stored file; throws if the relative path escapes the data directory. */
export function storedPath(dataDir: string, relative: string): string {
  if (isAbsolute(relative)) throw new Error(`stored path must be relative: ${relative}`);
  const root = resolve(dataDir);
  const full = resolve(root, normalize(relative));
  if (full !== root && !full.startsWith(root + sep))
    throw new Error(`stored path leaves the data directory: ${relative}`);
  return full;
}

/**
 * A safe file name from a user-supplied one: the last path component only, no control characters,
 * only letters, digits, `.`, `-`, `_`, `+`; no leading dots; at most 120 characters (keeping the extension).
 */
export function sanitizeFileName(name: string, fallback = "file"): string {
  const base = basename(name.replace(/\\/g, "/"));
  let clean = base
    .normalize("NFKD")
    .replace(/[^\w.+-]+/g, "_")
    .replace(/^[._]+/, "")
    .replace(/_+/g, "_");
  if (clean.length > 120) {
    const dot = clean.lastIndexOf(".");
    const ext = dot > 0 && clean.length - dot <= 12 ? clean.slice(dot) : "";
    clean = clean.slice(0, 120 - ext.length) + ext;
  }
  return clean || fallback;
}

/** A unique relative path in `folder` for a user-supplied file name: `<folder>/<random>_<safe name>`. */
export function uniqueStoredName(folder: string, originalName: string): string {
  return join(folder, `${randomBytes(4).toString("hex")}_${sanitizeFileName(originalName)}`);
}

/**
 * Remove stored files (missing ones are fine), then the folders they leave empty (a deleted target's
 * `targets/<name>/…`), up to but not including the top-level folders of the data directory (`targets`,
 * `plots`, …). Returns how many paths were given.
 */
export async function removeStoredFiles(dataDir: string, relativePaths: string[]): Promise<number> {
  await Promise.all(relativePaths.map((p) => rm(storedPath(dataDir, p), { force: true })));
  const folders = new Set<string>();
  for (const p of relativePaths) {
    const parts = normalize(p).split(sep).slice(0, -1);
    for (let depth = parts.length; depth >= 2; depth--) folders.add(parts.slice(0, depth).join(sep));
  }
  // Deepest first; rmdir refuses a folder that still holds anything, which ends that branch.
  for (const folder of [...folders].sort((a, b) => b.split(sep).length - a.split(sep).length)) {
    await rmdir(storedPath(dataDir, folder)).catch(() => undefined);
  }
  return relativePaths.length;
}

/** Folder of temporary files (partial uploads, placement journals) under the data directory. */
export const TMP_FOLDER = "tmp";
const JOURNAL_PREFIX = "placing-";

/** fsync a file or directory: its content, or its entries (a rename into it), reach the disk. */
export async function syncPath(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Files moved into place before the transaction that records them commits. The journal (a file in
 * `tmp/`, on disk before the first move) lists the destinations; it is removed once the transaction has
 * committed or the moved files have been removed after a rollback. A journal found at start is a crash
 * in between: {@link resolveJournals} keeps the files a committed row refers to and removes the others.
 */
export interface Placement {
  /**
   * Move the i-th file into place (cheap: call it inside the transaction): its directory is made, the
   * file renamed, the directory synced, so a committed row never names a file a power cut could lose.
   */
  move(index: number): Promise<void>;
  /** The transaction committed: the files stay. */
  committed(): Promise<void>;
  /** The transaction failed: the files moved so far are removed. */
  abandon(): Promise<void>;
}

/**
 * Start placing files (relative paths `from` → `to`): the journal is written and synced, and so is the
 * content of every file to move — before the transaction, which on the embedded database holds its only
 * session.
 */
export async function beginPlacement(
  dataDir: string,
  moves: { from: string; to: string }[],
): Promise<Placement> {
  const tmpDir = storedPath(dataDir, TMP_FOLDER);
  await mkdir(tmpDir, { recursive: true });
  const journal = join(tmpDir, `${JOURNAL_PREFIX}${randomBytes(8).toString("hex")}.json`);
  const paths = moves.map((m) => ({ from: storedPath(dataDir, m.from), to: storedPath(dataDir, m.to) }));
  await writeFile(journal, JSON.stringify({ destinations: moves.map((m) => m.to) }), { flag: "wx" });
  try {
    await syncPath(journal);
    await syncPath(tmpDir);
    for (const p of paths) await syncPath(p.from);
  } catch (err) {
    await rm(journal, { force: true });
    throw err;
  }
  const moved: string[] = [];
  return {
    async move(index) {
      const { from, to } = paths[index];
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
      moved.push(moves[index].to);
      await syncPath(dirname(to));
    },
    async committed() {
      await rm(journal, { force: true });
    },
    async abandon() {
      await removeStoredFiles(dataDir, moved);
      await rm(journal, { force: true });
    },
  };
}

export interface LeftoverReport {
  /** Entries of tmp/ removed (partial uploads and other temporary files). */
  tmpRemoved: number;
  /** Files moved into place by a transaction that never committed, removed. */
  orphansRemoved: string[];
}

/**
 * Clean up after a crash: journals of unfinished placements are resolved (a destination no committed row
 * refers to is removed), then the other entries of tmp/ are removed. `olderThanMs`: only entries older
 * than this (several processes sharing a data directory: the others' work in progress stays); 0 = all
 * (the one owner of an embedded data directory, at start).
 */
export async function cleanLeftovers(
  dataDir: string,
  referenced: (paths: string[]) => Promise<Set<string>>,
  olderThanMs = 0,
): Promise<LeftoverReport> {
  const tmpDir = storedPath(dataDir, TMP_FOLDER);
  const report: LeftoverReport = { tmpRemoved: 0, orphansRemoved: [] };
  let entries: string[];
  try {
    entries = await readdir(tmpDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return report;
    throw err;
  }
  const now = Date.now();
  const old = async (name: string) => {
    if (olderThanMs === 0) return true;
    const mtimeMs = await stat(join(tmpDir, name)).then(
      (s) => s.mtimeMs,
      () => now,
    );
    return now - mtimeMs > olderThanMs;
  };
  for (const name of entries.filter((e) => e.startsWith(JOURNAL_PREFIX))) {
    if (!(await old(name))) continue;
    let destinations: string[] = [];
    try {
      destinations = (JSON.parse(await readFile(join(tmpDir, name), "utf8")) as { destinations: string[] })
        .destinations;
    } catch {
      // Cut short while written: nothing was moved yet (the journal is synced before the first move).
    }
    const keep = destinations.length ? await referenced(destinations) : new Set<string>();
    const orphans = destinations.filter((d) => !keep.has(d));
    await removeStoredFiles(dataDir, orphans);
    report.orphansRemoved.push(...orphans);
    await rm(join(tmpDir, name), { force: true });
  }
  for (const name of await readdir(tmpDir)) {
    if (name.startsWith(JOURNAL_PREFIX) || !(await old(name))) continue;
    await rm(join(tmpDir, name), { recursive: true, force: true });
    report.tmpRemoved++;
  }
  return report;
}

/** What a client is told when the disk of the data directory (or of the database) is full. */
export const NO_SPACE_MESSAGE =
  "No space left in the data directory: nothing was stored. Try again once space has been freed.";

/**
 * True when `err` (or an error it wraps) says the disk is full: ENOSPC or EDQUOT from the file system,
 * or PostgreSQL's disk_full (SQLSTATE 53100) — the embedded database lives in the data directory too.
 */
export function isNoSpaceLeft(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as { code?: unknown; cause?: unknown; message?: unknown };
  if (e.code === "ENOSPC" || e.code === "EDQUOT" || e.code === "53100") return true;
  if (typeof e.message === "string" && /No space left on device/i.test(e.message)) return true;
  return isNoSpaceLeft(e.cause, depth + 1);
}
