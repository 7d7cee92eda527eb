/**
 * Reader for instrumental catalogues uploaded as "photometry" (calibration.md §2.3, astro-notes §(e)).
 *
 * Accepted layouts:
 *  1. Source Extractor `CATALOG_TYPE ASCII_HEAD`: header lines `#<%4d column> <NAME> [description] [unit]`
 *     (1-based columns), then whitespace-separated rows. A vector parameter (e.g. MAG_APER with several
 *     apertures) has one header line carrying its first column; its length is the gap to the next
 *     header's column (for the last parameter: to the end of the row). Other `#` lines are comments.
 *  2. CCDPhot's 7 columns without column headers (calibration.md §2.3):
 *     NUMBER, ALPHA_J2000, DELTA_J2000, XWIN_IMAGE, YWIN_IMAGE, MAG_AUTO, MAGERR_AUTO — extra trailing
 *     columns (the 2026 run-1/run-2 flag) are ignored.
 *
 * Columns used: position ALPHA_J2000/DELTA_J2000 (else X_WORLD/Y_WORLD), deg; magnitude pair by CPCS
 * priority MAG_BEST/MAGERR_BEST → MAG_AUTO/MAGERR_AUTO → MAG_APER/MAGERR_APER (first aperture) (legacy
 * `select_mag`); NUMBER (else the running row number); FLAGS if present; XWIN_IMAGE/YWIN_IMAGE (else
 * X_IMAGE/Y_IMAGE) if present. The row with NUMBER = 999999 is CCDPhot's forced measurement of the target
 * (issue #212): it is kept and its index returned as `targetIndex`.
 *
 * Rows are dropped, and listed with line and reason, when a used value is non-finite (`nan`, `inf`) or the
 * magnitude or its error is ≥ 99 (SExtractor's "no measurement", e.g. negative flux). Calibration-level
 * cuts (GOOD_MAX_MAG, GOOD_MAX_MAG_ERR) are applied later, not here. A structural problem — no usable
 * columns, a short row, a token that is not a number — fails the whole file with a message naming the
 * line (1-based) and the field.
 */

export const TARGET_NUMBER = 999999;

/** Parsed instrumental catalogue; arrays aligned, magnitudes instrumental (any zero point). */
export interface InstrumentalCatalogue {
  number: Int32Array;
  raDeg: Float64Array;
  decDeg: Float64Array;
  mag: Float64Array;
  magErr: Float64Array;
  flags?: Int32Array;
  /** Pixel position (1-based, FITS convention) when the catalogue carries it. */
  x?: Float64Array;
  y?: Float64Array;
}

export type MagColumn = "MAG_BEST" | "MAG_AUTO" | "MAG_APER";

export interface DroppedRow {
  line: number;
  reason: string;
}

export type ParseResult =
  | {
      ok: true;
      catalogue: InstrumentalCatalogue;
      magColumn: MagColumn;
      /** Index of the NUMBER = 999999 row, −1 if absent or dropped. */
      targetIndex: number;
      /** True when a NUMBER = 999999 row existed but was dropped (no measurement: a non-detection). */
      targetDropped: boolean;
      format: "ascii_head" | "ccdphot7";
      dropped: DroppedRow[];
    }
  | { ok: false; error: string };

interface Column {
  name: string;
  /** 0-based first token index. */
  start: number;
}

const HEADER_RE = /^#\s*(\d+)\s+([A-Z][A-Z0-9_]*)(?:\(\d+\))?(?:\s|$)/;
const CCDPHOT7 = [
  "NUMBER",
  "ALPHA_J2000",
  "DELTA_J2000",
  "XWIN_IMAGE",
  "YWIN_IMAGE",
  "MAG_AUTO",
  "MAGERR_AUTO",
];
const MAG_PRIORITY: readonly [MagColumn, string][] = [
  ["MAG_BEST", "MAGERR_BEST"],
  ["MAG_AUTO", "MAGERR_AUTO"],
  ["MAG_APER", "MAGERR_APER"],
];
const NON_FINITE = new Set([
  "nan",
  "+nan",
  "-nan",
  "inf",
  "+inf",
  "-inf",
  "infinity",
  "+infinity",
  "-infinity",
]);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;
/** A Fortran exponent (1.5D+03), which Number does not read. */
const HAS_D_RE = /[dD]/;

/** Parses one token: a number, NaN/±Infinity for the non-finite spellings, or undefined if not numeric. */
function parseToken(token: string): number | undefined {
  if (NUMBER_RE.test(token)) return Number(HAS_D_RE.test(token) ? token.replace(/[dD]/, "e") : token);
  const lower = token.toLowerCase();
  if (!NON_FINITE.has(lower)) return undefined;
  if (lower.includes("nan")) return NaN;
  return lower.startsWith("-") ? -Infinity : Infinity;
}

/** Parses a SExtractor ASCII_HEAD or CCDPhot 7-column catalogue from text. Pure; never throws. */
export function parseInstrumentalCatalogue(text: string): ParseResult {
  const lines = text.split(/\r\n|\n|\r/);
  const columns: Column[] = [];
  const rows: { line: number; tokens: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = HEADER_RE.exec(line);
      if (m) {
        if (rows.length > 0)
          return { ok: false, error: `line ${i + 1}: column header "${m[2]}" after data rows` };
        const start = Number(m[1]) - 1;
        if (columns.some((c) => c.name === m[2] || c.start === start)) {
          return { ok: false, error: `line ${i + 1}: duplicate column header "${m[2]}" (column ${m[1]})` };
        }
        columns.push({ name: m[2], start });
      }
      continue;
    }
    rows.push({ line: i + 1, tokens: line.split(/\s+/) });
  }
  if (rows.length === 0) return { ok: false, error: "no data rows" };

  const format = columns.length > 0 ? "ascii_head" : "ccdphot7";
  if (format === "ccdphot7") CCDPHOT7.forEach((name, start) => columns.push({ name, start }));
  columns.sort((a, b) => a.start - b.start);
  const col = (name: string): Column | undefined => columns.find((c) => c.name === name);

  const raCol = col("ALPHA_J2000") ?? col("X_WORLD");
  const decCol = col("DELTA_J2000") ?? col("Y_WORLD");
  if (!raCol || !decCol) {
    return {
      ok: false,
      error: "no position columns: need ALPHA_J2000 and DELTA_J2000 (or X_WORLD and Y_WORLD)",
    };
  }
  const magPair = MAG_PRIORITY.find(([m, e]) => col(m) && col(e));
  if (!magPair) {
    return {
      ok: false,
      error: "no magnitude columns: need MAG_BEST/MAGERR_BEST, MAG_AUTO/MAGERR_AUTO or MAG_APER/MAGERR_APER",
    };
  }
  const magCol = col(magPair[0]) as Column;
  const errCol = col(magPair[1]) as Column;
  const numCol = col("NUMBER");
  const flagCol = col("FLAGS");
  const xCol = col("XWIN_IMAGE") ?? col("X_IMAGE");
  const yCol = (xCol?.name === "XWIN_IMAGE" ? col("YWIN_IMAGE") : col("Y_IMAGE")) ?? undefined;
  const hasXY = xCol !== undefined && yCol !== undefined;
  // Every used column must exist in each row: the last header's vector length is open-ended.
  const used = [
    raCol,
    decCol,
    magCol,
    errCol,
    numCol,
    flagCol,
    hasXY ? xCol : undefined,
    hasXY ? yCol : undefined,
  ];
  const minTokens = Math.max(...used.map((c) => (c ? c.start + 1 : 0)));
  // The columns read, each once, in that order; a row's values by slot.
  const parsedColumns = [...new Set(used.filter((c): c is Column => c !== undefined))];
  const slotOf = new Map(parsedColumns.map((c, u) => [c, u]));
  const values = new Float64Array(parsedColumns.length);

  const n = rows.length;
  const out = {
    number: new Int32Array(n),
    raDeg: new Float64Array(n),
    decDeg: new Float64Array(n),
    mag: new Float64Array(n),
    magErr: new Float64Array(n),
    flags: new Int32Array(n),
    x: new Float64Array(n),
    y: new Float64Array(n),
  };
  const dropped: DroppedRow[] = [];
  let k = 0;
  let targetIndex = -1;
  let targetDropped = false;
  for (const { line, tokens } of rows) {
    if (tokens.length < minTokens) {
      return { ok: false, error: `line ${line}: ${tokens.length} fields, expected at least ${minTokens}` };
    }
    for (let u = 0; u < parsedColumns.length; u++) {
      const c = parsedColumns[u];
      const v = parseToken(tokens[c.start]);
      if (v === undefined)
        return { ok: false, error: `line ${line}, field ${c.name}: "${tokens[c.start]}" is not a number` };
      values[u] = v;
    }
    const get = (c: Column | undefined): number => (c ? values[slotOf.get(c) as number] : NaN);
    const number = numCol ? get(numCol) : k + dropped.length + 1;
    if (!Number.isInteger(number)) {
      return {
        ok: false,
        error: `line ${line}, field NUMBER: "${tokens[numCol?.start ?? 0]}" is not an integer`,
      };
    }
    if (flagCol && !Number.isInteger(get(flagCol))) {
      return { ok: false, error: `line ${line}, field FLAGS: "${tokens[flagCol.start]}" is not an integer` };
    }
    const nonFinite = [raCol, decCol, magCol, errCol].find((c) => !Number.isFinite(get(c)));
    const bad = nonFinite || get(magCol) >= 99 || get(errCol) >= 99 || Math.abs(get(decCol)) > 90;
    if (bad && number === TARGET_NUMBER && targetIndex < 0) targetDropped = true;
    if (nonFinite) {
      dropped.push({ line, reason: `non-finite ${nonFinite.name}` });
      continue;
    }
    if (get(magCol) >= 99 || get(errCol) >= 99) {
      dropped.push({
        line,
        reason: `${magCol.name} ${get(magCol)} / ${errCol.name} ${get(errCol)}: no measurement (99)`,
      });
      continue;
    }
    if (Math.abs(get(decCol)) > 90) {
      dropped.push({ line, reason: `${decCol.name} ${get(decCol)} outside [−90, 90]` });
      continue;
    }
    if (number === TARGET_NUMBER && targetIndex < 0) targetIndex = k;
    out.number[k] = number;
    out.raDeg[k] = get(raCol);
    out.decDeg[k] = get(decCol);
    out.mag[k] = get(magCol);
    out.magErr[k] = get(errCol);
    if (flagCol) out.flags[k] = get(flagCol);
    if (hasXY) {
      out.x[k] = get(xCol);
      out.y[k] = get(yCol);
    }
    k++;
  }

  const catalogue: InstrumentalCatalogue = {
    number: out.number.slice(0, k),
    raDeg: out.raDeg.slice(0, k),
    decDeg: out.decDeg.slice(0, k),
    mag: out.mag.slice(0, k),
    magErr: out.magErr.slice(0, k),
  };
  if (flagCol) catalogue.flags = out.flags.slice(0, k);
  if (hasXY) {
    catalogue.x = out.x.slice(0, k);
    catalogue.y = out.y.slice(0, k);
  }
  return { ok: true, catalogue, magColumn: magPair[0], targetIndex, targetDropped, format, dropped };
}
