/**
 * Streaming reader of reference catalogues in CSV: a header line of column names (columns.ts), then one
 * star per line. The delimiter is the one of `,` `;` TAB that splits the header into the most fields;
 * fields may be double-quoted ("" for a quote inside). Blank lines and lines starting with `#` are skipped;
 * a UTF-8 byte-order mark and CRLF line ends are accepted. The file is read line by line, so its size
 * is not limited by memory; every error names the line (1-based, as an editor shows it) and the column.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import type { Survey } from "../astro/calibrate/bands.ts";
import type { ColumnMap, StarBatch } from "./columns.ts";
import { CatalogueImportError, mapColumns, parseCell, StarBatcher } from "./columns.ts";

/** An opened table: its columns, then its stars in batches (read lazily). */
export interface CatalogueTable {
  file: string;
  names: string[];
  map: ColumnMap;
  batches: AsyncGenerator<StarBatch>;
  /** Bytes consumed so far and the file size, for progress reports. */
  progress(): { bytesRead: number; totalBytes: number };
}

/** Splits one CSV line; quoted fields may contain the delimiter and doubled quotes. */
export function splitCsvLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === "") {
      quoted = true;
      field = "";
    } else if (ch === delimiter) {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  return out;
}

function sniffDelimiter(header: string): string {
  let best = ",";
  let most = 0;
  for (const d of [",", ";", "\t"]) {
    const n = splitCsvLine(header, d).length;
    if (n > most) {
      most = n;
      best = d;
    }
  }
  return best;
}

/**
 * Opens a CSV catalogue for `survey`: reads up to the header and maps the columns (errors here are
 * thrown before any star is read), then yields batches of `batchSize` validated stars.
 */
export async function openCsvTable(path: string, survey: Survey, batchSize = 1000): Promise<CatalogueTable> {
  const file = basename(path);
  const totalBytes = (await stat(path)).size;
  const stream = createReadStream(path);
  let bytesRead = 0;
  stream.on("data", (chunk) => (bytesRead += chunk.length));
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  const close = () => {
    rl.close();
    stream.destroy();
  };

  let lineNo = 0;
  let header: string | undefined;
  try {
    for (;;) {
      const next = await lines.next();
      if (next.done) break;
      lineNo++;
      const text = lineNo === 1 ? next.value.replace(/^\uFEFF/, "") : next.value;
      if (text.trim() === "" || text.startsWith("#")) continue;
      header = text;
      break;
    }
  } catch (e) {
    close();
    throw e;
  }
  if (header === undefined) {
    close();
    throw new CatalogueImportError(
      file,
      totalBytes === 0 ? "empty file (no header line)" : "no header line (only blank or # lines)",
    );
  }
  const delimiter = sniffDelimiter(header);
  const names = splitCsvLine(header, delimiter).map((n) => n.trim());
  let map: ColumnMap;
  try {
    map = mapColumns(file, names, survey, "line");
  } catch (e) {
    close();
    if (e instanceof CatalogueImportError) {
      throw new CatalogueImportError(file, e.detail, lineNo, e.column, "line");
    }
    throw e;
  }
  const headerLine = lineNo;

  async function* batches(): AsyncGenerator<StarBatch> {
    const batcher = new StarBatcher(file, names, map, "line", batchSize);
    const nb = map.bands.length;
    const mags = new Float64Array(nb);
    const errs = new Float64Array(nb);
    let stars = 0;
    try {
      for (;;) {
        const next = await lines.next();
        if (next.done) break;
        lineNo++;
        const text = next.value;
        if (text.trim() === "" || text.startsWith("#")) continue;
        const at = lineNo;
        const cells = splitCsvLine(text, delimiter);
        if (cells.length !== names.length) {
          batcher.fail(
            at,
            `${cells.length} fields where the header (line ${headerLine}) has ${names.length}`,
          );
        }
        const cell = (index: number, missingAllowed: boolean) =>
          parseCell(cells[index], missingAllowed, (detail) => batcher.fail(at, detail, index));
        const ra = cell(map.ra, false);
        const dec = cell(map.dec, false);
        for (let j = 0; j < nb; j++) {
          const slot = map.bands[j];
          mags[j] = cell(slot.mag, true);
          errs[j] = slot.err >= 0 ? cell(slot.err, true) : NaN;
        }
        stars++;
        const full = batcher.add(at, ra, dec, mags, errs);
        if (full) yield full;
      }
      if (stars === 0) batcher.fail(lineNo + 1, `no data lines after the header (line ${headerLine})`);
      const rest = batcher.take();
      if (rest.length > 0) yield rest;
    } finally {
      close();
    }
  }

  return { file, names, map, batches: batches(), progress: () => ({ bytesRead, totalBytes }) };
}
