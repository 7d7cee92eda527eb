/**
 * Synthetic one-shot-colour (Bayer) frames: the scene rendered through each channel's passband (image.ts;
 * R → Johnson R, G → V, B → B by default, each with the camera's colour term k per mag of B−V), then each
 * pixel taken from the channel its colour-filter-array position sees (src/astro/image/bayer.ts), with
 * BAYERPAT, XBAYROFF = YBAYROFF = 0 and ROWORDER = 'BOTTOM-UP' in the header and no FILTER keyword.
 */
import type { Band } from "../calibrate/bands.ts";
import { coloursFromV } from "./catalog.ts";
import { bayerColour, type BayerPattern, type Channel } from "../image/bayer.ts";
import { makeSyntheticImage, type SynthImage, type SynthImageOptions } from "./image.ts";

export const DEFAULT_CHANNEL_BANDS: Record<Channel, Band> = { R: "R", G: "V", B: "B" };

export interface BayerImageOptions extends Omit<SynthImageOptions, "band" | "target" | "filter"> {
  pattern: BayerPattern;
  channelBands?: Record<Channel, Band>;
  /** Target: V and B−V (its channel magnitudes follow from the field's colour relations). */
  target?: { raDeg: number; decDeg: number; v: number; bv: number };
}

export interface BayerImage {
  /** The mosaic (width × height), or a colour cube's three planes (3 × width × height). */
  data: Float32Array;
  width: number;
  height: number;
  header: SynthImage["header"];
  /** Each channel's full-resolution rendering (its truth table in its band). */
  channels: Record<Channel, SynthImage>;
  /** The target's true magnitude in each channel's band. */
  targetMag: Record<Channel, number> | null;
}

/** The scene through each channel's band (the target at its channel magnitudes), and those magnitudes. */
function renderChannels(options: Omit<BayerImageOptions, "pattern">) {
  const bands = options.channelBands ?? DEFAULT_CHANNEL_BANDS;
  const t = options.target;
  const all = t ? coloursFromV(t.v, t.bv) : null;
  const { target: _target, channelBands: _bands, ...common } = options;
  const render = (c: Channel, seed: number, field?: SynthImage["field"]) =>
    makeSyntheticImage({
      ...common,
      seed,
      field: field ?? options.field,
      band: bands[c],
      ...(t && all ? { target: { raDeg: t.raDeg, decDeg: t.decDeg, mag: all[bands[c]], bv: t.bv } } : {}),
    });
  const G = render("G", options.seed);
  const R = render("R", options.seed + 1, G.field);
  const B = render("B", options.seed + 2, G.field);
  const targetMag = all ? { R: all[bands.R], G: all[bands.G], B: all[bands.B] } : null;
  return { channels: { R, G, B }, targetMag };
}

export function makeBayerImage(options: BayerImageOptions): BayerImage {
  const { pattern, ...rest } = options;
  const { channels, targetMag } = renderChannels(rest);
  const { width, height } = channels.G;
  const data = new Float32Array(width * height);
  const layout = { pattern, xOffset: 0 as const, yOffset: 0 as const, topDown: false };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      data[y * width + x] = channels[bayerColour(layout, x, y, height)].data[y * width + x];
  const header: SynthImage["header"] = { ...channels.G.header };
  delete header.FILTER;
  Object.assign(header, { BAYERPAT: pattern, XBAYROFF: 0, YBAYROFF: 0, ROWORDER: "BOTTOM-UP" });
  return { data, width, height, header, channels, targetMag };
}

/**
 * A debayered colour cube (NAXIS3 = 3): the R, G and B renderings as planes 1, 2, 3 of `data` (write it
 * with writeFits's `depth: 3`), each the whole frame with the frame's WCS; no FILTER, no BAYERPAT.
 */
export function makeColourCube(options: Omit<BayerImageOptions, "pattern">): BayerImage {
  const { channels, targetMag } = renderChannels(options);
  const { width, height } = channels.G;
  const n = width * height;
  const data = new Float32Array(3 * n);
  (["R", "G", "B"] as const).forEach((c, k) => data.set(channels[c].data.subarray(0, n), k * n));
  const header: SynthImage["header"] = { ...channels.G.header };
  delete header.FILTER;
  return { data, width, height, header, channels, targetMag };
}
