/**
 * What makes a calibration repeatable (issue 17): the algorithm's version, the cuts it applies, and one
 * canonical order of the reference stars. Pure: no I/O.
 *
 * The reference stars come from a database (imported catalogues, archive caches) whose row order is not
 * defined; the cross-match keeps the first of two equally near stars, so the order could change a result.
 * `canonicalReference` sorts the stars by (RA, Dec, then every band's magnitude and error in band-name
 * order) before anything is fitted, and `referenceRowsText` writes the sorted rows as text for a content
 * hash (the caller hashes it: a calibration run records the SHA-256).
 */
import type { Band, ReferenceCatalogue } from "./bands.ts";
import { MATCH_RADIUS_DEFAULTS } from "./matchRadius.ts";
import { SELECTION_DEFAULTS } from "./select.ts";
import { TARGET_DEFAULTS } from "./target.ts";

/**
 * Version of the calibration's numbers: bump it in any change that could alter a calibration's output for
 * the same inputs (a fit, a cut, the match, the order of the stars). Every calibration run records it.
 */
export const CALIBRATION_ALGORITHM_VERSION = "2026.12.2";

/** The cuts every calibration applies (the defaults of the match, the selection and the target steps). */
export const CALIBRATION_CUTS = {
  ...MATCH_RADIUS_DEFAULTS,
  ...SELECTION_DEFAULTS,
  ...TARGET_DEFAULTS,
} as const;

/** The bands of a catalogue in name order (a code-unit sort: the same in every locale). */
function bandNames(c: ReferenceCatalogue): Band[] {
  return (Object.keys(c.bands) as Band[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** −0 and 0, NaN and NaN compare equal; NaN sorts last. */
function compareNumbers(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The permutation that sorts the stars canonically. Most pairs differ in RA, so the comparator decides on
 * RA first and reads the other keys only on a tie (or a NaN); the order is that of comparing every key.
 */
function canonicalOrder(c: ReferenceCatalogue): Int32Array {
  const bands = bandNames(c).map((b) => c.bands[b]!);
  const ra = c.raDeg;
  const keys = [c.decDeg, ...bands.flatMap((b) => [b.mag, b.err])];
  const order = new Int32Array(ra.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((i, j) => {
    const a = ra[i];
    const b = ra[j];
    if (a < b) return -1;
    if (a > b) return 1;
    let d = compareNumbers(a, b);
    for (let k = 0; d === 0 && k < keys.length; k++) d = compareNumbers(keys[k][i], keys[k][j]);
    return d;
  });
}

/** a[order[0]], a[order[1]], … */
function permuted(a: Float64Array, order: Int32Array): Float64Array {
  const out = new Float64Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = a[order[k]];
  return out;
}

/** The same stars in canonical order (bands keyed in name order); the input is not changed. */
export function canonicalReference(c: ReferenceCatalogue): ReferenceCatalogue {
  const order = canonicalOrder(c);
  const pick = (a: Float64Array) => permuted(a, order);
  const out: ReferenceCatalogue = { raDeg: pick(c.raDeg), decDeg: pick(c.decDeg), bands: {} };
  for (const band of bandNames(c)) {
    const b = c.bands[band]!;
    out.bands[band] = { survey: b.survey, mag: pick(b.mag), err: pick(b.err) };
  }
  return out;
}

/**
 * The fast case of String(x) (JavaScript's shortest round-trip form): numbers with at most 7 decimals
 * (catalogue positions and magnitudes) are k·10⁻⁷ for the integer k returned, or NaN for any other number.
 * Why k·10⁻⁷ written out is String(x): x = k/10⁷ exactly rounded, so the decimal k·10⁻⁷ reads back as x;
 * any other decimal that reads back as x lies within 1 ulp of it (< 2⁻³⁹ for |x| < 10⁴), while two
 * decimals of at most 7 places differ by ≥ 10⁻⁷ — so k·10⁻⁷ without its trailing zeros is the shortest,
 * and unique. For 10⁻⁶ ≤ |x| < 10²¹ String writes plain decimals (no exponent), as here.
 */
function septimalUnits(x: number): number {
  const k = Math.round(x * 1e7);
  return k !== 0 && Math.abs(x) >= 1e-6 && Math.abs(x) < 1e4 && k / 1e7 === x ? k : NaN;
}

/** String(x), by septimalUnits when it applies (tests compare the two). */
export function shortestText(x: number): string {
  const k = septimalUnits(x);
  if (Number.isNaN(k)) return String(x);
  const w = new AsciiWriter(32);
  w.number(x);
  return w.text();
}

/** ASCII text built in a byte buffer (no string per number): what referenceRowsBytes writes with. */
class AsciiWriter {
  private bytes: Uint8Array;
  private length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Text as UTF-8 (ASCII in practice: header names, String's other forms). */
  ascii(text: string): void {
    let ascii = true;
    for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 128;
    const bytes = ascii ? null : Buffer.from(text, "utf8");
    this.reserve(bytes ? bytes.length : text.length);
    if (bytes) {
      this.bytes.set(bytes, this.length);
      this.length += bytes.length;
    } else for (let i = 0; i < text.length; i++) this.bytes[this.length++] = text.charCodeAt(i);
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  /** The decimal digits of a non-negative integer below 2⁵³, padded with zeros to `width`. */
  private digits(v: number, width: number): void {
    let n = 1;
    for (let p = 10; p <= v; p *= 10) n++;
    n = Math.max(n, width);
    this.reserve(n);
    for (let i = this.length + n - 1; i >= this.length; i--) {
      const q = Math.floor(v / 10);
      this.bytes[i] = 48 + (v - 10 * q);
      v = q;
    }
    this.length += n;
  }

  /** String(x). */
  number(x: number): void {
    const k = septimalUnits(x);
    if (Number.isNaN(k)) {
      this.ascii(String(x));
      return;
    }
    if (k < 0) this.byte(45); // "-"
    const a = Math.abs(k);
    const whole = Math.floor(a / 1e7);
    let frac = a - whole * 1e7;
    this.digits(whole, 1);
    if (frac === 0) return;
    let places = 7;
    while (frac % 10 === 0) {
      frac /= 10;
      places--;
    }
    this.byte(46); // "."
    this.digits(frac, places);
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  text(): string {
    return new TextDecoder().decode(this.result());
  }
}

/**
 * The stars as text, one line per star in the catalogue's order (give it a canonical catalogue): a header
 * `ra dec <survey>/<band> <survey>/<band>_err …`, then the numbers in JavaScript's shortest round-trip form
 * (String(x)), separated by spaces, each line ended by a newline.
 */
export function referenceRowsText(c: ReferenceCatalogue): string {
  return rowsWriter(c).text();
}

/** referenceRowsText's bytes (ASCII), what a run's reference SHA-256 is taken of; built without strings. */
export function referenceRowsBytes(c: ReferenceCatalogue): Uint8Array {
  return rowsWriter(c).result();
}

function rowsWriter(c: ReferenceCatalogue): AsciiWriter {
  const bands = bandNames(c);
  const columns = [c.raDeg, c.decDeg, ...bands.flatMap((b) => [c.bands[b]!.mag, c.bands[b]!.err])];
  const w = new AsciiWriter(64 + 12 * columns.length * c.raDeg.length);
  w.ascii(
    [
      "ra",
      "dec",
      ...bands.flatMap((b) => [`${c.bands[b]!.survey}/${b}`, `${c.bands[b]!.survey}/${b}_err`]),
    ].join(" "),
  );
  w.byte(10);
  for (let i = 0; i < c.raDeg.length; i++) {
    for (let k = 0; k < columns.length; k++) {
      if (k > 0) w.byte(32);
      w.number(columns[k][i]);
    }
    w.byte(10);
  }
  return w;
}
