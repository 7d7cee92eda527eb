/**
 * Download lines written in Node from PostgreSQL's binary arrays (domain/downloads/format.ts): the
 * bytes of pythonFloat for every double and of csvLine for every batch, odd text included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvLine, pythonFloat } from "../src/domain/downloads/csv.ts";
import {
  formatBatch,
  readFloat8Array,
  readInt4Array,
  writePythonFloat,
} from "../src/domain/downloads/format.ts";

/** array_send's layout: ndim, has-nulls, element type, (size, lower bound), then (length, bytes) each. */
function binaryArray(oid: number, elements: Array<Buffer | null>): Buffer {
  if (elements.length === 0) return Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, oid]);
  const head = Buffer.alloc(20);
  head.writeInt32BE(1, 0);
  head.writeInt32BE(elements.some((e) => e === null) ? 1 : 0, 4);
  head.writeUInt32BE(oid, 8);
  head.writeInt32BE(elements.length, 12);
  head.writeInt32BE(1, 16);
  const parts: Buffer[] = [head];
  for (const e of elements) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(e ? e.length : -1, 0);
    parts.push(len);
    if (e) parts.push(e);
  }
  return Buffer.concat(parts);
}
const float8Array = (xs: number[]) =>
  binaryArray(
    701,
    xs.map((x) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(x, 0);
      return b;
    }),
  );
const textArray = (xs: Array<string | null>) =>
  binaryArray(
    25,
    xs.map((x) => (x === null ? null : Buffer.from(x))),
  );

const written = (x: number) => {
  const buf = Buffer.alloc(32);
  return buf.toString("latin1", 0, writePythonFloat(buf, 0, x));
};

/** Any double, bit pattern by bit pattern: subnormals, ±0, NaNs, ±Infinity included. */
const anyBits = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((bits) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(bits, 0);
  return b.readDoubleBE(0);
});

describe("writePythonFloat = pythonFloat", () => {
  it.each([
    0,
    -0,
    1,
    -1,
    16,
    0.1,
    1e-4,
    9.999999999999999e-5,
    1e-5,
    1e-7,
    1.5e-7,
    1e15,
    1e15 + 0.125,
    9999999999999998,
    1e16,
    1e21,
    1e22,
    2.8772586035381242e17,
    5e-324,
    -2.2250738585072014e-308,
    Number.MAX_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    59000.123456789,
  ])("%s", (x) => expect(written(x)).toBe(pythonFloat(x)));

  it("for arbitrary doubles and bit patterns", () => {
    const ranges = [
      fc.double(),
      anyBits,
      fc.double({ min: 1e15, max: 1e22 }),
      fc.double({ min: -1e22, max: -1e15 }),
      fc.double({ min: 1e-7, max: 1e-4 }),
      fc.double({ min: -1e-4, max: -1e-7 }),
      fc.double({ min: -Number.MIN_VALUE * 2 ** 52, max: Number.MIN_VALUE * 2 ** 52 }), // subnormals
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 }).map((i) => i * 1.0),
    ];
    fc.assert(
      fc.property(fc.oneof(...ranges), (x) => {
        expect(written(x)).toBe(pythonFloat(x));
      }),
      { seed: 7, numRuns: 30_000 },
    );
  });
});

describe("formatBatch = csvLine", () => {
  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: "grapheme", maxLength: 8 }),
    fc.constantFrom("", ";", '"', "\n", "\r", 'a;"b"', "x\r\ny", "ROAD_Cam", "V(GaiaSP)"),
  );
  const float = fc.oneof(fc.double(), anyBits, fc.double({ min: 50000, max: 60000 }));
  const row = fc.tuple(float, float, float, text, text, text);

  it("for batches of arbitrary points with odd text", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const got = formatBatch({
          mjd: readFloat8Array(float8Array(rows.map((r) => r[0]))),
          value: readFloat8Array(float8Array(rows.map((r) => r[1]))),
          error: readFloat8Array(float8Array(rows.map((r) => r[2]))),
          text: [3, 4, 5].map((k) => textArray(rows.map((r) => r[k] as string))) as [Buffer, Buffer, Buffer],
        });
        expect(got.toString("utf8")).toBe(rows.map((r) => csvLine(r)).join(""));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });

  it("NaN and null as empty fields, ±0 and quotes as csvLine writes them", () => {
    const got = formatBatch({
      mjd: new Float64Array([Number.NaN, -0]),
      value: new Float64Array([1e16, 0]),
      error: new Float64Array([1e-5, Number.NEGATIVE_INFINITY]),
      text: [textArray(["F", 'say "hi"']), textArray([null, "V"]), textArray(["two\nlines", "o"])],
    });
    expect(got.toString()).toBe(';1e+16;1e-05;F;;"two\nlines"\n-0.0;0.0;-inf;"say ""hi""";V;o\n');
  });

  it("reads int4 and empty arrays", () => {
    const ints = binaryArray(
      23,
      [7, -3, 2 ** 31 - 1].map((i) => {
        const b = Buffer.alloc(4);
        b.writeInt32BE(i, 0);
        return b;
      }),
    );
    expect([...readInt4Array(ints)]).toEqual([7, -3, 2 ** 31 - 1]);
    expect(readFloat8Array(float8Array([])).length).toBe(0);
  });
});
