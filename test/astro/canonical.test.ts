/**
 * The canonical order of reference stars and their text (src/astro/calibrate/canonical.ts): the fast forms
 * give what the plain definitions give — String(x) for every number, a sort on every key in turn.
 */
import { describe, expect, it } from "vitest";
import type { ReferenceCatalogue } from "../../src/astro/calibrate/bands.ts";
import {
  canonicalReference,
  referenceRowsBytes,
  referenceRowsText,
  shortestText,
} from "../../src/astro/calibrate/canonical.ts";
import { createRng } from "../../src/astro/synth/random.ts";

describe("shortestText", () => {
  it("is String(x) for decimals of 0–12 places, both signs, and every special value", () => {
    const rng = createRng(5);
    const values = [
      0,
      -0,
      NaN,
      Infinity,
      -Infinity,
      1e-7,
      1e-6,
      -1e-6,
      9.9999999e-7,
      1e21,
      1e4,
      9999.9999999,
    ];
    values.push(
      0.1 + 0.2,
      1 / 3,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      2 ** -1074,
      123456.7,
      1e-5,
      150.0000001,
    );
    for (let i = 0; i < 200_000; i++) {
      const places = i % 13;
      const scale = 10 ** places;
      const magnitude = 10 ** rng.uniform(-7, 6);
      const v = Math.round(rng.uniform(-1, 1) * magnitude * scale) / scale;
      values.push(v, v + Number.EPSILON * Math.abs(v), v * (1 + 2 ** -52));
    }
    const wrong = values.filter((v) => shortestText(v) !== String(v));
    expect(wrong.map((v) => [v, shortestText(v), String(v)]).slice(0, 5)).toEqual([]);
  });
});

/** The definition: every key (RA, Dec, then each band's mag and err in name order), NaN last. */
function referenceOrder(c: ReferenceCatalogue): number[] {
  const names = Object.keys(c.bands).sort() as (keyof ReferenceCatalogue["bands"])[];
  const keys = [c.raDeg, c.decDeg, ...names.flatMap((b) => [c.bands[b]!.mag, c.bands[b]!.err])];
  const cmp = (a: number, b: number) =>
    Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
  return Array.from(c.raDeg, (_, i) => i).sort((i, j) => {
    for (const k of keys) {
      const d = cmp(k[i], k[j]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

describe("canonicalReference", () => {
  it("sorts on RA, then Dec, then the bands — ties on RA, NaN positions and magnitudes included", () => {
    const rng = createRng(9);
    const n = 3000;
    const pick = (choices: number[]) => choices[Math.floor(rng.uniform(0, choices.length))];
    const c: ReferenceCatalogue = {
      raDeg: Float64Array.from({ length: n }, () => pick([10, 10.5, NaN, 0, -0, rng.uniform(0, 360)])),
      decDeg: Float64Array.from({ length: n }, () => pick([1, NaN, rng.uniform(-1, 1)])),
      bands: {
        V: {
          survey: "GaiaSP",
          mag: Float64Array.from({ length: n }, () => pick([15, NaN, rng.uniform(10, 20)])),
          err: Float64Array.from({ length: n }, () => pick([0.01, 0.02])),
        },
        B: {
          survey: "GaiaSP",
          mag: Float64Array.from({ length: n }, () => pick([16, NaN])),
          err: Float64Array.from({ length: n }, () => pick([0.01, NaN])),
        },
      },
    };
    const order = referenceOrder(c);
    const expected = (a: Float64Array) => order.map((i) => String(a[i])).join(",");
    const got = canonicalReference(c);
    expect(Object.keys(got.bands)).toEqual(["B", "V"]);
    // String(): −0 and 0, which the order does not tell apart, print alike.
    expect(Array.from(got.raDeg, String).join(",")).toBe(expected(c.raDeg));
    expect(Array.from(got.decDeg, String).join(",")).toBe(expected(c.decDeg));
    for (const b of ["B", "V"] as const) {
      expect(Array.from(got.bands[b]!.mag, String).join(",")).toBe(expected(c.bands[b]!.mag));
      expect(Array.from(got.bands[b]!.err, String).join(",")).toBe(expected(c.bands[b]!.err));
    }
    // The text: String(x) of every number, as it was defined.
    const names = ["B", "V"] as const;
    const definition = [
      ["ra", "dec", ...names.flatMap((b) => [`GaiaSP/${b}`, `GaiaSP/${b}_err`])].join(" "),
      ...Array.from(got.raDeg, (_, i) =>
        [got.raDeg[i], got.decDeg[i], ...names.flatMap((b) => [got.bands[b]!.mag[i], got.bands[b]!.err[i]])]
          .map((x) => String(x))
          .join(" "),
      ),
    ].join("\n");
    expect(referenceRowsText(got)).toBe(`${definition}\n`);
    expect(Buffer.from(referenceRowsBytes(got)).toString("latin1")).toBe(`${definition}\n`);
  });
});
