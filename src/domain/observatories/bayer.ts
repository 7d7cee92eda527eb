/**
 * One-shot-colour cameras (issue 18): the band each colour channel of a Bayer frame is calibrated to, the
 * camera's `bayer_bands` setting. Default R → GaiaSP/R, G → GaiaSP/V, B → GaiaSP/B. A setting names a
 * subset of R, G, B (channels left out are not calibrated), each with a filter request of exactly one band,
 * the bands distinct: the channels' light-curve points then differ in filter, so the three points of one
 * frame never share a point identity (src/domain/datums/store.ts).
 */
import { FilterRequestError, parseFilterRequest } from "../../astro/calibrate/bands.ts";
import { CHANNELS } from "../../db/schema/index.ts";

export type BayerChannel = (typeof CHANNELS)[number];
export type BayerBands = Partial<Record<BayerChannel, string>>;

export const DEFAULT_BAYER_BANDS: Readonly<Record<BayerChannel, string>> = {
  R: "GaiaSP/R",
  G: "GaiaSP/V",
  B: "GaiaSP/B",
};

/** The channels a camera's frames are calibrated in, with their filter requests, in R, G, B order. */
export function channelBands(setting: BayerBands | null | undefined): [BayerChannel, string][] {
  const bands = setting ?? DEFAULT_BAYER_BANDS;
  return CHANNELS.flatMap((c) => (bands[c] ? [[c, bands[c]] as [BayerChannel, string]] : []));
}

/**
 * A `bayer_bands` value checked: null/undefined/"" → null (the default); a JSON object (or its text) with
 * keys among R, G, B and single-band filter requests, distinct. Returns the message of the first problem.
 */
export function checkBayerBands(
  value: unknown,
): { ok: true; value: BayerBands | null } | { ok: false; message: string } {
  if (value === undefined || value === null || value === "") return { ok: true, value: null };
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      return {
        ok: false,
        message: 'not JSON: expected e.g. {"R": "GaiaSP/R", "G": "GaiaSP/V", "B": "GaiaSP/B"}',
      };
    }
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return {
      ok: false,
      message: 'expected an object such as {"R": "GaiaSP/R", "G": "GaiaSP/V", "B": "GaiaSP/B"}',
    };
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return { ok: false, message: "name at least one channel (R, G, B)" };
  const out: BayerBands = {};
  const seen = new Map<string, string>();
  for (const [key, request] of entries) {
    const channel = CHANNELS.find((c) => c === key.trim().toUpperCase());
    if (!channel) return { ok: false, message: `${JSON.stringify(key)} is not a channel (R, G, B)` };
    if (typeof request !== "string" || request.trim() === "")
      return { ok: false, message: `${channel}: expected a filter request such as "GaiaSP/V"` };
    let candidates;
    try {
      candidates = parseFilterRequest(request).candidates;
    } catch (err) {
      if (err instanceof FilterRequestError) return { ok: false, message: `${channel}: ${err.message}` };
      throw err;
    }
    if (candidates.length !== 1)
      return {
        ok: false,
        message: `${channel}: "${request}" names more than one band; name one (e.g. "GaiaSP/V")`,
      };
    const band = `${candidates[0].survey}/${candidates[0].band}`;
    const other = seen.get(band);
    if (other)
      return {
        ok: false,
        message: `${channel}: ${band} is ${other}'s band already; each channel its own band`,
      };
    seen.set(band, channel);
    out[channel] = request.trim();
  }
  return { ok: true, value: out };
}
