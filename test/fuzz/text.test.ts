/**
 * Fuzz: the small text parsers every request goes through — sexagesimal/decimal RA and Dec, Julian
 * epochs, filter requests (`GaiaSP/V`) and light-curve filter names (`V(GaiaSP)`), Python floats as
 * getTargetList reads them and as the CSV downloads write them, ISO date-times. Properties: never an
 * exception other than the documented one; accepted values are finite and in range; format → parse
 * round trips within the printed precision.
 */
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FilterRequestError,
  lightCurveFilterName,
  parseFilterRequest,
  parseLightCurveFilterName,
  SURVEY_BANDS,
  SURVEYS,
} from "../../src/astro/calibrate/bands.ts";
import type { Band } from "../../src/astro/calibrate/bands.ts";
import { formatDecDms, formatRaHms, parseDec, parseRa } from "../../src/astro/coords.ts";
import { pythonFloat } from "../../src/domain/downloads/csv.ts";
import { instantToDate, parseApiDateTime, parseFilterDateTime } from "../../src/domain/dateparse.ts";
import { BadRequestError, ValidationError } from "../../src/domain/errors.ts";
import { filterInstant } from "../../src/domain/input.ts";
import { toFloat } from "../../src/domain/targets/list.ts";
import { parseCoordinates, parseEpoch } from "../../src/domain/targets/rules.ts";
import { DEFAULT_TOTAL, fuzzParams, fuzzTimeout, sharesSum } from "./budget.ts";
import { applyTextEdits, textEdits } from "./mutate.ts";

/** Strings shaped like sexagesimal angles, with odd separators, signs and out-of-range fields. */
const sexagesimal = fc
  .tuple(
    fc.constantFrom("", "+", "-", "\u2212", " -"),
    fc.integer({ min: 0, max: 400 }).map(String),
    fc.constantFrom(":", " ", "h", "d", "°", "m", "'", "::", "", "  "),
    fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, "0")),
    fc.constantFrom(":", " ", "m", "'", "′", ""),
    fc.oneof(
      fc.double({ min: 0, max: 99, noNaN: true }).map(String),
      fc.constantFrom("", "60", "59.9999", ".5", "1e3"),
    ),
    fc.constantFrom("", "s", '"', "″", "''", " s", "x"),
  )
  .map((parts) => parts.join(""));

const anyText = fc.oneof(
  sexagesimal,
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.double().map(String),
  fc.constantFrom("1e400", "-1e400", "NaN", "Infinity", "360", "-90.0000001", "0x10", "1_0", " 12 "),
);

describe("the fuzz budget", () => {
  it("splits FUZZ_RUNS over every property (shares sum to 1); the default is ≥ 10,000 cases", () => {
    expect(sharesSum()).toBeCloseTo(1, 9);
    expect(DEFAULT_TOTAL).toBeGreaterThanOrEqual(10_000);
  });
});

describe("coordinates under fuzz", () => {
  it(
    "parseRa / parseDec / parseCoordinates: ok values are finite and in range, else a message; never a throw",
    () => {
      fc.assert(
        fc.property(fc.oneof(anyText, fc.double()), fc.oneof(anyText, fc.double()), (ra, dec) => {
          const r = parseRa(ra);
          if (r.ok) expect(r.deg >= 0 && r.deg < 360).toBe(true);
          else expect(r.error).toMatch(/RA/);
          const d = parseDec(dec);
          if (d.ok) expect(d.deg >= -90 && d.deg <= 90).toBe(true);
          else expect(d.error).toMatch(/Dec/);
          const errors: Record<string, string[]> = {};
          const out = parseCoordinates(ra, dec, errors);
          expect(out.raDeg === undefined).toBe("ra" in errors);
          expect(out.decDeg === undefined).toBe("dec" in errors);
        }),
        fuzzParams("raDecRandom"),
      );
    },
    fuzzTimeout("raDecRandom"),
  );

  it(
    "round trip: formatRaHms / formatDecDms → parse, within half a unit of the last printed digit",
    () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0, max: 360, noNaN: true, maxExcluded: true }),
          fc.double({ min: -90, max: 90, noNaN: true }),
          fc.integer({ min: 0, max: 6 }),
          (ra, dec, decimals) => {
            const r = parseRa(formatRaHms(ra, decimals));
            expect(r.ok).toBe(true);
            const unitDeg = (15 * 10 ** -decimals) / 3600;
            // 23:59:59.99… may round to 00:00:00 (the wrap), so compare on the circle.
            const dRa = Math.abs((((r.ok ? r.deg : NaN) - ra + 540) % 360) - 180);
            expect(dRa).toBeLessThanOrEqual(unitDeg / 2 + 1e-9);
            const d = parseDec(formatDecDms(dec, decimals));
            expect(d.ok).toBe(true);
            expect(Math.abs((d.ok ? d.deg : NaN) - dec)).toBeLessThanOrEqual(10 ** -decimals / 7200 + 1e-9);
          },
        ),
        fuzzParams("raDecRoundTrip"),
      );
    },
    fuzzTimeout("raDecRoundTrip"),
  );

  it(
    "parseEpoch: a number in [1000, 3000] or the field's message",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(anyText, fc.double(), fc.constantFrom("J2000", "j2000.5", "B1950", "J", "")),
          (v) => {
            const errors: Record<string, string[]> = {};
            const e = parseEpoch(v, errors);
            if (e === undefined) expect(errors.epoch).toHaveLength(1);
            else expect(e >= 1000 && e <= 3000).toBe(true);
          },
        ),
        fuzzParams("epoch"),
      );
    },
    fuzzTimeout("epoch"),
  );
});

describe("filter names under fuzz", () => {
  const valid = [
    "GaiaSP/V",
    "GaiaSP/any",
    "any/any",
    "2MASS/J",
    "GaiaDR3/G",
    "no",
    "any/V",
    "GaiaSP/Johnson",
  ];
  it(
    "parseFilterRequest: candidates, or a FilterRequestError quoting the input",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...valid)),
          textEdits,
          fc.boolean(),
          (base, edits, mutate) => {
            const input = mutate ? applyTextEdits(base, edits) : base;
            try {
              const r = parseFilterRequest(input);
              expect(r.candidates.length).toBeGreaterThan(0);
              if (r.forced) expect(r.candidates).toHaveLength(1);
            } catch (err) {
              if (!(err instanceof FilterRequestError)) throw err;
              expect(err.input).toBe(input);
            }
          },
        ),
        fuzzParams("filterRequest"),
      );
    },
    fuzzTimeout("filterRequest"),
  );

  it(
    "light-curve filter names: BAND(SURVEY) round trips for every band; other text gives undefined",
    () => {
      const pairs = SURVEYS.flatMap((s) => (SURVEY_BANDS[s] as readonly Band[]).map((b) => [s, b] as const));
      for (const [s, b] of pairs)
        expect(parseLightCurveFilterName(lightCurveFilterName(s, b))).toEqual({ survey: s, band: b });
      fc.assert(
        fc.property(fc.nat({ max: pairs.length - 1 }), textEdits, (i, edits) => {
          const [s, b] = pairs[i];
          const text = applyTextEdits(lightCurveFilterName(s, b), edits);
          const r = parseLightCurveFilterName(text);
          if (r) expect(lightCurveFilterName(r.survey, r.band)).toBe(text.trim());
        }),
        fuzzParams("lightCurveFilterName"),
      );
    },
    fuzzTimeout("lightCurveFilterName"),
  );
});

describe("Python floats under fuzz", () => {
  it(
    "pythonFloat: every double reads back exactly (−0 and the exponent forms included)",
    () => {
      fc.assert(
        fc.property(fc.double(), (x) => {
          const s = pythonFloat(x);
          if (Number.isNaN(x)) expect(s).toBe("nan");
          else if (!Number.isFinite(x)) expect(s).toBe(x > 0 ? "inf" : "-inf");
          else {
            expect(Object.is(Number(s), x)).toBe(true);
            expect(s).toMatch(/^-?(\d+\.\d+|\d(\.\d+)?e[+-]\d{2,3})$/);
          }
        }),
        fuzzParams("pythonFloat"),
      );
    },
    fuzzTimeout("pythonFloat"),
  );

  const python = spawnSync("python3", ["-c", "print(1)"]).status === 0;
  it.skipIf(!python)("pythonFloat agrees with CPython's repr(float) on 2,000 doubles", () => {
    const xs = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 2000, seed: 42 });
    const out = spawnSync("python3", ["-c", "import sys\nfor l in sys.stdin: print(repr(float(l)))"], {
      input: xs.map((x) => (Object.is(x, -0) ? "-0.0" : x.toString())).join("\n"),
      encoding: "utf8",
    });
    expect(out.stdout.trim().split("\n")).toEqual(xs.map(pythonFloat));
  });

  it(
    "toFloat (getTargetList numbers): a finite number, or a 400 'Wrong format'",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            anyText,
            fc.double(),
            fc.boolean(),
            fc.constant(null),
            fc.array(fc.nat(), { maxLength: 2 }),
          ),
          (v) => {
            try {
              const n = toFloat(v);
              expect(Number.isFinite(n)).toBe(true);
              if (typeof v === "number") expect(n).toBe(v);
            } catch (err) {
              if (!(err instanceof BadRequestError)) throw err;
              expect(err.message).toMatch(/^Wrong format/);
            }
          },
        ),
        fuzzParams("toFloat"),
      );
    },
    fuzzTimeout("toFloat"),
  );

  it("regression: toFloat('1e400') is refused like Python's inf (was Infinity, a silent empty filter)", () => {
    for (const v of ["1e400", "-1e400", " 1E309 "]) expect(() => toFloat(v)).toThrow(BadRequestError);
    expect(toFloat(" 1e308 ")).toBe(1e308);
  });
});

describe("date-times under fuzz", () => {
  const iso = fc
    .date({
      min: new Date("0001-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString());
  it(
    "parseApiDateTime / filterInstant: ISO strings round trip; anything else is refused or a ValidationError",
    () => {
      fc.assert(
        fc.property(iso, textEdits, fc.boolean(), (text, edits, mutate) => {
          const input = mutate ? applyTextEdits(text, edits) : text;
          const d = parseApiDateTime(input);
          if (!mutate) expect(d.ok && instantToDate(d.instant).toISOString()).toBe(text);
          if (d.ok) expect(Number.isFinite(instantToDate(d.instant).getTime())).toBe(true);
          // A filter takes at least what a serializer field takes.
          if (d.ok) expect(parseFilterDateTime(input).ok).toBe(true);
          try {
            const s = filterInstant(input, "created_from");
            if (s && !mutate) expect(instantToDate(s).toISOString()).toBe(text);
          } catch (err) {
            if (!(err instanceof ValidationError)) throw err;
            expect(err.fields.created_from).toEqual([
              "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
            ]);
          }
        }),
        fuzzParams("dateTimes"),
      );
    },
    fuzzTimeout("dateTimes"),
  );
});
