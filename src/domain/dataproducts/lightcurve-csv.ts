/**
 * Light-curve CSV uploads (`photometry_csv`, calibration.md §2.4): a header naming the columns `time`
 * (or `mjd`/`jd`), `filter`, `magnitude` (or `mag`), `error` (or `magerr`, `mag_error`, `err`) and an
 * optional `observer`; comma, semicolon or tab separated. Times that look like JD (> 2,400,000) are
 * converted to MJD. An upper limit is marked by a negative error or an error ≥ 99; it is stored with
 * error −1. Rows that cannot be read are reported with their line number and reason, never guessed.
 */
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

/** Split one CSV line with double-quote quoting (RFC 4180 style) on the given separator. */
export function splitCsvLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur.trim() === "") {
      quoted = true;
      cur = "";
    } else if (c === sep) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function detectSeparator(header: string): string {
  for (const sep of [",", ";", "\t"]) if (header.includes(sep)) return sep;
  return " ";
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseLightCurveCsv(text: string, maxRows = 1_000_000): LightCurveParse {
  if (text.includes("\u0000")) return { ok: false, error: "the file is binary, not a CSV text file" };
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  const headerIndex = lines.findIndex((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  if (headerIndex < 0) return { ok: false, error: "the file is empty" };
  const sep = detectSeparator(lines[headerIndex]);
  const split = (l: string) => (sep === " " ? l.trim().split(/\s+/) : splitCsvLine(l, sep));
  const header = split(lines[headerIndex]).map((h) => h.toLowerCase().replace(/^#\s*/, ""));
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
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    const line = i + 1;
    if (rows.length >= maxRows) return { ok: false, error: `more than ${maxRows} rows` };
    const f = split(raw);
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
