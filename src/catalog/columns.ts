/**
 * Which column of an imported table is which: RA, Dec, and each band's magnitude and error for the
 * catalogue's survey (src/astro/calibrate/bands.ts), and the row checks every importer applies.
 *
 * Column names (CSV header or FITS TTYPEn), matched after trimming:
 *   RA   ra | ra_icrs | raj2000 | ra_deg | alpha_j2000        (any case), deg
 *   Dec  dec | de | de_icrs | dej2000 | dec_deg | delta_j2000 (any case), deg
 *   mag  the band name as in bands.ts (`V`, `r`, `GBP`, `J`; an exact match first, else a case-insensitive
 *        one that is unique in the survey, so GaiaSP u/U, r/R, i/I stay distinct), VizieR's `<band>mag`, and
 *        the aliases BP/RP (GaiaDR3) and Ks (2MASS)
 *   err  `<mag>_err`, `<mag>_error`, `e_<mag>` (VizieR) for any accepted magnitude name, mag
 * Other columns are ignored and reported. Values: RA in [0, 360), Dec in [−90, 90], errors ≥ 0; an empty
 * cell, `nan`, `null` or `--` is a missing magnitude (NULL), never a missing position.
 */
import type { Band, Survey } from "../astro/calibrate/bands.ts";
import { resolveBand, SURVEY_BANDS } from "../astro/calibrate/bands.ts";
import { DomainError } from "../domain/errors.ts";

/** An import refused: names the file, and the line (CSV, 1-based) or row (FITS) and column at fault. */
export class CatalogueImportError extends DomainError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: string,
    readonly unit: "line" | "row" = "line",
  ) {
    const where = [
      line !== undefined ? `${unit} ${line}` : "",
      column !== undefined ? `column "${column}"` : "",
    ]
      .filter(Boolean)
      .join(", ");
    super(`${file}: ${where ? `${where}: ` : ""}${detail}`);
    this.name = "CatalogueImportError";
  }
}

const RA_NAMES = ["ra", "ra_icrs", "raj2000", "ra_deg", "alpha_j2000"];
const DEC_NAMES = ["dec", "de", "de_icrs", "dej2000", "dec_deg", "delta_j2000"];
const ALIASES: Partial<Record<Survey, Record<string, Band>>> = {
  GaiaDR3: { bp: "GBP", rp: "GRP", g_bp: "GBP", g_rp: "GRP" },
  "2MASS": { ks: "K" },
};

export interface BandSlot {
  band: Band;
  /** Index of the magnitude column. */
  mag: number;
  /** Index of the error column, −1 when the table has none. */
  err: number;
}

export interface ColumnMap {
  ra: number;
  dec: number;
  bands: BandSlot[];
  /** Names of the columns that are none of the above. */
  ignored: string[];
}

/** The band a magnitude column name stands for in `survey`, or undefined. */
export function bandOfColumn(survey: Survey, name: string): Band | undefined {
  const n = name.trim();
  const direct = resolveBand(survey, n) ?? ALIASES[survey]?.[n.toLowerCase()];
  if (direct) return direct;
  const m = /^(.+?)_?mag$/i.exec(n);
  return m ? (resolveBand(survey, m[1]) ?? ALIASES[survey]?.[m[1].toLowerCase()]) : undefined;
}

/** The magnitude column name an error column refers to (`V_err`, `V_error`, `e_Vmag` → `V`, `Vmag`). */
function errorBase(name: string): string | undefined {
  const n = name.trim();
  const suffix = /^(.+?)_err(?:or)?$/i.exec(n);
  if (suffix) return suffix[1];
  const prefix = /^e_(.+)$/i.exec(n);
  return prefix ? prefix[1] : undefined;
}

/**
 * Maps table column names to RA, Dec and band columns of `survey`. Throws CatalogueImportError (line 1 /
 * the header) for a missing RA or Dec column, a duplicate, or no band of the survey at all.
 */
export function mapColumns(
  file: string,
  names: readonly string[],
  survey: Survey,
  unit: "line" | "row",
): ColumnMap {
  const at = unit === "line" ? 1 : undefined;
  const fail = (detail: string, column?: string): never => {
    throw new CatalogueImportError(file, detail, at, column, unit);
  };
  const find = (aliases: string[], what: string): number => {
    const hits = names.flatMap((n, i) => (aliases.includes(n.trim().toLowerCase()) ? [i] : []));
    if (hits.length === 0) fail(`missing column "${what}" (accepted names: ${aliases.join(", ")})`, what);
    if (hits.length > 1) fail(`${hits.length} columns give ${what}: ${hits.map((i) => names[i]).join(", ")}`);
    return hits[0];
  };
  const ra = find(RA_NAMES, "ra");
  const dec = find(DEC_NAMES, "dec");
  const slots = new Map<Band, BandSlot>();
  const errs: { index: number; base: string }[] = [];
  const ignored: string[] = [];
  names.forEach((name, index) => {
    if (index === ra || index === dec) return;
    const band = bandOfColumn(survey, name);
    if (band) {
      if (slots.has(band))
        fail(`band ${band} given twice (columns "${names[slots.get(band)!.mag]}" and "${name}")`);
      slots.set(band, { band, mag: index, err: -1 });
      return;
    }
    const base = errorBase(name);
    if (base !== undefined && bandOfColumn(survey, base)) errs.push({ index, base });
    else ignored.push(name.trim());
  });
  for (const { index, base } of errs) {
    const slot = slots.get(bandOfColumn(survey, base)!);
    if (!slot) fail(`error column without its magnitude column`, names[index].trim());
    else if (slot.err >= 0) fail(`two error columns for band ${slot.band}`, names[index].trim());
    else slot.err = index;
  }
  if (slots.size === 0) {
    fail(`no magnitude column of survey ${survey} (bands: ${SURVEY_BANDS[survey].join(" ")})`);
  }
  const order = SURVEY_BANDS[survey] as readonly Band[];
  const bands = [...slots.values()].sort((a, b) => order.indexOf(a.band) - order.indexOf(b.band));
  return { ra, dec, bands, ignored };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING = new Set(["", "nan", "null", "none", "--", "na", "n/a"]);

/** Parses one cell: a finite number, NaN for a missing-value marker (when allowed), or throws. */
export function parseCell(text: string, missingAllowed: boolean, fail: (detail: string) => never): number {
  const t = text.trim();
  if (NUMBER.test(t)) {
    const v = Number(t);
    return Number.isFinite(v) ? v : fail(`${t} is not a finite number`);
  }
  if (MISSING.has(t.toLowerCase())) {
    if (missingAllowed) return NaN;
    fail(t === "" ? "empty value" : `"${t}" where a number is required`);
  }
  return fail(`"${t.length > 40 ? `${t.slice(0, 40)}…` : t}" is not a number`);
}

/** Stars in column arrays, magnitudes and errors per mapped band (NaN = missing). */
export interface StarBatch {
  length: number;
  raDeg: Float64Array;
  decDeg: Float64Array;
  mag: Float64Array[];
  err: Float64Array[];
}

/**
 * Collects validated stars into batches of `size`. `add` checks one star — RA in [0, 360), Dec in
 * [−90, 90], magnitude errors ≥ 0 — and throws CatalogueImportError naming the line/row and column.
 */
export class StarBatcher {
  private batch: StarBatch;
  constructor(
    private readonly file: string,
    private readonly names: readonly string[],
    private readonly map: ColumnMap,
    private readonly unit: "line" | "row",
    private readonly size = 1000,
  ) {
    this.batch = this.empty();
  }

  private empty(): StarBatch {
    const n = this.size;
    return {
      length: 0,
      raDeg: new Float64Array(n),
      decDeg: new Float64Array(n),
      mag: this.map.bands.map(() => new Float64Array(n)),
      err: this.map.bands.map(() => new Float64Array(n)),
    };
  }

  fail(at: number, detail: string, columnIndex?: number): never {
    const column = columnIndex === undefined ? undefined : this.names[columnIndex].trim();
    throw new CatalogueImportError(this.file, detail, at, column, this.unit);
  }

  /** Adds a star (values already parsed; NaN magnitude/error = missing). Returns a full batch, if any. */
  add(
    at: number,
    raDeg: number,
    decDeg: number,
    mags: ArrayLike<number>,
    errs: ArrayLike<number>,
  ): StarBatch | null {
    const { map } = this;
    if (!(raDeg >= 0 && raDeg < 360)) this.fail(at, `RA ${raDeg} is outside [0, 360) deg`, map.ra);
    if (!(decDeg >= -90 && decDeg <= 90)) this.fail(at, `Dec ${decDeg} is outside [-90, 90] deg`, map.dec);
    const b = this.batch;
    const k = b.length++;
    b.raDeg[k] = raDeg;
    b.decDeg[k] = decDeg;
    for (let j = 0; j < map.bands.length; j++) {
      if (errs[j] < 0) this.fail(at, `negative magnitude error ${errs[j]}`, map.bands[j].err);
      b.mag[j][k] = mags[j];
      b.err[j][k] = errs[j];
    }
    return b.length === this.size ? this.take() : null;
  }

  /** The stars collected since the last full batch (possibly none). */
  take(): StarBatch {
    const b = this.batch;
    this.batch = this.empty();
    return b;
  }
}
