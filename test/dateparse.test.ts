/**
 * src/domain/dateparse.ts reads dates as BHTOM2 does (Django's parse_datetime / parse_date on Python
 * 3.11). Checked three ways: Django's own test cases (tests/utils_tests/test_dateparse.py), a table of
 * Python 3.11's answers on 1,238 date-like strings (test/fixtures/dateparse/python311.json), and, when
 * a Python 3.11 is on the machine, property runs that ask it about fresh fast-check samples.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DateValueError,
  instantToDate,
  instantToMjd,
  instantToTimestamptz,
  parseApiDate,
  parseApiDateTime,
  parseDate,
  parseDatetime,
  parseFilterDateTime,
  type CivilDateTime,
} from "../src/domain/dateparse.ts";
import { dateLike } from "./helpers/datestrings.ts";

type Answer = (number | null)[] | null | "ValueError";

function answer(parse: (s: string) => CivilDateTime | null, text: string): Answer {
  try {
    const v = parse(text);
    return v === null
      ? null
      : [v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, v.offsetMicroseconds];
  } catch (err) {
    if (err instanceof DateValueError) return "ValueError";
    throw err;
  }
}

const H = 3_600_000_000; // µs per hour
const M = 60_000_000; // µs per minute

describe("Django's own cases (tests/utils_tests/test_dateparse.py, Python 3.11 branch)", () => {
  it("parse_date: valid, not well formatted (null), impossible (ValueError)", () => {
    expect(answer(parseDate, "2012-04-23")).toEqual([2012, 4, 23, 0, 0, 0, 0, null]);
    expect(answer(parseDate, "2012-4-9")).toEqual([2012, 4, 9, 0, 0, 0, 0, null]);
    expect(answer(parseDate, "20120423")).toEqual([2012, 4, 23, 0, 0, 0, 0, null]);
    expect(answer(parseDate, "2012423")).toBeNull();
    expect(answer(parseDate, "2012-04-56")).toBe("ValueError");
  });

  it("parse_datetime: every valid input of the test, with its offset", () => {
    const cases: [string, Answer][] = [
      ["2012-04-23", [2012, 4, 23, 0, 0, 0, 0, null]],
      ["2012-04-23T09:15:00", [2012, 4, 23, 9, 15, 0, 0, null]],
      ["2012-4-9 4:8:16", [2012, 4, 9, 4, 8, 16, 0, null]],
      ["2012-04-23T09:15:00Z", [2012, 4, 23, 9, 15, 0, 0, 0]],
      ["2012-4-9 4:8:16-0320", [2012, 4, 9, 4, 8, 16, 0, -(3 * H + 20 * M)]],
      ["2012-04-23T10:20:30.400+02:30", [2012, 4, 23, 10, 20, 30, 400_000, 2 * H + 30 * M]],
      ["2012-04-23T10:20:30.400+02", [2012, 4, 23, 10, 20, 30, 400_000, 2 * H]],
      ["2012-04-23T10:20:30.400-02", [2012, 4, 23, 10, 20, 30, 400_000, -2 * H]],
      ["2012-04-23T10:20:30,400-02", [2012, 4, 23, 10, 20, 30, 400_000, -2 * H]],
      ["2012-04-23T10:20:30.400 +0230", [2012, 4, 23, 10, 20, 30, 400_000, 2 * H + 30 * M]],
      ["2012-04-23T10:20:30,400 +00", [2012, 4, 23, 10, 20, 30, 400_000, 0]],
      ["2012-04-23T10:20:30   -02", [2012, 4, 23, 10, 20, 30, 0, -2 * H]],
    ];
    for (const [text, expected] of cases) expect(answer(parseDatetime, text), text).toEqual(expected);
    expect(answer(parseDatetime, "20120423091500")).toBeNull();
    expect(answer(parseDatetime, "2012-04-56T09:15:90")).toBe("ValueError");
  });
});

describe("the issue's examples and BHTOM's own defaults", () => {
  it("accepts a one-digit hour (create_target.py's default), minutes only, a space, µs with an offset, a date", () => {
    expect(answer(parseDatetime, "2023-01-01T0:00:01Z")).toEqual([2023, 1, 1, 0, 0, 1, 0, 0]);
    expect(answer(parseDatetime, "2023-09-28T10:00")).toEqual([2023, 9, 28, 10, 0, 0, 0, null]);
    expect(answer(parseDatetime, "2023-09-28 10:00")).toEqual([2023, 9, 28, 10, 0, 0, 0, null]);
    expect(answer(parseDatetime, "2023-09-28T10:00:00.123456+02:00")).toEqual([
      2023,
      9,
      28,
      10,
      0,
      0,
      123_456,
      2 * H,
    ]);
    expect(answer(parseDatetime, "2023-09-28")).toEqual([2023, 9, 28, 0, 0, 0, 0, null]);
  });

  it("refuses impossible dates in every kind of field", () => {
    for (const text of ["2023-02-30", "2023-02-29", "2023-02-30T10:00", "2023-13-01", "2023-04-31 00:00"]) {
      expect(parseApiDateTime(text).ok, text).toBe(false);
      expect(parseFilterDateTime(text).ok, text).toBe(false);
      expect(parseApiDate(text).ok, text).toBe(false);
    }
    expect(parseApiDate("2024-02-29").ok).toBe(true);
  });

  it("reads naive values as UTC and keeps every microsecond", () => {
    const r = parseApiDateTime("2023-09-28T10:00:00.123456+02:00");
    expect(r.ok && instantToTimestamptz(r.instant)).toBe("2023-09-28T08:00:00.123456+00:00");
    const naive = parseApiDateTime("2023-09-28 10:00");
    expect(naive.ok && instantToDate(naive.instant).toISOString()).toBe("2023-09-28T10:00:00.000Z");
    const mjd = parseApiDateTime("1858-11-17T00:00:00Z");
    expect(mjd.ok && instantToMjd(mjd.instant)).toBe(0);
  });

  it("a filter takes what parse_date adds (one-digit month and day), a serializer field does not", () => {
    expect(parseFilterDateTime("2023-1-5").ok).toBe(true);
    expect(parseApiDateTime("2023-1-5").ok).toBe(false);
    const d = parseFilterDateTime("2023-1-5");
    expect(d.ok && d.instant.dateOnly).toBe(true);
    // A date alone is marked as such whichever parser read it (whole-day upper bounds need it).
    const viaDatetime = parseFilterDateTime("2023-09-28");
    expect(viaDatetime.ok && viaDatetime.instant.dateOnly).toBe(true);
    const midnight = parseFilterDateTime("2023-09-28T00:00");
    expect(midnight.ok && midnight.instant.dateOnly).toBe(false);
  });

  it("refuses an instant outside years 1–9999 in UTC (DRF: Datetime value out of range)", () => {
    expect(parseApiDateTime("0001-01-01T00:00:00+01:00").ok).toBe(false);
    expect(parseApiDateTime("9999-12-31T23:59:59-01:00").ok).toBe(false);
    expect(parseApiDateTime("0001-01-01T00:00:00Z").ok).toBe(true);
  });
});

interface Fixture {
  about: string;
  cases: [string, Answer, Answer][];
}
const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/dateparse/python311.json", import.meta.url), "utf8"),
) as Fixture;

describe("Python 3.11's answers, stored (test/fixtures/dateparse/python311.json)", () => {
  it("agrees on every stored case: value, null or ValueError", () => {
    expect(fixture.cases.length).toBeGreaterThan(1000);
    const wrong = fixture.cases.filter(
      ([text, dt, d]) =>
        JSON.stringify([answer(parseDatetime, text), answer(parseDate, text)]) !== JSON.stringify([dt, d]),
    );
    expect(wrong).toEqual([]);
    // The table covers each kind of answer.
    const kinds = new Set(fixture.cases.map(([, dt]) => (Array.isArray(dt) ? "value" : String(dt))));
    expect([...kinds].sort()).toEqual(["ValueError", "null", "value"]);
  });
});

/** Python 3.11 on this machine, if any (BHTOM2 runs on it; CI has it). */
function python311(): string | null {
  for (const exe of ["python3.11", "python3"]) {
    const r = spawnSync(exe, ["-c", "import sys; print(sys.version_info[:2] == (3, 11))"], {
      encoding: "utf8",
    });
    if (r.status === 0 && r.stdout.trim() === "True") return exe;
  }
  return null;
}
const python = python311();

function askPython(texts: string[]): { datetime: Answer; date: Answer }[] {
  const r = spawnSync(python!, [new URL("./helpers/django_dateparse.py", import.meta.url).pathname], {
    input: JSON.stringify(texts),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { datetime: Answer; date: Answer }[];
}

describe.skipIf(!python)("against Python 3.11 on this machine (differential, fast-check)", () => {
  it("agrees on 20,000 fresh date-like strings", () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261207);
    const texts = [...new Set(fc.sample(dateLike, { numRuns: 20_000, seed }))];
    const py = askPython(texts);
    const wrong = texts
      .map((text, i) => ({ text, ours: [answer(parseDatetime, text), answer(parseDate, text)], py: py[i] }))
      .filter((c) => JSON.stringify(c.ours) !== JSON.stringify([c.py.datetime, c.py.date]));
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it("agrees on valid date-times written in every layout Django or fromisoformat takes", () => {
    const layouts = fc.record({
      date: fc.date({
        min: new Date("0001-01-01T00:00:00Z"),
        max: new Date("9999-12-31T23:59:59Z"),
        noInvalidDate: true,
      }),
      micro: fc.integer({ min: 0, max: 999_999 }),
      sep: fc.constantFrom("T", " "),
      short: fc.boolean(),
      seconds: fc.constantFrom("none", "plain", "fraction"),
      digits: fc.integer({ min: 1, max: 9 }),
      zone: fc.constantFrom("", "Z", "+02", "-0330", "+05:45", " +01:00", "-23:59"),
    });
    const texts = fc.sample(layouts, { numRuns: 3000, seed: 7 }).map((l) => {
      const iso = l.date.toISOString();
      const [y, mo, d, h, mi, s] = [
        iso.slice(0, 4),
        iso.slice(5, 7),
        iso.slice(8, 10),
        iso.slice(11, 13),
        iso.slice(14, 16),
        iso.slice(17, 19),
      ];
      const trim = (x: string) => (l.short ? String(Number(x)) : x);
      const frac = String(l.micro).padStart(6, "0").padEnd(9, "7").slice(0, l.digits);
      const sec = l.seconds === "none" ? "" : l.seconds === "plain" ? `:${s}` : `:${s}.${frac}`;
      return `${y}-${trim(mo)}-${trim(d)}${l.sep}${trim(h)}:${mi}${sec}${l.zone}`;
    });
    const py = askPython(texts);
    const wrong = texts.filter(
      (text, i) => JSON.stringify(answer(parseDatetime, text)) !== JSON.stringify(py[i].datetime),
    );
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(py.filter((p) => Array.isArray(p.datetime)).length).toBeGreaterThan(2500);
  });
});

describe("properties that need no Python", () => {
  it("a valid date-time written out parses back to the same instant", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("0001-01-02T00:00:00Z"),
          max: new Date("9999-12-30T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom("Z", "+00:00", "", "+00"),
        (date, extraMicro, zone) => {
          const iso = date.toISOString().slice(0, 23);
          const text = `${iso}${String(extraMicro).padStart(3, "0")}${zone}`;
          const r = parseApiDateTime(text);
          expect(r.ok).toBe(true);
          if (r.ok) {
            expect(r.instant.epochSeconds * 1000 + Math.floor(r.instant.microsecond / 1000)).toBe(
              date.getTime(),
            );
            expect(r.instant.microsecond % 1000).toBe(extraMicro);
          }
        },
      ),
      { seed: 11, numRuns: 2000 },
    );
  });

  it("a day past the end of its month is refused by every field kind", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
        const last = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // month length in a leap year
        const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
        const length = month === 2 && !leap ? 28 : last;
        const text = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${length + 1}`;
        expect(parseFilterDateTime(text).ok).toBe(false);
        expect(parseApiDateTime(`${text}T12:00`).ok).toBe(false);
        expect(parseApiDate(text).ok).toBe(false);
      }),
      { seed: 12, numRuns: 1000 },
    );
  });
});
