/**
 * FITS reading and writing (FITS Standard 4.0; tiled image compression convention, Pence et al. 2010).
 */
export { FITS_ERROR_CODES, FitsError, isFitsError } from "./errors.ts";
export type { FitsErrorCode } from "./errors.ts";
export {
  CARD_LENGTH,
  FITS_BLOCK,
  FitsHeader,
  formatCard,
  formatHeader,
  formatNumber,
  mergeContinuations,
  parseCard,
  parseHeaderBlocks,
} from "./header.ts";
export type { FitsCard, FitsValue, ParsedHeader } from "./header.ts";
export { BITPIX_VALUES } from "./pixels.ts";
export type { Bitpix, PixelArray } from "./pixels.ts";
export { readFits, readFitsHeaderOnly } from "./read.ts";
export type { FitsHeaderSummary, FitsImage, ReadFitsOptions } from "./read.ts";
export { dequantizeDithered, ditherRandoms } from "./quantize.ts";
export { riceDecompress } from "./rice.ts";
export type { RiceBytePix } from "./rice.ts";
export { TILE_COMPRESSIONS, decodeTiledImage, imageHeaderFromTiled, isTiledImageHeader } from "./tiled.ts";
export type { Quantize, TileCompression, TiledCompressionInfo, TiledImage } from "./tiled.ts";
export { writeFits } from "./write.ts";
export type { WriteFitsInput } from "./write.ts";
export { readFitsFile, readFitsHeaderFile } from "./file.ts";
