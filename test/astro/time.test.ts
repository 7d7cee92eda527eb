import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dateFromMjd,
  jdFromMjd,
  mjdFromDate,
  mjdFromIso,
  mjdFromJd,
  normaliseTimeToMjd,
} from "../../src/astro/time.ts";

const MS_1858 = Date.UTC(1858, 10, 17); // MJD 0
const MS_2132 = Date.UTC(2132, 8, 1); // MJD ≈ 100 000

function isoMjd(text: string): number {
  const r = mjdFromIso(text);
  if (!r.ok) throw new Error(r.error);
  return r.mjd;
}

describe("JD and MJD", () => {
  it("JD 2451545.0 (J2000.0) is MJD 51544.5, and back", () => {
    expect(mjdFromJd(2451545.0)).toBe(51544.5);
    expect(jdFromMjd(51544.5)).toBe(2451545.0);
  });

  it("MJD 0 is JD 2400000.5", () => {
    expect(jdFromMjd(0)).toBe(2400000.5);
  });

  it("JD → MJD → JD round trip over 1858–2132", () => {
    fc.assert(
      fc.property(fc.double({ min: 2_400_000, max: 2_500_000, noNaN: true }), (jd) => {
        expect(Math.abs(jdFromMjd(mjdFromJd(jd)) - jd)).toBeLessThan(1e-9);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });
});

describe("Date ↔ MJD", () => {
  it("2000-01-01T12:00Z is MJD 51544.5 and the Unix epoch is MJD 40587", () => {
    expect(mjdFromDate(new Date("2000-01-01T12:00:00Z"))).toBe(51544.5);
    expect(mjdFromDate(new Date(0))).toBe(40587);
  });

  it("dateFromMjd(51544.5) is 2000-01-01T12:00:00.000Z", () => {
    expect(dateFromMjd(51544.5).toISOString()).toBe("2000-01-01T12:00:00.000Z");
  });

  it("Date → MJD → Date is exact to the millisecond over 1858–2132", () => {
    fc.assert(
      fc.property(fc.integer({ min: MS_1858, max: MS_2132 }), (ms) => {
        expect(dateFromMjd(mjdFromDate(new Date(ms))).getTime()).toBe(ms);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it("an invalid Date gives NaN", () => {
    expect(mjdFromDate(new Date("nonsense"))).toBeNaN();
  });
});

describe("mjdFromIso", () => {
  it("2000-01-01T12:00:00Z → 51544.5", () => {
    expect(isoMjd("2000-01-01T12:00:00Z")).toBe(51544.5);
  });

  it("a zone-less date-time is UTC (astropy Time('2024-03-15T21:30:00').mjd = 60384.895833333336)", () => {
    expect(isoMjd("2024-03-15T21:30:00")).toBeCloseTo(60384.895833333336, 9);
    expect(isoMjd("2024-03-15 21:30")).toBeCloseTo(60384.895833333336, 9);
  });

  it("a bare date is midnight UTC; MJD 0 is 1858-11-17; the Gregorian reform 1582-10-15 is MJD −100840", () => {
    expect(isoMjd("1858-11-17")).toBe(0);
    expect(isoMjd("1582-10-15")).toBe(-100840);
    expect(isoMjd("2023-01-01")).toBe(59945);
  });

  it("applies UTC offsets and one-digit hours as the BHTOM API accepts them", () => {
    const expected = mjdFromDate(new Date("2023-09-28T08:00:00.123Z"));
    expect(isoMjd("2023-09-28T10:00:00.123+02:00")).toBeCloseTo(expected, 10);
    expect(isoMjd("2023-09-28T05:30:00.123-0230")).toBeCloseTo(expected, 10);
    expect(isoMjd("2023-01-01T0:00:01Z")).toBeCloseTo(59945 + 1 / 86400, 11);
  });

  it("keeps sub-millisecond digits that a JS Date would drop (to the ≈ 1 µs resolution of a double MJD)", () => {
    const diff = isoMjd("2024-05-01T12:00:00.000250Z") - isoMjd("2024-05-01T12:00:00Z");
    expect(Math.abs(diff * 86400 - 250e-6)).toBeLessThan(2e-6);
  });

  it("agrees with Date for every Z-terminated ISO string 1858–2132", () => {
    fc.assert(
      fc.property(fc.integer({ min: MS_1858, max: MS_2132 }), (ms) => {
        const d = new Date(ms);
        expect(Math.abs(isoMjd(d.toISOString()) - mjdFromDate(d))).toBeLessThan(1e-10);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it.each([
    ["not a date", "not an ISO 8601"],
    ["", "not an ISO 8601"],
    ["2023-02-29", "does not exist"],
    ["2023-13-01", "month"],
    ["2023-09-28T24:00", "hour"],
    ["2023-09-28T10:60", "minutes"],
    ["2023-09-28T23:59:60Z", "leap seconds"],
    ["2023-09-28Z", "not an ISO 8601"],
  ])("rejects %j with a message containing %j", (text, fragment) => {
    const r = mjdFromIso(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });
});

describe("normaliseTimeToMjd (light-curve upload)", () => {
  it("reads values in 2 400 000..2 500 000 as JD", () => {
    expect(normaliseTimeToMjd(2451545.0)).toEqual({ ok: true, mjd: 51544.5, scale: "JD", suspicious: false });
    expect(normaliseTimeToMjd(" 2460000.25 ")).toEqual({
      ok: true,
      mjd: 59999.75,
      scale: "JD",
      suspicious: false,
    });
    expect(normaliseTimeToMjd(2_400_000)).toMatchObject({
      ok: true,
      mjd: -0.5,
      scale: "JD",
      suspicious: true,
    });
    expect(normaliseTimeToMjd(2_500_000)).toMatchObject({ ok: true, mjd: 99999.5, scale: "JD" });
  });

  it("reads values in 0..100 000 as MJD", () => {
    expect(normaliseTimeToMjd(60000.5)).toEqual({ ok: true, mjd: 60000.5, scale: "MJD", suspicious: false });
    expect(normaliseTimeToMjd("59945")).toEqual({ ok: true, mjd: 59945, scale: "MJD", suspicious: false });
    expect(normaliseTimeToMjd(0)).toMatchObject({ ok: true, mjd: 0, scale: "MJD" });
  });

  it("flags a truncated JD (HJD − 2 450 000 ≈ 9000) as suspicious", () => {
    expect(normaliseTimeToMjd(9000.5)).toEqual({ ok: true, mjd: 9000.5, scale: "MJD", suspicious: true });
  });

  it("every JD in the window maps to MJD = JD − 2400000.5", () => {
    fc.assert(
      fc.property(fc.double({ min: 2_400_000, max: 2_500_000, noNaN: true }), (jd) => {
        const r = normaliseTimeToMjd(jd);
        expect(r.ok && r.scale === "JD" && r.mjd === jd - 2400000.5).toBe(true);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it.each([
    [Number.NaN, "not a finite number"],
    [Number.POSITIVE_INFINITY, "not a finite number"],
    [-1, "neither a JD"],
    [100_000, "neither a JD"],
    [1_000_000, "neither a JD"],
    [2_500_000.5, "neither a JD"],
    ["", "empty"],
    ["abc", "not a decimal number"],
    ["0x10", "not a decimal number"],
    ["60000,5", "not a decimal number"],
  ] as const)("rejects %j with a typed result mentioning %j", (value, fragment) => {
    const r = normaliseTimeToMjd(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(fragment);
  });
});
