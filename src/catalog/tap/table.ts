/**
 * A TAP query's answer as a table, whatever its wire format (CSV, VOTable TABLEDATA, BINARY, BINARY2):
 * column names as the service wrote them, and one cell per column and row.
 *
 * Cells: a number for numeric columns of a binary VOTable, text otherwise (CSV and TABLEDATA are text; 64-bit
 * integers such as Gaia's `source_id` stay text, since they exceed 2⁵³), null for a missing value (an empty
 * CSV field, an empty or NaN TD, a BINARY2 null bit). Readers convert with {@link numberCell}.
 */

export type TapCell = number | string | null;

export interface TapTable {
  columns: string[];
  rows: TapCell[][];
  /** True when the service says it cut the result short (VOTable INFO QUERY_STATUS = OVERFLOW). */
  overflow: boolean;
}

/** An answer that is not a well-formed table (truncated, HTML, an error document, …); the message says which. */
export class TapFormatError extends Error {}

/** A cell as a number: NaN for null, empty text, "NaN" or anything that is not a number. */
export function numberCell(cell: TapCell): number {
  if (cell === null) return NaN;
  if (typeof cell === "number") return cell;
  const text = cell.trim();
  return text === "" ? NaN : Number(text);
}

/** Index of a column: the exact name first, else the only case-insensitive match; −1 when absent. */
export function columnIndex(table: TapTable, name: string): number {
  const exact = table.columns.indexOf(name);
  if (exact >= 0) return exact;
  const folded = table.columns.flatMap((c, i) => (c.toLowerCase() === name.toLowerCase() ? [i] : []));
  return folded.length === 1 ? folded[0] : -1;
}

/** The service reported that the query failed (a VOTable INFO QUERY_STATUS = ERROR); its message as given. */
export class TapQueryError extends Error {}
