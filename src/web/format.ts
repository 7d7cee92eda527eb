/**
 * Display helpers every template gets as `it.fmt` (from @fastify/view's defaultContext): dates in UTC,
 * numbers with a fixed precision, status letters as words. Units stay in the column headings.
 */
import type { Status } from "../vocabulary.ts";

const STATUS_LABELS: Record<Status, string> = {
  C: "Waiting",
  P: "In progress",
  S: "Done",
  E: "Error",
};

export const fmt = {
  /** `2025-03-01 21:14 UTC` from a Date or an ISO string; "—" for none. */
  dateTime(v: Date | string | null | undefined): string {
    if (v === null || v === undefined || v === "") return "—";
    const d = v instanceof Date ? v : new Date(v);
    if (Number.isNaN(d.getTime())) return String(v);
    return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  },
  /** `2025-03-01`. */
  date(v: Date | string | null | undefined): string {
    return fmt.dateTime(v).slice(0, 10);
  },
  /** A number with `digits` decimals; "—" for null/NaN. */
  num(v: number | null | undefined, digits = 2): string {
    return v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits);
  },
  /** Thousands separated by a thin space: 12 345. */
  count(n: number): string {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
  },
  /** A data product / calibration status letter (C, P, S, E) as a word. */
  status(letter: string): string {
    return STATUS_LABELS[letter as Status] ?? letter;
  },
};
