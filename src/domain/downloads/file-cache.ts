/**
 * A file cache of big CSV downloads: the rendered bytes of one (target, download kind) are kept as
 * `<dataDir>/cache/downloads/<targetId>-<kind>-<version>.csv`, where the version is the target's
 * `datums_version`. Triggers on reduced_datums (migration 0006) bump that version in the same
 * transaction as any insert, update or delete of the target's points, so a file named after a version
 * that is no longer current is never opened, in any process sharing the database.
 *
 * - Warm: the version is read with the target (one statement), the file of that version opened and
 *   streamed (an open handle survives its removal by another process).
 * - Cold: the CSV is rendered as usual and teed into a temp file in the same directory (each chunk's
 *   write awaited before the next is read: back-pressured by the client). When the last chunk has been
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
import { rawClient } from "../cache.ts";

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

/** True when the target has at least the caching threshold of active points in these units. */
export async function bigEnough(db: Db, targetId: number, units: readonly ValueUnit[]): Promise<boolean> {
  const res = await rawClient(db).query<{ one: number }>({
    text: `select 1 as one from reduced_datums r where r.target_id = $1 and r.active_flg
      and r.data_type = 'photometry' and r.value_unit = any(string_to_array($2, ','))
      order by r.mjd, r.id offset $3 limit 1`,
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
 * `version` once all of them were sent and the version is still current. A file error stops the copy
 * (reported), never the download.
 */
export async function* teeToCache(
  db: Db,
  opts: DownloadCacheOptions,
  targetId: number,
  kind: string,
  version: number,
  source: AsyncIterable<string | Buffer>,
): AsyncGenerator<string | Buffer> {
  const dir = cacheDir(opts.dataDir);
  const final = join(dir, fileName(targetId, kind, version));
  const temp = join(dir, `.${fileName(targetId, kind, version)}.${randomBytes(6).toString("hex")}.tmp`);
  let fh: FileHandle | null = null;
  try {
    await mkdir(dir, { recursive: true });
    fh = await open(temp, "wx");
  } catch (err) {
    opts.onError(err, "creating a download cache file");
  }
  let failed = false;
  const fail = (err: unknown) => {
    if (!failed) opts.onError(err, "writing a download cache file");
    failed = true;
  };
  let complete = false;
  try {
    for await (const chunk of source) {
      if (fh && !failed) {
        try {
          await fh.writeFile(chunk); // all of it, at the current position
        } catch (err) {
          fail(err);
        }
      }
      yield chunk;
    }
    complete = true;
  } finally {
    if (fh) {
      const handle = fh;
      const keep = complete && !failed;
      const finish = (async () => {
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
