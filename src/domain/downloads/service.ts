/**
 * CSV downloads of a target's light curve (bhtom-behaviour.md §E, §5) and the log of downloads (§F.8).
 *
 * A download is produced as it is sent: the points are read in batches by keyset pagination on
 * (mjd, id) — one short query per batch on the index (target_id, mjd, id), no connection held between
 * batches, the next batch read while one is sent (batches.ts) — and each batch becomes one text chunk. Memory stays flat whatever the size of the light
 * curve. Points committed while a download runs appear in it if they sort after the batch being read.
 * Big light curves are cached as files, keyed by the target's version of its points (file-cache.ts).
 */
import { and, desc, eq, ilike, sql, type SQL } from "drizzle-orm";
import type { Db, Executor } from "../../db/connection.ts";
import { downloadedTargets, targets, users } from "../../db/schema/index.ts";
import type { DownloadType, ValueUnit } from "../../vocabulary.ts";
import { curveBatch, type CurveKey, type CurvePoint } from "../datums/repo.ts";
import { NotFoundError } from "../errors.ts";
import { containsPattern, dateRangeConditions } from "../input.ts";
import { requireSuperuser, type Actor } from "../permissions.ts";
import * as targetRepo from "../targets/repo.ts";
import { csvBatches, downloadParallelism } from "./batches.ts";
import { csvLine, PHOTOMETRY_HEADER, RADIO_HEADER } from "./csv.ts";
import { extendedPhotometryChunks, type DownloadColumns } from "./extended.ts";
import { bigEnough, fileChunks, openCached, teeToCache, type DownloadCacheOptions } from "./file-cache.ts";
import type { DownloadedItemOutput, DownloadedListInput } from "./schemas.ts";

export const HIGH_ENERGY_HEADER = [
  "MJD",
  "COUNTS",
  "COUNTS_Error",
  "FLUX",
  "FLUX_Error",
  "Facility",
  "Band",
  "Observer",
] as const;

export const DOWNLOAD_KINDS = {
  photometry: { type: "P", units: ["MAG"], header: PHOTOMETRY_HEADER, fileSuffix: "photometry" },
  radio: { type: "R", units: ["MILLIJANSKY"], header: RADIO_HEADER, fileSuffix: "radio" },
  highenergy: { type: "H", units: ["COUNTS", "FLUX"], header: HIGH_ENERGY_HEADER, fileSuffix: "highenergy" },
} as const satisfies Record<
  string,
  { type: DownloadType; units: readonly ValueUnit[]; header: readonly string[]; fileSuffix: string }
>;
export type DownloadKind = keyof typeof DOWNLOAD_KINDS;

/** Points per query while streaming a download (two batches in memory at most: one read ahead). */
export const DOWNLOAD_BATCH = 20_000;
/** Longest stored IP address (the column's width: an IPv6 text form fits). */
export const IP_ADDRESS_MAX = 45;

export interface Download {
  fileName: string;
  /** The CSV in chunks (text or UTF-8 bytes): the header line, then one chunk per batch of points. */
  chunks: AsyncGenerator<string | Buffer>;
  /** True when the bytes come from the download file cache (file-cache.ts). */
  cached: boolean;
}

/**
 * Start a download of the target with this exact name: records who downloaded what from where
 * (DownloadedTarget, even when the file holds only the header) and returns the file's chunks.
 * With `cache`, a big light curve's CSV is served from (or written to) the download file cache.
 * `columns: "extended"` (photometry only) adds the quality flag and the calibration run (extended.ts).
 */
export async function startDownload(
  db: Db,
  actor: Actor,
  kind: DownloadKind,
  name: string,
  ipAddress: string,
  batchSize = DOWNLOAD_BATCH,
  cache: DownloadCacheOptions | null = null,
  columns: DownloadColumns = "bhtom",
): Promise<Download> {
  // The exact name; else, for digits, the target id (BHTOM's download scripts say "name or id").
  const target =
    (await targetRepo.findByName(db, name)) ??
    (/^\d{1,9}$/.test(name) ? await targetRepo.findById(db, Number(name)) : undefined);
  if (!target) throw new NotFoundError(`Target ${name} does not exist.`);
  const spec = DOWNLOAD_KINDS[kind];
  await db.insert(downloadedTargets).values({
    targetId: target.id,
    userId: actor.id,
    downloadType: spec.type,
    ipAddress: ipAddress.slice(0, IP_ADDRESS_MAX),
  });
  if (columns === "extended" && kind === "photometry") {
    // Opt-in columns (extended.ts): a different file, never cached.
    const chunks = extendedPhotometryChunks(db, target.id, batchSize);
    return { fileName: `target_${target.name}_photometry_extended.csv`, chunks, cached: false };
  }
  const fileName = `target_${target.name}_${spec.fileSuffix}.csv`;
  if (cache) {
    // The version was read with the target, in one statement: the file of that version is its CSV.
    const version = target.datumsVersion;
    const fh = await openCached(cache, target.id, kind, version);
    if (fh) return { fileName, chunks: fileChunks(fh), cached: true };
    // Whether the light curve is big enough to keep is looked up while its first batch is read.
    const worth = bigEnough(db, target.id, spec.units);
    worth.catch(() => undefined); // reported by teeToCache, which may never ask (client gone)
    const chunks = teeToCache(
      db,
      cache,
      target.id,
      kind,
      version,
      csvChunks(db, target.id, kind, batchSize),
      worth,
    );
    return { fileName, chunks, cached: false };
  }
  return { fileName, chunks: csvChunks(db, target.id, kind, batchSize), cached: false };
}

/** The CSV of §5: header, then active points (limits included) sorted by (mjd, id). */
export async function* csvChunks(
  db: Db,
  targetId: number,
  kind: DownloadKind,
  batchSize = DOWNLOAD_BATCH,
): AsyncGenerator<string | Buffer> {
  const spec = DOWNLOAD_KINDS[kind];
  yield csvLine([...spec.header]);
  if (kind === "highenergy") {
    yield* highEnergyChunks(db, targetId, batchSize);
    return;
  }
  yield* csvBatches(db, targetId, spec.units[0], batchSize, downloadParallelism(db));
}

const sameMjd = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Lines of one MJD (every point given has the same mjd): COUNTS and FLUX points merged on (facility, filter, observer) as pandas' outer merge
 * does — every counts × flux pair of a key, a lone side with the other side empty — keys in
 * lexicographic order, points of a key by id.
 */
export function mergeHighEnergy(points: CurvePoint[]): string {
  const byKey = new Map<
    string,
    { facility: string; filter: string; observer: string; counts: CurvePoint[]; flux: CurvePoint[] }
  >();
  for (const p of points) {
    const key = JSON.stringify([p.facility, p.filter, p.observer]);
    let entry = byKey.get(key);
    if (!entry) {
      entry = { facility: p.facility, filter: p.filter, observer: p.observer, counts: [], flux: [] };
      byKey.set(key, entry);
    }
    (p.valueUnit === "COUNTS" ? entry.counts : entry.flux).push(p);
  }
  const entries = [...byKey.values()].sort(
    (a, b) =>
      compareText(a.facility, b.facility) ||
      compareText(a.filter, b.filter) ||
      compareText(a.observer, b.observer),
  );
  const mjd = points[0]?.mjd;
  let out = "";
  for (const e of entries) {
    const counts: Array<CurvePoint | null> = e.counts.length ? e.counts : [null];
    const flux: Array<CurvePoint | null> = e.flux.length ? e.flux : [null];
    for (const c of counts) {
      for (const f of flux) {
        out += csvLine([mjd, c?.value, c?.error, f?.value, f?.error, e.facility, e.filter, e.observer]);
      }
    }
  }
  return out;
}

/** High-energy lines, one MJD at a time: a batch's last MJD waits for the next batch (it may continue). */
async function* highEnergyChunks(db: Db, targetId: number, batchSize: number): AsyncGenerator<string> {
  const units = DOWNLOAD_KINDS.highenergy.units;
  let pending: CurvePoint[] = [];
  let after: CurveKey | null = null;
  for (;;) {
    const rows = await curveBatch(db, targetId, units, after, batchSize);
    const done = rows.length < batchSize;
    const all = pending.length ? pending.concat(rows) : rows;
    let cut = all.length;
    if (!done) {
      const lastMjd = all[all.length - 1].mjd;
      while (cut > 0 && sameMjd(all[cut - 1].mjd, lastMjd)) cut--;
    }
    let out = "";
    let start = 0;
    for (let i = 1; i <= cut; i++) {
      if (i === cut || !sameMjd(all[i].mjd, all[start].mjd)) {
        out += mergeHighEnergy(all.slice(start, i));
        start = i;
      }
    }
    if (out) yield out;
    pending = all.slice(cut);
    if (done) return;
    const last = rows[rows.length - 1];
    after = { mjd: last.mjd, id: last.id };
  }
}

/** Superuser: the download log with BHTOM's filters, newest first. */
export async function listDownloaded<P extends { offset: number; limit: number }>(
  db: Executor,
  actor: Actor,
  input: DownloadedListInput,
  page: (count: number) => P,
) {
  requireSuperuser(actor);
  const where: SQL[] = [];
  if (input.target) where.push(ilike(targets.name, containsPattern(input.target)));
  if (input.user) where.push(ilike(users.username, containsPattern(input.user)));
  where.push(
    ...dateRangeConditions(
      downloadedTargets.created,
      { start: input.created_from, end: input.created_to },
      { start: "created_from", end: "created_to" },
    ),
  );
  if (input.download_type) where.push(eq(downloadedTargets.downloadType, input.download_type));
  const condition = where.length ? and(...where) : undefined;
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(downloadedTargets)
    .innerJoin(targets, eq(targets.id, downloadedTargets.targetId))
    .innerJoin(users, eq(users.id, downloadedTargets.userId))
    .where(condition);
  const p = page(n);
  const rows = await db
    .select({
      d: downloadedTargets,
      username: users.username,
      firstName: users.firstName,
      lastName: users.lastName,
      targetName: targets.name,
    })
    .from(downloadedTargets)
    .innerJoin(targets, eq(targets.id, downloadedTargets.targetId))
    .innerJoin(users, eq(users.id, downloadedTargets.userId))
    .where(condition)
    .orderBy(desc(downloadedTargets.created), desc(downloadedTargets.id))
    .offset(p.offset)
    .limit(p.limit);
  const items: DownloadedItemOutput[] = rows.map((r) => ({
    id: r.d.id,
    user: r.username,
    user_name: `${r.firstName} ${r.lastName}`.trim(),
    target: r.d.targetId,
    target_name: r.targetName,
    created: r.d.created.toISOString(),
    modified: r.d.modified.toISOString(),
    download_type: r.d.downloadType,
    ip_address: r.d.ipAddress,
  }));
  return { count: n, page: p, items };
}
