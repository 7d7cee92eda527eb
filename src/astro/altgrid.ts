/**
 * Altitudes of many targets on one time grid, for planning a night over a whole target list.
 *
 * At each grid time tₖ the J2000 → horizon rotation Mₖ (astronomy-engine `Rotation_EQJ_HOR`: precession,
 * nutation, Earth rotation, site) is computed once; a target's geometric altitude there is then
 * asin((Mₖ v)_z) for its J2000 unit vector v — a dot product — the same value sun.ts `altAzDeg` gives
 * (aberration, ≤ 20″, neglected in both). Crossings of an altitude limit are interpolated linearly
 * between grid times: with a 5-minute grid the altitude changes by at most 1.25° per step, and the
 * crossing time errs by seconds (the curvature of h(t) over one step is below 0.01°).
 */
import { Observer, Rotation_EQJ_HOR } from "astronomy-engine";
import { unitVector } from "./coords.ts";
import type { Interval } from "./night.ts";
import { airmassHardie, apparentAltitudeDeg, moonTopocentric } from "./visibility.ts";
import type { Site } from "./sun.ts";

const RAD = 180 / Math.PI;

export interface AltitudeGrid {
  /** Grid times, ms since 1970 (UTC). */
  timesMs: Float64Array;
  /** Third row of each rotation (the horizon's "up" axis in J2000): 3 values per time. */
  up: Float64Array;
}

/** A grid from `span.start` to `span.end` every `stepMin` minutes, both ends included. */
export function altitudeGrid(site: Site, span: Interval, stepMin = 5): AltitudeGrid {
  const observer = new Observer(site.latDeg, site.lonDeg, site.heightM);
  const t0 = span.start.getTime();
  const t1 = span.end.getTime();
  const step = stepMin * 60_000;
  const n = Math.max(2, Math.ceil((t1 - t0) / step) + 1);
  const timesMs = new Float64Array(n);
  const up = new Float64Array(3 * n);
  for (let k = 0; k < n; k++) {
    const t = Math.min(t0 + k * step, t1);
    timesMs[k] = t;
    const rot = Rotation_EQJ_HOR(new Date(t), observer).rot;
    // astronomy-engine applies rot as out[j] = Σᵢ rot[i][j] · in[i]; "up" is output component z (j = 2).
    up[3 * k] = rot[0][2];
    up[3 * k + 1] = rot[1][2];
    up[3 * k + 2] = rot[2][2];
  }
  return { timesMs, up };
}

/** Geometric altitudes (deg) of a J2000 target at every grid time. */
export function altitudesOnGrid(grid: AltitudeGrid, raDeg: number, decDeg: number): Float64Array {
  const [x, y, z] = unitVector(raDeg, decDeg);
  const n = grid.timesMs.length;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = grid.up[3 * k] * x + grid.up[3 * k + 1] * y + grid.up[3 * k + 2] * z;
    out[k] = Math.asin(Math.max(-1, Math.min(1, s))) * RAD;
  }
  return out;
}

/** Intervals where the altitude is at least `minAltDeg`, crossings interpolated linearly. */
export function windowsAbove(grid: AltitudeGrid, altDeg: Float64Array, minAltDeg: number): Interval[] {
  const t = grid.timesMs;
  const out: Interval[] = [];
  let start: number | null = altDeg[0] >= minAltDeg ? t[0] : null;
  for (let k = 1; k < t.length; k++) {
    const a = altDeg[k - 1] - minAltDeg;
    const b = altDeg[k] - minAltDeg;
    if (a >= 0 === b >= 0) continue;
    const cross = t[k - 1] + ((t[k] - t[k - 1]) * a) / (a - b);
    if (b >= 0) start = cross;
    else if (start !== null) {
      out.push({ start: new Date(start), end: new Date(cross) });
      start = null;
    }
  }
  if (start !== null) out.push({ start: new Date(start), end: new Date(t[t.length - 1]) });
  return out.filter((w) => w.end.getTime() > w.start.getTime());
}

/** Altitude (deg) at any time inside the grid, interpolated linearly. */
export function altitudeAt(grid: AltitudeGrid, altDeg: Float64Array, when: Date): number {
  const t = grid.timesMs;
  const ms = when.getTime();
  if (ms <= t[0]) return altDeg[0];
  if (ms >= t[t.length - 1]) return altDeg[t.length - 1];
  let lo = 0;
  let hi = t.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= ms) lo = mid;
    else hi = mid;
  }
  return altDeg[lo] + ((altDeg[hi] - altDeg[lo]) * (ms - t[lo])) / (t[hi] - t[lo]);
}

/** Hardie airmass at a time inside the grid (apparent altitude of the interpolated one); null below 0°. */
export function airmassAt(grid: AltitudeGrid, altDeg: Float64Array, when: Date): number | null {
  return airmassHardie(apparentAltitudeDeg(altitudeAt(grid, altDeg, when)));
}

/** Index of the grid time nearest `when` (clamped to the grid). */
export function nearestIndex(grid: AltitudeGrid, when: Date): number {
  const t = grid.timesMs;
  const ms = when.getTime();
  if (ms <= t[0]) return 0;
  if (ms >= t[t.length - 1]) return t.length - 1;
  let lo = 0;
  let hi = t.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= ms) lo = mid;
    else hi = mid;
  }
  return ms - t[lo] <= t[hi] - ms ? lo : hi;
}

/** The topocentric Moon at every grid time (it moves ≈ 0.5°/h: 0.02° within half a 5-minute step). */
export interface MoonTrack {
  raDeg: Float64Array;
  decDeg: Float64Array;
  altDeg: Float64Array;
}

export function moonOnGrid(grid: AltitudeGrid, site: Site): MoonTrack {
  const n = grid.timesMs.length;
  const track = { raDeg: new Float64Array(n), decDeg: new Float64Array(n), altDeg: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const m = moonTopocentric(new Date(grid.timesMs[k]), site);
    track.raDeg[k] = m.raDeg;
    track.decDeg[k] = m.decDeg;
    track.altDeg[k] = m.altDeg;
  }
  return track;
}
