/**
 * Tonight's plan for one camera: every target (importance ≥ min_importance, with a position) that is
 * above `min_altitude` in the night's astronomical darkness (nautical when a site has none), not too
 * close to the Moon, with a predicted magnitude for which the camera reaches `snr` within
 * `max_exposure_s` — scheduled greedily (schedule.ts) in priority order (observing priority = importance ×
 * cadence overdue, src/domain/targets/derived.ts, then importance), each visit = slew + n × (exposure +
 * readout), placed nearest its lowest airmass.
 *
 * Exposures: from the camera's model in its most observed filter (camera-model.ts) at the airmass of the
 * visit's preferred time, rounded up to a whole number of seconds (5 s steps above 60 s), at least 1 s,
 * shortened to stay 20 % below saturation. A camera without calibrated frames gets 300 s exposures
 * (at most max_exposure_s) and the observatory's approx_lim_mag as its limit, and the plan says so.
 */
import { formatDecDms, formatRaHms } from "../../astro/coords.ts";
import { exposureForSnr, saturationExposureS, snrForExposure } from "../../astro/etc.ts";
import { computeNight, type Interval } from "../../astro/night.ts";
import { airmassAt, altitudeAt, altitudeGrid, altitudesOnGrid, windowsAbove } from "../../astro/altgrid.ts";
import { moonTopocentric } from "../../astro/visibility.ts";
import { angularSeparationDeg } from "../../astro/coords.ts";
import type { Executor } from "../../db/connection.ts";
import type { CameraRow } from "../observatories/repo.ts";
import { observingPriority } from "../targets/derived.ts";
import { cameraModels, type CameraModel } from "./camera-model.ts";
import { magnitudeFor, predictMagnitudes } from "./magnitude.ts";
import { chosenDate, iso, nightMiddleMjd, nightView, siteOf } from "./night.ts";
import * as repo from "./repo.ts";
import { scheduleNight, type VisitRequest } from "./schedule.ts";
import type { PlanEntry, PlanInput, PlanView } from "./schemas.ts";
import { cameraByOname, cameraModelView } from "./common.ts";

export const PLAN_DEFAULTS = {
  min_altitude: 30,
  snr: 50,
  max_exposure_s: 600,
  n_exposures: 1,
  slew_s: 60,
  min_importance: 0,
  min_moon_separation_deg: 15,
} as const;
/** Readout per frame when the camera row does not say (its readout_speed is BHTOM's 9999 placeholder). */
export const DEFAULT_READOUT_S = 10;
/** Exposure planned for a camera without calibrated frames. */
export const NO_HISTORY_EXPOSURE_S = 300;
const UNSCHEDULED_SHOWN = 200;
const GRID_STEP_MIN = 5;

const r = (v: number, digits: number) => Number(v.toFixed(digits));

/** Seconds of readout per frame: readout_speed (µs/px) × pixels read, when both are known and real. */
export function readoutSeconds(camera: CameraRow): number {
  const { readoutSpeed, detectorWidthPx: w, detectorHeightPx: h, binning } = camera;
  if (!(readoutSpeed > 0) || readoutSpeed >= 9999 || !w || !h) return DEFAULT_READOUT_S;
  return r((readoutSpeed * 1e-6 * w * h) / Math.max(1, binning) ** 2, 2);
}

/** A whole number of seconds, up to 5 s steps above a minute, at least 1 s. */
export function roundExposure(seconds: number): number {
  if (seconds <= 60) return Math.max(1, Math.ceil(seconds));
  return Math.ceil(seconds / 5) * 5;
}

interface Candidate {
  target: repo.CandidateTarget;
  priority: number;
  cadencePriority: number;
  alts: Float64Array;
  windows: Interval[];
  preferred: Date;
}

function darkness(night: ReturnType<typeof computeNight>, notes: string[]) {
  if (night.dark) return { span: night.dark, kind: "astronomical" };
  if (night.nauticalDark) {
    notes.push("No astronomical darkness this night: planned in nautical darkness (Sun below −12°).");
    return { span: night.nauticalDark, kind: "nautical" };
  }
  notes.push("No darkness this night (the Sun stays above −12°): nothing can be planned.");
  return { span: null, kind: "none" };
}

/** The exposure for one target, or why it cannot be observed. */
function exposureFor(
  model: CameraModel | null,
  mag: number,
  airmass: number,
  s: { snr: number; max_exposure_s: number },
  limMag: number,
): { exposureS: number } | { reason: string } {
  if (!model) {
    if (mag > limMag)
      return { reason: `fainter (${mag.toFixed(2)}) than the observatory's limit (${limMag})` };
    return { exposureS: Math.min(NO_HISTORY_EXPOSURE_S, s.max_exposure_s) };
  }
  const needed = exposureForSnr(model.model, mag, airmass, s.snr);
  if (needed > s.max_exposure_s) {
    return {
      reason: `too faint: needs ${Math.round(needed)} s for S/N ${s.snr} (max_exposure_s ${s.max_exposure_s})`,
    };
  }
  let exposureS = roundExposure(needed);
  const saturation = saturationExposureS(model.model, mag, airmass);
  if (exposureS > saturation) {
    if (saturation < 0.1) return { reason: `too bright: saturates in ${saturation.toFixed(3)} s` };
    exposureS = Math.max(0.1, Math.floor(saturation * 10) / 10);
  }
  return { exposureS };
}

export async function planNight(db: Executor, input: PlanInput, now: Date): Promise<PlanView> {
  const { camera, observatory } = await cameraByOname(db, input.oname);
  const site = siteOf(observatory);
  const date = chosenDate(input.date, site, now);
  const night = computeNight(site, date);
  const s = {
    ...PLAN_DEFAULTS,
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
    readout_s: input.readout_s ?? readoutSeconds(camera),
  } as typeof PLAN_DEFAULTS & { readout_s: number };
  const notes: string[] = [];
  const dark = darkness(night, notes);
  const models = cameraModels(await repo.cameraHistory(db, camera.id), camera);
  const model = models[0] ?? null;
  if (model) notes.push(`Exposures for S/N ${s.snr} in ${model.filter}, the camera's most observed filter.`);
  else
    notes.push(
      `${camera.prefix} has no calibrated FITS frames yet: ${Math.min(NO_HISTORY_EXPOSURE_S, s.max_exposure_s)} s ` +
        `exposures, and the observatory's approx_lim_mag (${observatory.approxLimMag}) as the limit.`,
    );
  const all = await repo.candidateTargets(db, s.min_importance);
  const base = {
    oname: camera.prefix,
    observatory: observatory.name,
    date,
    night: nightView(night),
    darkness: {
      start: dark.span ? iso(dark.span.start) : null,
      end: dark.span ? iso(dark.span.end) : null,
      kind: dark.kind,
      hours: dark.span ? r((dark.span.end.getTime() - dark.span.start.getTime()) / 3_600_000, 3) : 0,
    },
    settings: {
      min_altitude: s.min_altitude,
      snr: s.snr,
      max_exposure_s: s.max_exposure_s,
      n_exposures: s.n_exposures,
      slew_s: s.slew_s,
      readout_s: s.readout_s,
      min_importance: s.min_importance,
      min_moon_separation_deg: s.min_moon_separation_deg,
    },
    model: model ? cameraModelView(model) : null,
    notes,
  };
  if (!dark.span) {
    return {
      ...base,
      scheduled: [],
      unscheduled: [],
      summary: { targets: all.length, observable: 0, scheduled: 0, hours_used: 0 },
    };
  }
  const nowMjd = nightMiddleMjd(night);
  const grid = altitudeGrid(site, dark.span, GRID_STEP_MIN);
  const candidates: Candidate[] = [];
  for (const target of all) {
    const alts = altitudesOnGrid(grid, target.ra, target.dec);
    const windows = windowsAbove(grid, alts, s.min_altitude);
    if (!windows.length) continue;
    let best = -1;
    for (let k = 0; k < alts.length; k++) if (best < 0 || alts[k] > alts[best]) best = k;
    const p = observingPriority(target.importance, target.cadence, target.mjdLast, nowMjd);
    candidates.push({
      target,
      priority: p.priority,
      cadencePriority: p.cadencePriority,
      alts,
      windows,
      preferred: new Date(grid.timesMs[best]),
    });
  }
  const points = await repo.recentPoints(
    db,
    candidates.map((c) => c.target.id),
    nowMjd,
  );
  const pointsOf = new Map<number, repo.CurvePoint[]>();
  for (const p of points) pointsOf.set(p.targetId, [...(pointsOf.get(p.targetId) ?? []), p]);

  const unscheduled: PlanView["unscheduled"] = [];
  const requests: VisitRequest[] = [];
  const details = new Map<
    string,
    { c: Candidate; filter: string; mag: number; method: string; exposureS: number }
  >();
  for (const c of candidates) {
    const skip = (reason: string) =>
      unscheduled.push({ name: c.target.name, priority: r(c.priority, 3), reason });
    const moon = moonTopocentric(c.preferred, site);
    const moonSep = angularSeparationDeg(c.target.ra, c.target.dec, moon.raDeg, moon.decDeg);
    if (moon.altDeg > 0 && moonSep < s.min_moon_separation_deg) {
      skip(`${moonSep.toFixed(1)}° from the Moon (min_moon_separation_deg ${s.min_moon_separation_deg})`);
      continue;
    }
    const mags = predictMagnitudes(pointsOf.get(c.target.id) ?? [], nowMjd, c.target);
    const magnitude = magnitudeFor(mags, model?.filter ?? null);
    if (!magnitude) {
      skip("no magnitude to plan an exposure with (no light-curve points, no mag_last)");
      continue;
    }
    const airmass = airmassAt(grid, c.alts, c.preferred) ?? 1;
    const exposure = exposureFor(model, magnitude.predicted_mag, airmass, s, observatory.approxLimMag);
    if ("reason" in exposure) {
      skip(exposure.reason);
      continue;
    }
    const durationS = s.slew_s + s.n_exposures * (exposure.exposureS + s.readout_s);
    requests.push({
      key: c.target.name,
      priority: c.priority,
      tieBreak: c.target.importance,
      windows: c.windows,
      durationMs: durationS * 1000,
      preferredMs: c.preferred.getTime(),
    });
    details.set(c.target.name, {
      c,
      filter: model?.filter ?? magnitude.filter,
      mag: magnitude.predicted_mag,
      method: magnitude.method,
      exposureS: exposure.exposureS,
    });
  }
  const plan = scheduleNight(requests, dark.span);
  for (const u of plan.unplaced) {
    const d = details.get(u.key);
    unscheduled.push({ name: u.key, priority: r(d?.c.priority ?? 0, 3), reason: u.reason });
  }
  const scheduled: PlanEntry[] = plan.placed.map((p) => {
    const d = details.get(p.key)!;
    const mid = new Date((p.start.getTime() + p.end.getTime()) / 2);
    const airmass = airmassAt(grid, d.c.alts, mid) ?? 1;
    const moon = moonTopocentric(mid, site);
    const window = d.c.windows.find((w) => w.start <= p.start && w.end >= p.end) ?? d.c.windows[0];
    return {
      name: d.c.target.name,
      ra: d.c.target.ra,
      dec: d.c.target.dec,
      priority: r(d.c.priority, 3),
      importance: d.c.target.importance,
      cadence_priority: r(d.c.cadencePriority, 3),
      filter: d.filter,
      mag: r(d.mag, 3),
      mag_method: d.method,
      exposure_s: d.exposureS,
      n_exposures: s.n_exposures,
      snr: model ? r(snrForExposure(model.model, d.mag, airmass, d.exposureS).snr, 1) : null,
      start: iso(p.start),
      end: iso(p.end),
      window: { start: iso(window.start), end: iso(window.end) },
      airmass: r(airmass, 3),
      altitude_deg: r(altitudeAt(grid, d.c.alts, mid), 2),
      moon_separation_deg: r(angularSeparationDeg(d.c.target.ra, d.c.target.dec, moon.raDeg, moon.decDeg), 1),
    };
  });
  unscheduled.sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const hoursUsed = plan.placed.reduce((h, p) => h + (p.end.getTime() - p.start.getTime()) / 3_600_000, 0);
  return {
    ...base,
    scheduled,
    unscheduled: unscheduled.slice(0, UNSCHEDULED_SHOWN),
    summary: {
      targets: all.length,
      observable: candidates.length,
      scheduled: scheduled.length,
      hours_used: r(hoursUsed, 3),
    },
  };
}

/** A CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(v: unknown): string {
  const text = v === null || v === undefined ? "" : String(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const PLAN_CSV_COLUMNS = [
  "name",
  "ra",
  "dec",
  "start",
  "end",
  "exposure_s",
  "n_exposures",
  "filter",
  "mag",
  "snr",
  "airmass",
  "priority",
] as const;

/** The scheduled visits as CSV (header row, RA/Dec in degrees, times ISO 8601 UTC), in time order. */
export function planCsv(plan: PlanView): string {
  const lines = [PLAN_CSV_COLUMNS.join(",")];
  for (const e of plan.scheduled) lines.push(PLAN_CSV_COLUMNS.map((c) => csvField(e[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/**
 * The scheduled visits as plain `name ra dec exposure` lines, in time order, for telescope control
 * software: RA hh:mm:ss.ss, Dec ±dd:mm:ss.s (J2000), exposure in seconds; spaces in names become `_`.
 */
export function planText(plan: PlanView): string {
  return plan.scheduled
    .map(
      (e) =>
        `${e.name.replace(/\s+/g, "_")} ${formatRaHms(e.ra, 2)} ${formatDecDms(e.dec, 1)} ${e.exposure_s}\n`,
    )
    .join("");
}
