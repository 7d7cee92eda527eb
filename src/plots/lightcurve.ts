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

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

function hover(p: LightCurvePoint, limit: boolean): string {
  const mag = limit ? `&gt; ${p.mag.toFixed(3)} (limit)` : `${p.mag.toFixed(3)} ± ${p.error.toFixed(3)}`;
  const who = [p.facility, p.observer].filter(Boolean).join(" / ");
  const dp = p.dataProductId ? `<br>data product ${p.dataProductId}` : "";
  const flag = p.qualityFlag ? `<br>flag: ${p.qualityFlag}` : "";
  return `MJD ${p.mjd.toFixed(5)}<br>${p.filter}: ${mag}${who ? `<br>${who}` : ""}${dp}${flag}`;
}

export function lightCurveFigure(points: LightCurvePoint[], title: string): PlotlyFigure {
  const filters = [...new Set(points.map((p) => p.filter))].sort();
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
        marker: { color: colour, size: 7, symbol: "circle" },
        text: det.map((p) => hover(p, false)),
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
        text: lim.map((p) => hover(p, true)),
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
      yaxis: { title: { text: "Magnitude" }, autorange: "reversed", zeroline: false },
      hovermode: "closest",
      legend: { orientation: "h", y: -0.2 },
      margin: { l: 60, r: 20, t: 50, b: 60 },
    },
  };
}
