/**
 * Tile-compressed images (`.fz`, as written by fpack/cfitsio): a BINTABLE extension with `ZIMAGE = T`
 * whose rows are the image tiles. Reference: Pence, Seaman & White 2010, "Tiled Image Convention for
 * Storing Compressed Images in FITS Binary Tables" (registered FITS convention; cited below as TIC):
 * §2–3 (ZIMAGE, ZBITPIX, ZNAXISn, ZTILEn, ZCMPTYPE, ZNAMEi/ZVALi), §4 (quantisation: ZSCALE, ZZERO,
 * ZBLANK, ZQUANTIZ, ZDITHER0 and the subtractive-dithering random sequence), §5 (RICE_1, GZIP_1, GZIP_2,
 * NOCOMPRESS), §3.3 (UNCOMPRESSED_DATA / GZIP_COMPRESSED_DATA fallback columns) and §6 (restoring the
 * image header). Binary tables and the heap: FITS Standard 4.0 §7.3 (TFORMn, §7.3.5 P/Q descriptors).
 */
import { FitsError } from "./errors.ts";
import { FitsHeader } from "./header.ts";
import {
  allocPixels,
  checkBitpix,
  decodeValues,
  gunzipCapped,
  isColourCubeShape,
  unshuffle,
} from "./pixels.ts";
import type { Bitpix, PixelArray } from "./pixels.ts";
import { readBinTableLayout, tableBytes, tableNumber } from "./bintable.ts";
import type { TableColumn, TableLayout } from "./bintable.ts";
import { N_RANDOM, dequantizeDithered, ditherRandoms } from "./quantize.ts";
import { riceDecompress } from "./rice.ts";
import type { RiceBytePix } from "./rice.ts";

/** Compression algorithms this reader decodes (TIC §5). */
export const TILE_COMPRESSIONS = ["RICE_1", "GZIP_1", "GZIP_2", "NOCOMPRESS"] as const;
export type TileCompression = (typeof TILE_COMPRESSIONS)[number];
export type Quantize = "NO_DITHER" | "SUBTRACTIVE_DITHER_1" | "SUBTRACTIVE_DITHER_2" | "NONE";

/** How a tile-compressed image was stored (returned next to the pixels). */
export interface TiledCompressionInfo {
  type: TileCompression;
  quantize: Quantize;
  /** ZDITHER0: seed of the dithering sequence (1–10000). */
  ditherSeed: number;
  tileShape: number[];
  tiles: number;
  /** ZSCALE of each tile (quantisation step of floats, TIC §4.1) when quantised, else undefined. */
  zscale?: Float64Array;
}

export interface TiledImage {
  header: FitsHeader;
  width: number;
  height: number;
  depth: number;
  /** Planes in `data` (1, or 3 for a colour cube decoded with `colourCube`), plane after plane. */
  planes: 1 | 3;
  bitpix: Bitpix;
  data: PixelArray;
  compression: TiledCompressionInfo;
  notes: string[];
}

/** Is this header a tile-compressed image (TIC §2: XTENSION = 'BINTABLE' and ZIMAGE = T)? */
export function isTiledImageHeader(h: FitsHeader): boolean {
  return h.getString("XTENSION")?.trim() === "BINTABLE" && h.get("ZIMAGE") === true;
}

const TABLE_KEYS =
  /^(XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|THEAP|T(TYPE|FORM|UNIT|SCAL|ZERO|NULL|DIM|DISP)\d+)$/;
const Z_ONLY =
  /^(ZIMAGE|ZCMPTYPE|ZTILE\d+|ZNAME\d+|ZVAL\d+|ZQUANTIZ|ZDITHER0|ZSCALE|ZZERO|ZBLANK|ZMASKCMP|CHECKSUM|DATASUM)$/;
const RENAMED: Record<string, string> = {
  ZSIMPLE: "SIMPLE",
  ZTENSION: "XTENSION",
  ZBITPIX: "BITPIX",
  ZNAXIS: "NAXIS",
  ZPCOUNT: "PCOUNT",
  ZGCOUNT: "GCOUNT",
  ZEXTEND: "EXTEND",
  ZBLOCKED: "BLOCKED",
  ZHECKSUM: "CHECKSUM",
  ZDATASUM: "DATASUM",
};

/** Rebuild the uncompressed image header from the table header (TIC §6: Z keywords → standard ones). */
export function imageHeaderFromTiled(table: FitsHeader): FitsHeader {
  const naxis = table.getNumber("ZNAXIS") ?? 0;
  // Checked before the loop over ZNAXISn: a hostile ZNAXIS = 4294967296 must not spin for minutes.
  if (!Number.isInteger(naxis) || naxis < 0 || naxis > 999) {
    const v = String(table.get("ZNAXIS"));
    throw new FitsError("NAXIS_MISMATCH", `compressed image: ZNAXIS = ${v}, expected an integer 0–999`);
  }
  const out = new FitsHeader();
  if (table.has("ZSIMPLE")) out.set("SIMPLE", table.get("ZSIMPLE") ?? true, "conforms to FITS standard");
  else out.set("XTENSION", table.getString("ZTENSION") ?? "IMAGE", "image extension");
  const first = new Set(["SIMPLE", "XTENSION", "BITPIX", "NAXIS"]);
  const bitpixCard = table.getCard("ZBITPIX");
  out.set("BITPIX", table.get("ZBITPIX") ?? null, bitpixCard?.comment);
  out.set("NAXIS", naxis, table.getCard("ZNAXIS")?.comment);
  for (let i = 1; i <= naxis; i++) {
    out.set(`NAXIS${i}`, table.get(`ZNAXIS${i}`) ?? null, table.getCard(`ZNAXIS${i}`)?.comment);
    first.add(`NAXIS${i}`);
  }
  if (!table.has("ZSIMPLE")) {
    out.set("PCOUNT", table.get("ZPCOUNT") ?? 0);
    out.set("GCOUNT", table.get("ZGCOUNT") ?? 1);
    first.add("PCOUNT").add("GCOUNT");
  }
  for (const c of table.cards) {
    if (c.commentary) {
      out.cards.push({ ...c });
      continue;
    }
    if (TABLE_KEYS.test(c.key) || Z_ONLY.test(c.key) || /^ZNAXIS\d*$/.test(c.key)) continue;
    if (c.key === "EXTNAME" && c.value === "COMPRESSED_IMAGE") continue;
    const key = RENAMED[c.key] ?? c.key;
    if (first.has(key)) continue;
    out.cards.push({ ...c, key });
  }
  return out;
}

interface TileParams {
  type: TileCompression;
  quantize: Quantize;
  blockSize: number;
  bytePix: RiceBytePix;
}

function tileParams(h: FitsHeader): TileParams {
  const raw = (h.getString("ZCMPTYPE") ?? "").trim().toUpperCase();
  const type = raw === "RICE_ONE" ? "RICE_1" : raw;
  if (!(TILE_COMPRESSIONS as readonly string[]).includes(type)) {
    throw new FitsError(
      "UNSUPPORTED",
      `tile compression ZCMPTYPE = '${raw}' is not supported (supported: ${TILE_COMPRESSIONS.join(", ")}); decompress with funpack first`,
    );
  }
  const named = new Map<string, number>();
  for (let i = 1; i < 100 && h.has(`ZNAME${i}`); i++) {
    const v = h.getNumber(`ZVAL${i}`);
    if (v !== undefined) named.set((h.getString(`ZNAME${i}`) ?? "").trim().toUpperCase(), v);
  }
  const bytePix = type !== "RICE_1" ? 4 : (named.get("BYTEPIX") ?? 4);
  if (bytePix !== 1 && bytePix !== 2 && bytePix !== 4) {
    throw new FitsError("UNSUPPORTED", `RICE_1 with BYTEPIX = ${bytePix} is not supported (1, 2 or 4)`);
  }
  const blockSize = named.get("BLOCKSIZE") ?? 32;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 65536) {
    throw new FitsError("UNSUPPORTED", `RICE_1 with BLOCKSIZE = ${blockSize} is not supported (1–65536)`);
  }
  const q = (h.getString("ZQUANTIZ") ?? "NO_DITHER").trim().toUpperCase();
  if (!["NO_DITHER", "SUBTRACTIVE_DITHER_1", "SUBTRACTIVE_DITHER_2", "NONE"].includes(q)) {
    throw new FitsError("UNSUPPORTED", `ZQUANTIZ = '${q}' is not a known quantisation method (TIC §4)`);
  }
  return {
    type: type as TileCompression,
    quantize: q as Quantize,
    blockSize,
    bytePix,
  };
}

export interface TiledOptions {
  maxPixels: number;
  /** Decode all three planes of a colour cube (ZNAXIS3 = 3; read.ts `colourCube`). */
  colourCube?: boolean;
  /** Decode into a SharedArrayBuffer-backed array (read.ts `sharedMemory`). */
  sharedMemory?: boolean;
}

/** Image and tile geometry from ZNAXISn / ZTILEn (TIC §3.1); tiles are clipped at the image edges. */
interface Geometry {
  dims: number[];
  tile: number[];
  /** Tiles along each axis. */
  counts: number[];
  tilesTotal: number;
  /** Planes per tile (ZTILE3 × …), all decoded even though only the first plane is kept. */
  tileDepth: number;
}

function geometry(table: FitsHeader, rows: number, maxPixels: number): Geometry {
  const znaxis = table.getNumber("ZNAXIS");
  if (znaxis === undefined || !Number.isInteger(znaxis) || znaxis < 2 || znaxis > 999) {
    const v = String(table.get("ZNAXIS"));
    throw new FitsError("NAXIS_MISMATCH", `compressed image: ZNAXIS = ${v}, expected an integer ≥ 2`);
  }
  const dims: number[] = [];
  const tile: number[] = [];
  for (let i = 1; i <= znaxis; i++) {
    const n = table.getNumber(`ZNAXIS${i}`);
    if (n === undefined || !Number.isInteger(n) || n < 1) {
      const v = n === undefined ? "missing" : n;
      throw new FitsError("NAXIS_MISMATCH", `compressed image: ZNAXIS = ${znaxis} but ZNAXIS${i} is ${v}`);
    }
    const t = table.getNumber(`ZTILE${i}`) ?? (i === 1 ? n : 1);
    if (!Number.isInteger(t) || t < 1) {
      throw new FitsError("NAXIS_MISMATCH", `compressed image: ZTILE${i} = ${t} is not a positive integer`);
    }
    dims.push(n);
    tile.push(Math.min(t, n));
  }
  if (dims[0] * dims[1] > maxPixels) {
    throw new FitsError(
      "TOO_LARGE",
      `compressed image of ${dims[0]}×${dims[1]} pixels exceeds maxPixels = ${maxPixels}`,
    );
  }
  const counts = dims.map((n, i) => Math.ceil(n / tile[i]));
  const tilesTotal = counts.reduce((a, b) => a * b, 1);
  if (rows < tilesTotal) {
    throw new FitsError(
      "NAXIS_MISMATCH",
      `compressed image needs ${tilesTotal} tiles but the table has ${rows} rows`,
    );
  }
  const tileDepth = tile.slice(2).reduce((a, b) => a * b, 1);
  if (tile[0] * tile[1] * tileDepth > maxPixels) {
    throw new FitsError(
      "TOO_LARGE",
      `compressed tile of ${tile.join("×")} pixels exceeds maxPixels = ${maxPixels}`,
    );
  }
  return { dims, tile, counts, tilesTotal, tileDepth };
}

/** Everything needed to turn one table row into tile pixels. */
interface TileContext {
  layout: TableLayout;
  p: TileParams;
  zbitpix: Bitpix;
  quantized: boolean;
  /** Bytes per value inside a COMPRESSED_DATA cell (4 for quantised floats). */
  elemBytes: number;
  cData?: TableColumn;
  cGzip?: TableColumn;
  cRaw?: TableColumn;
}

/**
 * The stored values of one tile: integers from COMPRESSED_DATA (RICE_1, GZIP_1/2, NOCOMPRESS), or from
 * the fallback columns GZIP_COMPRESSED_DATA / UNCOMPRESSED_DATA (TIC §3.3), which hold the pixels
 * losslessly in the image's own type. `isInt` tells whether the values still need (de)quantising.
 */
function tileValues(
  c: TileContext,
  row: number,
  npix: number,
): { values: ArrayLike<number>; isInt: boolean } {
  const what = `compressed image tile ${row + 1}`;
  const cell = c.cData ? tableBytes(c.layout, c.cData, row) : undefined;
  if (cell && cell.length > 0) {
    if (c.p.type === "RICE_1")
      return { values: riceDecompress(cell, npix, c.p.blockSize, c.p.bytePix), isInt: true };
    let raw = c.p.type === "NOCOMPRESS" ? cell : gunzipCapped(cell, npix * c.elemBytes, what);
    const size = c.cData && c.cData.elemBytes > 1 ? c.cData.elemBytes : c.elemBytes;
    if (c.p.type === "GZIP_2") raw = unshuffle(raw, size);
    const isInt = c.quantized || c.zbitpix > 0;
    return { values: decodeValues(raw, size, !isInt, npix, what), isInt };
  }
  const size = Math.abs(c.zbitpix) / 8;
  const g = c.cGzip ? tableBytes(c.layout, c.cGzip, row) : undefined;
  if (g && g.length > 0) {
    const values = decodeValues(gunzipCapped(g, npix * size, what), size, c.zbitpix < 0, npix, what);
    return { values, isInt: c.zbitpix > 0 };
  }
  const u = c.cRaw ? tableBytes(c.layout, c.cRaw, row) : undefined;
  if (u && u.length > 0 && c.cRaw) {
    return { values: decodeValues(u, c.cRaw.elemBytes, c.cRaw.float, npix, what), isInt: c.zbitpix > 0 };
  }
  throw new FitsError("TRUNCATED", `${what}: no data in any compressed-data column`);
}

/**
 * Refuse, before allocating, images that the data unit cannot hold even at the best ratio the
 * algorithms reach (RICE_1: one FS code per block; gzip: 1032:1; uncompressed: 1:1).
 */
function checkCapacity(c: TileContext, g: Geometry): void {
  const decoded = g.dims[0] * g.dims[1] * g.tileDepth;
  const fsBits = c.p.bytePix === 1 ? 3 : c.p.bytePix === 2 ? 4 : 5;
  const rice = c.p.type === "RICE_1" && c.cData ? (8 * c.p.blockSize) / fsBits : 0;
  const gzip = (c.p.type.startsWith("GZIP") && c.cData) || c.cGzip ? 1032 / c.elemBytes : 0;
  const perByte = Math.max(rice, gzip, 1 / Math.max(c.elemBytes, 1));
  const available = c.layout.dataEnd - c.layout.dataOffset;
  if (decoded > available * perByte) {
    const shape = g.dims.slice(0, 2).join("×") + (g.tileDepth > 1 ? `×${g.tileDepth}` : "");
    throw new FitsError(
      "TRUNCATED",
      `truncated data: ${available} bytes of compressed data cannot hold ${shape} pixels (${c.p.type})`,
    );
  }
}

/** zero + scale × value, the null value (if any) → NaN, for the first `n` values. */
function linear(
  values: ArrayLike<number>,
  n: number,
  zero: number,
  scale: number,
  blank: number | undefined,
  out: Float64Array,
): void {
  for (let k = 0; k < n; k++) out[k] = values[k] === blank ? NaN : zero + scale * values[k];
}

/**
 * Decode the first image plane of a tile-compressed HDU (all three of a colour cube with `colourCube`).
 *
 * Pixel values: nulls (stored value = ZBLANK, or BLANK for integer images) → NaN; quantised floats
 * (TIC §4.1) → (q − r + 0.5) × ZSCALE + ZZERO with r from {@link ditherRandoms} for SUBTRACTIVE_DITHER_1/2
 * (r = 0.5 for NO_DITHER), q = −2147483646 → 0.0 under SUBTRACTIVE_DITHER_2; integer images →
 * BZERO + BSCALE × q from the restored header. ZSCALE/ZZERO of integer images are not applied.
 *
 * @param table the BINTABLE header (ZIMAGE = T)
 * @param bytes the whole file; `dataOffset` = start of the table's data unit
 */
export function decodeTiledImage(
  table: FitsHeader,
  bytes: Uint8Array,
  dataOffset: number,
  opts: TiledOptions,
): TiledImage {
  const layout = readBinTableLayout(table, bytes, dataOffset);
  const zbitpix = checkBitpix(table.get("ZBITPIX"), "ZBITPIX");
  const g = geometry(table, layout.rows, opts.maxPixels);
  const [width, height] = g.dims;
  const p = tileParams(table);
  const col = (name: string) => layout.columns.find((c) => c.name === name);
  const cData = col("COMPRESSED_DATA");
  const cGzip = col("GZIP_COMPRESSED_DATA");
  const cRaw = col("UNCOMPRESSED_DATA");
  const cScale = col("ZSCALE");
  const cZero = col("ZZERO");
  const cBlank = col("ZBLANK");
  if (!cData && !cGzip && !cRaw) {
    const msg = "compressed image: no COMPRESSED_DATA, GZIP_COMPRESSED_DATA or UNCOMPRESSED_DATA column";
    throw new FitsError("NAXIS_MISMATCH", msg);
  }
  const kScale = table.getNumber("ZSCALE");
  const kZero = table.getNumber("ZZERO");
  const quantized = zbitpix < 0 && (cScale !== undefined || kScale !== undefined) && p.quantize !== "NONE";
  const dithered = quantized && p.quantize.startsWith("SUBTRACTIVE");
  const dither2 = p.quantize === "SUBTRACTIVE_DITHER_2";
  const ditherSeed = table.getNumber("ZDITHER0") ?? 1;
  if (!Number.isSafeInteger(ditherSeed)) {
    throw new FitsError("UNSUPPORTED", `ZDITHER0 = ${ditherSeed} is not an integer seed (TIC §4.1)`);
  }
  const image = imageHeaderFromTiled(table);
  const bzero = zbitpix > 0 ? (image.getNumber("BZERO") ?? 0) : 0;
  const bscale = zbitpix > 0 ? (image.getNumber("BSCALE") ?? 1) : 1;
  const kBlank = table.getNumber("ZBLANK") ?? (zbitpix > 0 ? image.getNumber("BLANK") : undefined);
  const ctx: TileContext = {
    layout,
    p,
    zbitpix,
    quantized,
    elemBytes: quantized ? 4 : Math.abs(zbitpix) / 8,
  };
  Object.assign(ctx, { cData, cGzip, cRaw });
  checkCapacity(ctx, g);

  const planes = opts.colourCube && isColourCubeShape(g.dims) && g.tileDepth !== 2 ? 3 : 1;
  // A colour cube's planes are in separate tiles (ZTILE3 = 1, the usual) or all in each tile (ZTILE3 = 3).
  const keep = planes === 3 && g.tileDepth === 3 ? 3 : 1;
  const planeRows = planes === 3 && g.tileDepth === 1 ? 3 : 1;
  const perPlane = g.counts[0] * g.counts[1];
  const data = allocPixels(zbitpix, width * height * planes, opts.sharedMemory);
  const zscale = quantized ? new Float64Array(perPlane * planeRows) : undefined;
  const rnd = dithered ? ditherRandoms() : undefined;
  const [tileW, tileH] = g.tile;
  const phys = new Float64Array(tileW * tileH * keep);
  for (let pr = 0; pr < planeRows; pr++) {
    for (let ty = 0; ty < g.counts[1]; ty++) {
      for (let tx = 0; tx < g.counts[0]; tx++) {
        const row = pr * perPlane + ty * g.counts[0] + tx; // tiles of planes not kept follow, unread
        const tw = Math.min(tileW, width - tx * tileW);
        const th = Math.min(tileH, height - ty * tileH);
        const { values, isInt } = tileValues(ctx, row, tw * th * g.tileDepth);
        const scale = cScale ? tableNumber(layout, cScale, row) : (kScale ?? 1);
        const zero = cZero ? tableNumber(layout, cZero, row) : (kZero ?? 0);
        const blank = isInt ? (cBlank ? tableNumber(layout, cBlank, row) : kBlank) : undefined;
        if (zscale) zscale[row] = scale;
        const n = tw * th * keep; // the kept planes of the tile, axis 1 fastest
        if (quantized && isInt) {
          // Dither sequence start for this tile (TIC §4.1): row 1 of the table uses r[ZDITHER0 − 1].
          const iseed = (((row + ditherSeed - 1) % N_RANDOM) + N_RANDOM) % N_RANDOM;
          if (rnd) dequantizeDithered(values, n, scale, zero, blank, dither2, rnd, iseed, phys);
          else linear(values, n, zero, scale, blank, phys);
        } else if (isInt) linear(values, n, bzero, bscale, blank, phys);
        else for (let k = 0; k < n; k++) phys[k] = values[k];
        for (let kp = 0; kp < keep; kp++) {
          const base = (pr + kp) * width * height;
          for (let y = 0; y < th; y++) {
            const from = kp * tw * th + y * tw;
            data.set(phys.subarray(from, from + tw), base + (ty * tileH + y) * width + tx * tileW);
          }
        }
      }
    }
  }
  const how = quantized
    ? `, ${p.quantize}${dithered ? `, ZDITHER0=${ditherSeed}` : ""}, lossy float quantisation`
    : "";
  const notes = [`tile-compressed image (${p.type}${how})`];
  const depth = g.dims.slice(2).reduce((a, b) => a * b, 1);
  if (planes === 3) notes.push("colour cube: returned its 3 planes (R, G, B)");
  else if (depth > 1) notes.push(`cube with ${depth} planes: returned the first plane`);
  const compression: TiledCompressionInfo = {
    type: p.type,
    quantize: p.quantize,
    ditherSeed,
    tileShape: g.tile,
    tiles: g.tilesTotal,
    ...(zscale ? { zscale } : {}),
  };
  return { header: image, width, height, depth, planes, bitpix: zbitpix, data, compression, notes };
}
