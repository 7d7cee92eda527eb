/**
 * Errors raised by the FITS reader and writer.
 *
 * Every malformed input is reported as a {@link FitsError} with a machine-readable `code` and a message
 * that says what is wrong in terms of the file (declared sizes, keywords, bytes present), never a bare
 * `RangeError` from a typed-array constructor or a `DataView` read past the end.
 */

/** Vocabulary of FITS failure kinds. */
export const FITS_ERROR_CODES = [
  /** The file (or a header, a data unit, a compressed tile) ends before its declared size. */
  "TRUNCATED",
  /** BITPIX (or ZBITPIX) is not one of 8, 16, 32, 64, −32, −64 (FITS 4.0 §4.4.1.1, Table 8). */
  "BAD_BITPIX",
  /** NAXIS / NAXISn (or ZNAXIS / ZNAXISn, table layout) missing, negative or inconsistent. */
  "NAXIS_MISMATCH",
  /** Not a FITS file: no SIMPLE card, no END card within the allowed blocks, corrupt gzip. */
  "NOT_FITS",
  /** A valid FITS file without any image HDU (empty input included). */
  "EMPTY",
  /** The image exceeds the caller's `maxPixels` or the decompression cap. */
  "TOO_LARGE",
  /** A valid but unsupported feature (e.g. HCOMPRESS_1 tiles, a keyword that cannot be written). */
  "UNSUPPORTED",
] as const;

export type FitsErrorCode = (typeof FITS_ERROR_CODES)[number];

/** A FITS input or output problem; `code` classifies it, `message` explains it to a person. */
export class FitsError extends Error {
  readonly code: FitsErrorCode;

  constructor(code: FitsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FitsError";
    this.code = code;
  }
}

/** Type guard usable in `catch` blocks. */
export function isFitsError(err: unknown): err is FitsError {
  return err instanceof FitsError;
}
