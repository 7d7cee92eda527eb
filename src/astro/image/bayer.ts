/**
 * One-shot-colour (Bayer) frames → R, G and B channel images (issue 18; bhtom2#296, #274: Seestar RGB).
 *
 * Header (the convention of NINA, ASCOM, MaxIm, Siril): `BAYERPAT` (or `COLORTYP`) names the 2×2 colour
 * filter array as read out — RGGB, BGGR, GRBG or GBRG, the first two letters the first row; `XBAYROFF`,
 * `YBAYROFF` (0 or 1) shift the pattern by a column or row; `ROWORDER = 'TOP-DOWN'` says the rows were read
 * from the top, so the pattern's first row is the image's last FITS row (FITS rows run bottom-up);
 * `'BOTTOM-UP'` or no ROWORDER is the FITS order. So the colour of 0-based pixel (x, y) is
 *   pattern[(r + YBAYROFF) mod 2][(x + XBAYROFF) mod 2],  r = y (BOTTOM-UP) or height − 1 − y (TOP-DOWN).
 *
 * Split (`splitBayer`): 2×2 superpixels from pixel (0, 0), no interpolation — each block holds one R, two
 * G and one B pixel whatever the pattern and offsets; R and B are that pixel, G the mean of the two greens
 * (so the green channel's noise in ADU is 1/√2 of a pixel's: its effective gain is twice the camera's).
 * An odd last column or row is dropped. The channel images are ⌊w/2⌋ × ⌊h/2⌋.
 *
 * WCS (`superpixelWcs`): superpixel J (1-based) covers FITS pixels 2J − 1 and 2J, centre 2J − ½, so
 * x = 2x′ − ½:  CRPIX′ = (CRPIX + ½)/2,  CD′ = 2·CD; SIP polynomials f(u) in pixel offsets become
 * f′(u′) = f(2u′)/2, i.e. A′_pq = A_pq·2^(p+q−1) (forward only; reverse terms are dropped).
 */
import type { TanWcs } from "../wcs/tan.ts";

export const BAYER_PATTERNS = ["RGGB", "BGGR", "GRBG", "GBRG"] as const;
export type BayerPattern = (typeof BAYER_PATTERNS)[number];
export type Channel = "R" | "G" | "B";

export interface BayerLayout {
  pattern: BayerPattern;
  xOffset: 0 | 1;
  yOffset: 0 | 1;
  /** Rows read from the top (ROWORDER = TOP-DOWN). */
  topDown: boolean;
}

/** The Bayer layout of a header, or null for a frame that is not one-shot-colour; throws on a bad value. */
export function bayerLayout(get: (key: string) => unknown): BayerLayout | null {
  const raw = get("BAYERPAT") ?? get("COLORTYP");
  if (typeof raw !== "string" || raw.trim() === "") return null;
  const pattern = BAYER_PATTERNS.find((p) => p === raw.trim().toUpperCase());
  if (!pattern) {
    throw new Error(`BAYERPAT/COLORTYP "${raw.trim()}" is not one of ${BAYER_PATTERNS.join(", ")}`);
  }
  const offset = (key: string): 0 | 1 => {
    const v = get(key);
    if (v === undefined || v === null || v === "") return 0;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${key} = ${String(v)}: expected 0 or 1`);
    return (n % 2) as 0 | 1;
  };
  const order = get("ROWORDER");
  const topDown = typeof order === "string" && order.trim().toUpperCase() === "TOP-DOWN";
  return { pattern, xOffset: offset("XBAYROFF"), yOffset: offset("YBAYROFF"), topDown };
}

/** The colour of 0-based pixel (x, y) of a frame `height` rows high (file comment). */
export function bayerColour(layout: BayerLayout, x: number, y: number, height: number): Channel {
  const r = layout.topDown ? height - 1 - y : y;
  const row = (r + layout.yOffset) % 2;
  const col = (x + layout.xOffset) % 2;
  return layout.pattern[row * 2 + col] as Channel;
}

export interface ChannelImages {
  width: number;
  height: number;
  R: Float32Array;
  G: Float32Array;
  B: Float32Array;
}

/** Splits a Bayer frame into superpixel channel images (file comment). */
export function splitBayer(
  data: ArrayLike<number>,
  width: number,
  height: number,
  layout: BayerLayout,
): ChannelImages {
  const w = Math.floor(width / 2);
  const h = Math.floor(height / 2);
  if (w < 1 || h < 1) throw new Error(`a ${width}×${height} frame has no 2×2 superpixel`);
  const out = { R: new Float32Array(w * h), G: new Float32Array(w * h), B: new Float32Array(w * h) };
  // The colour of each position of a block depends only on the parities of x and y.
  const colourAt = [0, 1, 2, 3].map((k) => bayerColour(layout, k % 2, k >> 1, height));
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      let g = 0;
      for (let k = 0; k < 4; k++) {
        const v = data[(2 * j + (k >> 1)) * width + 2 * i + (k % 2)];
        const c = colourAt[k];
        if (c === "G") g += v;
        else out[c][j * w + i] = v;
      }
      out.G[j * w + i] = g / 2;
    }
  }
  return { width: w, height: h, ...out };
}

/** The WCS of the superpixel images (file comment). */
export function superpixelWcs(wcs: TanWcs): TanWcs {
  const { cd } = wcs;
  const out: TanWcs = {
    ...wcs,
    crpix: [(wcs.crpix[0] + 0.5) / 2, (wcs.crpix[1] + 0.5) / 2],
    cd: [
      [2 * cd[0][0], 2 * cd[0][1]],
      [2 * cd[1][0], 2 * cd[1][1]],
    ],
  };
  if (wcs.sip) {
    const scale = (m: number[][]) => m.map((row, p) => row.map((v, q) => v * 2 ** (p + q - 1)));
    out.sip = { a: scale(wcs.sip.a), b: scale(wcs.sip.b), order: wcs.sip.order };
  }
  return out;
}

/**
 * The WCS of one channel's superpixel image: superpixelWcs puts a superpixel at its 2×2 block's centre,
 * where the averaged greens sit; an R or B sample sits at its own pixel of the block, half a pixel off
 * in x and y (0.4″ at 0.8″/px: enough to lose the target's match). With (dx, dy) the channel's mean
 * position in its block (0 or 1; ½ for the greens), superpixel x′ covers FITS x = 2x′ − 1 + dx, so
 * CRPIX′ = (CRPIX + 1 − dx)/2 (SIP scales as in superpixelWcs: the offsets from CRPIX are still 2×).
 */
export function channelWcs(wcs: TanWcs, layout: BayerLayout, height: number, channel: Channel): TanWcs {
  let dx = 0;
  let dy = 0;
  let n = 0;
  for (let k = 0; k < 4; k++) {
    if (bayerColour(layout, k % 2, k >> 1, height) !== channel) continue;
    dx += k % 2;
    dy += k >> 1;
    n++;
  }
  const out = superpixelWcs(wcs);
  out.crpix = [(wcs.crpix[0] + 1 - dx / n) / 2, (wcs.crpix[1] + 1 - dy / n) / 2];
  return out;
}

/**
 * The three planes of a debayered colour cube (NAXIS = 3, NAXIS3 = 3): plane 1 R, 2 G, 3 B — the order
 * Siril and PixInsight write their RGB FITS in, DS9 loads an RGB cube in, netpbm's fitstopnm and
 * astrometry.net read, and astropy users get from `fits.writeto(name, np.stack([r, g, b]))`. Each plane is
 * the whole frame (no superpixels): the frame's 2-D WCS applies to each unchanged. A Float32Array's
 * planes are views (no copy); other arrays are converted.
 */
export function splitColourCube(data: ArrayLike<number>, width: number, height: number): ChannelImages {
  const n = width * height;
  if (data.length < 3 * n) throw new Error(`a colour cube needs 3 planes of ${width}×${height}`);
  const plane = (k: number): Float32Array => {
    if (data instanceof Float32Array) return data.subarray(k * n, (k + 1) * n);
    if (data instanceof Float64Array) return new Float32Array(data.subarray(k * n, (k + 1) * n));
    return Float32Array.from({ length: n }, (_, i) => data[k * n + i]);
  };
  return { width, height, R: plane(0), G: plane(1), B: plane(2) };
}
