/**
 * Finder charts: the reference stars around a target down to a camera's limit (from whatever reference
 * provider the app was given: stored catalogues, an archive behind src/catalog), the camera's field of
 * view, and the target's latest FITS preview — drawn by src/plots/finder.ts.
 *
 * Field of view: the camera row's pixel_scale × detector_width_px/height_px; without a detector size,
 * the newest processed frame's size × its measured pixel scale; without either, none is drawn.
 * Chart width: `fov_arcmin`, else 1.5 × the larger side of the field, else 20′. Faintest star: `mag_limit`,
 * else the camera's 5σ limit in 300 s at airmass 1.2 from its calibration history, else the observatory's
 * approx_lim_mag, else 18 (no camera). A provider failure leaves the stars out and says so on the chart.
 */
import { readFile } from "node:fs/promises";
import type { ReferenceCatalogue } from "../../astro/calibrate/bands.ts";
import { limitingMag } from "../../astro/etc.ts";
import { dateFromMjd } from "../../astro/time.ts";
import type { ReferenceProvider } from "../../catalog/provider.ts";
import type { Executor } from "../../db/connection.ts";
import { finderChartPng, finderChartSvg, type FinderChartInput } from "../../plots/finder.ts";
import { storedPath } from "../../storage.ts";
import { cameraModels } from "./camera-model.ts";
import { cameraByOname, targetWithPosition } from "./common.ts";
import * as repo from "./repo.ts";
import type { FinderInput } from "./schemas.ts";

export const DEFAULT_FINDER_ARCMIN = 20;
const NO_CAMERA_MAG_LIMIT = 18;
const MAX_STARS = 4000;
/** Bands tried for dot sizes, in order. */
const BAND_PREFERENCE = ["V", "G", "r", "R", "g", "i", "B", "I"];

interface FinderOptions {
  provider: ReferenceProvider;
  dataDir: string;
}

/** The stars of the preferred band down to `magLimit`, brightest MAX_STARS. */
function starsIn(ref: ReferenceCatalogue, magLimit: number) {
  const band =
    BAND_PREFERENCE.find((b) => ref.bands[b as keyof typeof ref.bands]) ?? Object.keys(ref.bands)[0];
  const data = band ? ref.bands[band as keyof typeof ref.bands] : undefined;
  if (!band || !data) return { band: null, raDeg: [], decDeg: [], mag: [] };
  const keep: number[] = [];
  for (let i = 0; i < data.mag.length; i++)
    if (Number.isFinite(data.mag[i]) && data.mag[i] <= magLimit) keep.push(i);
  keep.sort((a, b) => data.mag[a] - data.mag[b]);
  keep.length = Math.min(keep.length, MAX_STARS);
  return {
    band: `${band} (${data.survey})`,
    raDeg: keep.map((i) => ref.raDeg[i]),
    decDeg: keep.map((i) => ref.decDeg[i]),
    mag: keep.map((i) => data.mag[i]),
  };
}

/** Everything the chart shows (file comment). */
export async function finderData(
  db: Executor,
  name: string,
  query: FinderInput,
  opts: FinderOptions,
): Promise<FinderChartInput> {
  const target = await targetWithPosition(db, name, "name");
  const site = query.oname === undefined ? null : await cameraByOname(db, query.oname);
  let fov: FinderChartInput["fov"] = null;
  let magLimit = query.mag_limit ?? NO_CAMERA_MAG_LIMIT;
  if (site) {
    const { camera, observatory } = site;
    let w: number | null = null;
    let h: number | null = null;
    if (camera.detectorWidthPx && camera.detectorHeightPx) {
      w = (camera.pixelScale * camera.detectorWidthPx) / 60;
      h = (camera.pixelScale * camera.detectorHeightPx) / 60;
    } else {
      const frame = await repo.latestFrameGeometry(db, camera.id);
      if (frame) [w, h] = [(frame.pixscale * frame.naxis1) / 60, (frame.pixscale * frame.naxis2) / 60];
    }
    if (w && h)
      fov = {
        widthArcmin: w,
        heightArcmin: h,
        label: `${camera.prefix} ${w.toFixed(1)}′ × ${h.toFixed(1)}′`,
      };
    if (query.mag_limit === undefined) {
      const model = cameraModels(await repo.cameraHistory(db, camera.id), camera)[0];
      magLimit = model ? Number(limitingMag(model.model, 1.2, 300).toFixed(1)) : observatory.approxLimMag;
    }
  }
  const widthArcmin =
    query.fov_arcmin ?? (fov ? 1.5 * Math.max(fov.widthArcmin, fov.heightArcmin) : DEFAULT_FINDER_ARCMIN);
  const radiusDeg = Math.min(5, ((widthArcmin / 60) * Math.SQRT2) / 2);
  let note = "";
  let stars: ReturnType<typeof starsIn> = { band: null, raDeg: [], decDeg: [], mag: [] };
  try {
    // GaiaSP only: the survey calibrations use by default (often cached already); asking for every survey
    // would send an uncached field's chart to three archive queries, Gaia DR3's the densest.
    stars = starsIn(await opts.provider.cone(target.ra, target.dec, radiusDeg, "GaiaSP"), magLimit);
    if (!stars.band) note = "no reference stars here in the catalogues";
  } catch (err) {
    note = `reference stars unavailable: ${(err as Error).message}`.slice(0, 160);
  }
  const preview =
    (site ? await repo.latestPreview(db, target.id, site.camera.id) : undefined) ??
    (await repo.latestPreview(db, target.id));
  let previewImage: FinderChartInput["preview"] = null;
  if (preview) {
    const png = await readFile(storedPath(opts.dataDir, preview.previewPng)).catch(() => null);
    if (png) {
      const when =
        preview.mjd === null
          ? ""
          : ` ${dateFromMjd(preview.mjd).toISOString().slice(0, 16).replace("T", " ")} UTC`;
      previewImage = {
        png,
        caption: `Latest frame${preview.oname ? ` from ${preview.oname}` : ""}${when} (as taken, not rotated)`,
      };
    }
  }
  return {
    name: target.name,
    raDeg: target.ra,
    decDeg: target.dec,
    widthArcmin,
    stars,
    band: stars.band,
    magLimit,
    fov,
    preview: previewImage,
    note,
  };
}

/** The finder chart as SVG text or PNG bytes. */
export async function finderChart(
  db: Executor,
  name: string,
  query: FinderInput,
  format: "svg" | "png",
  opts: FinderOptions,
): Promise<string | Uint8Array> {
  const data = await finderData(db, name, query, opts);
  return format === "png" ? finderChartPng(data) : finderChartSvg(data);
}
