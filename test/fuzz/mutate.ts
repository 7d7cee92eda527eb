/**
 * Mutations of valid inputs for the fuzz tests: flip, overwrite, insert, delete, duplicate and truncate
 * bytes (or text), as fast-check arbitraries so that failures shrink and replay from a seed.
 */
import fc from "fast-check";

export type ByteEdit =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "insert"; at: number; bytes: number[] }
  | { kind: "delete"; at: number; count: number }
  | { kind: "duplicate"; at: number; count: number }
  | { kind: "truncate"; at: number };

/** Positions are fractions of the current length, so an edit list applies to any input. */
const where = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const edit: fc.Arbitrary<{ kind: ByteEdit["kind"]; pos: number; n: number; bytes: number[] }> = fc.record({
  kind: fc.constantFrom("flip", "set", "set", "insert", "delete", "duplicate", "truncate") as fc.Arbitrary<
    ByteEdit["kind"]
  >,
  pos: where,
  n: fc.integer({ min: 0, max: 255 }),
  bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
});

/** 1–6 edits, applied in order. */
export const byteEdits = fc.array(edit, { minLength: 1, maxLength: 6 });

export function applyEdits(
  base: Uint8Array,
  edits: readonly { kind: ByteEdit["kind"]; pos: number; n: number; bytes: number[] }[],
): Uint8Array {
  let b = base;
  for (const e of edits) {
    const at = Math.floor(e.pos * b.length);
    switch (e.kind) {
      case "flip":
        if (b.length === 0) break;
        b = b.slice();
        b[at] ^= 1 << (e.n & 7);
        break;
      case "set":
        if (b.length === 0) break;
        b = b.slice();
        b[at] = e.n;
        break;
      case "insert":
        b = concat(b.subarray(0, at), Uint8Array.from(e.bytes), b.subarray(at));
        break;
      case "delete":
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + e.n)));
        break;
      case "duplicate":
        b = concat(b.subarray(0, at + 1 + e.n), b.subarray(at));
        break;
      case "truncate":
        b = b.slice(0, at);
        break;
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Characters that matter to text parsers: separators, quotes, signs, digits, exponents, odd Unicode. */
const SPICY = [
  ",",
  ";",
  "\t",
  " ",
  "\n",
  "\r",
  "\r\n",
  '"',
  "'",
  "#",
  "-",
  "+",
  ".",
  "e",
  "E",
  "d",
  "D",
  "0",
  "9",
  "99",
  "nan",
  "inf",
  "-inf",
  "Infinity",
  "1e400",
  "-1e400",
  "1e-400",
  "\u0000",
  "\uFEFF",
  "\u2212",
  "\uD800",
  "é",
  "𝔽",
  "(",
  ")",
  ":",
  "/",
  "999999",
];

/** Text edits: splice in interesting tokens, delete spans, duplicate or drop lines, truncate. */
const textEdit = fc.record({
  kind: fc.constantFrom("splice", "splice", "delete", "dupLine", "dropLine", "truncate", "random"),
  pos: where,
  n: fc.integer({ min: 0, max: 40 }),
  token: fc.constantFrom(...SPICY),
  random: fc.string({ unit: "binary", maxLength: 12 }),
});

export const textEdits = fc.array(textEdit, { minLength: 1, maxLength: 6 });

export function applyTextEdits(
  base: string,
  edits: readonly { kind: string; pos: number; n: number; token: string; random: string }[],
): string {
  let s = base;
  for (const e of edits) {
    const at = Math.floor(e.pos * s.length);
    switch (e.kind) {
      case "splice":
        s = s.slice(0, at) + e.token + s.slice(at + (e.n % 3));
        break;
      case "random":
        s = s.slice(0, at) + e.random + s.slice(at);
        break;
      case "delete":
        s = s.slice(0, at) + s.slice(at + 1 + e.n);
        break;
      case "dupLine":
      case "dropLine": {
        const lines = s.split("\n");
        const i = Math.floor(e.pos * lines.length);
        if (e.kind === "dupLine") lines.splice(i, 0, lines[i] ?? "");
        else lines.splice(i, 1);
        s = lines.join("\n");
        break;
      }
      case "truncate":
        s = s.slice(0, at);
        break;
    }
  }
  return s;
}
