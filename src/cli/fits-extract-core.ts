/**
 * One file of `skytom fits extract`: read the image, take the WCS from its header, extract the sources
 * with the FITS job's settings (src/domain/dataproducts/measure.ts: gain, read noise and saturation from
 * the header's GAIN, RDNOISE/READNOIS, SATURATE, else the given defaults) and write the FITS job's
 * catalogue: Source Extractor ASCII_HEAD with NUMBER, ALPHA_J2000, DELTA_J2000, XWIN_IMAGE, YWIN_IMAGE,
 * MAG_AUTO, MAGERR_AUTO. Runs on the main thread or in a worker (fits-extract-thread.ts); with an
 * extraction pool of more than one thread, the file is decoded into shared memory and its extraction
 * shared among the pool's threads (same catalogue).
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { isFitsError } from "../astro/fits/errors.ts";
import { readFitsFile } from "../astro/fits/file.ts";
import type { PixelArray } from "../astro/fits/pixels.ts";
import { extractSources, formatSextractorCatalogue } from "../astro/image/extract.ts";
import type { ExtractRunner } from "../astro/image/extract-parallel.ts";
import { extractSourcesParallel } from "../astro/image/extract-parallel.ts";
import { wcsFromHeader } from "../astro/wcs/index.ts";

export interface ExtractDefaults {
  /** e⁻/ADU when the header has no positive GAIN. */
  gainEPerAdu: number;
  /** e⁻ when the header has no RDNOISE/READNOIS. */
  readNoiseE: number;
  /** ADU when the header has no SATURATE. */
  saturationAdu: number;
}

export interface ExtractedFile {
  input: string;
  output: string;
  sources: number;
  /** False when the header has no usable WCS (ALPHA/DELTA are `nan` then). */
  wcs: boolean;
  /** Why there is no WCS. */
  wcsReason?: string;
  ms: { read: number; extract: number; write: number };
}

const positive = (v: number | undefined): number | undefined =>
  v !== undefined && Number.isFinite(v) && v > 0 ? v : undefined;

/**
 * The pixels of this thread's last measured file, for the next one to be decoded into (ReadFitsOptions
 * `recycle`): a batch of same-size frames then allocates its pixels once per thread, not once per file.
 */
let spare: PixelArray | undefined;

/** Measure one file and write its catalogue (through a temporary file, so no half-written catalogue). */
export async function extractFile(
  input: string,
  output: string,
  defaults: ExtractDefaults,
  pool?: ExtractRunner,
): Promise<ExtractedFile> {
  let t = performance.now();
  const parallel = pool !== undefined && pool.threads > 1;
  const recycle = spare; // taken, so that no other file of this thread decodes into it meanwhile
  spare = undefined;
  const image = await readFitsFile(input, { sharedMemory: parallel, recycle }).catch((err: unknown) => {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") throw new Error("no such file");
    if (code === "EISDIR") throw new Error("a directory, not a FITS file");
    throw new Error(isFitsError(err) ? `FITS: ${err.message}` : (err as Error).message);
  });
  const read = performance.now() - t;
  t = performance.now();
  const h = image.header;
  const w = wcsFromHeader((k) => h.get(k) as number | string | boolean | undefined);
  const options = {
    ...(w.ok ? { wcs: w.wcs } : {}),
    gainEPerAdu: positive(h.getNumber("GAIN")) ?? defaults.gainEPerAdu,
    readNoiseE: positive(h.getNumber("RDNOISE")) ?? positive(h.getNumber("READNOIS")) ?? defaults.readNoiseE,
    saturationAdu: positive(h.getNumber("SATURATE")) ?? defaults.saturationAdu,
  };
  const result = parallel
    ? await extractSourcesParallel(image, options, pool)
    : extractSources(image, options);
  const extract = performance.now() - t;
  t = performance.now();
  await mkdir(dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, formatSextractorCatalogue(result.rows));
  await rename(tmp, output);
  spare = image.data; // the catalogue holds no pixel: the next file may decode into them
  return {
    input,
    output,
    sources: result.rows.length,
    wcs: w.ok,
    ...(w.ok ? {} : { wcsReason: w.reason }),
    ms: { read, extract, write: performance.now() - t },
  };
}
