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
import { exposureForSnr, saturationExposureS, snrForExposure } from "../../astro/etc.ts";
import { computeNight, type Interval } from "../../astro/night.ts";
import {
  airmassAt,
  altitudeAt,
  altitudeGrid,
  altitudesOnGrid,
  moonOnGrid,
  nearestIndex,
  windowsAbove,
  type AltitudeGrid,
  type MoonTrack,
} from "../../astro/altgrid.ts";
import type { Site } from "../../astro/sun.ts";
import { angularSeparationDeg } from "../../astro/coords.ts";
import type { Executor } from "../../db/connection.ts";
import type { CameraRow } from "../observatories/repo.ts";
import { observingPriority } from "../targets/derived.ts";
import { cameraModels, type CameraModel } from "./camera-model.ts";
import { magnitudeFor, predictMagnitudes } from "./magnitude.ts";
import { chosenDate, iso, nightMiddleMjd, nightView, siteOf } from "./night.ts";
import { groupBy } from "./group.ts";
import * as repo from "./repo.ts";
import { scheduleNight, type PlacedVisit, type VisitRequest } from "./schedule.ts";
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

type Settings = typeof PLAN_DEFAULTS & { readout_s: number };

interface Context {
  site: Site;
  grid: AltitudeGrid;
  moon: MoonTrack;
  settings: Settings;
  model: CameraModel | null;
  limMag: number;
  nowMjd: number;
}

interface Detail {
  c: Candidate;
  filter: string;
  mag: number;
  method: string;
  exposureS: number;
}

/** Targets above the altitude limit in darkness, with their windows, priority and best time. */
function observable(all: repo.CandidateTarget[], ctx: Context): Candidate[] {
  const out: Candidate[] = [];
  for (const target of all) {
    const alts = altitudesOnGrid(ctx.grid, target.ra, target.dec);
    const windows = windowsAbove(ctx.grid, alts, ctx.settings.min_altitude);
    if (!windows.length) continue;
    let best = 0;
    for (let k = 1; k < alts.length; k++) if (alts[k] > alts[best]) best = k;
    const p = observingPriority(target.importance, target.cadence, target.mjdLast, ctx.nowMjd);
    out.push({
      target,
      priority: p.priority,
      cadencePriority: p.cadencePriority,
      alts,
      windows,
      preferred: new Date(ctx.grid.timesMs[best]),
    });
  }
  return out;
}

/** A visit for each candidate that the Moon, its magnitude and the camera allow; the others with a reason. */
function visits(candidates: Candidate[], pointsOf: Map<number, repo.CurvePoint[]>, ctx: Context) {
  const s = ctx.settings;
  const unscheduled: PlanView["unscheduled"] = [];
  const requests: VisitRequest[] = [];
  const details = new Map<string, Detail>();
  for (const c of candidates) {
    const skip = (reason: string) =>
      unscheduled.push({ name: c.target.name, priority: r(c.priority, 3), reason });
    const k = nearestIndex(ctx.grid, c.preferred);
    const moonSep = angularSeparationDeg(c.target.ra, c.target.dec, ctx.moon.raDeg[k], ctx.moon.decDeg[k]);
    if (ctx.moon.altDeg[k] > 0 && moonSep < s.min_moon_separation_deg) {
      skip(`${moonSep.toFixed(1)}° from the Moon (min_moon_separation_deg ${s.min_moon_separation_deg})`);
      continue;
    }
    const mags = predictMagnitudes(pointsOf.get(c.target.id) ?? [], ctx.nowMjd, c.target);
    const magnitude = magnitudeFor(mags, ctx.model?.filter ?? null);
    if (!magnitude) {
      skip("no magnitude to plan an exposure with (no light-curve points, no mag_last)");
      continue;
    }
    const airmass = airmassAt(ctx.grid, c.alts, c.preferred) ?? 1;
    const exposure = exposureFor(ctx.model, magnitude.predicted_mag, airmass, s, ctx.limMag);
    if ("reason" in exposure) {
      skip(exposure.reason);
      continue;
    }
    requests.push({
      key: c.target.name,
      priority: c.priority,
      tieBreak: c.target.importance,
      windows: c.windows,
      durationMs: (s.slew_s + s.n_exposures * (exposure.exposureS + s.readout_s)) * 1000,
      preferredMs: c.preferred.getTime(),
    });
    details.set(c.target.name, {
      c,
      filter: ctx.model?.filter ?? magnitude.filter,
      mag: magnitude.predicted_mag,
      method: magnitude.method,
      exposureS: exposure.exposureS,
    });
  }
  return { requests, details, unscheduled };
}

/** A placed visit as the plan lists it: airmass, altitude and Moon at its middle, S/N at that airmass. */
function entry(p: PlacedVisit, d: Detail, ctx: Context): PlanEntry {
  const mid = new Date((p.start.getTime() + p.end.getTime()) / 2);
  const airmass = airmassAt(ctx.grid, d.c.alts, mid) ?? 1;
  const k = nearestIndex(ctx.grid, mid);
  const window = d.c.windows.find((w) => w.start <= p.start && w.end >= p.end) ?? d.c.windows[0];
  const t = d.c.target;
  return {
    name: t.name,
    ra: t.ra,
    dec: t.dec,
    priority: r(d.c.priority, 3),
    importance: t.importance,
    cadence_priority: r(d.c.cadencePriority, 3),
    filter: d.filter,
    mag: r(d.mag, 3),
    mag_method: d.method,
    exposure_s: d.exposureS,
    n_exposures: ctx.settings.n_exposures,
    snr: ctx.model ? r(snrForExposure(ctx.model.model, d.mag, airmass, d.exposureS).snr, 1) : null,
    start: iso(p.start),
    end: iso(p.end),
    window: { start: iso(window.start), end: iso(window.end) },
    airmass: r(airmass, 3),
    altitude_deg: r(altitudeAt(ctx.grid, d.c.alts, mid), 2),
    moon_separation_deg: r(angularSeparationDeg(t.ra, t.dec, ctx.moon.raDeg[k], ctx.moon.decDeg[k]), 1),
  };
}

function settingsOf(input: PlanInput, camera: CameraRow): Settings {
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  return { ...PLAN_DEFAULTS, ...given, readout_s: input.readout_s ?? readoutSeconds(camera) } as Settings;
}

export async function planNight(db: Executor, input: PlanInput, now: Date): Promise<PlanView> {
  const { camera, observatory } = await cameraByOname(db, input.oname);
  const site = siteOf(observatory);
  const date = chosenDate(input.date, site, now);
  const night = computeNight(site, date);
  const settings = settingsOf(input, camera);
  const notes: string[] = [];
  const dark = darkness(night, notes);
  const model = cameraModels(await repo.cameraHistory(db, camera.id), camera)[0] ?? null;
  notes.push(
    model
      ? `Exposures for S/N ${settings.snr} in ${model.filter}, the camera's most observed filter.`
      : `${camera.prefix} has no calibrated FITS frames yet: ` +
          `${Math.min(NO_HISTORY_EXPOSURE_S, settings.max_exposure_s)} s exposures, and the observatory's ` +
          `approx_lim_mag (${observatory.approxLimMag}) as the limit.`,
  );
  const all = await repo.candidateTargets(db, settings.min_importance);
  const { readout_s, ...rest } = settings;
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
    settings: { ...rest, readout_s },
    model: model ? cameraModelView(model) : null,
    notes,
  };
  if (!dark.span) {
    const summary = { targets: all.length, observable: 0, scheduled: 0, hours_used: 0 };
    return { ...base, scheduled: [], unscheduled: [], summary };
  }
  const grid = altitudeGrid(site, dark.span, GRID_STEP_MIN);
  const ctx: Context = {
    site,
    grid,
    moon: moonOnGrid(grid, site),
    settings,
    model,
    limMag: observatory.approxLimMag,
    nowMjd: nightMiddleMjd(night),
  };
  const candidates = observable(all, ctx);
  const points = await repo.recentPoints(
    db,
    candidates.map((c) => c.target.id),
    ctx.nowMjd,
  );
  const pointsOf = groupBy(points, (p) => p.targetId);
  const { requests, details, unscheduled } = visits(candidates, pointsOf, ctx);
  const schedule = scheduleNight(requests, dark.span);
  for (const u of schedule.unplaced)
    unscheduled.push({ name: u.key, priority: r(details.get(u.key)?.c.priority ?? 0, 3), reason: u.reason });
  unscheduled.sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const hoursUsed = schedule.placed.reduce(
    (h, p) => h + (p.end.getTime() - p.start.getTime()) / 3_600_000,
    0,
  );
  return {
    ...base,
    scheduled: schedule.placed.map((p) => entry(p, details.get(p.key)!, ctx)),
    unscheduled: unscheduled.slice(0, UNSCHEDULED_SHOWN),
    summary: {
      targets: all.length,
      observable: candidates.length,
      scheduled: schedule.placed.length,
      hours_used: r(hoursUsed, 3),
    },
  };
}
