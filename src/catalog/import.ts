/**
 * Import of a reference catalogue file (CSV or FITS binary table) into `reference_catalogues` and
 * `reference_stars` (src/db/schema/catalogs.ts).
 *
 * The file's header is read and its columns mapped first (columns.ts), so a file without RA, Dec or any
 * band of the survey is refused before the database is touched. Then one transaction: the catalogue row,
 * the stars in batches of ~1000 — each batch one INSERT … SELECT FROM unnest(float8[] per column), i.e. one
 * statement with one array parameter per column whatever the batch size — and the final row count. Any
 * error (a bad value on line N, a database failure) rolls the whole import back: nothing half-written.
 * Unit vectors (cx, cy, cz) are computed here with src/astro/coords.ts, as for targets.
 */
import { open } from "node:fs/promises";
import { basename } from "node:path";
import type { Band, Survey } from "../astro/calibrate/bands.ts";
import { SURVEYS } from "../astro/calibrate/bands.ts";
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
  /** Called after every batch. */
  onProgress?: (progress: ImportProgress) => void;
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

/** `GaiaSP`, `gaiasp`, … → the canonical survey name; undefined when unknown. */
export function parseSurvey(text: string): Survey | undefined {
  return SURVEYS.find((s) => s.toLowerCase() === text.trim().toLowerCase());
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

/** Imports a catalogue file in one transaction; see the file comment. */
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

  try {
    return await inTransaction(database, async (_tx, client) => {
      const existing = await client.query<{ id: number }>(
        "SELECT id FROM reference_catalogues WHERE name = $1",
        [name],
      );
      if (existing.rows.length > 0) {
        if (!options.replace) {
          throw new CatalogueImportError(
            file,
            `a catalogue named "${name}" exists already (choose another --name, or --replace it)`,
          );
        }
        await client.query("DELETE FROM reference_catalogues WHERE id = $1", [existing.rows[0].id]);
      }
      const inserted = await client.query<{ id: number }>(
        "INSERT INTO reference_catalogues (name, survey, source_file) VALUES ($1, $2, $3) RETURNING id",
        [name, survey, file],
      );
      const catalogueId = inserted.rows[0].id;
      let rows = 0;
      for await (const batch of table.batches) {
        await client.query(insertSql, [catalogueId, ...arraysOf(batch)]);
        rows += batch.length;
        options.onProgress?.({ rows, ...table.progress() });
      }
      await client.query("UPDATE reference_catalogues SET row_count = $2 WHERE id = $1", [catalogueId, rows]);
      return {
        catalogueId,
        name,
        survey,
        sourceFile: file,
        rows,
        bands: map.bands.map((b) => b.band),
        ignoredColumns: map.ignored,
      };
    });
  } finally {
    await table.batches.return(undefined); // close the file if the import stopped early
  }
}
