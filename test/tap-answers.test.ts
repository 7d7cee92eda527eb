/**
 * TAP answers read in every wire format the archives use, against files written by another implementation
 * (astropy 5.2: test/fixtures/tap/make.py), and malformed answers refused with a message that says why.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseTapCsv } from "../src/catalog/tap/csv.ts";
import { TapFormatError, TapQueryError, numberCell, type TapTable } from "../src/catalog/tap/table.ts";
import { parseVotable } from "../src/catalog/tap/votable.ts";

const DIR = fileURLToPath(new URL("./fixtures/tap/", import.meta.url));
const read = (name: string) => readFileSync(`${DIR}${name}`, "utf8");

const COLUMNS = ["source_id", "designation", "ra", "dec", "pmra", "phot_g_mean_mag", "v_jkc_flag"];

/** What every format must give for the fixture rows (make.py). */
function expectFixture(t: TapTable) {
  expect(t.columns).toEqual(COLUMNS);
  expect(t.rows).toHaveLength(3);
  const [a, b, c] = t.rows;
  // 64-bit ids exactly (above 2^53), as text
  expect(a[0]).toBe("3834447128563320320");
  expect(b[0]).toBe("4472832130942575872");
  expect(c[0]).toBe("9223372036854775807");
  expect(a[1]).toBe("Gaia DR3 3834447128563320320");
  expect(c[1]).toBe('odd, "quoted" name');
  expect(numberCell(a[2])).toBe(149.8678677871318);
  expect(numberCell(b[3])).toBe(4.739420051112412);
  expect(numberCell(c[3])).toBe(-89.9999);
  expect(numberCell(a[4])).toBe(-1.25);
  expect(b[4]).toBeNull(); // masked pmra
  expect(b[5]).toBeNull(); // masked G
  expect(numberCell(a[5])).toBeCloseTo(17.641426, 5); // a float32
  expect(numberCell(a[6])).toBe(1);
  expect(numberCell(b[6])).toBe(0);
  expect(c[6]).toBeNull(); // masked flag
  expect(t.overflow).toBe(false);
}

describe("TAP answers written by astropy", () => {
  it("CSV (RFC 4180: quoted text with commas and doubled quotes, empty fields for nulls)", () => {
    expectFixture(parseTapCsv(read("gaia.csv")));
  });
  it("VOTable TABLEDATA", () => expectFixture(parseVotable(read("gaia-tabledata.vot"))));
  it("VOTable BINARY (nulls: NaN floats, VALUES null for integers)", () =>
    expectFixture(parseVotable(read("gaia-binary.vot"))));
  it("VOTable BINARY2 (nulls: the row's null mask; char arraysize * with its length prefix)", () =>
    expectFixture(parseVotable(read("gaia-binary2.vot"))));
});

describe("malformed and refused answers", () => {
  const csv = read("gaia.csv");

  it("a CSV cut inside a line is truncated", () => {
    const cut = csv.slice(0, csv.indexOf("269.448") + 3);
    expect(() => parseTapCsv(cut)).toThrow(/truncated.*no line end/);
  });
  it("a CSV cut inside a quoted field is truncated", () => {
    expect(() => parseTapCsv(csv.slice(0, csv.indexOf("quoted")))).toThrow(/quoted field is never closed/);
  });
  it("a CSV line with a missing field is refused, naming the line", () => {
    const lines = csv.split("\n");
    lines[2] = lines[2].replace(/,[^,]*$/, "");
    expect(() => parseTapCsv(lines.join("\n"))).toThrow(/data line 2 has 6 fields, the header 7/);
  });
  it("an empty CSV answer is refused", () => {
    expect(() => parseTapCsv("")).toThrow(TapFormatError);
  });
  it("a CSV with CRLF line ends and a header only is an empty table", () => {
    expect(parseTapCsv("source_id,ra,dec\r\n")).toEqual({
      columns: ["source_id", "ra", "dec"],
      rows: [],
      overflow: false,
    });
  });

  it("a VOTable cut off in transit is not well-formed", () => {
    const vot = read("gaia-tabledata.vot");
    expect(() => parseVotable(vot.slice(0, vot.indexOf("269.448")))).toThrow(TapFormatError);
  });
  it("a BINARY2 stream that ends inside a row is truncated", () => {
    const vot = read("gaia-binary2.vot");
    const stream = /<STREAM encoding="base64">\s*([^<]*?)\s*<\/STREAM>/.exec(vot)![1];
    const bytes = Buffer.from(stream, "base64");
    const cut = vot.replace(stream, bytes.subarray(0, bytes.length - 5).toString("base64"));
    expect(() => parseVotable(cut)).toThrow(/BINARY2 stream is truncated inside row 3/);
  });
  it("a TABLEDATA row with a missing TD is refused", () => {
    const vot = read("gaia-tabledata.vot").replace("<TD>-1.25</TD>", "");
    expect(() => parseVotable(vot)).toThrow(/row 1 has 6 TDs, the table 7 FIELDs/);
  });
  it("a VOTable with QUERY_STATUS ERROR is the service's refusal, with its message", () => {
    const error = `<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
<RESOURCE type="results">
<INFO name="QUERY_STATUS" value="ERROR">Cannot parse query 'SELECT TOP 1 FROM': Encountered "FROM"</INFO>
</RESOURCE>
</VOTABLE>`;
    expect(() => parseVotable(error)).toThrow(TapQueryError);
    expect(() => parseVotable(error)).toThrow(/Cannot parse query 'SELECT TOP 1 FROM': Encountered "FROM"/);
  });
  it("QUERY_STATUS OVERFLOW after the table marks the result as cut short", () => {
    const vot = read("gaia-tabledata.vot").replace(
      "</TABLE>",
      '</TABLE>\n<INFO name="QUERY_STATUS" value="OVERFLOW"/>',
    );
    const t = parseVotable(vot);
    expect(t.overflow).toBe(true);
    expect(t.rows).toHaveLength(3);
  });
  it("an HTML page is not a VOTable", () => {
    expect(() =>
      parseVotable("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"),
    ).toThrow(TapFormatError);
  });
});
