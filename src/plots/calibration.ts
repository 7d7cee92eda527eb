/**
 * The CPCS calibration plot (calibration.md §4.4), drawn on the server: one square panel per (survey, band)
 * that passed the quality check — catalogue magnitude (x) against instrumental magnitude (y) for the stars
 * of that band's sample, inliers and outliers in two colours, the zero-point line m_inst = m_cat + ZP with
 * the ±σ band (dashed edges, as the legacy plot) — titled "<band> (<survey>): ZP=… σ=… N=…", the chosen
 * band's title in red. As in the legacy plot, x and y span the same number of magnitudes (data range
 * ± 0.5 mag, the wider of the two), so the ZP line runs at 45°. When the chosen band was fitted with a
 * colour term (src/astro/calibrate/colour.ts), one more panel follows it: the residual
 * m_inst − m_cat − ZP against the reference colour, with the fitted line k·(c − c₀) and the ±σ band,
 * titled "<band> residual vs <colour>: k=… ± … (<source>) c₀=…".
 *
 * Rendering: each panel is an Observable Plot figure built in a linkedom document (no browser), the
 * panels are placed in one SVG grid with their titles and a legend; PNG output rasterises that SVG with
 * resvg using the DejaVu Sans font shipped in `dejavu-fonts-ttf` (system fonts are not loaded, so the
 * image is the same on every machine). Pure: no I/O but resvg reading the two font files.
 */

import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import type { BandFitRow, CalibrationResult, PlotPanel } from "../astro/calibrate/index.ts";
import { escapeXml, FONT_FAMILY, svgToPng } from "./png.ts";

export interface CalibrationPlotOptions {
  format: "svg" | "png";
  /** Image width in px (SVG and PNG); figures with few panels stop at 420 px per panel. Default 1500. */
  width?: number;
  /** Heading above the panels (e.g. the file name and MJD). */
  title?: string;
  /** Panels per row; default: up to 5, balanced over the rows. */
  columns?: number;
}

/** What the plot draws of one passing band's panel (a calibration's `PlotPanel` is one). */
export type PlotPanelData = Pick<
  PlotPanel,
  "survey" | "band" | "zp" | "scatter" | "chosen" | "colourTerm" | "catMag" | "instMag" | "inlier" | "colour"
>;

/** What the plot needs from a calibration: the passing bands' panels, and the band table for failures. */
export type CalibrationPlotInput = { plot: PlotPanelData[] } & Partial<Pick<CalibrationResult, "bands">>;

const COLOUR = { inlier: "#0072B2", outlier: "#D55E00", chosen: "#D00000", text: "#111111", band: "#0072B2" };
const MARGIN = { top: 8, right: 12, bottom: 40, left: 52 }; // px around each panel's plot area
const TITLE_H = 24; // px above each panel
const HEADER_TITLE_H = 30;
const GAP = 14; // px between panels
const PAD = 16; // px around the grid
const MAX_CELL = 420; // px, widest panel cell

/** The linkedom document Plot draws into, and the little of the rendered element this module uses. */
type LinkedDocument = ReturnType<typeof parseHTML>["document"];
interface RenderedSvg {
  outerHTML: string;
  querySelector(selector: string): { remove(): void } | null;
}

/** A magnitude with 3 decimals; values below 0.001 mag with one significant digit (σ at its 1e−4 floor). */
function mag3(v: number): string {
  return Math.abs(v) >= 0.001 || v === 0 || !Number.isFinite(v) ? v.toFixed(3) : v.toPrecision(1);
}

/** Panel title: "V (GaiaSP): ZP=24.200 σ=0.002 N=1539" (ZP and σ in mag, N stars incl. outliers). */
export function panelTitle(panel: Pick<PlotPanel, "band" | "survey" | "zp" | "scatter" | "instMag">): string {
  return `${panel.band} (${panel.survey}): ZP=${mag3(panel.zp)} σ=${mag3(panel.scatter)} N=${panel.instMag.length}`;
}

/** Font size (px) that fits `text` into `widthPx`, between 9 and `max` (DejaVu Sans ≈ 0.62 em per character). */
function fitFont(text: string, widthPx: number, max: number): number {
  return Math.max(9, Math.min(max, Math.floor(widthPx / (0.62 * text.length))));
}

/** x and y domains of equal length: each data range ± 0.5 mag, widened to the larger span. */
function domains(panel: PlotPanelData): { x: [number, number]; y: [number, number] } {
  const range = (a: Float64Array) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of a) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return Number.isFinite(lo) ? [lo - 0.5, hi + 0.5] : [panel.zp > 0 ? 0 : -1, 1];
  };
  const [x0, x1] = range(panel.catMag);
  const [y0, y1] = range(panel.instMag);
  const half = Math.max(x1 - x0, y1 - y0) / 2;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return { x: [cx - half, cx + half], y: [cy - half, cy + half] };
}

/** One panel as an SVG element string (no title), `size` px square plot area plus margins. */
function panelSvg(panel: PlotPanelData, size: number, document: LinkedDocument): string {
  const { x, y } = domains(panel);
  const inliers: number[] = [];
  const outliers: number[] = [];
  for (let k = 0; k < panel.catMag.length; k++) (panel.inlier[k] ? inliers : outliers).push(k);
  const px = (idx: number[]) => Float64Array.from(idx, (k) => panel.catMag[k]);
  const py = (idx: number[]) => Float64Array.from(idx, (k) => panel.instMag[k]);
  const line = (offset: number) => [
    [x[0], x[0] + panel.zp + offset],
    [x[1], x[1] + panel.zp + offset],
  ];
  const band = [
    { x: x[0], lo: x[0] + panel.zp - panel.scatter, hi: x[0] + panel.zp + panel.scatter },
    { x: x[1], lo: x[1] + panel.zp - panel.scatter, hi: x[1] + panel.zp + panel.scatter },
  ];
  const dot = (idx: number[], fill: string, opacity: number) =>
    Plot.dot(idx, { x: px(idx), y: py(idx), r: 1.7, fill, fillOpacity: opacity, stroke: "none" });
  return squarePanel(
    document,
    size,
    { domain: x, label: `catalogue ${panel.band} [mag]` },
    { domain: y, label: "instrumental [mag]" },
    [
      Plot.frame({ stroke: "#999999" }),
      Plot.areaY(band, { x: "x", y1: "lo", y2: "hi", fill: COLOUR.band, fillOpacity: 0.12 }),
      dot(inliers, COLOUR.inlier, 0.45),
      dot(outliers, COLOUR.outlier, 0.85),
      Plot.line(line(0), { stroke: "black", strokeWidth: 1.2 }),
      Plot.line(line(-panel.scatter), { stroke: "black", strokeWidth: 0.8, strokeDasharray: "4,3" }),
      Plot.line(line(panel.scatter), { stroke: "black", strokeWidth: 0.8, strokeDasharray: "4,3" }),
    ],
  );
}

/**
 * A square plot of `size` px plus margins in the calibration plot's style: axes with 5 ticks and centred
 * labels, a grid, marks clipped to the frame; as an SVG element string.
 */
function squarePanel(
  document: LinkedDocument,
  size: number,
  x: { domain: [number, number]; label: string },
  y: { domain: [number, number]; label: string },
  marks: Plot.Markish[],
): string {
  const axis = { labelAnchor: "center", labelArrow: "none", ticks: 5 } as const;
  const svg = Plot.plot({
    document,
    width: size + MARGIN.left + MARGIN.right,
    height: size + MARGIN.top + MARGIN.bottom,
    marginTop: MARGIN.top,
    marginRight: MARGIN.right,
    marginBottom: MARGIN.bottom,
    marginLeft: MARGIN.left,
    style: { fontFamily: FONT_FAMILY, fontSize: "11px", color: COLOUR.text, background: "white" },
    x: { ...x, ...axis },
    y: { ...y, ...axis },
    grid: true,
    clip: true,
    marks,
  }) as unknown as RenderedSvg;
  // Plot's per-figure <style> only holds browser layout rules; the attributes carry the drawing.
  svg.querySelector("style")?.remove();
  // Coordinates to 0.01 px (Plot writes full doubles): half the bytes, nothing visible lost.
  return svg.outerHTML.replace(/(\.\d\d)\d+/g, "$1");
}

/** Title of the residual-vs-colour panel. */
export function colourPanelTitle(panel: PlotPanelData): string {
  const ct = panel.colourTerm;
  if (!ct) return "";
  const err = Number.isFinite(ct.kErr) ? ` ± ${ct.kErr.toFixed(3)}` : "";
  return `${panel.band} residual vs ${ct.index}: k=${ct.k.toFixed(3)}${err} (${ct.kSource}) c₀=${ct.c0.toFixed(2)}`;
}

/** The residual-vs-colour panel of a band fitted with a colour term (file comment). */
function colourPanelSvg(panel: PlotPanelData, size: number, document: LinkedDocument): string {
  const ct = panel.colourTerm;
  const colour = panel.colour;
  if (!ct || !colour) return "";
  const res = Float64Array.from(panel.instMag, (m, k) => m - panel.catMag[k] - panel.zp);
  let cLo = Infinity;
  let cHi = -Infinity;
  for (const c of colour) {
    cLo = Math.min(cLo, c);
    cHi = Math.max(cHi, c);
  }
  const x: [number, number] = Number.isFinite(cLo) ? [cLo - 0.1, cHi + 0.1] : [-0.5, 1.5];
  const spread = Math.max(0.3, 4 * panel.scatter, Math.abs(ct.k) * (x[1] - x[0]));
  const y: [number, number] = [-spread, spread];
  // Only the stars inside the panel are drawn: outliers far off would be clipped away anyway, and a
  // clipped group with nothing inside the clip makes resvg 2.6 panic (geom.rs), which aborts the process.
  const inliers: number[] = [];
  const outliers: number[] = [];
  for (let k = 0; k < res.length; k++) {
    const inside = colour[k] >= x[0] && colour[k] <= x[1] && res[k] >= y[0] && res[k] <= y[1];
    if (inside) (panel.inlier[k] ? inliers : outliers).push(k);
  }
  const at = (c: number, off: number) => [c, ct.k * (c - ct.c0) + off];
  const dot = (idx: number[], fill: string, opacity: number) =>
    Plot.dot(idx, {
      x: Float64Array.from(idx, (k) => colour[k]),
      y: Float64Array.from(idx, (k) => res[k]),
      r: 1.7,
      fill,
      fillOpacity: opacity,
      stroke: "none",
    });
  return squarePanel(
    document,
    size,
    { domain: x, label: `reference ${ct.index} [mag]` },
    { domain: y, label: "m_inst − m_cat − ZP [mag]" },
    [
      Plot.frame({ stroke: "#999999" }),
      dot(inliers, COLOUR.inlier, 0.45),
      dot(outliers, COLOUR.outlier, 0.85),
      Plot.line([at(x[0], 0), at(x[1], 0)], { stroke: "black", strokeWidth: 1.2 }),
      Plot.line([at(x[0], -panel.scatter), at(x[1], -panel.scatter)], {
        stroke: "black",
        strokeWidth: 0.8,
        strokeDasharray: "4,3",
      }),
      Plot.line([at(x[0], panel.scatter), at(x[1], panel.scatter)], {
        stroke: "black",
        strokeWidth: 0.8,
        strokeDasharray: "4,3",
      }),
    ],
  );
}

/** Legend items flowed into rows of at most `widthPx`; returns the markup and the height used (px). */
function legend(xPx: number, yPx: number, widthPx: number): { svg: string; height: number } {
  const dot = (fill: string) => `<circle cx="5" cy="0" r="4" fill="${fill}"/>`;
  const items: { swatch: string; label: string; colour?: string }[] = [
    { swatch: dot(COLOUR.inlier), label: "inlier" },
    { swatch: dot(COLOUR.outlier), label: "outlier" },
    {
      swatch: `<line x1="-2" x2="12" y1="0" y2="0" stroke="black" stroke-width="1.4"/>`,
      label: "m_inst = m_cat + ZP",
    },
    {
      swatch:
        `<rect x="-2" y="-5" width="14" height="10" fill="${COLOUR.band}" fill-opacity="0.12"` +
        ` stroke="black" stroke-width="0.8" stroke-dasharray="4,3"/>`,
      label: "± σ (intrinsic scatter)",
    },
    { swatch: "", label: "red title: chosen band (smallest σ/√N)", colour: COLOUR.chosen },
  ];
  const parts: string[] = [];
  let x = 0;
  let row = 0;
  for (const item of items) {
    const w = (item.swatch ? 18 : 0) + 0.58 * 12 * item.label.length + 24;
    if (x > 0 && x + w > widthPx) {
      x = 0;
      row++;
    }
    const fill = item.colour ? ` fill="${item.colour}" font-weight="bold"` : "";
    parts.push(
      `<g transform="translate(${xPx + x},${yPx + row * 20})">${item.swatch}` +
        `<text x="${item.swatch ? 16 : 0}" y="4" font-size="12"${fill}>${escapeXml(item.label)}</text></g>`,
    );
    x += w;
  }
  return { svg: parts.join(""), height: (row + 1) * 20 + 6 };
}

/** SVG for a calibration without a passing band: the table of reasons instead of panels. */
function failureSvg(input: CalibrationPlotInput, width: number, title?: string): string {
  const lines = [
    "No band passed the quality check (f < 0.5, N ≥ 5, σ < 1.5 mag) — nothing to plot.",
    ...(input.bands ?? []).map((b: BandFitRow) => `${b.survey}/${b.band}: ${b.reason || "passed"}`),
  ];
  const top = PAD + (title ? HEADER_TITLE_H : 0);
  const height = top + 20 * lines.length + PAD;
  const longest = Math.max(...lines.map((l) => 0.62 * 13 * l.length), title ? 0.62 * 18 * title.length : 0);
  width = Math.min(width, Math.ceil(2 * PAD + longest));
  const text = lines
    .map((l, i) => `<text x="${PAD}" y="${top + 14 + 20 * i}" font-size="13">${escapeXml(l)}</text>`)
    .join("");
  const head = title
    ? `<text x="${PAD}" y="${PAD + 18}" font-size="18" font-weight="bold">${escapeXml(title)}</text>`
    : "";
  return svgRoot(width, height, head + text);
}

function svgRoot(width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
    ` font-family="${FONT_FAMILY}, sans-serif" fill="${COLOUR.text}">` +
    `<rect width="${width}" height="${height}" fill="white"/>${body}</svg>`
  );
}

/** The calibration plot as SVG text. */
export function calibrationPlotSvg(
  input: CalibrationPlotInput,
  options: Omit<CalibrationPlotOptions, "format"> = {},
): string {
  const maxWidth = Math.round(options.width ?? 1500);
  if (input.plot.length === 0) return failureSvg(input, maxWidth, options.title);
  // Cells: every passing band, and after the chosen one its residual-vs-colour panel when it has one.
  const panels = input.plot.flatMap((p) =>
    p.chosen && p.colourTerm && p.colour
      ? [
          { panel: p, kind: "band" as const },
          { panel: p, kind: "colour" as const },
        ]
      : [{ panel: p, kind: "band" as const }],
  );
  const rows0 = Math.ceil(panels.length / 5);
  const columns = Math.max(1, Math.min(panels.length, options.columns ?? Math.ceil(panels.length / rows0)));
  const rows = Math.ceil(panels.length / columns);
  // Panels fill the width up to MAX_CELL px each; a figure with few panels is narrower than `width`.
  const cellW = Math.min(MAX_CELL, Math.floor((maxWidth - 2 * PAD - (columns - 1) * GAP) / columns));
  const width =
    cellW < MAX_CELL ? maxWidth : Math.min(maxWidth, 2 * PAD + columns * cellW + (columns - 1) * GAP);
  const size = Math.max(60, cellW - MARGIN.left - MARGIN.right);
  const cellH = TITLE_H + size + MARGIN.top + MARGIN.bottom;
  const headerTop = PAD + (options.title ? HEADER_TITLE_H : 0);
  const key = legend(PAD + 2, headerTop + 6, width - 2 * PAD);
  const top = headerTop + key.height;
  const height = top + rows * cellH + (rows - 1) * GAP + PAD;
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");

  const parts: string[] = [];
  if (options.title) {
    const fs = fitFont(options.title, width - 2 * PAD, 18);
    parts.push(
      `<text x="${PAD}" y="${PAD + 18}" font-size="${fs}" font-weight="bold">${escapeXml(options.title)}</text>`,
    );
  }
  parts.push(key.svg);
  panels.forEach(({ panel, kind }, i) => {
    const x0 = PAD + (i % columns) * (cellW + GAP);
    const y0 = top + Math.floor(i / columns) * (cellH + GAP);
    const title = kind === "band" ? panelTitle(panel) : colourPanelTitle(panel);
    const fs = fitFont(title, cellW - 4, 13);
    const colour = panel.chosen ? COLOUR.chosen : COLOUR.text;
    const weight = panel.chosen ? ` font-weight="bold"` : "";
    parts.push(
      `<text x="${x0 + cellW / 2}" y="${y0 + TITLE_H - 8}" text-anchor="middle" font-size="${fs}"` +
        ` fill="${colour}"${weight}>${escapeXml(title)}</text>`,
    );
    const body = kind === "band" ? panelSvg(panel, size, document) : colourPanelSvg(panel, size, document);
    parts.push(`<g transform="translate(${x0},${y0 + TITLE_H})">${body}</g>`);
  });
  return svgRoot(width, height, parts.join(""));
}

/** The calibration plot as PNG bytes, 1 px per SVG unit (`width` px wide, or narrower for few panels). */
export function calibrationPlotPng(
  input: CalibrationPlotInput,
  options: Omit<CalibrationPlotOptions, "format"> = {},
): Uint8Array {
  return svgToPng(calibrationPlotSvg(input, options));
}

/** `renderCalibrationPlot(result, { format })`: SVG text or PNG bytes of the calibration plot. */
export function renderCalibrationPlot(
  input: CalibrationPlotInput,
  options: CalibrationPlotOptions & { format: "svg" },
): string;
export function renderCalibrationPlot(
  input: CalibrationPlotInput,
  options: CalibrationPlotOptions & { format: "png" },
): Uint8Array;
export function renderCalibrationPlot(
  input: CalibrationPlotInput,
  options: CalibrationPlotOptions,
): string | Uint8Array;
export function renderCalibrationPlot(
  input: CalibrationPlotInput,
  options: CalibrationPlotOptions,
): string | Uint8Array {
  const { format, ...rest } = options;
  return format === "png" ? calibrationPlotPng(input, rest) : calibrationPlotSvg(input, rest);
}
