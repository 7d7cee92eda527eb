/**
 * BHTOM's pagination (bhtom-behaviour.md §1.6): `page` comes in the request body, the answer is the
 * envelope `{count, num_pages, current_page, data}`. Page numbers follow Django's Paginator: a value that
 * is not an integer gives page 1; 0, negative, `false` or past the end gives the last page (clamping
 * endpoints), or 400 `{"error": "Invalid page number."}` on the strict ones (reducedDatum).
 */
import { BadRequestError } from "../domain/errors.ts";
import { integerValue } from "../domain/input.ts";

export interface Page {
  currentPage: number;
  numPages: number;
  offset: number;
  limit: number;
}

export interface Envelope<T> {
  count: number;
  num_pages: number;
  current_page: number;
  data: T[];
}

/** Python `int(value)` as Django applies it to a page number; null when it is not an integer. */
export function pageAsInteger(raw: unknown): number | null {
  if (raw === undefined) return 1;
  if (typeof raw === "boolean") return raw ? 1 : 0;
  return integerValue(raw) ?? null;
}

export class InvalidPageError extends BadRequestError {
  constructor() {
    super("Invalid page number.");
  }
}

export function resolvePage(
  raw: unknown,
  count: number,
  pageSize: number,
  mode: "clamp" | "strict" = "clamp",
): Page {
  const numPages = Math.max(1, Math.ceil(count / pageSize));
  const n = pageAsInteger(raw);
  let currentPage: number;
  if (n === null) {
    if (mode === "strict") throw new InvalidPageError();
    currentPage = 1;
  } else if (n < 1 || n > numPages) {
    if (mode === "strict") throw new InvalidPageError();
    currentPage = numPages;
  } else {
    currentPage = n;
  }
  return { currentPage, numPages, offset: (currentPage - 1) * pageSize, limit: pageSize };
}

export function envelope<T>(count: number, page: Page, data: T[]): Envelope<T> {
  return { count, num_pages: page.numPages, current_page: page.currentPage, data };
}
