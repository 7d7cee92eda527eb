/**
 * Just enough of binary tables (FITS Standard 4.0 §7.3) to read tile-compressed images: the column
 * layout from TFIELDS/TTYPEn/TFORMn (§7.3.1–7.3.3, Table 18), fixed-width numeric cells, and
 * variable-length arrays in the heap through `P` (two 32-bit) and `Q` (two 64-bit) descriptors
 * (§7.3.5: element count, byte offset from the start of the heap at THEAP).
 */
import { FitsError } from "./errors.ts";
import type { FitsHeader } from "./header.ts";

/** Bytes per element of each TFORM type code (Table 18); X (bits) is handled separately. */
const TYPE_BYTES: Record<string, number> = {
  L: 1,
  B: 1,
  I: 2,
  J: 4,
  K: 8,
  A: 1,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
  P: 8,
  Q: 16,
};

export interface TableColumn {
  name: string;
  /** Byte offset of the column within a row. */
  offset: number;
  /** Bytes occupied in the row. */
  width: number;
  /** Type code of the cell (P/Q for descriptors). */
  code: string;
  /** Element type: the cell's own code, or the type of the array the descriptor points to. */
  elemCode: string;
  elemBytes: number;
  float: boolean;
}

export interface TableLayout {
  bytes: Uint8Array;
  rows: number;
  rowBytes: number;
  dataOffset: number;
  heapOffset: number;
  /** Absolute end of the data unit (NAXIS1 × NAXIS2 + PCOUNT after dataOffset). */
  dataEnd: number;
  columns: TableColumn[];
}

function mismatch(msg: string): never {
  throw new FitsError("NAXIS_MISMATCH", `binary table: ${msg}`);
}

/** Parse the column layout of a BINTABLE header whose data unit starts at `dataOffset` in `bytes`. */
export function readBinTableLayout(h: FitsHeader, bytes: Uint8Array, dataOffset: number): TableLayout {
  const rowBytes = h.getNumber("NAXIS1") ?? -1;
  const rows = h.getNumber("NAXIS2") ?? -1;
  const pcount = h.getNumber("PCOUNT") ?? 0;
  const nfields = h.getNumber("TFIELDS") ?? -1;
  for (const [k, v] of [
    ["NAXIS1", rowBytes],
    ["NAXIS2", rows],
    ["PCOUNT", pcount],
    ["TFIELDS", nfields],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) mismatch(`${k} is missing or not a non-negative integer`);
  }
  if (nfields > 999) mismatch(`TFIELDS = ${nfields} exceeds 999`);
  const columns: TableColumn[] = [];
  let offset = 0;
  for (let i = 1; i <= nfields; i++) {
    const form = (h.getString(`TFORM${i}`) ?? "").trim().toUpperCase();
    const m = /^(\d*)([LXBIJKAEDCMPQ])(.*)$/.exec(form);
    if (!m) mismatch(`TFORM${i} = '${form}' is missing or not a valid format`);
    const repeat = m[1] === "" ? 1 : Number(m[1]);
    const code = m[2];
    let elemCode = code;
    if (code === "P" || code === "Q") {
      elemCode = m[3].charAt(0);
      if (!(elemCode in TYPE_BYTES) || repeat > 1)
        mismatch(`TFORM${i} = '${form}' is not a valid descriptor`);
    }
    const width = code === "X" ? Math.ceil(repeat / 8) : repeat * TYPE_BYTES[code];
    columns.push({
      name: (h.getString(`TTYPE${i}`) ?? "").trim().toUpperCase(),
      offset,
      width,
      code,
      elemCode,
      elemBytes: TYPE_BYTES[elemCode] ?? 1,
      float: elemCode === "E" || elemCode === "D",
    });
    offset += width;
  }
  if (offset !== rowBytes) mismatch(`columns (TFORMn) add up to ${offset} bytes but NAXIS1 = ${rowBytes}`);
  const theap = h.getNumber("THEAP") ?? rowBytes * rows;
  const dataEnd = dataOffset + rowBytes * rows + pcount;
  if (!Number.isSafeInteger(theap) || theap < rowBytes * rows || dataOffset + theap > dataEnd) {
    mismatch(`THEAP = ${theap} lies outside the data unit`);
  }
  if (dataEnd > bytes.length) {
    throw new FitsError(
      "TRUNCATED",
      `truncated data: the binary table declares ${dataEnd - dataOffset} bytes but only ${bytes.length - dataOffset} remain`,
    );
  }
  return { bytes, rows, rowBytes, dataOffset, heapOffset: dataOffset + theap, dataEnd, columns };
}

function rowView(t: TableLayout, col: TableColumn, row: number): DataView {
  if (row < 0 || row >= t.rows)
    throw new FitsError("NAXIS_MISMATCH", `binary table: row ${row + 1} of ${t.rows}`);
  return new DataView(
    t.bytes.buffer,
    t.bytes.byteOffset + t.dataOffset + row * t.rowBytes + col.offset,
    col.width,
  );
}

/**
 * Bytes of one cell: for P/Q columns the heap array it points to (checked to lie inside the heap),
 * otherwise the cell itself.
 */
export function tableBytes(t: TableLayout, col: TableColumn, row: number): Uint8Array {
  const dv = rowView(t, col, row);
  if (col.code !== "P" && col.code !== "Q") return new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);
  if (dv.byteLength < TYPE_BYTES[col.code]) return new Uint8Array(0);
  const count = col.code === "P" ? dv.getUint32(0) : Number(dv.getBigUint64(0));
  const off = col.code === "P" ? dv.getUint32(4) : Number(dv.getBigUint64(8));
  const start = t.heapOffset + off;
  const length = count * col.elemBytes;
  if (start + length > t.dataEnd) {
    throw new FitsError(
      "TRUNCATED",
      `binary table: row ${row + 1} column ${col.name} points to ${length} heap bytes at offset ${off}, beyond the heap end`,
    );
  }
  return t.bytes.subarray(start, start + length);
}

/** First numeric value of a fixed-width cell (B, I, J, K, E, D columns). */
export function tableNumber(t: TableLayout, col: TableColumn, row: number): number {
  const dv = rowView(t, col, row);
  if (dv.byteLength < (TYPE_BYTES[col.code] ?? 1))
    mismatch(`column ${col.name} has no value in row ${row + 1}`);
  switch (col.code) {
    case "B":
      return dv.getUint8(0);
    case "I":
      return dv.getInt16(0);
    case "J":
      return dv.getInt32(0);
    case "K":
      return Number(dv.getBigInt64(0));
    case "E":
      return dv.getFloat32(0);
    case "D":
      return dv.getFloat64(0);
    default:
      throw new FitsError(
        "UNSUPPORTED",
        `binary table: column ${col.name} (TFORM ${col.code}) is not numeric`,
      );
  }
}
