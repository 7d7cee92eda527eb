/** src/domain/input.ts: the one rule each for boolean words, integers and LIKE patterns. */
import { describe, expect, it } from "vitest";
import { booleanWord, containsPattern, integerValue, requireInteger } from "../src/domain/input.ts";
import { ValidationError } from "../src/domain/errors.ts";

describe("booleanWord: DRF's BooleanField words, any case", () => {
  it("reads every true and false spelling DRF knows, Python's True/False included", () => {
    for (const t of [true, 1, "true", "True", "TRUE", "t", "T", "yes", "Y", "on", "1", " 1 "]) {
      expect(booleanWord(t), String(t)).toBe(true);
    }
    for (const f of [false, 0, "false", "False", "f", "no", "N", "off", "OFF", "0"]) {
      expect(booleanWord(f), String(f)).toBe(false);
    }
  });
  it("anything else is undefined (the caller decides: 400, or a default)", () => {
    for (const v of ["", "None", "maybe", "2", 2, null, undefined, [], {}])
      expect(booleanWord(v)).toBeUndefined();
  });
});

describe("integerValue: Python's int() as DRF and Django's Paginator apply it", () => {
  it("integers, integral floats and digit strings with a sign and spaces", () => {
    expect(integerValue(5)).toBe(5);
    expect(integerValue(2.0)).toBe(2);
    expect(integerValue(" -12 ")).toBe(-12);
    expect(integerValue("+7")).toBe(7);
  });
  it("refuses fractions, exponents, hex, booleans and empty strings", () => {
    for (const v of [1.5, "1.5", "2.0", "1e3", "0x10", "", " ", true, null, "12abc", NaN, Infinity]) {
      expect(integerValue(v), String(v)).toBeUndefined();
    }
  });
  it("requireInteger names the field with DRF's message", () => {
    expect(() => requireInteger("x", "id")).toThrow(ValidationError);
    try {
      requireInteger("x", "id");
    } catch (err) {
      expect((err as ValidationError).fields).toEqual({ id: ["A valid integer is required."] });
    }
  });
});

describe("containsPattern: LIKE/ILIKE 'contains' with \\, % and _ taken literally", () => {
  it("escapes the three special characters and wraps in %", () => {
    expect(containsPattern("abc")).toBe("%abc%");
    expect(containsPattern("50%_off\\")).toBe("%50\\%\\_off\\\\%");
  });
});
