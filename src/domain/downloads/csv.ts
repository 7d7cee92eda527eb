/**
 * BHTOM's CSV downloads (bhtom-behaviour.md §5): `;`-separated, a header line, `\n` line ends, UTF-8,
 * QUOTE_MINIMAL with `"` (a field holding `;`, `"` or a newline is quoted and inner quotes doubled),
 * floats written as Python's repr, null as an empty field.
 */

/**
 * Python `repr(float)`: the shortest round-trip digits (as JavaScript finds them), in positional notation
 * when the decimal exponent is in −4…15 (always with a fractional part: `16.0`), else scientific with a
 * signed two-digit-minimum exponent (`1e-05`, `1.2345678901234568e+17`).
 */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e16) {
    // Fast path: here JavaScript's shortest digits are already positional, as Python's are.
    const s = String(x);
    return s.includes(".") ? s : `${s}.0`;
  }
  const [mant, expText] = x.toExponential().split("e");
  const exp = Number(expText);
  const negative = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
      const frac = digits.slice(exp + 1);
      return `${sign}${intPart}.${frac || "0"}`;
    }
    return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return sci();

  function sci(): string {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
}

/** One field: null and NaN empty (as pandas writes them), numbers as Python floats, text quoted when needed. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isNaN(value) ? "" : pythonFloat(value);
  return /[;"\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  let out = "";
  for (let i = 0; i < fields.length; i++) out += (i > 0 ? ";" : "") + csvField(fields[i]);
  return `${out}\n`;
}

export const PHOTOMETRY_HEADER = ["MJD", "Magnitude", "Error", "Facility", "Filter", "Observer"] as const;
export const RADIO_HEADER = ["MJD", "mJy", "Error", "Facility", "Filter", "Observer"] as const;
