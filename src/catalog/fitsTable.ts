/**
 * Reader of reference catalogues in FITS binary tables (FITS Standard 4.0 §7.3; plain or gzipped): the
 * first BINTABLE extension, columns named by TTYPEn and mapped as in columns.ts (case kept, so GaiaSP
 * u/U stay distinct). Numeric scalar columns (TFORM B, I, J, K, E, D with repeat 1) are read, TSCALn /
 * TZEROn applied, TNULLn and float NaN taken as missing. Errors name the table row (1-based) and column.
 * The file is read into memory (catalogue tables of a field are megabytes; CSV is the streaming path).
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Survey } from "../astro/calibrate/bands.ts";
import { readBinTableLayout, tableNumber } from "../astro/fits/bintable.ts";
import type { TableColumn, TableLayout } from "../astro/fits/bintable.ts";
import { FitsError } from "../astro/fits/errors.ts";
import type { FitsHeader } from "../astro/fits/header.ts";
import { parseHeaderBlocks } from "../astro/fits/header.ts";
import { gunzipCapped, isGzip } from "../astro/fits/pixels.ts";
import type { ColumnMap, StarBatch } from "./columns.ts";
import { CatalogueImportError, mapColumns, StarBatcher } from "./columns.ts";
import type { CatalogueTable } from "./csv.ts";

const SCALAR_BYTES: Record<string, number> = { B: 1, I: 2, J: 4, K: 8, E: 4, D: 8 };

/** Bytes of an HDU's data unit (§4.4.1.1): |BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn). */
function dataBytes(h: FitsHeader): number {
  const naxis = h.getNumber("NAXIS") ?? 0;
  if (naxis === 0) return 0;
  let n = 1;
  for (let i = 1; i <= naxis; i++) n *= h.getNumber(`NAXIS${i}`) ?? 0;
  return (
    (Math.abs(h.getNumber("BITPIX") ?? 8) / 8) *
    (h.getNumber("GCOUNT") ?? 1) *
    ((h.getNumber("PCOUNT") ?? 0) + n)
  );
}

/** The first BINTABLE of the file: its header and layout. */
function firstBinTable(file: string, bytes: Uint8Array): { header: FitsHeader; layout: TableLayout } {
  let offset = 0;
  for (let index = 0; offset < bytes.length; index++) {
    const { header, dataOffset } = parseHeaderBlocks(bytes, offset, index === 0 ? "SIMPLE" : "XTENSION");
    if (index > 0 && header.getString("XTENSION")?.trim() === "BINTABLE") {
      return { header, layout: readBinTableLayout(header, bytes, dataOffset) };
    }
    offset = dataOffset + Math.ceil(dataBytes(header) / 2880) * 2880;
  }
  throw new CatalogueImportError(file, "no binary table (BINTABLE extension) in the FITS file");
}

/** Opens a FITS table catalogue for `survey`; the column mapping is checked before any star is read. */
export async function openFitsTable(path: string, survey: Survey, batchSize = 1000): Promise<CatalogueTable> {
  const file = basename(path);
  let bytes: Uint8Array = await readFile(path);
  const totalBytes = bytes.length;
  let header: FitsHeader;
  let layout: TableLayout;
  try {
    if (isGzip(bytes)) bytes = gunzipCapped(bytes, 2 ** 31, "gzip-compressed FITS table");
    ({ header, layout } = firstBinTable(file, bytes));
  } catch (e) {
    if (e instanceof FitsError) throw new CatalogueImportError(file, e.message);
    throw e;
  }
  const names = layout.columns.map((c, i) => (header.getString(`TTYPE${i + 1}`) ?? c.name).trim());
  const map: ColumnMap = mapColumns(file, names, survey, "row");
  const numeric = (index: number): TableColumn => {
    const col = layout.columns[index];
    const width = SCALAR_BYTES[col.code];
    if (width === undefined || col.width !== width) {
      throw new CatalogueImportError(
        file,
        `TFORM${index + 1} = '${header.getString(`TFORM${index + 1}`)?.trim()}' is not a numeric scalar column`,
        undefined,
        names[index],
        "row",
      );
    }
    return col;
  };
  const used = [map.ra, map.dec, ...map.bands.flatMap((b) => (b.err >= 0 ? [b.mag, b.err] : [b.mag]))];
  const reader = new Map(
    used.map((index) => {
      const col = numeric(index);
      const k = index + 1;
      const scale = header.getNumber(`TSCAL${k}`) ?? 1;
      const zero = header.getNumber(`TZERO${k}`) ?? 0;
      const blank = col.float ? undefined : header.getNumber(`TNULL${k}`);
      return [
        index,
        (row: number): number => {
          const raw = tableNumber(layout, col, row);
          return raw === blank ? NaN : zero + scale * raw;
        },
      ] as const;
    }),
  );
  let rowsRead = 0;

  async function* batches(): AsyncGenerator<StarBatch> {
    const batcher = new StarBatcher(file, names, map, "row", batchSize);
    if (layout.rows === 0) batcher.fail(1, "the table has no rows");
    const nb = map.bands.length;
    const mags = new Float64Array(nb);
    const errs = new Float64Array(nb);
    const get = (index: number, row: number) => reader.get(index)!(row);
    for (let row = 0; row < layout.rows; row++) {
      const at = row + 1;
      const ra = get(map.ra, row);
      const dec = get(map.dec, row);
      if (Number.isNaN(ra)) batcher.fail(at, "missing RA", map.ra);
      if (Number.isNaN(dec)) batcher.fail(at, "missing Dec", map.dec);
      for (let j = 0; j < nb; j++) {
        const slot = map.bands[j];
        mags[j] = get(slot.mag, row);
        errs[j] = slot.err >= 0 ? get(slot.err, row) : NaN;
        if (!Number.isNaN(mags[j]) && !Number.isFinite(mags[j]))
          batcher.fail(at, `${mags[j]} is not a magnitude`, slot.mag);
      }
      rowsRead = at;
      const full = batcher.add(at, ra, dec, mags, errs);
      if (full) yield full;
    }
    const rest = batcher.take();
    if (rest.length > 0) yield rest;
  }

  return {
    file,
    names,
    map,
    batches: batches(),
    progress: () => ({
      bytesRead: Math.round((totalBytes * rowsRead) / Math.max(1, layout.rows)),
      totalBytes,
    }),
  };
}
