import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseInstrumentalCatalogue } from "../../src/astro/sextractor.ts";
import type { InstrumentalCatalogue } from "../../src/astro/sextractor.ts";
import { makeField, makeFrame } from "../../src/astro/synth/catalog.ts";
import { FIELD_DIR } from "../helpers/fixtures.ts";

const FIXTURE = `${FIELD_DIR}/sextractor-reference.cat`;

/** Header line exactly as Source Extractor 2.25 writes it (astro-notes §(e)). */
function header(col: number, name: string, desc: string, unit?: string): string {
  const base = `#${String(col).padStart(4)} ${name.padEnd(22)} ${desc.padEnd(58)}`;
  return unit ? `${base} [${unit}]` : base;
}

function ok(text: string) {
  const r = parseInstrumentalCatalogue(text);
  if (!r.ok) throw new Error(`unexpected parse failure: ${r.error}`);
  return r;
}

function err(text: string): string {
  const r = parseInstrumentalCatalogue(text);
  if (r.ok) throw new Error("expected a parse failure");
  return r.error;
}

describe("parseInstrumentalCatalogue — Source Extractor 2.25 output (fixture field-150p02)", () => {
  const r = ok(readFileSync(FIXTURE, "utf8"));
  it("reads all 62 rows, MAG_AUTO, FLAGS and XWIN/YWIN", () => {
    expect(r.format).toBe("ascii_head");
    expect(r.magColumn).toBe("MAG_AUTO");
    expect(r.catalogue.mag.length).toBe(62);
    expect(r.dropped).toEqual([]);
    expect(r.targetIndex).toBe(-1); // plain SExtractor: no forced row 999999
    expect(Array.from(r.catalogue.flags ?? []).filter((f) => f === 3).length).toBe(2);
  });
  it("row 35 (the target, 0.14″ from 150.012, +1.991) has the values printed in the file", () => {
    const c = r.catalogue;
    const i = c.number.indexOf(35);
    expect([c.raDeg[i], c.decDeg[i], c.x?.[i], c.y?.[i], c.mag[i], c.magErr[i], c.flags?.[i]]).toEqual([
      150.012017, 1.9910337, 202.4662, 216.077, 15.8333, 0.0424, 0,
    ]);
  });
});

describe("parseInstrumentalCatalogue — vector columns and column choice", () => {
  const vectorHead = [
    header(1, "NUMBER", "Running object number"),
    header(2, "X_IMAGE", "Object position along x", "pixel"),
    header(3, "Y_IMAGE", "Object position along y", "pixel"),
    header(4, "FLUX_APER", "Flux vector within fixed circular aperture(s)", "count"),
    header(7, "FLUXERR_APER", "RMS error vector for aperture flux(es)", "count"),
    header(10, "MAG_APER", "Fixed aperture magnitude vector", "mag"),
    header(13, "MAGERR_APER", "RMS error vector for fixed aperture mag.", "mag"),
    header(16, "FLAGS", "Extraction flags"),
    header(17, "ALPHA_J2000", "Right ascension of barycenter (J2000)", "deg"),
    header(18, "DELTA_J2000", "Declination of barycenter (J2000)", "deg"),
  ];
  const row =
    "   7   1256.1023     39.1267  100 200 300  1 2 3  15.5 14.9 14.7  0.05 0.03 0.02  16 149.9613800  +1.8357711";

  it("MAG_APER: first aperture; columns after a vector are found from the header numbers", () => {
    const r = ok([...vectorHead, row].join("\n"));
    expect(r.magColumn).toBe("MAG_APER");
    const c = r.catalogue;
    expect([
      c.number[0],
      c.mag[0],
      c.magErr[0],
      c.flags?.[0],
      c.raDeg[0],
      c.decDeg[0],
      c.x?.[0],
      c.y?.[0],
    ]).toEqual([7, 15.5, 0.05, 16, 149.96138, 1.8357711, 1256.1023, 39.1267]);
  });

  it("a vector as the last column takes the rest of the row", () => {
    const head = [
      header(1, "ALPHA_J2000", "RA", "deg"),
      header(2, "DELTA_J2000", "Dec", "deg"),
      header(3, "MAGERR_APER", "e", "mag"),
      header(5, "MAG_APER", "m", "mag"),
    ];
    const r = ok([...head, "10 20 0.01 0.02 14.1 14.0"].join("\n"));
    expect([r.catalogue.mag[0], r.catalogue.magErr[0], r.catalogue.number[0]]).toEqual([14.1, 0.01, 1]);
  });

  it("priority MAG_BEST → MAG_AUTO → MAG_APER; an incomplete pair is skipped", () => {
    const h = (names: string[]) => names.map((n, i) => header(i + 1, n, n)).join("\n");
    const cols = [
      "ALPHA_J2000",
      "DELTA_J2000",
      "MAG_APER",
      "MAGERR_APER",
      "MAG_AUTO",
      "MAGERR_AUTO",
      "MAG_BEST",
      "MAGERR_BEST",
    ];
    const data = "1 2 13 0.3 12 0.2 11 0.1";
    expect(ok(`${h(cols)}\n${data}`).magColumn).toBe("MAG_BEST");
    expect(ok(`${h(cols.slice(0, 7))}\n${data}`).magColumn).toBe("MAG_AUTO"); // MAGERR_BEST missing
    expect(ok(`${h(cols.slice(0, 4))}\n1 2 13 0.3`).catalogue.mag[0]).toBe(13);
  });

  it("X_WORLD/Y_WORLD when ALPHA/DELTA_J2000 are absent; CRLF line ends; comment lines ignored", () => {
    const text = [
      "# produced by a script",
      header(1, "X_WORLD", "x", "deg"),
      header(2, "Y_WORLD", "y", "deg"),
      header(3, "MAG_AUTO", "m"),
      header(4, "MAGERR_AUTO", "e"),
      "10.5 -20.25 14 0.01",
      "",
    ].join("\r\n");
    const r = ok(text);
    expect([r.catalogue.raDeg[0], r.catalogue.decDeg[0]]).toEqual([10.5, -20.25]);
  });
});

describe("parseInstrumentalCatalogue — CCDPhot 7-column layout and the forced target row", () => {
  const ccdphot = [
    "# CCDPhot catalogue",
    "     1  283.123456  -12.345678  1022.31  88.20  13.412  0.004",
    "999999  283.130000  -12.340000   512.00 512.00  16.870  0.031",
    "     3  283.100000  -12.300000   100.00 100.00  99.000 99.000",
    "     4  283.110000  -12.310000   110.00 110.00     nan  0.100",
    "     5  283.120000  -12.320000   120.00 120.00  17.000    inf",
  ].join("\n");

  it("headerless rows are NUMBER, ALPHA, DELTA, XWIN, YWIN, MAG_AUTO, MAGERR_AUTO; 999999 is flagged", () => {
    const r = ok(ccdphot);
    expect(r.format).toBe("ccdphot7");
    expect(r.magColumn).toBe("MAG_AUTO");
    expect(Array.from(r.catalogue.number)).toEqual([1, 999999]);
    expect(r.targetIndex).toBe(1);
    expect(r.targetDropped).toBe(false);
    expect(r.catalogue.mag[1]).toBe(16.87);
    expect(r.catalogue.x?.[0]).toBe(1022.31);
    expect(r.catalogue.flags).toBeUndefined();
  });

  it("99 and non-finite rows are dropped and listed by line", () => {
    const r = ok(ccdphot);
    expect(r.dropped.map((d) => d.line)).toEqual([4, 5, 6]);
    expect(r.dropped[0].reason).toMatch(/99/);
    expect(r.dropped[1].reason).toBe("non-finite MAG_AUTO");
    expect(r.dropped[2].reason).toBe("non-finite MAGERR_AUTO");
  });

  it("an 8th column (CCDPhot run flag, 2026) is ignored; a 999999 row with mag 99 is reported as dropped", () => {
    const r = ok("1 10 20 1 1 14 0.01 1\n999999 10.001 20 2 2 99.0 99.0 2\n");
    expect(r.catalogue.mag.length).toBe(1);
    expect(r.targetIndex).toBe(-1);
    expect(r.targetDropped).toBe(true);
  });
});

describe("parseInstrumentalCatalogue — errors name the line and the field", () => {
  const head = [
    header(1, "NUMBER", "n"),
    header(2, "ALPHA_J2000", "a"),
    header(3, "DELTA_J2000", "d"),
    header(4, "MAG_AUTO", "m"),
    header(5, "MAGERR_AUTO", "e"),
  ].join("\n");
  it.each([
    [`${head}\n1 10 20 14 0.01\n2 10 abc 14 0.01`, 'line 7, field DELTA_J2000: "abc" is not a number'],
    [`${head}\n1 10 20 14`, "line 6: 4 fields, expected at least 5"],
    [`${head}\n1.5 10 20 14 0.01`, 'line 6, field NUMBER: "1.5" is not an integer'],
    [`${header(1, "ALPHA_J2000", "a")}\n${header(2, "DELTA_J2000", "d")}\n1 2`, "no magnitude columns"],
    [`${header(1, "MAG_AUTO", "m")}\n${header(2, "MAGERR_AUTO", "e")}\n1 2`, "no position columns"],
    [`${head}\n`, "no data rows"],
    [`${head}\n1 10 20 14 0.01\n${header(6, "FLAGS", "f")}`, 'line 7: column header "FLAGS" after data rows'],
  ])("%#: %s", (text, message) => {
    expect(err(text)).toContain(message);
  });
});

describe("parseInstrumentalCatalogue — round trip of a synthetic catalogue", () => {
  it("writes ASCII_HEAD with SExtractor's number formats and reads back every row to print precision", () => {
    const field = makeField({ seed: 11, nStars: 300 });
    const frame = makeFrame(field, {
      seed: 12,
      zp: 24.3,
      target: { raDeg: 150.01, decDeg: 2.01, mag: 17, forced: true },
    });
    const c: InstrumentalCatalogue = frame.catalogue;
    const lines = [
      header(1, "NUMBER", "Running object number"),
      header(2, "ALPHA_J2000", "Right ascension of barycenter (J2000)", "deg"),
      header(3, "DELTA_J2000", "Declination of barycenter (J2000)", "deg"),
      header(4, "MAG_AUTO", "Kron-like elliptical aperture magnitude", "mag"),
      header(5, "MAGERR_AUTO", "RMS error for AUTO magnitude", "mag"),
      ...Array.from(c.mag, (m, i) => {
        const dec = (c.decDeg[i] >= 0 ? "+" : "") + c.decDeg[i].toFixed(7);
        return `${String(c.number[i]).padStart(10)} ${c.raDeg[i].toFixed(7).padStart(11)} ${dec.padStart(11)} ${m.toFixed(4).padStart(8)} ${c.magErr[i].toFixed(4).padStart(8)}`;
      }),
    ];
    const r = ok(lines.join("\n"));
    expect(r.catalogue.mag.length).toBe(c.mag.length);
    expect(r.targetIndex).toBe(frame.targetIndex);
    for (let i = 0; i < c.mag.length; i++) {
      expect(Math.abs(r.catalogue.raDeg[i] - c.raDeg[i])).toBeLessThanOrEqual(5e-8);
      expect(Math.abs(r.catalogue.decDeg[i] - c.decDeg[i])).toBeLessThanOrEqual(5e-8);
      expect(Math.abs(r.catalogue.mag[i] - c.mag[i])).toBeLessThanOrEqual(5e-5);
    }
  });
});
