/**
 * Light-curve CSV uploads (`photometry_csv`, calibration.md §2.4): a header naming the columns `time`
 * (or `mjd`/`jd`), `filter`, `magnitude` (or `mag`), `error` (or `magerr`, `mag_error`, `err`) and an
 * optional `observer`; comma, semicolon or tab separated. Times that look like JD (> 2,400,000) are
 * converted to MJD. An upper limit is marked by a negative error or an error ≥ 99; it is stored with
 * error −1. Rows that cannot be read are reported with their line number and reason, never guessed.
 *
 * Radio fluxes: instead of `magnitude`, a `flux` column with `flux_error` (or `error`) and a unit (a
 * `unit` column, else the upload's `unit` field): mJy, uJy (µJy) or Jy. Values are stored in mJy
 * (MILLIJANSKY); the filter column holds the frequency band (`1.28GHz`). A negative flux error marks an
 * upper limit (stored with error −1). A file with both magnitude and flux columns is refused.
 */
import { CsvError, parse } from "csv-parse/sync";
import { normaliseTimeToMjd } from "../../astro/time.ts";

export interface LightCurveRow {
  /** Line number in the file (1-based). */
  line: number;
  mjd: number;
  filter: string;
  /** Magnitude (MAG) or flux density in mJy (MILLIJANSKY). */
  value: number;
  valueUnit: "MAG" | "MILLIJANSKY";
  /** Error in the value's unit; −1 marks an upper limit. */
  error: number;
  observer: string;
}

/** Flux units accepted in a radio light curve, as factors to mJy. `MJy` (megajansky) is not one of them. */
const FLUX_UNITS_TO_MJY: Record<string, number> = {
  mjy: 1,
  millijansky: 1,
  ujy: 1e-3,
  µjy: 1e-3,
  μjy: 1e-3,
  microjansky: 1e-3,
  jy: 1000,
  jansky: 1000,
};

/** The factor from this unit to mJy, or null for a unit that is not mJy, uJy or Jy. */
export function fluxUnitToMjy(unit: string): number | null {
  const u = unit.trim();
  if (u === "MJy") return null;
  return FLUX_UNITS_TO_MJY[u.toLowerCase()] ?? null;
}

export const FLUX_UNIT_NAMES = "mJy, uJy or Jy";

export interface LightCurveOptions {
  /** The flux unit for files without a `unit` column (the upload form's `unit`). */
  unit?: string | null;
  maxRows?: number;
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
  filter: ["filter", "band", "passband", "frequency", "freq"],
  magnitude: ["magnitude", "mag"],
  error: ["error", "magerr", "mag_error", "mag_err", "err", "e_mag"],
  observer: ["observer"],
  flux: ["flux", "flux_density", "fluxdensity"],
  fluxError: ["flux_error", "flux_err", "fluxerr", "e_flux", "flux_density_error"],
  unit: ["unit", "units", "flux_unit"],
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

export function parseLightCurveCsv(text: string, options: number | LightCurveOptions = {}): LightCurveParse {
  const opts = typeof options === "number" ? { maxRows: options } : options;
  const maxRows = opts.maxRows ?? 1_000_000;
  if (text.includes("\u0000")) return { ok: false, error: "the file is binary, not a CSV text file" };
  const body = text.replace(/^\uFEFF/, "");
  const headerLine = body.split(/\r\n|\n|\r/).find((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  if (headerLine === undefined) return { ok: false, error: "the file is empty" };
  const read = readRows(body, detectSeparator(headerLine));
  if (!read.ok) return read;
  const [headerRow, ...dataRows] = read.rows;
  if (!headerRow) return { ok: false, error: "the file is empty" };
  const headerLineNo = headerRow.line;
  const header = headerRow.cells.map((h) => h.toLowerCase().replace(/^#\s*/, ""));
  const col: Record<string, number> = {};
  for (const [key, names] of Object.entries(COLUMN_NAMES)) {
    col[key] = header.findIndex((h) => names.includes(h));
  }
  if (col.magnitude >= 0 && col.flux >= 0) {
    return {
      ok: false,
      error:
        `line ${headerLineNo}: the header names both a magnitude column (${header[col.magnitude]}) and a flux ` +
        `column (${header[col.flux]}); upload magnitudes and radio fluxes in separate files`,
    };
  }
  const flux = col.flux >= 0;
  if (flux && col.fluxError < 0) col.fluxError = col.error;
  const required = flux ? ["time", "filter", "flux", "fluxError"] : ["time", "filter", "magnitude", "error"];
  const missing = required.filter((k) => col[k] < 0);
  if (missing.length) {
    const names = missing.map((k) => (k === "fluxError" ? "flux_error" : k));
    return {
      ok: false,
      error: flux
        ? `line ${headerLineNo}: a radio light curve must name the columns time (or MJD/JD), filter (the frequency ` +
          `band), flux and flux_error (or error) (optional: unit, observer); missing: ${names.join(", ")}; ` +
          `found: ${header.join(", ")}`
        : `line ${headerLineNo}: the header must name the columns time (or MJD/JD), filter, magnitude and error ` +
          `(optional: observer), or flux and flux_error for radio fluxes; missing: ${names.join(", ")}; ` +
          `found: ${header.join(", ") || "nothing"}`,
    };
  }
  let formFactor: number | null = null;
  if (flux && col.unit < 0) {
    const unit = opts.unit?.trim();
    if (!unit) {
      return {
        ok: false,
        error: `line ${headerLineNo}: flux values need a unit (${FLUX_UNIT_NAMES}): a unit column or the upload's unit field`,
      };
    }
    formFactor = fluxUnitToMjy(unit);
    if (formFactor === null)
      return { ok: false, error: `unit: ${JSON.stringify(unit)} is not one of ${FLUX_UNIT_NAMES}` };
  }
  const rows: LightCurveRow[] = [];
  const rejected: Rejected[] = [];
  const scales = new Set<"MJD" | "JD">();
  const valueKey = flux ? "flux" : "magnitude";
  const errorKey = flux ? "fluxError" : "error";
  for (const { line, cells: f } of dataRows) {
    if (rows.length >= maxRows) return { ok: false, error: `more than ${maxRows} rows` };
    const cell = (k: string) => (col[k] >= 0 ? (f[col[k]] ?? "") : "");
    const [t, val, err] = [cell("time"), cell(valueKey), cell(errorKey)];
    const reject = (reason: string) => rejected.push({ line, reason });
    if (!NUMBER.test(t)) {
      reject(`time: not a number: ${JSON.stringify(t)}`);
      continue;
    }
    const time = normaliseTimeToMjd(Number(t));
    if (!time.ok) {
      reject(`time: ${time.error}`);
      continue;
    }
    if (!NUMBER.test(val)) {
      reject(`${flux ? "flux" : "magnitude"}: not a number: ${JSON.stringify(val)}`);
      continue;
    }
    if (!NUMBER.test(err)) {
      reject(`${flux ? "flux_error" : "error"}: not a number: ${JSON.stringify(err)}`);
      continue;
    }
    const filter = cell("filter");
    if (!filter) {
      reject("filter: empty");
      continue;
    }
    if (filter.length > 100) {
      reject("filter: longer than 100 characters");
      continue;
    }
    const v = Number(val);
    const e = Number(err);
    let row: Pick<LightCurveRow, "value" | "valueUnit" | "error">;
    if (flux) {
      const unitText = cell("unit");
      const factor = formFactor ?? fluxUnitToMjy(unitText);
      if (factor === null) {
        reject(`unit: ${JSON.stringify(unitText)} is not one of ${FLUX_UNIT_NAMES}`);
        continue;
      }
      const toMjy = (x: number) => (factor < 1 ? x / (1 / factor) : x * factor);
      const mjy = toMjy(v);
      if (!(Math.abs(mjy) < 1e12)) {
        reject(`flux: ${v} ${unitText} is outside ±1e12 mJy`);
        continue;
      }
      row = { value: mjy, valueUnit: "MILLIJANSKY", error: e < 0 ? -1 : toMjy(e) };
    } else {
      if (v < -30 || v > 50) {
        reject(`magnitude: ${v} is outside −30…50`);
        continue;
      }
      row = { value: v, valueUnit: "MAG", error: e < 0 || e >= 99 ? -1 : e };
    }
    scales.add(time.scale);
    rows.push({ line, mjd: time.mjd, filter, ...row, observer: cell("observer").slice(0, 100) });
  }
  const timeScale = scales.size > 1 ? "mixed" : scales.has("JD") ? "JD" : "MJD";
  return { ok: true, rows, rejected, timeScale };
}
