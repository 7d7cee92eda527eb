/**
 * Time scales used by skytom: Julian Date (JD), Modified Julian Date (MJD), JS `Date` and ISO 8601 text.
 *
 * Definitions (MJD recognised by the IAU in 1973; Explanatory Supplement to the Astronomical Almanac):
 *   MJD = JD − 2 400 000.5                (MJD 0 = 1858-11-17T00:00 UTC)
 *   MJD = unixMs / 86 400 000 + 40 587    (MJD 40587 = 1970-01-01T00:00 UTC)
 *
 * All values here are on the UTC time scale, as FITS `DATE-OBS` and the BHTOM API use. UTC vs TT/TDB
 * (≈ 69 s in 2024) only matters for barycentric corrections (BJD/HJD), which are not done here.
 * Unix time has no leap seconds, so a day is always 86 400 s; `23:59:60` is rejected.
 * JS `Date` keeps milliseconds (1 ms = 1.16e-8 d). A double MJD near 60 000 resolves 7e-12 d (0.6 µs), so
 * sub-millisecond digits of an ISO string survive {@link mjdFromIso} to about a microsecond.
 */

/** JD − MJD, days. */
export const MJD_OFFSET_DAYS = 2_400_000.5;
/** MJD of the Unix epoch 1970-01-01T00:00:00Z. */
export const MJD_UNIX_EPOCH = 40_587;
/** Milliseconds in a (UTC, leap-second-free) day. */
export const MS_PER_DAY = 86_400_000;

/** Modified Julian Date (days) from a Julian Date (days). */
export function mjdFromJd(jd: number): number {
  return jd - MJD_OFFSET_DAYS;
}

/** Julian Date (days) from a Modified Julian Date (days). */
export function jdFromMjd(mjd: number): number {
  return mjd + MJD_OFFSET_DAYS;
}

/** MJD (UTC days) of a JS `Date`; `NaN` for an invalid Date. Resolution 1 ms. */
export function mjdFromDate(date: Date): number {
  return date.getTime() / MS_PER_DAY + MJD_UNIX_EPOCH;
}

/** JS `Date` for an MJD (UTC days), rounded to the nearest millisecond (an invalid Date for non-finite input). */
export function dateFromMjd(mjd: number): Date {
  return new Date(Math.round((mjd - MJD_UNIX_EPOCH) * MS_PER_DAY));
}

/** Result of parsing text into an MJD: the value or a human-readable reason. */
export type MjdResult = { ok: true; mjd: number } | { ok: false; error: string };

/**
 * Days from 1970-01-01 to a proleptic Gregorian civil date (H. Hinnant, "chrono-compatible low-level
 * date algorithms", `days_from_civil`). Pure integer arithmetic, valid for any year; avoids `Date.UTC`,
 * which maps years 0–99 to 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// YYYY-MM-DD, optional [T or space]h[h]:mm[:ss[.frac]], optional Z or ±hh[:mm] (only after a time).
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * MJD (UTC days) from an ISO 8601 date or date-time string.
 *
 * Accepts `2023-09-28`, `2023-09-28T10:00:00Z`, `2023-09-28T10:00:00.123456+02:00`, `2023-09-28 10:00`
 * and a one-digit hour (`2023-01-01T0:00:01Z`), as the BHTOM API does (behaviour spec §1.7).
 * A string without a zone is UTC (unlike `Date.parse`, which takes a zone-less date-time as local time).
 * Fractional seconds are kept to the resolution of a double MJD (≈ 1 µs; `Date` would truncate to ms).
 */
export function mjdFromIso(text: string): MjdResult {
  const s = typeof text === "string" ? text.trim() : "";
  const m = ISO_RE.exec(s);
  if (m === null) {
    return {
      ok: false,
      error: `"${text}" is not an ISO 8601 date-time (YYYY-MM-DD[Thh:mm[:ss[.ffffff]]][Z|±hh:mm])`,
    };
  }
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`);
  if (month < 1 || month > 12) return { ok: false, error: `"${text}": month must be 01–12` };
  if (day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, error: `"${text}": day ${day} does not exist in ${m[1]}-${m[2]}` };
  }
  if (hour > 23) return { ok: false, error: `"${text}": hour must be 0–23` };
  if (minute > 59) return { ok: false, error: `"${text}": minutes must be 00–59` };
  if (second > 59)
    return { ok: false, error: `"${text}": seconds must be 00–59 (leap seconds are not supported)` };
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const zh = Number(zone.slice(1, 3));
    const zm = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (zh > 23 || zm > 59) return { ok: false, error: `"${text}": invalid UTC offset ${zone}` };
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (zh * 60 + zm);
  }
  const secondsOfDay = hour * 3600 + minute * 60 + second + fraction - offsetMinutes * 60;
  const mjd = daysFromCivil(year, month, day) + MJD_UNIX_EPOCH + secondsOfDay / 86_400;
  return { ok: true, mjd };
}

/** Lower edge of the window in which a number is read as a JD (JD 2 400 000 = MJD −0.5, 1858-11-16T12:00). */
export const JD_MIN = 2_400_000;
/** Upper edge of the JD window (JD 2 500 000 = MJD 99 999.5, year 2132). */
export const JD_MAX = 2_500_000;
/** Plausible MJD window for a light-curve point: [0, 100 000) = 1858-11-17 .. 2132-09-01. */
export const MJD_MIN = 0;
export const MJD_MAX = 100_000;
/** MJD of 1900-01-01T00:00Z; earlier dates are flagged `suspicious`. */
export const MJD_1900 = 15_020;

/** Result of {@link normaliseTimeToMjd}. */
export type NormalisedTime =
  | {
      ok: true;
      /** MJD in days. */
      mjd: number;
      /** What the input was read as. */
      scale: "JD" | "MJD";
      /**
       * Quality flag: the MJD precedes 1900-01-01. Real plates exist (e.g. DASCH from 1885) but such values
       * are more often a truncated JD (HJD − 2 450 000) or a typo; the caller decides what to do.
       */
      suspicious: boolean;
    }
  | { ok: false; error: string };

const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Read a time value from an uploaded light curve as MJD, detecting JD vs MJD.
 *
 * Rule: a value in [2 400 000, 2 500 000] days is a JD → MJD = value − 2 400 000.5; a value in
 * [0, 100 000) is already an MJD; anything else (negative, 100 000 .. 2 400 000, above 2 500 000,
 * non-finite, non-numeric text) is rejected with a message, never thrown.
 * Known ambiguity: a truncated JD such as JD − 2 450 000 (≈ 9 000–11 000) is indistinguishable from an
 * MJD of the 1880s; it is read as MJD and flagged `suspicious`.
 *
 * @param value number of days, or its decimal text (whitespace trimmed) from a CSV cell.
 */
export function normaliseTimeToMjd(value: number | string): NormalisedTime {
  let days: number;
  if (typeof value === "number") {
    days = value;
  } else if (typeof value === "string") {
    const s = value.trim();
    if (s === "") return { ok: false, error: "time is empty" };
    if (!DECIMAL_RE.test(s)) return { ok: false, error: `time "${value}" is not a decimal number of days` };
    days = Number(s);
  } else {
    return { ok: false, error: "time must be a number or a decimal string" };
  }
  if (!Number.isFinite(days)) return { ok: false, error: `time ${String(value)} is not a finite number` };
  if (days >= JD_MIN && days <= JD_MAX) {
    const mjd = mjdFromJd(days);
    return { ok: true, mjd, scale: "JD", suspicious: mjd < MJD_1900 };
  }
  if (days >= MJD_MIN && days < MJD_MAX) {
    return { ok: true, mjd: days, scale: "MJD", suspicious: days < MJD_1900 };
  }
  return {
    ok: false,
    error:
      `time ${String(value)} is neither a JD (${JD_MIN}–${JD_MAX}) nor an MJD (${MJD_MIN}–${MJD_MAX}); ` +
      "expected days as JD or MJD",
  };
}
