/**
 * File-system convenience for the FITS reader: the only module of `astro/fits` that performs I/O.
 */
import { readFile } from "node:fs/promises";
import { readFits, readFitsHeaderOnly } from "./read.ts";
import type { FitsHeaderSummary, FitsImage, ReadFitsOptions } from "./read.ts";

/** Read the first image of a FITS file (`.fits`, `.fits.gz`, `.fz`, detected from the content). */
export async function readFitsFile(path: string, options?: ReadFitsOptions): Promise<FitsImage> {
  return readFits(new Uint8Array(await readFile(path)), options);
}

/** Read the header of the image HDU of a FITS file without decoding pixels. */
export async function readFitsHeaderFile(
  path: string,
  options?: ReadFitsOptions,
): Promise<FitsHeaderSummary> {
  return readFitsHeaderOnly(new Uint8Array(await readFile(path)), options);
}
