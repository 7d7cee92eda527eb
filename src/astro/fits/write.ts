/**
 * Writing a 2-D image (or a cube: `depth`) as a primary HDU (FITS Standard 4.0): mandatory keywords in the
 * order of §4.4.1.1 (SIMPLE, BITPIX, NAXIS, NAXIS1, NAXIS2[, NAXIS3]), then BZERO/BSCALE/BLANK (§4.4.2.5), then the caller's cards;
 * header padded with spaces and data with zeros to 2880-byte blocks (§3.3), data big-endian (§5).
 */
import { FitsError } from "./errors.ts";
import { FITS_BLOCK, FitsHeader, formatHeader } from "./header.ts";
import type { FitsValue } from "./header.ts";
import { checkBitpix, encodePixels } from "./pixels.ts";
import type { PixelScaling } from "./pixels.ts";

export interface WriteFitsInput {
  /** Physical pixel values, row-major (index (y − 1) · width + (x − 1)); at least width × height. */
  data: ArrayLike<number>;
  width: number;
  height: number;
  /** NAXIS3: planes of a cube, plane after plane in `data` (default 1: a 2-D image, NAXIS = 2). */
  depth?: number;
  bitpix: -32 | -64 | 8 | 16 | 32 | 64;
  /** Extra cards; structural keywords (SIMPLE, BITPIX, NAXISn, PCOUNT, GCOUNT, CHECKSUM…) are replaced. */
  header?: FitsHeader | Readonly<Record<string, FitsValue>>;
  /** stored = round((value − BZERO) / BSCALE). Integer BITPIX: defaults to the header's BZERO/BSCALE, else 0/1. */
  bzero?: number;
  bscale?: number;
  /** Stored value written for NaN pixels of integer BITPIX (BLANK keyword); defaults to the header's BLANK. */
  blank?: number | bigint;
}

const STRUCTURAL =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|EXTEND|BZERO|BSCALE|BLANK|END|CHECKSUM|DATASUM)$/;

function finite(name: string, v: number): number {
  if (!Number.isFinite(v)) throw new FitsError("UNSUPPORTED", `${name} = ${v} must be a finite number`);
  return v;
}

/**
 * Encode an image as a complete single-HDU FITS file.
 *
 * @throws FitsError NAXIS_MISMATCH (bad size or too little data), BAD_BITPIX, UNSUPPORTED (NaN in an
 *   integer image without BLANK, unwritable keyword)
 */
export function writeFits(input: WriteFitsInput): Uint8Array {
  const { width, height, data } = input;
  const bitpix = checkBitpix(input.bitpix);
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new FitsError("NAXIS_MISMATCH", `image size ${width}×${height} must be positive integers`);
  }
  const depth = input.depth ?? 1;
  if (!Number.isSafeInteger(depth) || depth < 1) {
    throw new FitsError("NAXIS_MISMATCH", `depth ${depth} must be a positive integer`);
  }
  const count = width * height * depth;
  if (data.length < count) {
    const shape = depth > 1 ? `${width}×${height}×${depth}` : `${width}×${height}`;
    throw new FitsError(
      "NAXIS_MISMATCH",
      `data has ${data.length} values but ${shape} = ${count} are needed`,
    );
  }
  const extra =
    input.header instanceof FitsHeader ? input.header.clone() : FitsHeader.fromRecord(input.header ?? {});
  const integer = bitpix > 0;
  const bzero = finite("BZERO", input.bzero ?? (integer ? (extra.getNumber("BZERO") ?? 0) : 0));
  const bscale = finite("BSCALE", input.bscale ?? (integer ? (extra.getNumber("BSCALE") ?? 1) : 1));
  if (bscale === 0) throw new FitsError("UNSUPPORTED", "BSCALE must not be 0");
  const blankText = integer ? extra.getValueText("BLANK") : undefined;
  const blankIn =
    input.blank ?? (blankText !== undefined && /^[+-]?\d+$/.test(blankText) ? BigInt(blankText) : undefined);
  const blank = integer && blankIn !== undefined ? BigInt(blankIn) : undefined;

  const h = new FitsHeader();
  h.set("SIMPLE", true, "conforms to FITS standard");
  h.set("BITPIX", bitpix, "array data type");
  h.set("NAXIS", depth > 1 ? 3 : 2, "number of array dimensions");
  h.set("NAXIS1", width);
  h.set("NAXIS2", height);
  if (depth > 1) h.set("NAXIS3", depth);
  if (bzero !== 0 || bscale !== 1) {
    h.set(
      "BZERO",
      bzero,
      bitpix === 16 && bzero === 32768 && bscale === 1 ? "unsigned 16-bit convention" : "",
    );
    h.set("BSCALE", bscale);
  }
  if (blank !== undefined) {
    const text = blank.toString();
    h.cards.push({
      key: "BLANK",
      value: Number(blank),
      valueText: text,
      comment: "stored value of undefined pixels",
    });
  }
  for (const c of extra.cards) if (c.commentary || !STRUCTURAL.test(c.key)) h.cards.push({ ...c });

  const head = formatHeader(h);
  const dataBytes = (count * Math.abs(bitpix)) / 8;
  const out = new Uint8Array(head.length + Math.ceil(dataBytes / FITS_BLOCK) * FITS_BLOCK);
  out.set(head, 0);
  const scaling: PixelScaling = { bzero, bscale, ...(blank !== undefined ? { blank } : {}) };
  encodePixels(data, count, bitpix, scaling, out, head.length);
  return out;
}
