/**
 * A TAP answer in CSV (FORMAT=csv; RFC 4180): a header line of column names, then one line per row.
 * Fields are separated by commas; a field in double quotes may hold commas, line breaks and doubled quotes
 * (""). The ESA Gaia archive writes nulls as empty fields (`…,0.123,,17.2,…`), as do VizieR and most TAP
 * services; "NaN" is read as null too (a quoted field is always text, "" included).
 *
 * An answer cut off in transit is refused rather than half-read: every record must have as many fields as
 * the header, a quoted field must be closed, and the text must end with a line break (every TAP CSV writer
 * ends each record with one, so a missing one means the last record may be incomplete).
 */
import { TapFormatError, type TapCell, type TapTable } from "./table.ts";

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

/** The records of the text, each a list of cells (see the file comment for nulls). */
function records(body: string): TapCell[][] {
  const out: TapCell[][] = [];
  let record: TapCell[] = [];
  const n = body.length;
  let i = 0;
  while (i < n) {
    if (body.charCodeAt(i) === QUOTE) {
      const parts: string[] = [];
      let j = i + 1;
      for (;;) {
        const k = body.indexOf('"', j);
        if (k < 0) throw new TapFormatError("the CSV answer is truncated: a quoted field is never closed");
        if (body.charCodeAt(k + 1) === QUOTE) {
          parts.push(body.slice(j, k + 1));
          j = k + 2;
          continue;
        }
        parts.push(body.slice(j, k));
        i = k + 1;
        break;
      }
      record.push(parts.join(""));
    } else {
      let j = i;
      while (j < n) {
        const c = body.charCodeAt(j);
        if (c === COMMA || c === LF || c === CR) break;
        j++;
      }
      const text = body.slice(i, j);
      record.push(text === "" || text === "NaN" || text === "nan" ? null : text);
      i = j;
    }
    if (i >= n) {
      throw new TapFormatError(
        `the CSV answer is truncated: its last line (record ${out.length + 1}) has no line end`,
      );
    }
    const c = body.charCodeAt(i);
    if (c === COMMA) {
      i++;
      if (i >= n) throw new TapFormatError("the CSV answer is truncated after a comma");
    } else if (c === LF || c === CR) {
      i += c === CR && body.charCodeAt(i + 1) === LF ? 2 : 1;
      if (!(record.length === 1 && record[0] === null)) out.push(record); // skip blank lines
      record = [];
    } else {
      throw new TapFormatError(
        `the CSV answer is malformed: text after a closing quote in record ${out.length + 1}`,
      );
    }
  }
  return out;
}

export function parseTapCsv(text: string): TapTable {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // BOM
  if (body.trim() === "") throw new TapFormatError("the CSV answer is empty (not even a header line)");
  const [header, ...data] = records(body);
  if (!header) throw new TapFormatError("the CSV answer has no header line");
  const columns = header.map((h) => String(h ?? "").trim());
  data.forEach((r, k) => {
    if (r.length !== columns.length) {
      throw new TapFormatError(
        `the CSV answer is malformed or truncated: data line ${k + 1} has ${r.length} fields, the header ${columns.length}`,
      );
    }
  });
  return { columns, rows: data, overflow: false };
}
