/**
 * Dates and date-times in requests, read exactly as BHTOM2 reads them: Django's `parse_datetime` and
 * `parse_date` (django/utils/dateparse.py) on Python 3.11, which first try `datetime.fromisoformat` /
 * `date.fromisoformat` (CPython's C implementation, Modules/_datetimemodule.c) and then Django's own
 * regular expressions. Python 3.11's fromisoformat accepts more than its documentation's examples:
 * basic forms (`20230928T1000`), ISO week dates (`2023-W39-4`), an hour alone (`2023-09-28T10`), any one
 * character as the separator, offsets with seconds and fractions (`+02:00:30.5`). Django's fallback adds
 * one-digit fields (`2023-1-5 4:8:16`), a space before the offset, and a trailing newline (`$`).
 *
 * Each parser answers as Django does: a value, `null` for "not well formatted", or a
 * {@link DateValueError} for "well formatted but not a valid date" (2023-02-30, 24:00, an offset of a
 * day or more). The checks are differential-tested against Python 3.11 (test/dateparse.test.ts).
 *
 * Field semantics built on them (one per kind of field):
 * - {@link parseApiDateTime}: a serializer DateTimeField (createTarget's `discovery_date`): parse_datetime.
 * - {@link parseFilterDateTime}: a filter on a DateTimeField (`created_start`, …): parse_datetime, then
 *   parse_date (midnight), as Django's `DateTimeField.to_python`.
 * - {@link parseApiDate}: a date filter (`created` of common/api/users): parse_date.
 * A value without an offset is UTC (BHTOM2's TIME_ZONE). An instant outside years 1–9999 in UTC is
 * refused (DRF: "Datetime value out of range").
 */

/** A date-time as written: civil fields, and the UTC offset when one was given. */
export interface CivilDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  /** Offset from UTC in microseconds, east positive; null = naive (read as UTC). */
  offsetMicroseconds: number | null;
  /** Written without a time part (a date alone: midnight). */
  dateOnly?: boolean;
}

/** Well formatted, but not a valid date or time (Python's ValueError). */
export class DateValueError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Python 3.11 datetime.fromisoformat / date.fromisoformat (C implementation), over UTF-8 bytes.

/** Bytes of a string as CPython reads it: a NUL past the end, as in a C string. */
class CString {
  constructor(readonly bytes: Uint8Array) {}
  at(i: number): number {
    return i >= 0 && i < this.bytes.length ? this.bytes[i] : 0;
  }
  get length(): number {
    return this.bytes.length;
  }
}

const CH = (c: string) => c.charCodeAt(0);
const isDigitByte = (b: number) => b >= 0x30 && b <= 0x39;

/** parse_digits: `n` ASCII digits from `pos`; null when one is not a digit. */
function parseDigits(s: CString, pos: number, n: number): { value: number; pos: number } | null {
  let value = 0;
  for (let i = 0; i < n; i++) {
    const b = s.at(pos++);
    if (!isDigitByte(b)) return null;
    value = value * 10 + (b - 0x30);
  }
  return { value, pos };
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 0001-01-01 (proleptic Gregorian, day 1 = 0001-01-01), as Python's ordinal. */
function ordinal(year: number, month: number, day: number): number {
  const y = year - 1;
  let days = y * 365 + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400);
  for (let m = 1; m < month; m++) days += daysInMonth(year, m);
  return days + day;
}

function fromOrdinal(n: number): [number, number, number] {
  const d = new Date((n - ordinal(1970, 1, 1)) * 86_400_000);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

/** iso_to_ymd: ISO year, week and weekday → civil date; a ValueError code (< 0) when out of range. */
function isoWeekToDate(year: number, week: number, day: number): [number, number, number] | number {
  if (year < 1 || year > 9999) return -2;
  if (week <= 0 || week >= 53) {
    let outOfRange = true;
    if (week === 53) {
      const firstWeekday = ordinal(year, 1, 1) % 7; // 0 = Sunday … 4 = Thursday
      if (firstWeekday === 4 || (firstWeekday === 3 && isLeap(year))) outOfRange = false;
    }
    if (outOfRange) return -2;
  }
  if (day <= 0 || day >= 8) return -3;
  const jan4 = ordinal(year, 1, 4);
  const week1Monday = jan4 - ((jan4 + 6) % 7);
  return fromOrdinal(week1Monday + (week - 1) * 7 + (day - 1));
}

type DateFields = [number, number, number];

/** parse_isoformat_date: YYYY-MM-DD, YYYYMMDD, YYYY-Www[-d], YYYYWww[d]; a code < 0 when malformed. */
function parseIsoDate(s: CString, len: number): DateFields | number {
  const y = parseDigits(s, 0, 4);
  if (!y) return -1;
  let p = y.pos;
  const usesSeparator = s.at(p) === CH("-");
  if (usesSeparator) p++;
  if (s.at(p) === CH("W")) {
    p++;
    const w = parseDigits(s, p, 2);
    if (!w) return -3;
    p = w.pos;
    let isoDay = 1;
    // `len` is a size_t in C: a negative separator position compares as a huge number.
    if (len < 0 || p < len) {
      if (usesSeparator && s.at(p++) !== CH("-")) return -2;
      const d = parseDigits(s, p, 1);
      if (!d) return -4;
      isoDay = d.value;
    }
    const r = isoWeekToDate(y.value, w.value, isoDay);
    return typeof r === "number" ? -3 + r : r;
  }
  const m = parseDigits(s, p, 2);
  if (!m) return -1;
  p = m.pos;
  if (usesSeparator && s.at(p++) !== CH("-")) return -2;
  const d = parseDigits(s, p, 2);
  if (!d) return -1;
  return [y.value, m.value, d.value];
}

/** parse_hh_mm_ss_ff over [start, end): 0 = done, 1 = more follows, < 0 = malformed. */
function parseHhMmSsFf(s: CString, start: number, end: number): { rv: number; hms: number[]; us: number } {
  const hms = [0, 0, 0];
  let p = start;
  let hasSeparator = true;
  let i = 0;
  for (; i < 3; i++) {
    const v = parseDigits(s, p, 2);
    if (!v) return { rv: -3, hms, us: 0 };
    hms[i] = v.value;
    p = v.pos;
    const c = s.at(p++);
    if (i === 0) hasSeparator = c === CH(":");
    if (p >= end) return { rv: c !== 0 ? 1 : 0, hms, us: 0 };
    if (hasSeparator && c === CH(":")) continue;
    if (c === CH(".") || c === CH(",")) break;
    if (!hasSeparator) p--;
    else return { rv: -4, hms, us: 0 };
  }
  const remains = end - p;
  const toParse = remains >= 6 ? 6 : remains;
  const f = parseDigits(s, p, toParse);
  if (!f || toParse === 0) return { rv: -3, hms, us: 0 };
  let us = f.value;
  if (toParse < 6) us *= 10 ** (6 - toParse);
  p = f.pos;
  while (isDigitByte(s.at(p))) p++;
  return { rv: s.at(p) !== 0 ? 1 : 0, hms, us };
}

interface IsoTime {
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  offsetMicroseconds: number | null;
}

/** parse_isoformat_time: the time and its offset from `start`; a code < 0 when malformed. */
function parseIsoTime(s: CString, start: number, len: number): IsoTime | number {
  const end = start + len;
  let tz = start;
  do {
    const c = s.at(tz);
    if (c === CH("Z") || c === CH("+") || c === CH("-")) break;
  } while (++tz < end);
  const t = parseHhMmSsFf(s, start, tz);
  if (t.rv < 0) return t.rv;
  const time = { hour: t.hms[0], minute: t.hms[1], second: t.hms[2], microsecond: t.us };
  if (tz === end) return t.rv === 1 ? -5 : { ...time, offsetMicroseconds: null };
  if (s.at(tz) === CH("Z")) return s.at(tz + 1) !== 0 ? -5 : { ...time, offsetMicroseconds: 0 };
  const sign = s.at(tz) === CH("-") ? -1 : 1;
  const o = parseHhMmSsFf(s, tz + 1, end);
  if (o.rv !== 0) return -5;
  const seconds = o.hms[0] * 3600 + o.hms[1] * 60 + o.hms[2];
  // tzinfo_from_isoformat_results: whole seconds of 0 are UTC, whatever the fraction says.
  return { ...time, offsetMicroseconds: seconds === 0 ? 0 : sign * (seconds * 1_000_000 + o.us) };
}

/** _find_isoformat_datetime_separator: where the date ends (7, 8 or 10; -1 when impossible). */
function separatorPosition(s: CString): number {
  const len = s.length;
  if (len === 7) return 7;
  if (s.at(4) === CH("-")) {
    if (s.at(5) !== CH("W")) return 10;
    if (len < 8) return -1;
    if (len > 8 && s.at(8) === CH("-")) {
      if (len === 9) return -1;
      if (len > 10 && isDigitByte(s.at(10))) return 8;
      return 10;
    }
    return 8;
  }
  if (s.at(4) === CH("W")) {
    let idx = 7;
    for (; idx < len; idx++) if (!isDigitByte(s.at(idx))) break;
    if (idx < 9) return idx;
    return idx % 2 === 0 ? 7 : 8;
  }
  return 8;
}

const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

/**
 * The UTF-8 bytes CPython parses: a surrogate at position 7, 8 or 10 (the separator) becomes "T"
 * (_sanitize_isoformat_str); null when fewer than 7 characters or a surrogate remains (not encodable).
 */
function sanitizedBytes(text: string, checkSeparators: boolean): CString | null {
  const cps = Array.from(text, (c) => c.codePointAt(0)!);
  if (checkSeparators) {
    if (cps.length < 7) return null;
    for (const pos of [7, 8, 10]) {
      if (pos > cps.length) break;
      if (pos < cps.length && isSurrogate(cps[pos])) {
        cps[pos] = CH("T");
        break;
      }
    }
  }
  if (cps.some(isSurrogate)) return null;
  return new CString(new TextEncoder().encode(String.fromCodePoint(...cps)));
}

/** The range checks of Python's datetime constructor (ValueError). */
function checkFields(v: CivilDateTime): CivilDateTime {
  if (v.year < 1 || v.year > 9999) throw new DateValueError(`year ${v.year} is out of range`);
  if (v.month < 1 || v.month > 12) throw new DateValueError("month must be in 1..12");
  if (v.day < 1 || v.day > daysInMonth(v.year, v.month))
    throw new DateValueError("day is out of range for month");
  if (v.hour > 23) throw new DateValueError("hour must be in 0..23");
  if (v.minute > 59) throw new DateValueError("minute must be in 0..59");
  if (v.second > 59) throw new DateValueError("second must be in 0..59");
  if (v.microsecond > 999_999) throw new DateValueError("microsecond must be in 0..999999");
  if (v.offsetMicroseconds !== null && Math.abs(v.offsetMicroseconds) >= 86_400_000_000)
    throw new DateValueError("offset must be strictly between -24 and 24 hours");
  return v;
}

/** Python 3.11 `datetime.fromisoformat`: fields, or null for a malformed string (ValueError there too). */
export function fromIsoFormatDateTime(text: string): CivilDateTime | null {
  const s = sanitizedBytes(text, true);
  if (!s) return null;
  const sep = separatorPosition(s);
  const date = parseIsoDate(s, sep);
  if (typeof date === "number") return null;
  let time: IsoTime = { hour: 0, minute: 0, second: 0, microsecond: 0, offsetMicroseconds: null };
  if (s.length > sep) {
    // The separator may be any character: skip its UTF-8 bytes.
    const lead = s.at(sep);
    const width = (lead & 0x80) === 0 ? 1 : (lead & 0xf0) === 0xe0 ? 3 : (lead & 0xf0) === 0xf0 ? 4 : 2;
    const start = sep + width;
    const t = parseIsoTime(s, start, s.length - start);
    if (typeof t === "number") return null;
    time = t;
  }
  const [year, month, day] = date;
  return checkFields({ year, month, day, ...time, dateOnly: s.length <= sep });
}

/** Python 3.11 `date.fromisoformat`: [year, month, day], or null for a malformed string. */
export function fromIsoFormatDate(text: string): DateFields | null {
  const s = sanitizedBytes(text, false);
  if (!s || ![7, 8, 10].includes(s.length)) return null;
  const date = parseIsoDate(s, s.length);
  if (typeof date === "number") return null;
  checkFields(civilDate(date));
  return date;
}

// ---------------------------------------------------------------------------------------------------
// Django's regular expressions, with Python's `\d` (Unicode decimal digits, Unicode 14 as in Python
// 3.11), `\s` (str.isspace) and `$` (the end, or before a final newline).

/** The zero of every run of ten decimal digits in Unicode 14 (Python 3.11's unicodedata). */
const DIGIT_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50,
  0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40,
  0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0,
  0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50,
  0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950,
  0x1fbf0,
];
const hex = (cp: number) => `\\u{${cp.toString(16)}}`;
const D = `[${DIGIT_ZEROS.map((z) => `${hex(z)}-${hex(z + 9)}`).join("")}]`;
const S = "[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const END = "\\n?$";

const DATE_RE = new RegExp(`^(${D}{4})-(${D}{1,2})-(${D}{1,2})${END}`, "u");
const DATETIME_RE = new RegExp(
  `^(${D}{4})-(${D}{1,2})-(${D}{1,2})[T ](${D}{1,2}):(${D}{1,2})` +
    `(?::(${D}{1,2})(?:[.,](${D}{1,6})${D}{0,6})?)?${S}*(Z|[+-]${D}{2}(?::?${D}{2})?)?${END}`,
  "u",
);

/** Python's int() of a string of Unicode decimal digits. */
function pyInt(digits: string): number {
  let n = 0;
  for (const ch of digits) {
    const cp = ch.codePointAt(0)!;
    const zero = DIGIT_ZEROS.find((z) => cp >= z && cp <= z + 9)!;
    n = n * 10 + (cp - zero);
  }
  return n;
}

function civilDate([year, month, day]: DateFields): CivilDateTime {
  return {
    year,
    month,
    day,
    hour: 0,
    minute: 0,
    second: 0,
    microsecond: 0,
    offsetMicroseconds: null,
    dateOnly: true,
  };
}

/**
 * Django `parse_date`: date.fromisoformat, else `YYYY-M-D`. Null when not well formatted; throws
 * DateValueError for an impossible date.
 */
export function parseDate(text: string): CivilDateTime | null {
  let iso: DateFields | null;
  try {
    iso = fromIsoFormatDate(text);
  } catch {
    iso = null; // a ValueError of fromisoformat: Django tries its regular expression next
  }
  if (iso) return civilDate(iso);
  const m = DATE_RE.exec(text);
  if (!m) return null;
  return checkFields(civilDate([pyInt(m[1]), pyInt(m[2]), pyInt(m[3])]));
}

/**
 * Django `parse_datetime`: datetime.fromisoformat, else Django's pattern (one-digit fields, a space
 * before the offset). Null when not well formatted; throws DateValueError for an impossible value.
 */
export function parseDatetime(text: string): CivilDateTime | null {
  try {
    const iso = fromIsoFormatDateTime(text);
    if (iso) return iso;
  } catch {
    // a ValueError of fromisoformat: Django tries its regular expression next
  }
  const m = DATETIME_RE.exec(text);
  if (!m) return null;
  const tz = m[8];
  let offsetMicroseconds: number | null = null;
  if (tz === "Z") offsetMicroseconds = 0;
  else if (tz !== undefined) {
    const chars = Array.from(tz);
    const minutes = chars.length > 3 ? pyInt(chars.slice(-2).join("")) : 0;
    const offset = 60 * pyInt(chars.slice(1, 3).join("")) + minutes;
    offsetMicroseconds = (chars[0] === "-" ? -offset : offset) * 60_000_000;
  }
  return checkFields({
    year: pyInt(m[1]),
    month: pyInt(m[2]),
    day: pyInt(m[3]),
    hour: pyInt(m[4]),
    minute: pyInt(m[5]),
    second: m[6] === undefined ? 0 : pyInt(m[6]),
    microsecond: m[7] === undefined ? 0 : pyInt(m[7].padEnd(6, "0")),
    offsetMicroseconds,
  });
}

// ---------------------------------------------------------------------------------------------------
// Instants, and the three kinds of field.

const MIN_UTC_SECONDS = -62_135_596_800; // 0001-01-01T00:00:00Z, seconds since 1970
const MAX_UTC_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z

/** A valid date-time read as an instant (naive = UTC). */
export interface Instant {
  /** Whole seconds since 1970-01-01T00:00Z (UTC). */
  epochSeconds: number;
  /** Microseconds within that second, 0–999,999. */
  microsecond: number;
  /** The value had no time part (a date alone, read as midnight). */
  dateOnly: boolean;
}

function toInstant(v: CivilDateTime): Instant | null {
  const days = ordinal(v.year, v.month, v.day) - ordinal(1970, 1, 1);
  const offset = v.offsetMicroseconds ?? 0;
  // Offsets are below a day: split them into whole seconds and a fraction (floor, so 0 ≤ fraction).
  const offsetSeconds = Math.floor(offset / 1_000_000);
  let microsecond = v.microsecond - (offset - offsetSeconds * 1_000_000);
  let epochSeconds = ((days * 24 + v.hour) * 60 + v.minute) * 60 + v.second - offsetSeconds;
  if (microsecond < 0) {
    microsecond += 1_000_000;
    epochSeconds -= 1;
  }
  if (epochSeconds < MIN_UTC_SECONDS || epochSeconds > MAX_UTC_SECONDS) return null;
  return { epochSeconds, microsecond, dateOnly: v.dateOnly === true };
}

export type DateParse = { ok: true; instant: Instant } | { ok: false };

function attempt(read: () => Instant | null): DateParse {
  try {
    const instant = read();
    return instant ? { ok: true, instant } : { ok: false };
  } catch (err) {
    if (err instanceof DateValueError) return { ok: false };
    throw err;
  }
}

/** A serializer DateTimeField (DRF, ISO_8601): parse_datetime; a date alone is midnight. */
export function parseApiDateTime(text: string): DateParse {
  return attempt(() => {
    const v = parseDatetime(text);
    return v && toInstant(v);
  });
}

/** A filter on a DateTimeField (Django's DateTimeField.to_python): parse_datetime, else parse_date. */
export function parseFilterDateTime(text: string): DateParse {
  return attempt(() => {
    const v = parseDatetime(text);
    if (v) return toInstant(v);
    const d = parseDate(text);
    return d && toInstant(d);
  });
}

/** A DateField value (Django's DateField.to_python): parse_date. */
export function parseApiDate(text: string): DateParse {
  return attempt(() => {
    const d = parseDate(text);
    return d && toInstant(d);
  });
}

/** The instant as a JavaScript Date (milliseconds: the microseconds are truncated). */
export function instantToDate(i: Instant): Date {
  return new Date(i.epochSeconds * 1000 + Math.floor(i.microsecond / 1000));
}

/** The instant as PostgreSQL timestamptz text with every microsecond (`2023-09-28T10:00:00.123456+00:00`). */
export function instantToTimestamptz(i: Instant): string {
  const base = new Date(i.epochSeconds * 1000).toISOString(); // yyyy-mm-ddThh:mm:ss.000Z for years 1–9999
  return `${base.slice(0, 19)}.${String(i.microsecond).padStart(6, "0")}+00:00`;
}

/** MJD (UTC days) of the instant. */
export function instantToMjd(i: Instant): number {
  return (i.epochSeconds + i.microsecond / 1e6) / 86_400 + 40_587;
}

/**
 * The request-schema formats of the three kinds of field, checked by the same parsers (registered with
 * the request validator in src/http/app.ts; a failure is DRF's message, src/http/errors.ts).
 */
export const DATE_FORMATS = {
  /** A serializer DateTimeField: {@link parseApiDateTime}. */
  "django-datetime": (text: string) => parseApiDateTime(text).ok,
  /** A filter on a DateTimeField: {@link parseFilterDateTime}; blank = no filter. */
  "django-datetime-filter": (text: string) => text.trim() === "" || parseFilterDateTime(text).ok,
  /** A DateField filter: {@link parseApiDate}; blank = no filter. */
  "django-date-filter": (text: string) => text.trim() === "" || parseApiDate(text).ok,
} as const;
