/** FITS binary tables written for tests (catalogue import). */
import { FitsHeader, formatHeader } from "../../src/astro/fits/index.ts";

/** A FITS file with one BINTABLE of float64 columns (TFORM `form`, default '1D'); NaN cells stay NaN. */
export function fitsTable(columns: Record<string, number[]>, form = "1D"): Uint8Array {
  const names = Object.keys(columns);
  const rows = columns[names[0]].length;
  const primary = FitsHeader.fromRecord({ SIMPLE: true, BITPIX: 8, NAXIS: 0, EXTEND: true });
  const ext = FitsHeader.fromRecord({
    XTENSION: "BINTABLE",
    BITPIX: 8,
    NAXIS: 2,
    NAXIS1: 8 * names.length,
    NAXIS2: rows,
    PCOUNT: 0,
    GCOUNT: 1,
    TFIELDS: names.length,
  });
  names.forEach((n, i) => ext.set(`TTYPE${i + 1}`, n).set(`TFORM${i + 1}`, form));
  const data = new Uint8Array(Math.ceil((8 * names.length * rows) / 2880) * 2880);
  const view = new DataView(data.buffer);
  for (let r = 0; r < rows; r++)
    names.forEach((n, i) => view.setFloat64(8 * (r * names.length + i), columns[n][r]));
  return Buffer.concat([formatHeader(primary), formatHeader(ext), data]);
}
