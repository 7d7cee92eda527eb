/**
 * Light-curve figures as plotly JSON (drawn in the page by plotly.js, returned by get-plots): one trace
 * per filter with error bars, magnitudes increasing downwards, upper limits (negative error) as
 * downward triangles in the filter's colour. Pure: points in, figure out.
 */

export interface LightCurvePoint {
  id: number;
  mjd: number;
  /** Magnitude (or the limiting magnitude when error < 0). */
  mag: number;
  /** Magnitude error; negative marks an upper limit. */
  error: number;
  filter: string;
  facility: string;
  observer: string;
  dataProductId: number | null;
  /** Quality flag of a calibrated point (low_zeropoint: camera health), null when none. */
  qualityFlag?: string | null;
}

/** Colour-blind-safe palette (Okabe & Ito 2008), then Tableau 10. */
const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
  "#F0E442",
  "#4E79A7",
  "#F28E2B",
  "#E15759",
  "#76B7B2",
  "#59A14F",
  "#EDC948",
  "#B07AA1",
  "#FF9DA7",
  "#9C755F",
  "#BAB0AC",
];

/** Marker shapes, one per facility (observatory or survey) when a light curve has several. */
const FACILITY_SYMBOLS = [
  "circle",
  "square",
  "diamond",
  "cross",
  "x",
  "triangle-up",
  "pentagon",
  "hexagram",
  "star",
  "hourglass",
  "bowtie",
  "asterisk-open",
];

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** What the y axis shows: magnitudes (reversed) or radio flux densities in mJy. */
export type LightCurveKind = "magnitude" | "radio";

function hover(p: LightCurvePoint, limit: boolean, kind: LightCurveKind = "magnitude"): string {
  const unit = kind === "radio" ? " mJy" : "";
  const mag = limit
    ? `${kind === "radio" ? "&lt;" : "&gt;"} ${p.mag.toFixed(3)}${unit} (limit)`
    : `${p.mag.toFixed(3)} ± ${p.error.toFixed(3)}${unit}`;
  const who = [p.facility, p.observer].filter(Boolean).join(" / ");
  const dp = p.dataProductId ? `<br>data product ${p.dataProductId}` : "";
  const flag = p.qualityFlag ? `<br>flag: ${p.qualityFlag}` : "";
  return `MJD ${p.mjd.toFixed(5)}<br>${p.filter}: ${mag}${who ? `<br>${who}` : ""}${dp}${flag}`;
}

/**
 * The figure of a light curve: magnitudes (y reversed, limits as downward triangles), or with kind
 * "radio" flux densities in mJy (`mag` holds the flux; y upwards; limits as downward triangles at the
 * limiting flux).
 */
export function lightCurveFigure(
  points: LightCurvePoint[],
  title: string,
  kind: LightCurveKind = "magnitude",
): PlotlyFigure {
  const filters = [...new Set(points.map((p) => p.filter))].sort();
  // Colour by filter; with several facilities, the marker's shape tells them apart (hover names them).
  const facilities = [...new Set(points.map((p) => p.facility))].sort();
  const symbolOf = (p: LightCurvePoint) =>
    FACILITY_SYMBOLS[facilities.indexOf(p.facility) % FACILITY_SYMBOLS.length];
  const data: Record<string, unknown>[] = [];
  filters.forEach((filter, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const mine = points.filter((p) => p.filter === filter);
    const det = mine.filter((p) => p.error >= 0);
    const lim = mine.filter((p) => p.error < 0);
    if (det.length) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: filter,
        legendgroup: filter,
        x: det.map((p) => p.mjd),
        y: det.map((p) => p.mag),
        error_y: { type: "data", array: det.map((p) => p.error), visible: true, color: colour, thickness: 1 },
        marker: { color: colour, size: 7, symbol: facilities.length > 1 ? det.map(symbolOf) : "circle" },
        text: det.map((p) => hover(p, false, kind)),
        hovertemplate: "%{text}<extra></extra>",
        customdata: det.map((p) => p.id),
      });
    }
    if (lim.length) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: `${filter} limit`,
        legendgroup: filter,
        showlegend: det.length === 0,
        x: lim.map((p) => p.mjd),
        y: lim.map((p) => p.mag),
        marker: { color: colour, size: 9, symbol: "triangle-down-open" },
        text: lim.map((p) => hover(p, true, kind)),
        hovertemplate: "%{text}<extra></extra>",
        customdata: lim.map((p) => p.id),
      });
    }
  });
  return {
    data,
    layout: {
      title: { text: title },
      xaxis: { title: { text: "MJD" }, zeroline: false },
      yaxis:
        kind === "radio"
          ? { title: { text: "Flux density (mJy)" }, zeroline: true }
          : { title: { text: "Magnitude" }, autorange: "reversed", zeroline: false },
      hovermode: "closest",
      legend: { orientation: "h", y: -0.2 },
      margin: { l: 60, r: 20, t: 50, b: 60 },
    },
  };
}
