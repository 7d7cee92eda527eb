/**
 * How request values are read, one rule each, for every domain (and the web forms and the CLI):
 * boolean words, integers, "contains" patterns for LIKE/ILIKE, and date-time bounds of list filters.
 * Dates themselves are read by dateparse.ts (Django's parser).
 */
import { Type } from "@sinclair/typebox";
import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { instantToTimestamptz, parseApiDate, parseFilterDateTime, type Instant } from "./dateparse.ts";
import { ValidationError } from "./errors.ts";

/**
 * DRF's BooleanField words, any case: true/t/yes/y/on/1 and false/f/no/n/off/0 (Python's `True` and
 * `False` included). Undefined for anything else.
 */
export function booleanWord(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== "string") return undefined;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}
const TRUE_WORDS = new Set(["true", "t", "yes", "y", "on", "1"]);
const FALSE_WORDS = new Set(["false", "f", "no", "n", "off", "0"]);

const INTEGER = /^\s*[+-]?\d+\s*$/;

/**
 * Python's int() of a JSON value as DRF's IntegerField and Django's Paginator read it: an integer, an
 * integral float (2.0), or a string of digits with an optional sign and surrounding spaces. Undefined
 * otherwise (1.5, "1.5", "12abc", "1e3", true). Huge values come back as the nearest double.
 */
export function integerValue(value: unknown): number | undefined {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && INTEGER.test(value)) n = Number(value);
  else return undefined;
  return Number.isInteger(n) ? n : undefined;
}

/** An integer field, or a 400 naming it. */
export function requireInteger(value: unknown, field: string): number {
  const n = integerValue(value);
  if (n === undefined) throw ValidationError.field(field, "A valid integer is required.");
  return n;
}

/** A LIKE/ILIKE pattern matching `text` anywhere, with `\`, `%` and `_` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** DRF's message for a date-time that does not parse (any date-time field or filter). */
export const DATETIME_MESSAGE =
  "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].";
/** DRF's message for a date that does not parse. */
export const DATE_MESSAGE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.";

/**
 * Request-schema pieces of the date fields (the formats are dateparse.ts's DATE_FORMATS): a date-time
 * filter and a date filter take a string, null or "" (no filter).
 */
export const DateTimeFilterSchema = (description: string) =>
  Type.Unsafe<string | null>({
    type: ["string", "null"],
    maxLength: 64,
    format: "django-datetime-filter",
    description:
      `${description}. A date-time as Django reads it (2023-09-28T10:00:00Z, 2023-09-28 10:00, one-digit ` +
      'hours, +02:00 offsets, fractions to µs; no offset = UTC) or a date (midnight UTC); null or "" = no filter',
  });
export const DateFilterSchema = (description: string) =>
  Type.Unsafe<string | null>({
    type: ["string", "null"],
    maxLength: 64,
    format: "django-date-filter",
    description: `${description}. YYYY-MM-DD (also YYYY-M-D, YYYYMMDD); null or "" = no filter`,
  });

/**
 * A page number in a request body. Any JSON value, on purpose: Django's Paginator takes anything and
 * reads it with Python's int() (src/http/pagination.ts, one place): not an integer → page 1 on clamping
 * lists, a 400 on strict ones. A schema with types would let the validator coerce [1] into 1.
 */
export const PageField = (strict = false) =>
  Type.Optional(
    Type.Unknown({
      description: strict
        ? "Page number, 1-based (strict: not an integer, or out of range, is a 400)"
        : "Page number, 1-based (not an integer: page 1; 0, negative or past the end: the last page)",
    }),
  );

/** An id or other integer given as a number or a string of digits; null or "" = not given. */
export const IntegerLike = (description: string) =>
  Type.Unsafe<number | string | null>({
    type: ["integer", "string", "null"],
    maxLength: 20,
    pattern: "^\\s*([+-]?\\d+)?\\s*$",
    errorMessage: "A valid integer is required.",
    description,
  });

/** A number given as a JSON number or a numeric string (Python float() syntax); null or "" = not given. */
export const NumberLike = (description: string) =>
  Type.Unsafe<number | string | null>({
    type: ["number", "string", "null"],
    maxLength: 64,
    pattern: "^\\s*([+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?)?\\s*$",
    errorMessage: "A valid number is required.",
    description,
  });

/** A list filter's value given at all: null, "" and absent mean "no filter" (as BHTOM2). */
const given = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";

/** A date-time filter value as Django reads it (parse_datetime, else parse_date), or a 400 naming it. */
export function filterInstant(value: string | null | undefined, field: string): Instant | undefined {
  if (!given(value)) return undefined;
  const r = parseFilterDateTime(value);
  if (!r.ok) throw ValidationError.field(field, DATETIME_MESSAGE);
  return r.instant;
}

/** A date filter value (Django's parse_date), or a 400 naming it. */
export function filterDate(value: string | null | undefined, field: string): Instant | undefined {
  if (!given(value)) return undefined;
  const r = parseApiDate(value);
  if (!r.ok) throw ValidationError.field(field, DATE_MESSAGE);
  return r.instant;
}

export interface DateRangeFields {
  /** Request field of the lower bound (`created_start`, `created_from`). */
  start: string;
  /** Request field of the upper bound (`created_end`, `created_to`). */
  end: string;
}

/** The two ends of a date-time range filter; absent ends are undefined. */
export interface DateRange {
  start?: Instant;
  end?: Instant;
}

/** Read both ends of a range filter; a 400 names every invalid one at once. */
export function readDateRange(
  values: { start?: string | null; end?: string | null },
  fields: DateRangeFields,
): DateRange {
  const errors: Record<string, string[]> = {};
  const read = (v: string | null | undefined, f: string) => {
    try {
      return filterInstant(v, f);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      Object.assign(errors, err.fields);
      return undefined;
    }
  };
  const range = { start: read(values.start, fields.start), end: read(values.end, fields.end) };
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return range;
}

/**
 * The conditions `start ≤ column ≤ end`, to the microsecond; both ends inclusive. A date alone is its
 * midnight (UTC), as Django compares it; with `wholeDays`, a date alone as the upper bound covers that
 * whole day instead (`column < next midnight`).
 */
export function dateRangeSql(
  column: AnyPgColumn,
  range: DateRange,
  opts: { wholeDays?: boolean } = {},
): SQL[] {
  const out: SQL[] = [];
  const { start, end } = range;
  if (start) out.push(sql`${column} >= ${instantToTimestamptz(start)}::timestamptz`);
  if (end && opts.wholeDays && end.dateOnly) {
    const next = { ...end, epochSeconds: end.epochSeconds + 86_400 };
    out.push(sql`${column} < ${instantToTimestamptz(next)}::timestamptz`);
  } else if (end) out.push(sql`${column} <= ${instantToTimestamptz(end)}::timestamptz`);
  return out;
}

/** {@link readDateRange} then {@link dateRangeSql}. */
export function dateRangeConditions(
  column: AnyPgColumn,
  values: { start?: string | null; end?: string | null },
  fields: DateRangeFields,
  opts: { wholeDays?: boolean } = {},
): SQL[] {
  return dateRangeSql(column, readDateRange(values, fields), opts);
}
