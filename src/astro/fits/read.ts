/**
 * Reading the first image of a FITS file (FITS Standard 4.0): the primary HDU when NAXIS ≥ 2 (§4.4.1.1),
 * else the first IMAGE extension (§7.1), else the first tile-compressed image (BINTABLE with ZIMAGE = T,
 * see tiled.ts). Data sizes follow §4.4.1.1 / §7 (|BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn)),
 * every HDU is padded to 2880-byte blocks (§3.3), values are big-endian (§5) and scaled by BZERO/BSCALE
 * with BLANK → NaN for integer data (§4.4.2.5). Gzip-compressed files are recognised by their magic bytes.
 *
 * Every declared size is compared with the bytes present before anything is allocated, so malformed or
 * hostile input fails fast with a {@link FitsError}.
 */
import { constants as zlibConstants, gunzipSync } from "node:zlib";
import { FitsError } from "./errors.ts";
import { parseHeaderBlocks } from "./header.ts";
import type { FitsHeader } from "./header.ts";
import {
  allocPixels,
  checkBitpix,
  decodePixels,
  gunzipCapped,
  gunzipLimit,
  isColourCubeShape,
  isGzip,
} from "./pixels.ts";
import type { Bitpix, PixelArray, PixelScaling } from "./pixels.ts";
import { decodeTiledImage, imageHeaderFromTiled, isTiledImageHeader } from "./tiled.ts";
import type { TiledCompressionInfo } from "./tiled.ts";

export interface ReadFitsOptions {
  /** Largest image plane (width × height) accepted; default 2^28 pixels. */
  maxPixels?: number;
  /** Header blocks allowed before END must appear; default 1000 (36,000 cards). */
  maxHeaderBlocks?: number;
  /** Cap on the size of a gunzipped file; default maxPixels × 8 + 64 MiB (within Node's Buffer limit). */
  maxGunzipBytes?: number;
  /**
   * Read all three planes of a colour cube (NAXIS3 = 3, any further axes 1: a debayered R, G, B image)
   * into `data`, plane after plane; `planes` is then 3. Any other cube still gives its first plane only.
   * Default false. maxPixels still bounds one plane (the data then take three times its memory).
   */
  colourCube?: boolean;
  /**
   * Decode into a SharedArrayBuffer-backed array, which worker threads read without a copy (the parallel
   * extraction, `extractSourcesParallel`). Default false.
   */
  sharedMemory?: boolean;
  /**
   * The pixels of an earlier image that nobody uses any more: `readFitsFile` decodes an uncompressed image
   * into them when their type, length and memory (shared or not) are what it needs, instead of a new
   * array. Fresh memory is paid in page faults (≈ 16,000 for a 64 MB frame, a quarter of a batch
   * command's system time on a VM), so a batch of same-size frames allocates its pixels once.
   */
  recycle?: PixelArray;
}

/** The first image of a FITS file, as physical values (BZERO + BSCALE × stored; NaN = undefined). */
export interface FitsImage {
  /** The image's header (for a tile-compressed image: the reconstructed uncompressed header). */
  header: FitsHeader;
  /** NAXIS1: pixels per row (x, fastest varying). */
  width: number;
  /** NAXIS2: number of rows (y). */
  height: number;
  /** Planes of the cube (NAXIS3 × …; 1 for a 2-D image). */
  depth: number;
  /** Planes in `data`: 1 (the first), or 3 for a colour cube read with `colourCube`. */
  planes: 1 | 3;
  /**
   * Row-major pixels, index (y − 1) · width + (x − 1) for 1-based FITS pixel (x, y); with 3 planes, plane
   * p (0-based) follows at p · width · height. Float64Array for BITPIX 32, 64, −64.
   */
  data: PixelArray;
  bitpix: Bitpix;
  /** 0 = primary HDU, 1 = first extension, … */
  hduIndex: number;
  /** Things the caller may want to know (cube reduced to its first plane, gunzipped, lossy compression…). */
  notes: string[];
  /** Present for tile-compressed images. */
  compression?: TiledCompressionInfo;
}

/** What {@link readFitsHeaderOnly} reports about the image HDU. */
export interface FitsHeaderSummary {
  header: FitsHeader;
  hduIndex: number;
  width: number;
  height: number;
  depth: number;
  bitpix: Bitpix;
  compressed: boolean;
}

/** The image HDU found by walking the headers. */
export interface Located {
  header: FitsHeader;
  hduIndex: number;
  dataOffset: number;
  dataSize: number;
  dims: number[];
  bitpix: Bitpix;
  tiled: boolean;
}

const DEFAULT_MAX_PIXELS = 2 ** 28;

/** The reader's options with their defaults (`recycle` is the file reader's alone: file.ts). */
export type ResolvedReadOptions = Required<Omit<ReadFitsOptions, "recycle">>;

function resolve(options: ReadFitsOptions = {}): ResolvedReadOptions {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  return {
    maxPixels,
    colourCube: options.colourCube ?? false,
    sharedMemory: options.sharedMemory ?? false,
    maxHeaderBlocks: options.maxHeaderBlocks ?? 1000,
    maxGunzipBytes: gunzipLimit(
      options.maxGunzipBytes ?? maxPixels * 8 * (options.colourCube ? 3 : 1) + 2 ** 26,
    ),
  };
}

function nonNegativeInt(h: FitsHeader, key: string, fallback?: number): number {
  const v = h.get(key) ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    const what = v === undefined ? "is missing" : `= ${String(v)} is not a non-negative integer`;
    throw new FitsError("NAXIS_MISMATCH", `${key} ${what} (NAXIS = ${String(h.get("NAXIS"))})`);
  }
  return v;
}

/** Data-unit geometry of an HDU (§4.4.1.1 primary and random groups §6, §7 extensions). */
function layoutOf(h: FitsHeader, primary: boolean): { bitpix: Bitpix; dims: number[]; dataSize: number } {
  const bitpix = checkBitpix(h.get("BITPIX"));
  const naxis = nonNegativeInt(h, "NAXIS");
  if (naxis > 999) throw new FitsError("NAXIS_MISMATCH", `NAXIS = ${naxis} exceeds 999 (§4.4.1.1)`);
  const dims: number[] = [];
  for (let i = 1; i <= naxis; i++) dims.push(nonNegativeInt(h, `NAXIS${i}`));
  const groups = primary && naxis > 0 && dims[0] === 0 && h.get("GROUPS") === true;
  const pcount = primary && !groups ? 0 : nonNegativeInt(h, "PCOUNT", 0);
  const gcount = primary && !groups ? 1 : nonNegativeInt(h, "GCOUNT", 1);
  const axes = groups ? dims.slice(1) : dims;
  const product = naxis === 0 ? 0 : axes.reduce((a, b) => a * b, 1);
  const dataSize = (Math.abs(bitpix) / 8) * gcount * (pcount + product);
  return { bitpix, dims, dataSize };
}

function isImage(h: FitsHeader, index: number, dims: number[]): boolean {
  const planar = dims.length >= 2 && dims.every((n) => n > 0);
  if (index === 0) return planar;
  return h.getString("XTENSION")?.trim() === "IMAGE" && planar;
}

/**
 * Walk the HDUs to the first image. With `complete` false (a gunzipped prefix) running out of bytes is
 * reported as TRUNCATED so that the caller can retry with more data.
 */
function locate(
  bytes: Uint8Array,
  opts: ResolvedReadOptions,
  requireData: boolean,
  complete = true,
): Located {
  let offset = 0;
  for (let index = 0; ; index++) {
    const { header, dataOffset } = parseHeaderBlocks(
      bytes,
      offset,
      index === 0 ? "SIMPLE" : "XTENSION",
      opts.maxHeaderBlocks,
    );
    const { bitpix, dims, dataSize } = layoutOf(header, index === 0);
    const tiled = index > 0 && isTiledImageHeader(header);
    if (tiled || isImage(header, index, dims)) {
      const remain = Math.max(0, bytes.length - dataOffset);
      if (requireData && dataSize > remain) {
        const decl = tiled ? `${dims.join("×")} + PCOUNT` : `${dims.join("×")}×${Math.abs(bitpix) / 8}`;
        throw new FitsError(
          "TRUNCATED",
          `truncated data: header declares ${decl} = ${dataSize} bytes but only ${remain} remain`,
        );
      }
      return { header, hduIndex: index, dataOffset, dataSize, dims, bitpix, tiled };
    }
    if (dataSize > bytes.length - dataOffset) {
      throw new FitsError(
        "TRUNCATED",
        `truncated data: HDU ${index} declares ${dataSize} bytes of data but only ${Math.max(0, bytes.length - dataOffset)} remain`,
      );
    }
    offset = dataOffset + Math.ceil(dataSize / 2880) * 2880;
    if (offset >= bytes.length || bytes[offset] !== 0x58 /* 'X' */) {
      if (!complete) throw new FitsError("TRUNCATED", "need more of the gunzipped stream");
      const which =
        index === 0
          ? "the primary HDU has no image (NAXIS < 2)"
          : `none of the ${index + 1} HDUs is an image`;
      throw new FitsError(
        "EMPTY",
        `no image HDU: ${which} and no IMAGE or compressed-image extension follows`,
      );
    }
  }
}

function scalingOf(h: FitsHeader, bitpix: Bitpix, notes: string[]): PixelScaling {
  const bzero = h.getNumber("BZERO") ?? 0;
  const bscale = h.getNumber("BSCALE") ?? 1;
  if (h.has("BZERO") && h.getNumber("BZERO") === undefined) notes.push("BZERO is not a number: ignored");
  if (h.has("BSCALE") && h.getNumber("BSCALE") === undefined) notes.push("BSCALE is not a number: ignored");
  const blankText = h.getValueText("BLANK");
  if (blankText === undefined) return { bzero, bscale };
  if (bitpix < 0) {
    notes.push("BLANK ignored: floating-point data mark undefined pixels with NaN (§4.4.2.5)");
    return { bzero, bscale };
  }
  if (!/^[+-]?\d+$/.test(blankText)) {
    notes.push(`BLANK = ${blankText} is not an integer: ignored`);
    return { bzero, bscale };
  }
  return { bzero, bscale, blank: BigInt(blankText) };
}

function prepare(input: Uint8Array, opts: ResolvedReadOptions, notes: string[]): Uint8Array {
  if (input.length === 0) throw new FitsError("EMPTY", "empty input: 0 bytes");
  if (!isGzip(input)) return input;
  const out = gunzipCapped(input, opts.maxGunzipBytes, "gzip-compressed FITS");
  notes.push(`gunzipped ${input.length} → ${out.length} bytes`);
  if (out.length === 0) throw new FitsError("EMPTY", "empty input: the gzip stream holds 0 bytes");
  return out;
}

/**
 * Read the first image of a FITS file (plain or gzip-compressed bytes).
 *
 * @throws FitsError with code TRUNCATED, BAD_BITPIX, NAXIS_MISMATCH, NOT_FITS, EMPTY, TOO_LARGE or UNSUPPORTED
 */
export function readFits(input: Uint8Array, options?: ReadFitsOptions): FitsImage {
  const opts = resolve(options);
  const notes: string[] = [];
  const bytes = prepare(input, opts, notes);
  const loc = locate(bytes, opts, true);
  if (loc.tiled) {
    const t = decodeTiledImage(loc.header, bytes, loc.dataOffset, opts);
    return {
      header: t.header,
      width: t.width,
      height: t.height,
      depth: t.depth,
      planes: t.planes,
      data: t.data,
      bitpix: t.bitpix,
      hduIndex: loc.hduIndex,
      notes: [...notes, ...t.notes],
      compression: t.compression,
    };
  }
  const plan = plainPlan(loc, opts, notes);
  const data = allocPixels(loc.bitpix, plan.width * plan.height * plan.planes, opts.sharedMemory);
  // A gunzipped buffer is ours: its bytes may be swapped where they are (no copy).
  decodePixels(bytes, loc.dataOffset, data.length, loc.bitpix, data, plan.scaling, 0, bytes !== input);
  return plainImage(plan, data);
}

/** An uncompressed image located in a file: what to allocate and how to scale it. */
export interface PlainImagePlan {
  loc: Located;
  width: number;
  height: number;
  depth: number;
  /** Planes to decode: 1, or 3 for a colour cube read with `colourCube`. */
  planes: 1 | 3;
  scaling: PixelScaling;
  notes: string[];
}

function plainPlan(loc: Located, opts: ResolvedReadOptions, notes: string[]): PlainImagePlan {
  const [width, height] = loc.dims;
  const depth = loc.dims.slice(2).reduce((a, b) => a * b, 1);
  if (width * height > opts.maxPixels) {
    throw new FitsError(
      "TOO_LARGE",
      `image of ${width}×${height} pixels exceeds maxPixels = ${opts.maxPixels}`,
    );
  }
  const planes = opts.colourCube && isColourCubeShape(loc.dims) ? 3 : 1;
  if (planes === 3) notes.push(`colour cube ${loc.dims.join("×")}: returned its 3 planes (R, G, B)`);
  else if (depth > 1) notes.push(`cube ${loc.dims.join("×")} with ${depth} planes: returned the first plane`);
  const scaling = scalingOf(loc.header, loc.bitpix, notes);
  return { loc, width, height, depth, planes, scaling, notes };
}

/** The image of a plan, with its decoded pixels (width × height × planes of them). */
export function plainImage(plan: PlainImagePlan, data: PixelArray): FitsImage {
  const { loc, width, height } = plan;
  return {
    header: loc.header,
    width,
    height,
    depth: plan.depth,
    planes: plan.planes,
    data,
    bitpix: loc.bitpix,
    hduIndex: loc.hduIndex,
    notes: plan.notes,
  };
}

/**
 * For reading straight from a file: from the file's first bytes (`prefix`) and its size, the plan of an
 * uncompressed image whose data unit is wholly in the file ("plain"); "more" when the headers run past the
 * prefix; "whole" when the file must be read whole and given to {@link readFits} (gzip, tile compression,
 * or anything readFits will refuse — it then reports the problem exactly as for bytes in memory).
 */
export function planPlainRead(
  prefix: Uint8Array,
  fileSize: number,
  options?: ReadFitsOptions,
): PlainImagePlan | "more" | "whole" {
  const opts = resolve(options);
  const complete = prefix.length >= fileSize;
  if (prefix.length === 0 || isGzip(prefix)) return "whole";
  let loc: Located;
  try {
    loc = locate(prefix, opts, false, complete);
  } catch (err) {
    return !complete && err instanceof FitsError && err.code === "TRUNCATED" ? "more" : "whole";
  }
  if (loc.tiled || loc.dataSize > fileSize - loc.dataOffset) return "whole";
  try {
    return plainPlan(loc, opts, []);
  } catch {
    return "whole";
  }
}

function summary(loc: Located): FitsHeaderSummary {
  if (!loc.tiled) {
    const [width, height] = loc.dims;
    const depth = loc.dims.slice(2).reduce((a, b) => a * b, 1);
    return {
      header: loc.header,
      hduIndex: loc.hduIndex,
      width,
      height,
      depth,
      bitpix: loc.bitpix,
      compressed: false,
    };
  }
  const header = imageHeaderFromTiled(loc.header);
  const layout = layoutOf(header, false);
  const [width, height] = layout.dims;
  if (layout.dims.length < 2) throw new FitsError("NAXIS_MISMATCH", "compressed image: ZNAXIS < 2");
  const depth = layout.dims.slice(2).reduce((a, b) => a * b, 1);
  return { header, hduIndex: loc.hduIndex, width, height, depth, bitpix: layout.bitpix, compressed: true };
}

/**
 * Read only the header of the image HDU that {@link readFits} would return (no pixels decoded; for a
 * gzipped file only as much of the stream as needed is inflated).
 */
export function readFitsHeaderOnly(input: Uint8Array, options?: ReadFitsOptions): FitsHeaderSummary {
  const opts = resolve(options);
  if (input.length === 0) throw new FitsError("EMPTY", "empty input: 0 bytes");
  if (!isGzip(input)) return summary(locate(input, opts, false));
  for (let n = 1 << 16; ; n *= 4) {
    const complete = n >= input.length;
    let out: Uint8Array;
    if (complete) out = gunzipCapped(input, opts.maxGunzipBytes, "gzip-compressed FITS");
    else {
      try {
        const b = gunzipSync(input.subarray(0, n), {
          finishFlush: zlibConstants.Z_SYNC_FLUSH,
          maxOutputLength: Math.max(1, opts.maxGunzipBytes),
        });
        out = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch {
        continue; // let the complete pass report the problem
      }
    }
    if (out.length === 0) {
      if (complete) throw new FitsError("EMPTY", "empty input: the gzip stream holds 0 bytes");
      continue;
    }
    try {
      return summary(locate(out, opts, false, complete));
    } catch (err) {
      if (complete || !(err instanceof FitsError) || err.code !== "TRUNCATED") throw err;
    }
  }
}
