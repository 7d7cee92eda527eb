/**
 * Light-curve CSV uploads (`photometry_csv`, calibration.md §2.4): a header naming the columns `time`
 * (or `mjd`/`jd`), `filter`, `magnitude` (or `mag`), `error` (or `magerr`, `mag_error`, `err`) and an
 * optional `observer`; comma, semicolon or tab separated. Times that look like JD (> 2,400,000) are
 * converted to MJD. An upper limit is marked by a negative error or an error ≥ 99; it is stored with
 * error −1. Rows that cannot be read are reported with their line number and reason, never guessed.
 */
import { CsvError, parse } from "csv-parse/sync";
import { normaliseTimeToMjd } from "../../astro/time.ts";

export interface LightCurveRow {
  /** Line number in the file (1-based). */
  line: number;
  mjd: number;
  filter: string;
  mag: number;
  /** Magnitude error; −1 marks an upper limit. */
  error: number;
  observer: string;
}

export interface Rejected {
  line: number;
  reason: string;
}

export type LightCurveParse =
  | { ok: true; rows: LightCurveRow[]; rejected: Rejected[]; timeScale: "MJD" | "JD" | "mixed" }
  | { ok: false; error: string };

const COLUMN_NAMES: Record<string, readonly string[]> = {
  time: ["time", "mjd", "jd", "date", "hjd", "bjd"],
  filter: ["filter", "band", "passband"],
  magnitude: ["magnitude", "mag"],
  error: ["error", "magerr", "mag_error", "mag_err", "err", "e_mag"],
  observer: ["observer"],
};

function detectSeparator(header: string): string {
  for (const sep of [",", ";", "\t"]) if (header.includes(sep)) return sep;
  return " ";
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** One row of the file: its cells (trimmed) and its line number (1-based, where the row ends). */
interface Row {
  line: number;
  cells: string[];
}

/**
 * The rows of the file after the header's separator: CSV read by csv-parse (quoted fields may hold the
 * separator, doubled quotes and newlines; `#` lines and blank lines are skipped), or, when the header has
 * no comma, semicolon or tab, columns separated by runs of spaces. A malformed CSV (an unclosed quote)
 * is an error naming its line.
 */
function readRows(text: string, sep: string): { ok: true; rows: Row[] } | { ok: false; error: string } {
  if (sep === " ") {
    const rows: Row[] = [];
    text.split(/\r\n|\n|\r/).forEach((l, i) => {
      if (l.trim() !== "" && !l.trimStart().startsWith("#"))
        rows.push({ line: i + 1, cells: l.trim().split(/\s+/) });
    });
    return { ok: true, rows };
  }
  try {
    const records = parse(text, {
      delimiter: sep,
      bom: true,
      comment: "#",
      comment_no_infix: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      relax_quotes: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return { ok: true, rows: records.map((r) => ({ line: r.info.lines, cells: r.record })) };
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      return { ok: false, error: `${line ? `line ${line}: ` : ""}${err.message}` };
    }
    throw err;
  }
}

export function parseLightCurveCsv(text: string, maxRows = 1_000_000): LightCurveParse {
  if (text.includes("\u0000")) return { ok: false, error: "the file is binary, not a CSV text file" };
  const body = text.replace(/^\uFEFF/, "");
  const headerLine = body.split(/\r\n|\n|\r/).find((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  if (headerLine === undefined) return { ok: false, error: "the file is empty" };
  const read = readRows(body, detectSeparator(headerLine));
  if (!read.ok) return read;
  const [headerRow, ...dataRows] = read.rows;
  if (!headerRow) return { ok: false, error: "the file is empty" };
  const headerIndex = headerRow.line - 1;
  const header = headerRow.cells.map((h) => h.toLowerCase().replace(/^#\s*/, ""));
  const col: Record<string, number> = {};
  for (const [key, names] of Object.entries(COLUMN_NAMES)) {
    col[key] = header.findIndex((h) => names.includes(h));
  }
  const missing = ["time", "filter", "magnitude", "error"].filter((k) => col[k] < 0);
  if (missing.length) {
    return {
      ok: false,
      error:
        `line ${headerIndex + 1}: the header must name the columns time (or MJD/JD), filter, magnitude and error ` +
        `(optional: observer); missing: ${missing.join(", ")}; found: ${header.join(", ") || "nothing"}`,
    };
  }
  const rows: LightCurveRow[] = [];
  const rejected: Rejected[] = [];
  const scales = new Set<"MJD" | "JD">();
  for (const { line, cells: f } of dataRows) {
    if (rows.length >= maxRows) return { ok: false, error: `more than ${maxRows} rows` };
    const cell = (k: string) => (col[k] >= 0 ? (f[col[k]] ?? "") : "");
    const [t, mag, err] = [cell("time"), cell("magnitude"), cell("error")];
    if (!NUMBER.test(t)) {
      rejected.push({ line, reason: `time: not a number: ${JSON.stringify(t)}` });
      continue;
    }
    const time = normaliseTimeToMjd(Number(t));
    if (!time.ok) {
      rejected.push({ line, reason: `time: ${time.error}` });
      continue;
    }
    if (!NUMBER.test(mag)) {
      rejected.push({ line, reason: `magnitude: not a number: ${JSON.stringify(mag)}` });
      continue;
    }
    if (!NUMBER.test(err)) {
      rejected.push({ line, reason: `error: not a number: ${JSON.stringify(err)}` });
      continue;
    }
    const filter = cell("filter");
    if (!filter) {
      rejected.push({ line, reason: "filter: empty" });
      continue;
    }
    if (filter.length > 100) {
      rejected.push({ line, reason: "filter: longer than 100 characters" });
      continue;
    }
    const m = Number(mag);
    const e = Number(err);
    if (m < -30 || m > 50) {
      rejected.push({ line, reason: `magnitude: ${m} is outside −30…50` });
      continue;
    }
    scales.add(time.scale);
    rows.push({
      line,
      mjd: time.mjd,
      filter,
      mag: m,
      error: e < 0 || e >= 99 ? -1 : e,
      observer: cell("observer").slice(0, 100),
    });
  }
  const timeScale = scales.size > 1 ? "mixed" : scales.has("JD") ? "JD" : "MJD";
  return { ok: true, rows, rejected, timeScale };
}
