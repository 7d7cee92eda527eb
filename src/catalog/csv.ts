/**
 * Streaming reader of reference catalogues in CSV: a header line of column names (columns.ts), then one
 * star per line. The delimiter is the one of `,` `;` TAB that splits the header into the most fields;
 * fields may be double-quoted ("" for a quote inside, even newlines), read by csv-parse. Blank lines and lines
 * starting with `#` are skipped; a UTF-8 byte-order mark and CRLF line ends are accepted. The file is
 * streamed, so its size is not limited by memory; every error names the line (1-based, as an editor shows
 * it; for a quoted field over several lines, the line where the record ends) and the column.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import { CsvError, parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
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

/** The fields of one CSV line (the header), read by csv-parse; quoted fields may hold the delimiter. */
export function splitCsvLine(line: string, delimiter: string): string[] {
  try {
    const [record] = parseSync(line, {
      delimiter,
      relax_quotes: true,
      relax_column_count: true,
    }) as string[][];
    return record ?? [""];
  } catch {
    return line.split(delimiter);
  }
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

  close();

  async function* batches(): AsyncGenerator<StarBatch> {
    // The data lines, read again from the start by csv-parse (quoted fields may hold the delimiter,
    // doubled quotes and newlines); the header and the lines before it are skipped by line number.
    const dataStream = createReadStream(path);
    dataStream.on("data", () => (bytesRead = dataStream.bytesRead));
    const parser = dataStream.pipe(
      parse({
        delimiter,
        bom: true,
        comment: "#",
        comment_no_infix: true,
        skip_empty_lines: true,
        skip_records_with_empty_values: true,
        relax_quotes: true,
        relax_column_count: true,
        trim: true,
        info: true,
        from_line: headerLine + 1,
      }),
    );
    const batcher = new StarBatcher(file, names, map, "line", batchSize);
    const nb = map.bands.length;
    const mags = new Float64Array(nb);
    const errs = new Float64Array(nb);
    let stars = 0;
    let lastLine = headerLine;
    try {
      for await (const { record: cells, info } of parser as AsyncIterable<{
        record: string[];
        info: { lines: number };
      }>) {
        const at = info.lines;
        lastLine = at;
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
      if (stars === 0) batcher.fail(lastLine + 1, `no data lines after the header (line ${headerLine})`);
      const rest = batcher.take();
      if (rest.length > 0) yield rest;
    } catch (err) {
      if (err instanceof CsvError) {
        const line = (err as CsvError & { lines?: number }).lines ?? lastLine + 1;
        throw new CatalogueImportError(file, err.message, line, undefined, "line");
      }
      throw err;
    } finally {
      dataStream.destroy();
    }
  }

  return { file, names, map, batches: batches(), progress: () => ({ bytesRead, totalBytes }) };
}
