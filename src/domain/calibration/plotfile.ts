/**
 * The calibration plot of a run, drawn when it is first looked at (docs/calibration-runs.md, "The plot").
 * Drawing the plot (Observable Plot → SVG → resvg PNG) cost the FITS job about a third of a second of CPU
 * per frame, for a picture most frames never have looked at. The job stores what the plot draws — the
 * passing bands' panels and the title — as gzip'd JSON beside where the PNG goes
 * (`plots/calibration/<id>-run<N>.png` → `<id>-run<N>.plot.json.gz`); the first request for the PNG
 * renders it from that file, writes it (temporary file, then rename: concurrent first requests each
 * write a whole file and the last rename wins, a reader never sees half a PNG) and serves the stored file
 * from then on. The PNG is byte for byte the one the job drew before (same renderer, same numbers: the
 * typed arrays are stored as their little-endian bytes, non-finite scalars by name). The stored path of
 * a calibration and a run (`calibration_plot`) stays the PNG's; calibrations made before this change
 * have only the PNG, which is served as it is.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { CalibrationPlotInput, PlotPanelData } from "../../plots/calibration.ts";
import { renderCalibrationPlot } from "../../plots/calibration.ts";
import { storedPath } from "../../storage.ts";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Format tag of the stored plot data (bump when the layout changes). */
const FORMAT = "skytom-calibration-plot/1";

/** The plot data file beside a plot's PNG path: `…/12-run3.png` → `…/12-run3.plot.json.gz`. */
export function plotDataPath(pngPath: string): string {
  return `${pngPath.replace(/\.png$/i, "")}.plot.json.gz`;
}

/** A number as JSON: finite as it is, NaN and ±Infinity by name (Number() reads both back). */
const num = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const bytesOf = (a: Float64Array | Uint8Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
function float64(text: string): Float64Array {
  const b = Buffer.from(text, "base64");
  // Copy into an aligned buffer (a Buffer's bytes may start at any offset of its pool).
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}
if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f)
  throw new Error("plotfile: the stored plot data is little-endian; this machine is not");

interface StoredPanel {
  survey: string;
  band: string;
  zp: number | string;
  scatter: number | string;
  chosen: boolean;
  colourTerm: Record<string, number | string> | null;
  catMag: string;
  instMag: string;
  inlier: string;
  colour: string | null;
}

/** The plot's input and title as the stored (gzip'd JSON) bytes. */
export async function encodePlotData(input: CalibrationPlotInput, title: string): Promise<Buffer> {
  const panels: StoredPanel[] = input.plot.map((p) => ({
    survey: p.survey,
    band: p.band,
    zp: num(p.zp),
    scatter: num(p.scatter),
    chosen: p.chosen,
    colourTerm: p.colourTerm
      ? Object.fromEntries(
          Object.entries(p.colourTerm).map(([k, v]) => [k, typeof v === "number" ? num(v) : v]),
        )
      : null,
    catMag: bytesOf(p.catMag),
    instMag: bytesOf(p.instMag),
    inlier: bytesOf(p.inlier),
    colour: p.colour ? bytesOf(p.colour) : null,
  }));
  return gzipAsync(JSON.stringify({ format: FORMAT, title, panels }));
}

/** The stored bytes back as the plot's input and title. */
export async function decodePlotData(
  bytes: Uint8Array,
): Promise<{ input: CalibrationPlotInput; title: string }> {
  const data = JSON.parse((await gunzipAsync(bytes)).toString("utf8")) as {
    format: string;
    title: string;
    panels: StoredPanel[];
  };
  if (data.format !== FORMAT) throw new Error(`plot data: unknown format ${JSON.stringify(data.format)}`);
  const plot = data.panels.map((p): PlotPanelData => ({
    survey: p.survey as PlotPanelData["survey"],
    band: p.band as PlotPanelData["band"],
    zp: Number(p.zp),
    scatter: Number(p.scatter),
    chosen: p.chosen,
    colourTerm: p.colourTerm
      ? (Object.fromEntries(
          Object.entries(p.colourTerm).map(([k, v]) => [k, k === "index" || k === "kSource" ? v : Number(v)]),
        ) as unknown as PlotPanelData["colourTerm"])
      : null,
    catMag: float64(p.catMag),
    instMag: float64(p.instMag),
    inlier: new Uint8Array(Buffer.from(p.inlier, "base64")),
    ...(p.colour !== null ? { colour: float64(p.colour) } : {}),
  }));
  return { input: { plot }, title: data.title };
}

/**
 * Store what a run's plot draws, for the PNG at `pngPath` (relative to the data directory) to be drawn on
 * first view; nothing when there are no panels (no plot: the caller stores no path).
 */
export async function storePlotData(
  dataDir: string,
  pngPath: string,
  input: CalibrationPlotInput,
  title: string,
): Promise<void> {
  const full = storedPath(dataDir, plotDataPath(pngPath));
  await mkdir(dirname(full), { recursive: true });
  await writeAtomically(full, await encodePlotData(input, title));
}

/** Write a whole file under a temporary name, then rename it into place. */
async function writeAtomically(full: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${full}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, full);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Renders in progress in this process, by PNG path: concurrent first requests share one. */
const rendering = new Map<string, Promise<boolean>>();

/**
 * Make sure the plot PNG at `pngPath` (relative to the data directory) is stored: drawn from its plot data
 * when it is not yet. False when there is neither (the files were removed).
 */
export function ensureCalibrationPlot(dataDir: string, pngPath: string): Promise<boolean> {
  const full = storedPath(dataDir, pngPath);
  let pending = rendering.get(full);
  if (!pending) {
    pending = renderOnce(dataDir, pngPath).finally(() => rendering.delete(full));
    rendering.set(full, pending);
  }
  return pending;
}

async function renderOnce(dataDir: string, pngPath: string): Promise<boolean> {
  const full = storedPath(dataDir, pngPath);
  if ((await stat(full).catch(() => null))?.isFile()) return true;
  let bytes: Buffer;
  try {
    bytes = await readFile(storedPath(dataDir, plotDataPath(pngPath)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  const { input, title } = await decodePlotData(bytes);
  await writeAtomically(full, renderCalibrationPlot(input, { format: "png", title }));
  return true;
}
