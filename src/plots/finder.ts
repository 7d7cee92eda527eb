/**
 * Finder charts, drawn on the server: the reference stars around a target in a gnomonic (TAN) projection
 * centred on it, north up and east to the left (as the sky looks to an observer facing it), dot size by
 * magnitude, the target marked in red, N and E arrows, a scale bar, the camera's field of view as a
 * dashed rectangle (position angle 0), and, when given, the latest FITS preview beside the chart.
 *
 * The chart is plain SVG geometry in sky pixels (there are no axes to scale, which is what Observable
 * Plot is for elsewhere); PNG output rasterises it with resvg and the shipped DejaVu Sans (png.ts).
 * Projection: src/astro/wcs/tan.ts with CD = diag(−s, s), s = chart width / size (deg/px).
 */
import { formatDecDms, formatRaHms } from "../astro/coords.ts";
import { skyToPixel, type TanWcs } from "../astro/wcs/tan.ts";
import { escapeXml, FONT_FAMILY, svgToPng } from "./png.ts";

export interface FinderStars {
  raDeg: ArrayLike<number>;
  decDeg: ArrayLike<number>;
  /** Magnitudes in `band`; NaN draws the faintest dot. */
  mag: ArrayLike<number>;
}

export interface FinderChartInput {
  name: string;
  raDeg: number;
  decDeg: number;
  /** Chart width (and height), arcmin. */
  widthArcmin: number;
  stars: FinderStars;
  /** Band of the magnitudes, e.g. "V (GaiaSP)"; null when no stars. */
  band: string | null;
  /** Faintest magnitude drawn. */
  magLimit: number;
  /** The camera's field, arcmin, centred on the target. */
  fov?: { widthArcmin: number; heightArcmin: number; label: string } | null;
  /** A PNG to show beside the chart (the latest FITS preview) with its caption. */
  preview?: { png: Uint8Array; caption: string } | null;
  /** One more line under the title (where the stars come from). */
  note?: string;
}

const COLOUR = { star: "#111111", target: "#D00000", fov: "#0072B2", text: "#111111", frame: "#999999" };
const HEADER_H = 58;
const FOOTER_H = 26;
const PAD = 14;
const GAP = 18;

/** Dot radius (px) of a star: 1 px at the limit, 0.6 px more per magnitude brighter, at most 8 px. */
export function dotRadiusPx(mag: number, magLimit: number): number {
  if (!Number.isFinite(mag)) return 1;
  return Math.min(8, Math.max(1, 1 + 0.6 * (magLimit - mag)));
}

/** A "nice" scale-bar length (arcmin) near a fifth of the chart width. */
export function scaleBarArcmin(widthArcmin: number): number {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120];
  const want = widthArcmin / 5;
  return steps.reduce((best, s) => (Math.abs(s - want) < Math.abs(best - want) ? s : best), steps[0]);
}

/** Text drawn over the star field: a white halo keeps it legible on dense fields. */
const HALO = ` stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke"`;

const fmtArcmin = (a: number) => (a >= 1 ? `${Number(a.toFixed(1))}′` : `${Math.round(a * 60)}″`);
const n2 = (v: number) => v.toFixed(2);

/** N and E arrows at the top right of a `size` px chart (north up, east to the left). */
function compass(size: number): string {
  const ox = size - 24;
  const oy = 52;
  return (
    `<rect x="${ox - 56}" y="${oy - 56}" width="66" height="68" fill="white" fill-opacity="0.85"/>` +
    `<g class="compass" stroke="${COLOUR.text}" stroke-width="1.6" fill="${COLOUR.text}">` +
    `<line x1="${ox}" y1="${oy}" x2="${ox}" y2="${oy - 34}"/><path d="M${ox - 4},${oy - 28} L${ox},${oy - 36} L${ox + 4},${oy - 28} Z"/>` +
    `<line x1="${ox}" y1="${oy}" x2="${ox - 34}" y2="${oy}"/><path d="M${ox - 28},${oy - 4} L${ox - 36},${oy} L${ox - 28},${oy + 4} Z"/></g>` +
    `<text x="${ox}" y="${oy - 40}" text-anchor="middle" font-size="13" font-weight="bold">N</text>` +
    `<text x="${ox - 42}" y="${oy + 5}" text-anchor="end" font-size="13" font-weight="bold">E</text>`
  );
}

/** A scale bar of a round length at the bottom left of a `size` px chart `widthArcmin` wide. */
function scaleBar(widthArcmin: number, size: number): string {
  const bar = scaleBarArcmin(widthArcmin);
  const px = (bar / widthArcmin) * size;
  const y = size - 16;
  return (
    `<rect x="6" y="${size - 42}" width="${n2(px + 16)}" height="38" fill="white" fill-opacity="0.85"/>` +
    `<g class="scale" stroke="${COLOUR.text}" stroke-width="2"><line x1="14" y1="${y}" x2="${n2(14 + px)}" y2="${y}"/>` +
    `<line x1="14" y1="${y - 5}" x2="14" y2="${y + 5}"/><line x1="${n2(14 + px)}" y1="${y - 5}" x2="${n2(14 + px)}" y2="${y + 5}"/></g>` +
    `<text x="${n2(14 + px / 2)}" y="${size - 24}" text-anchor="middle" font-size="12">${fmtArcmin(bar)}</text>`
  );
}

/** The chart panel (stars, target, field, compass, scale), `size` px square, as SVG elements. */
function chartPanel(input: FinderChartInput, size: number): string {
  const s = input.widthArcmin / 60 / size;
  const wcs: TanWcs = {
    crpix: [(size + 1) / 2, (size + 1) / 2],
    crvalDeg: [input.raDeg, input.decDeg],
    cd: [
      [-s, 0],
      [0, s],
    ],
  };
  const toSvg = (ra: number, dec: number) => {
    const p = skyToPixel(wcs, ra, dec);
    return p ? { x: p.x - 0.5, y: size - (p.y - 0.5) } : null;
  };
  const parts: string[] = [`<rect width="${size}" height="${size}" fill="white" stroke="${COLOUR.frame}"/>`];
  const { raDeg, decDeg, mag } = input.stars;
  // Faint stars first, so bright dots are drawn on top.
  const order = Array.from({ length: mag.length }, (_, i) => i).sort(
    (a, b) => (Number.isFinite(mag[b]) ? mag[b] : 99) - (Number.isFinite(mag[a]) ? mag[a] : 99),
  );
  const dots: string[] = [];
  for (const i of order) {
    const p = toSvg(raDeg[i], decDeg[i]);
    if (!p || p.x < 0 || p.y < 0 || p.x > size || p.y > size) continue;
    dots.push(`<circle cx="${n2(p.x)}" cy="${n2(p.y)}" r="${n2(dotRadiusPx(mag[i], input.magLimit))}"/>`);
  }
  parts.push(`<g fill="${COLOUR.star}" class="stars">${dots.join("")}</g>`);
  const c = size / 2;
  if (input.fov) {
    const w = (input.fov.widthArcmin / input.widthArcmin) * size;
    const h = (input.fov.heightArcmin / input.widthArcmin) * size;
    parts.push(
      `<rect class="fov" x="${n2(c - w / 2)}" y="${n2(c - h / 2)}" width="${n2(w)}" height="${n2(h)}" fill="none"` +
        ` stroke="${COLOUR.fov}" stroke-width="1.5" stroke-dasharray="6,4"/>`,
      `<text x="${n2(Math.max(4, c - w / 2 + 4))}" y="${n2(Math.max(14, c - h / 2 - 5))}" font-size="12"` +
        ` fill="${COLOUR.fov}"${HALO}>${escapeXml(input.fov.label)}</text>`,
    );
  }
  // Target: a ring with four ticks, leaving the star itself visible.
  const ticks = [
    [0, -1],
    [0, 1],
    [-1, 0],
    [1, 0],
  ]
    .map(
      ([dx, dy]) => `<line x1="${c + 9 * dx}" y1="${c + 9 * dy}" x2="${c + 22 * dx}" y2="${c + 22 * dy}"/>`,
    )
    .join("");
  parts.push(
    `<g class="target" stroke="${COLOUR.target}" stroke-width="2" fill="none"><circle cx="${c}" cy="${c}" r="12"/>` +
      `${ticks}</g>`,
    `<text x="${c + 16}" y="${c - 16}" font-size="13" font-weight="bold" fill="${COLOUR.target}"${HALO}>` +
      `${escapeXml(input.name)}</text>`,
  );
  parts.push(compass(size), scaleBar(input.widthArcmin, size));
  return parts.join("");
}

/** The finder chart as SVG text: header, chart of `sizePx` square, optional preview beside it. */
export function finderChartSvg(input: FinderChartInput, sizePx = 600): string {
  const size = Math.round(sizePx);
  const withPreview = Boolean(input.preview);
  const width = PAD * 2 + size + (withPreview ? GAP + size : 0);
  const height = HEADER_H + size + FOOTER_H + PAD;
  const title =
    `${input.name}  ${formatRaHms(input.raDeg, 2)} ${formatDecDms(input.decDeg, 1)} (J2000)` +
    `  —  ${fmtArcmin(input.widthArcmin)} × ${fmtArcmin(input.widthArcmin)}`;
  const starCount = input.stars.mag.length;
  const sub =
    `${starCount} reference stars` +
    (input.band ? ` to ${input.band} = ${input.magLimit.toFixed(1)}` : "") +
    (input.note ? ` · ${input.note}` : "");
  const parts = [
    `<text x="${PAD}" y="${PAD + 16}" font-size="17" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${PAD}" y="${PAD + 36}" font-size="12">${escapeXml(sub)}</text>`,
    `<g transform="translate(${PAD},${HEADER_H})">${chartPanel(input, size)}</g>`,
    `<text x="${PAD}" y="${HEADER_H + size + 18}" font-size="11">North up, east left; dot size by magnitude;` +
      `${input.fov ? " dashed: the camera's field of view;" : ""} red: the target.</text>`,
  ];
  if (input.preview) {
    const x0 = PAD + size + GAP;
    const data = Buffer.from(input.preview.png).toString("base64");
    parts.push(
      `<rect x="${x0}" y="${HEADER_H}" width="${size}" height="${size}" fill="#f4f4f4" stroke="${COLOUR.frame}"/>`,
      `<image class="preview" x="${x0}" y="${HEADER_H}" width="${size}" height="${size}"` +
        ` preserveAspectRatio="xMidYMid meet" href="data:image/png;base64,${data}"/>`,
      `<text x="${x0}" y="${HEADER_H + size + 18}" font-size="11">${escapeXml(input.preview.caption)}</text>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"` +
    ` font-family="${FONT_FAMILY}, sans-serif" fill="${COLOUR.text}">` +
    `<rect width="${width}" height="${height}" fill="white"/>${parts.join("")}</svg>`
  );
}

/** The finder chart as PNG bytes. */
export function finderChartPng(input: FinderChartInput, sizePx = 600): Uint8Array {
  return svgToPng(finderChartSvg(input, sizePx));
}
