import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvLine, pythonFloat } from "../src/domain/downloads/csv.ts";
import { parseLightCurveCsv } from "../src/domain/dataproducts/lightcurve-csv.ts";
import { parseSpectrum } from "../src/domain/dataproducts/spectrum.ts";

describe("pythonFloat = Python repr(float)", () => {
  // Values and their repr() printed by CPython 3.11 on this machine.
  const cases: Array<[number, string]> = [
    [16.0, "16.0"],
    [0.1, "0.1"],
    [59000.123456789, "59000.123456789"],
    [1e-5, "1e-05"],
    [1.2345678901234568e17, "1.2345678901234568e+17"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [1234567890123456.0, "1234567890123456.0"],
    [0.00012, "0.00012"],
    [123.0, "123.0"],
    [-1.0, "-1.0"],
    [1.5e-7, "1.5e-07"],
    [2.5e20, "2.5e+20"],
    [100.0, "100.0"],
    [9999999999999998.0, "9999999999999998.0"],
    [-0.000123, "-0.000123"],
    [15.582, "15.582"],
    [55959.06999999983, "55959.06999999983"],
    [1e15, "1000000000000000.0"],
    [0.5, "0.5"],
    [3.0e-4, "0.0003"],
    [0, "0.0"],
  ];
  it.each(cases)("repr(%s) = %s", (x, expected) => expect(pythonFloat(x)).toBe(expected));

  it("round-trips every double", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(pythonFloat(x))).toBe(x);
      }),
      { seed: 42, numRuns: 5000 },
    );
  });
});

describe("CSV lines as pandas to_csv(sep=';') writes them", () => {
  it("quotes fields with ; or quotes, doubles inner quotes, empties nulls", () => {
    expect(csvLine([58500.5, 17.25, 0.2, "a;b", "r", 'x "y"'])).toBe('58500.5;17.25;0.2;"a;b";r;"x ""y"""\n');
    expect(csvLine([58000, 15, 0.1, "X", "V", null])).toBe("58000.0;15.0;0.1;X;V;\n");
  });
});

describe("light-curve CSV uploads", () => {
  it("the BHTOM sample file", () => {
    const r = parseLightCurveCsv(
      "time,filter,magnitude,error\n55959.06999999983,r,15.582,0.005\n55959.06999999983,g,15.676,0.007\n55959.06999999983,v,15.591,0.008\n",
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rows.map((x) => [x.mjd, x.filter, x.value, x.error])).toEqual([
      [55959.06999999983, "r", 15.582, 0.005],
      [55959.06999999983, "g", 15.676, 0.007],
      [55959.06999999983, "v", 15.591, 0.008],
    ]);
    expect(r.timeScale).toBe("MJD");
  });

  it("quoted fields (csv-parse): the separator, doubled quotes and a newline inside quotes; line numbers stay right", () => {
    const r = parseLightCurveCsv(
      'time,filter,magnitude,error,observer\n# a comment\n60000.5,"V",15.1,0.02,"Smith, J."\n' +
        '60001.5,V,15.2,0.02,"say ""hi""\nsecond line"\n\n60002.5,V,x,0.1,\n',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rows.map((x) => [x.line, x.mjd, x.observer])).toEqual([
      [3, 60000.5, "Smith, J."],
      [5, 60001.5, 'say "hi"\nsecond line'],
    ]);
    expect(r.rejected).toEqual([{ line: 7, reason: 'magnitude: not a number: "x"' }]);
  });

  it("an unclosed quote is an error naming its line", () => {
    const r = parseLightCurveCsv('time,filter,magnitude,error\n60000.5,V,15.1,0.02\n60001.5,"V,15.2,0.02\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/^line \d+: .*quote/i);
  });

  it("JD is converted; limits (negative error or ≥ 99) become error −1; observer kept; bad rows reported by line", () => {
    const r = parseLightCurveCsv(
      "JD;Filter;Mag;MagErr;Observer\n2460000.5;V;15.1;0.02;alice\n2460001.5;V;18.5;-1;bob\n2460002.5;V;18.7;99.0;\nabc;V;1;1;\n2460003.5;V;x;0.1;\n",
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rows.map((x) => [x.mjd, x.error, x.observer])).toEqual([
      [60000, 0.02, "alice"],
      [60001, -1, "bob"],
      [60002, -1, ""],
    ]);
    expect(r.rejected).toEqual([
      { line: 5, reason: 'time: not a number: "abc"' },
      { line: 6, reason: 'magnitude: not a number: "x"' },
    ]);
    expect(r.timeScale).toBe("JD");
  });

  it("wrong columns, empty files and binary junk are refused with a clear message", () => {
    const cols = parseLightCurveCsv("date,band,flux\n1,2,3\n");
    expect(cols.ok).toBe(false);
    if (!cols.ok) expect(cols.error).toMatch(/missing: flux_error/);
    const empty = parseLightCurveCsv("");
    expect(empty).toEqual({ ok: false, error: "the file is empty" });
    const junk = parseLightCurveCsv("\u0000\u0001\u0002binary");
    expect(junk.ok).toBe(false);
  });

  it("never throws on random input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseLightCurveCsv(`time,filter,magnitude,error\n${s}`);
        expect(typeof r.ok).toBe("boolean");
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});

describe("ASCII spectra", () => {
  it("header, DATE-OBS and FACILITY comments, pairs", () => {
    const r = parseSpectrum(
      "# DATE-OBS: 2023-03-01T00:00:00\n# FACILITY: NOT\nwavelength flux\n4000 1.5e-15\n4001 1.6e-15\n",
    );
    expect(r).toEqual({
      ok: true,
      wavelength: [4000, 4001],
      flux: [1.5e-15, 1.6e-15],
      mjd: 60004,
      facility: "NOT",
      rejected: [],
    });
  });
  it("nothing usable → a clear error", () => {
    expect(parseSpectrum("just text\n")).toEqual({ ok: false, error: "no wavelength/flux pairs found" });
  });
});
