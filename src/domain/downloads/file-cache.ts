/**
 * A file cache of big CSV downloads: the rendered bytes of one (target, download kind) are kept as
 * `<dataDir>/cache/downloads/<targetId>-<kind>-<version>.csv`, where the version is the target's
 * `datums_version`. Triggers on reduced_datums (migration 0006) bump that version in the same
 * transaction as any insert, update or delete of the target's points, so a file named after a version
 * that is no longer current is never opened, in any process sharing the database.
 *
 * - Warm: the version is read with the target (one statement), the file of that version opened and
 *   streamed (an open handle survives its removal by another process).
 * - Cold: the CSV is rendered as usual and teed into a temp file in the same directory (each chunk
 *   written while it is sent, one write at a time: back-pressured by the client). When the last chunk has been
 *   sent the version is read again; if it is unchanged no point changed while the file was written, and
 *   the temp file is synced and renamed into place (atomic), older versions of that target/kind removed.
 *   A client that goes away, a version that moved, or any file error discards the temp file.
 * - Only light curves of at least {@link DOWNLOAD_CACHE_MIN_POINTS} points are cached. A cache error
 *   is reported to `onError` and the download goes on without the cache.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Db } from "../../db/connection.ts";
import type { ValueUnit } from "../../vocabulary.ts";
import { rawClient } from "../../db/raw.ts";

/** Light curves with fewer points than this are not cached (their download is fast anyway). */
export const DOWNLOAD_CACHE_MIN_POINTS = 50_000;

let minPoints = DOWNLOAD_CACHE_MIN_POINTS;
/** Tests: cache smaller light curves (no argument: back to the default). */
export function setDownloadCacheMinPoints(n = DOWNLOAD_CACHE_MIN_POINTS): void {
  minPoints = n;
}

export interface DownloadCacheOptions {
  /** The data directory (SKYTOM_DATA); files go in `cache/downloads/` under it. */
  dataDir: string;
  /** Told of every cache failure (the download itself goes on). */
  onError: (err: unknown, what: string) => void;
}

export const cacheDir = (dataDir: string) => join(dataDir, "cache", "downloads");
const fileName = (targetId: number, kind: string, version: number) => `${targetId}-${kind}-${version}.csv`;

/** Finishing writes (sync, rename, clean-up) still running: awaited by {@link downloadCacheIdle}. */
const pending = new Set<Promise<void>>();
/** Resolves when every cache file being finished is in place (tests, bench). */
export async function downloadCacheIdle(): Promise<void> {
  while (pending.size) await Promise.all([...pending]);
}

/** The cached file of this exact version, opened; null when there is none. */
export async function openCached(
  opts: DownloadCacheOptions,
  targetId: number,
  kind: string,
  version: number,
): Promise<FileHandle | null> {
  try {
    return await open(join(cacheDir(opts.dataDir), fileName(targetId, kind, version)), "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") opts.onError(err, "opening a cached download");
    return null;
  }
}

/** The file's bytes in chunks of 1 MiB; the handle is closed at the end or when the reader stops. */
export async function* fileChunks(fh: FileHandle): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) {
      yield chunk as Buffer;
    }
  } finally {
    await fh.close();
  }
}

/**
 * True when the target has at least the caching threshold of active points in these units: an
 * index-only count (no order) that stops at the threshold.
 */
export async function bigEnough(db: Db, targetId: number, units: readonly ValueUnit[]): Promise<boolean> {
  const res = await rawClient(db).query<{ one: number }>({
    text: `select 1 as one from reduced_datums r where r.target_id = $1 and r.active_flg
      and r.data_type = 'photometry' and r.value_unit = any(string_to_array($2, ','))
      offset $3 limit 1`,
    values: [targetId, units.join(","), minPoints - 1],
  });
  return res.rows.length > 0;
}

async function currentVersion(db: Db, targetId: number): Promise<number | null> {
  const res = await rawClient(db).query<{ v: string }>({
    text: "select datums_version::text as v from targets where id = $1",
    values: [targetId],
  });
  const row = res.rows[0];
  return row ? Number(row.v) : null;
}

/**
 * Remove every cached download of a deleted target: all kinds and versions, temp files too. This
 * process's downloads still finishing their cache file are waited for first: one that had checked its
 * version before the delete could otherwise rename its file into place between the listing and the
 * unlinks, and leave it behind (seen once in CI).
 */
export async function removeCachedDownloads(dataDir: string, targetId: number): Promise<void> {
  await downloadCacheIdle();
  const dir = cacheDir(dataDir);
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
  const mine = new RegExp(`^\\.?${targetId}-[a-z]+-\\d+\\.csv`);
  await Promise.all(
    names.filter((n) => mine.test(n)).map((n) => unlink(join(dir, n)).catch(() => undefined)),
  );
}

/**
 * Remove this target/kind's files of versions below `version`, and temp files of those versions (left
 * by a process that stopped; a writer still running would discard its file anyway: not current).
 */
async function removeOlder(dir: string, targetId: number, kind: string, version: number) {
  const prefix = `${targetId}-${kind}-`;
  for (const name of await readdir(dir)) {
    const m = /^(\.?)(\d+)-([a-z]+)-(\d+)\.csv(\.[0-9a-f]+\.tmp)?$/.exec(name);
    if (!m || `${m[2]}-${m[3]}-` !== prefix || !m[1] !== !m[5]) continue;
    if (Number(m[4]) < version) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/**
 * The chunks of `source`, passed on unchanged and written to a temp file that becomes the cached file of
 * `version` once all of them were sent and the version is still current — if `worth` (looked up while
 * the first batch is read) says the download is big enough to keep. A file error stops the copy
 * (reported), never the download.
 */
export async function* teeToCache(
  db: Db,
  opts: DownloadCacheOptions,
  targetId: number,
  kind: string,
  version: number,
  source: AsyncIterable<string | Buffer>,
  worth: Promise<boolean>,
): AsyncGenerator<string | Buffer> {
  const dir = cacheDir(opts.dataDir);
  const final = join(dir, fileName(targetId, kind, version));
  const temp = join(dir, `.${fileName(targetId, kind, version)}.${randomBytes(6).toString("hex")}.tmp`);
  let fh: FileHandle | null = null;
  const openIfWorth = async () => {
    const keep = await worth.catch((err: unknown) => {
      opts.onError(err, "counting the points of a download");
      return false;
    });
    if (!keep) return;
    try {
      await mkdir(dir, { recursive: true });
      fh = await open(temp, "wx");
    } catch (err) {
      opts.onError(err, "creating a download cache file");
    }
  };
  let failed = false;
  const fail = (err: unknown) => {
    if (!failed) opts.onError(err, "writing a download cache file");
    failed = true;
  };
  // Chunks are written one write at a time, in order, each while it is sent and the next one read.
  let written: Promise<void> = Promise.resolve();
  const write = async (parts: Array<string | Buffer>) => {
    await written;
    const handle = fh;
    if (!handle || failed) return;
    written = (async () => {
      for (const part of parts) await handle.writeFile(part); // all of it, at the current position
    })().catch(fail);
  };
  // The header is sent at once; whether to keep a file is decided when the first batch is there.
  let held: Array<string | Buffer> | null = [];
  let complete = false;
  try {
    for await (const chunk of source) {
      if (held?.length) {
        await openIfWorth();
        await write([...held, chunk]);
        held = null;
      } else if (held) held.push(chunk);
      else await write([chunk]);
      yield chunk;
    }
    if (held) {
      await openIfWorth();
      await write(held);
    }
    complete = true;
  } finally {
    if (fh) {
      const handle: FileHandle = fh;
      const finish = (async () => {
        await written;
        const keep = complete && !failed;
        try {
          if (keep) await handle.sync();
          await handle.close();
          if (keep && (await currentVersion(db, targetId)) === version) {
            await rename(temp, final);
            await removeOlder(dir, targetId, kind, version);
            return;
          }
        } catch (err) {
          opts.onError(err, "finishing a download cache file");
        }
        await unlink(temp).catch(() => undefined);
      })();
      pending.add(finish);
      void finish.finally(() => pending.delete(finish));
    }
  }
}
