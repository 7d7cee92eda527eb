/**
 * Import of a reference catalogue file (CSV or FITS binary table) into `reference_catalogues` and
 * `reference_stars` (src/db/schema/catalogs.ts).
 *
 * The file's header is read and its columns mapped first (columns.ts), so a file without RA, Dec or any
 * band of the survey is refused before the database is touched. Then one transaction: the catalogue row,
 * the stars in batches of ~1000 — each batch one INSERT … SELECT FROM unnest(float8[] per column), i.e. one
 * statement with one array parameter per column whatever the batch size — and the final row count.
 *
 * Each batch commits on its own, so that an import of 100k stars does not hold the embedded database's
 * only session for seconds (requests wait at most one batch). The catalogue stays invisible meanwhile
 * (state `importing`, see db/schema/catalogs.ts); one short transaction at the end makes it the
 * catalogue of its name (and the one it replaces `removing`). Any error (a bad value on line N, a
 * database failure) removes what was inserted, and a crashed import is removed at the next start
 * (`removeAbandonedImports`): nothing half-written is ever used.
 * Unit vectors (cx, cy, cz) are computed here with src/astro/coords.ts, as for targets.
 */
import { open } from "node:fs/promises";
import { basename } from "node:path";
import type { Band, Survey } from "../astro/calibrate/bands.ts";
import { unitVector } from "../astro/coords.ts";
import type { Database } from "../db/connection.ts";
import { inTransaction } from "../db/connection.ts";
import { bandColumnName } from "../db/schema/catalogs.ts";
import { CatalogueImportError } from "./columns.ts";
import type { StarBatch } from "./columns.ts";
import type { CatalogueTable } from "./csv.ts";
import { openCsvTable } from "./csv.ts";
import { openFitsTable } from "./fitsTable.ts";

export interface ImportProgress {
  /** Stars inserted so far. */
  rows: number;
  bytesRead: number;
  totalBytes: number;
}

export interface ImportOptions {
  survey: Survey;
  /** Catalogue name; default the file name without its extension(s). */
  name?: string;
  /** Replace a catalogue of the same name (in the same transaction) instead of refusing. */
  replace?: boolean;
  /** Stars per INSERT; default 1000. */
  batchSize?: number;
  /** Called after every batch (committed); the import waits for a returned promise. */
  onProgress?: (progress: ImportProgress) => unknown;
}

export interface ImportResult {
  catalogueId: number;
  name: string;
  survey: Survey;
  sourceFile: string;
  /** Stars imported: one per data line (CSV) or table row (FITS). */
  rows: number;
  /** Bands with a magnitude column, in the survey's band order. */
  bands: Band[];
  /** Columns of the file that were not used. */
  ignoredColumns: string[];
}

/** Default catalogue name: the file name without .csv/.fits/.fit/.fts (and .gz). */
export function defaultCatalogueName(path: string): string {
  return basename(path).replace(/(\.(csv|tsv|txt|fits?|fts))?(\.gz)?$/i, "") || basename(path);
}

/** FITS when the file starts with "SIMPLE  =" or is gzip named *.fit(s)/.fts.gz; CSV otherwise. */
async function isFits(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(9), 0, 9, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.toString("latin1") === "SIMPLE  =") return true;
    return head[0] === 0x1f && head[1] === 0x8b && /\.(fits?|fts)\.gz$/i.test(path);
  } finally {
    await fh.close();
  }
}

/** Opens the file's table (CSV or FITS) for `survey`; header errors are thrown here. */
export async function openCatalogueTable(
  path: string,
  survey: Survey,
  batchSize?: number,
): Promise<CatalogueTable> {
  return (await isFits(path))
    ? openFitsTable(path, survey, batchSize)
    : openCsvTable(path, survey, batchSize);
}

const nullable = (a: Float64Array, n: number): (number | null)[] => {
  const out = new Array<number | null>(n);
  for (let i = 0; i < n; i++) out[i] = Number.isNaN(a[i]) ? null : a[i];
  return out;
};

/** Imports a catalogue file; see the file comment. */
export async function importCatalogue(
  database: Pick<Database, "pool">,
  path: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const { survey } = options;
  const name = (options.name ?? defaultCatalogueName(path)).trim();
  if (name === "" || name.length > 200) {
    throw new CatalogueImportError(basename(path), `catalogue name must have 1–200 characters`);
  }
  const table = await openCatalogueTable(path, survey, options.batchSize ?? 1000);
  const { map, file } = table;

  // One INSERT per batch: catalogue id, position, unit vector, then each band's magnitude (and error).
  const columns = ["ra", "dec", "cx", "cy", "cz"];
  for (const slot of map.bands) {
    const mag = bandColumnName(survey, slot.band);
    columns.push(mag);
    if (slot.err >= 0) columns.push(`${mag}_err`);
  }
  const insertSql =
    `INSERT INTO reference_stars (catalogue_id, ${columns.map((c) => `"${c}"`).join(", ")}) ` +
    `SELECT $1, * FROM unnest(${columns.map((_, i) => `$${i + 2}::float8[]`).join(", ")})`;
  const arraysOf = (b: StarBatch): (number | null)[][] => {
    const n = b.length;
    const cx = new Float64Array(n);
    const cy = new Float64Array(n);
    const cz = new Float64Array(n);
    for (let i = 0; i < n; i++) [cx[i], cy[i], cz[i]] = unitVector(b.raDeg[i], b.decDeg[i]);
    const out = [b.raDeg, b.decDeg, cx, cy, cz].map((a) => nullable(a, n));
    map.bands.forEach((slot, j) => {
      out.push(nullable(b.mag[j], n));
      if (slot.err >= 0) out.push(nullable(b.err[j], n));
    });
    return out;
  };

  const pool = database.pool;
  try {
    const existing = await pool.query<{ id: number }>(
      "SELECT id FROM reference_catalogues WHERE name = $1 AND state = 'ready'",
      [name],
    );
    if (existing.rows.length > 0 && !options.replace) throw nameTaken(file, name);
    const inserted = await pool.query<{ id: number }>(
      "INSERT INTO reference_catalogues (name, survey, source_file, state) VALUES ($1, $2, $3, 'importing') RETURNING id",
      [name, survey, file],
    );
    const catalogueId = inserted.rows[0].id;
    let rows = 0;
    try {
      // One statement per batch, committed on its own: the stars and the progress together.
      const batchSql = `WITH ins AS (${insertSql} RETURNING 1)
        UPDATE reference_catalogues SET row_count = row_count + (SELECT count(*) FROM ins), modified = now()
        WHERE id = $1`;
      for await (const batch of table.batches) {
        await pool.query(batchSql, [catalogueId, ...arraysOf(batch)]);
        rows += batch.length;
        await options.onProgress?.({ rows, ...table.progress() });
      }
      // Complete: the new catalogue becomes the one of this name, the one it replaces goes.
      const replaced = await inTransaction(database, async (_tx, client) => {
        const old = await client.query<{ id: number }>(
          "UPDATE reference_catalogues SET state = 'removing', modified = now() WHERE name = $1 AND state = 'ready' RETURNING id",
          [name],
        );
        if (old.rows.length > 0 && !options.replace) throw nameTaken(file, name);
        await client.query(
          "UPDATE reference_catalogues SET state = 'ready', row_count = $2, modified = now() WHERE id = $1",
          [catalogueId, rows],
        );
        return old.rows.map((r) => r.id);
      });
      for (const id of replaced) await removeCatalogue(pool, id);
    } catch (err) {
      await removeCatalogue(pool, catalogueId).catch(() => undefined);
      throw err;
    }
    return {
      catalogueId,
      name,
      survey,
      sourceFile: file,
      rows,
      bands: map.bands.map((b) => b.band),
      ignoredColumns: map.ignored,
    };
  } finally {
    await table.batches.return(undefined); // close the file if the import stopped early
  }
}

function nameTaken(file: string, name: string): CatalogueImportError {
  return new CatalogueImportError(
    file,
    `a catalogue named "${name}" exists already (choose another --name, or --replace it)`,
  );
}

/** Stars deleted per statement when a catalogue is removed (each statement commits on its own). */
const DELETE_BATCH = 2000;

/**
 * Remove a catalogue that is not (or no longer) ready: marked `removing` (invisible), its stars deleted
 * a batch at a time so that other requests get the database in between, then the row.
 */
async function removeCatalogue(pool: Pick<Database, "pool">["pool"], id: number): Promise<void> {
  await pool.query("UPDATE reference_catalogues SET state = 'removing' WHERE id = $1", [id]);
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM reference_stars WHERE id IN
         (SELECT id FROM reference_stars WHERE catalogue_id = $1 LIMIT ${DELETE_BATCH})`,
      [id],
    );
    if (!rowCount) break;
  }
  await pool.query("DELETE FROM reference_catalogues WHERE id = $1", [id]);
}

/**
 * Remove catalogues whose import never finished (its process died) and replaced ones not yet removed.
 * `olderThanMs`: an import counts as dead when it has made no progress for this long; 0 = every
 * unfinished one (the embedded database's owner at start: no import can be running). Returns how many.
 */
export async function removeAbandonedImports(
  database: Pick<Database, "pool">,
  olderThanMs: number,
): Promise<number> {
  const { rows } = await database.pool.query<{ id: number }>(
    `SELECT id FROM reference_catalogues
      WHERE state = 'removing' OR (state = 'importing' AND modified < now() - make_interval(secs => $1))`,
    [olderThanMs / 1000],
  );
  for (const r of rows) await removeCatalogue(database.pool, r.id);
  return rows.length;
}
