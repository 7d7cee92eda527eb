import { describe, expect, it } from "vitest";
import { envelope, InvalidPageError, pageAsInteger, resolvePage } from "../src/http/pagination.ts";

describe("page numbers as Django's Paginator reads them (bhtom-behaviour.md §1.6)", () => {
  it.each([
    [undefined, 1],
    [2, 2],
    ["2", 2],
    [2.0, 2],
    [" 2 ", 2],
    [true, 1],
    [false, 0],
    [1.5, null],
    ["2.0", null],
    ["abc", null],
    ["", null],
    [null, null],
    [[1], null],
    [{ page: 1 }, null],
  ])("int(%j) → %j", (raw, expected) => {
    expect(pageAsInteger(raw)).toBe(expected);
  });

  it("clamping endpoints: non-integers give page 1, out-of-range gives the last page", () => {
    const count = 450; // 3 pages of 200
    expect(resolvePage(undefined, count, 200)).toEqual({
      currentPage: 1,
      numPages: 3,
      offset: 0,
      limit: 200,
    });
    expect(resolvePage("abc", count, 200).currentPage).toBe(1);
    expect(resolvePage(1.5, count, 200).currentPage).toBe(1);
    expect(resolvePage(2, count, 200)).toEqual({ currentPage: 2, numPages: 3, offset: 200, limit: 200 });
    for (const raw of [0, -1, false, 4, 99]) expect(resolvePage(raw, count, 200).currentPage).toBe(3);
  });

  it("num_pages is at least 1 and page 1 of an empty set is valid", () => {
    const page = resolvePage(5, 0, 200);
    expect(page).toEqual({ currentPage: 1, numPages: 1, offset: 0, limit: 200 });
    expect(envelope(0, page, [])).toEqual({ count: 0, num_pages: 1, current_page: 1, data: [] });
  });

  it("strict endpoints (reducedDatum) refuse what the others clamp", () => {
    for (const raw of ["abc", 1.5, null, 0, -2, false, 3]) {
      expect(() => resolvePage(raw, 10, 5, "strict")).toThrow(InvalidPageError);
    }
    expect(resolvePage("2", 10, 5, "strict").currentPage).toBe(2);
    expect(resolvePage(true, 10, 5, "strict").currentPage).toBe(1);
  });

  it("exact multiples: 400 rows at 200 per page is 2 pages", () => {
    expect(resolvePage(3, 400, 200)).toMatchObject({ currentPage: 2, numPages: 2 });
  });
});
